"""Deliveries waiting for a retry outlive the process: kept in the region's database, scheduled again on reopening.

Each "process" here is a fresh EventBridge on the same region file and the same virtual clock (the old one is
dropped with its timers, as a ``kill -9`` drops them); the target fails on its first calls, the dead-letter
queue is moto's.
"""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Any

import boto3
import pytest

from asl_engine.eventbridge.archive import ArchiveStore
from asl_engine.eventbridge.delivery import DeliveryFailure
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.journal import Journal, PendingDeliveries, PinnedClock, open_store
from asl_engine.eventbridge.scheduler import Scheduler
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.runtime.clock import VirtualClock

from .service_fixtures import ACCOUNT, FUNCTION_ARN, START, client, counter, queue

ENTRY = {"Source": "shop", "DetailType": "Order", "Detail": '{"id": 1}'}
RULE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"


def dead_letters(url: str) -> list[dict[str, Any]]:
    answer = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return answer.get("Messages", [])


class Flaky:
    """A target failing (retryably) on its first ``failures`` calls in all processes; records their instants."""

    def __init__(self, clock: VirtualClock, failures: int) -> None:
        self.clock, self.failures, self.calls = clock, failures, []

    def invoke(self, invocation: Any) -> None:
        self.calls.append(self.clock.time())
        if len(self.calls) <= self.failures:
            raise DeliveryFailure("THROTTLING", "Rate exceeded")


class Process:
    """What asl serve makes of a region file: journal, EventBridge with the file as its deliverer's store."""

    def __init__(self, path: str, clock: VirtualClock, target: Flaky) -> None:
        pinned = PinnedClock(clock)
        self.journal = Journal(open_store(path), pinned)
        invokers = Invokers(client=lambda name: boto3.client(name, region_name="us-east-1"))
        invokers.register("lambda", target)
        self.timers = Timers(pinned)  # type: ignore[arg-type]
        self.events = EventBridge(timers=self.timers, invokers=invokers, archive_store=self.journal.store,
                                  rng=random.Random(7), ids=counter("event"))
        self.events.deliverer.store = self.journal.pending
        self.scheduler = Scheduler(self.events.deliverer, timers=self.timers, rng=random.Random(3),
                                   ids=counter("exec"))
        self.journal.attach("events", self.events)
        self.journal.attach("scheduler", self.scheduler)
        self.restored = 0

    def start(self) -> Process:
        self.journal.replay({"events": self.events, "scheduler": self.scheduler})
        self.events.rearm()
        self.scheduler.rearm()
        self.restored = self.events.deliverer.restore()
        self.journal.recording = True
        return self

    def pending(self) -> list[dict[str, Any]]:
        return [record for _, record in self.journal.pending.load()]


def first_process(tmp_path, target_failures: int, policy: dict[str, int]) -> tuple[str, VirtualClock, Flaky,
                                                                                      Process, str]:
    path, clock = str(tmp_path / "events.db"), VirtualClock(START)
    flaky = Flaky(clock, target_failures)
    process = Process(path, clock, flaky).start()
    url, dlq = queue("dlq")
    process.events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    process.events.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": FUNCTION_ARN, "RetryPolicy": policy,
                                                   "DeadLetterConfig": {"Arn": dlq}}])
    return path, clock, flaky, process, url


def test_the_store_round_trip(tmp_path):
    store = PendingDeliveries(Journal(open_store(str(tmp_path / "e.db")), PinnedClock(VirtualClock(START))).store.db)
    first = store.save(None, {"Due": 20.0, "Retries": 1})
    second = store.save(None, {"Due": 10.0, "Retries": 1})
    assert store.save(first, {"Due": 30.0, "Retries": 2}) == first
    assert store.load() == [(second, {"Due": 10.0, "Retries": 1}), (first, {"Due": 30.0, "Retries": 2})]
    store.delete(second)
    assert store.load() == [(first, {"Due": 30.0, "Retries": 2})]
    reopened = Journal(open_store(str(tmp_path / "e.db")), PinnedClock(VirtualClock(START)))
    assert reopened.pending.load() == [(first, {"Due": 30.0, "Retries": 2})]


def test_a_file_from_before_the_table_is_read_and_gets_it(tmp_path):
    path = str(tmp_path / "old.db")
    ArchiveStore(path).db.executescript(  # what an older asl serve left: journal and created, no pending table
        "CREATE TABLE journal (seq INTEGER PRIMARY KEY, service TEXT NOT NULL, method TEXT NOT NULL,"
        " arguments TEXT NOT NULL, time REAL NOT NULL);"
        "CREATE TABLE created (time REAL NOT NULL); INSERT INTO created VALUES (1772323200.0);"
        "INSERT INTO journal (service, method, arguments, time) VALUES"
        " ('events', 'put_rule', '{\"args\": [], \"request\": {\"Name\": \"r\", \"ScheduleExpression\":"
        " \"rate(1 hour)\"}}', 1772323200.0);")
    clock = VirtualClock(START)
    process = Process(path, clock, Flaky(clock, 0)).start()
    assert process.events.describe_rule(Name="r")["ScheduleExpression"] == "rate(1 hour)"
    assert process.restored == 0 and process.pending() == []
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "pending_deliveries" in tables


def test_a_first_attempt_that_succeeds_writes_nothing(tmp_path, aws):
    _, _, flaky, process, _ = first_process(tmp_path, 0, {"MaximumRetryAttempts": 3})
    saves: list = []
    store = process.events.deliverer.store
    original = store.save  # type: ignore[union-attr]
    store.save = lambda *a: saves.append(a) or original(*a)  # type: ignore[union-attr,method-assign]
    process.events.put_events(Entries=[ENTRY] * 5)
    assert len(flaky.calls) == 5 and saves == [] and process.pending() == []


def test_a_pending_retry_is_made_after_a_restart_at_its_due_time(tmp_path, aws):
    path, clock, flaky, process, url = first_process(tmp_path, 2, {"MaximumRetryAttempts": 5})
    process.events.put_events(Entries=[ENTRY])
    [kept] = process.pending()  # written before the retry was scheduled
    assert kept["Retries"] == 1 and 0.5 <= kept["Due"] - flaky.calls[0] <= 1
    assert kept["SourceAttributes"] == {"RULE_ARN": RULE_ARN, "TARGET_ARN": FUNCTION_ARN}
    del process  # the process dies with its timer

    process = Process(path, clock, flaky).start()
    assert process.restored == 1
    clock_before = clock.time()
    process.timers.advance(kept["Due"] - clock_before - 0.01)
    assert len(flaky.calls) == 1  # not before its due time
    process.timers.advance(0.02)
    assert len(flaky.calls) == 2 and flaky.calls[1] == pytest.approx(kept["Due"], abs=1e-3)
    [again] = process.pending()
    assert again["Retries"] == 2 and len(again["History"]) == 2  # the attempt count is kept
    process.timers.advance(60)
    assert len(flaky.calls) == 3  # delivered by the second retry, once
    assert process.pending() == [] and dead_letters(url) == [] and process.events.deliverer.failures == []


def test_a_retry_due_while_down_is_made_at_once(tmp_path, aws):
    path, clock, flaky, process, url = first_process(tmp_path, 1, {"MaximumEventAgeInSeconds": 600})
    process.events.put_events(Entries=[ENTRY])
    del process
    clock.advance(300)  # down for five minutes
    process = Process(path, clock, flaky).start()
    process.timers.advance(0)
    assert len(flaky.calls) == 2 and flaky.calls[1] == clock.time()
    assert process.pending() == [] and dead_letters(url) == []


def test_a_retry_past_the_event_age_when_restored_is_dead_lettered(tmp_path, aws):
    path, clock, flaky, process, url = first_process(tmp_path, 100, {"MaximumEventAgeInSeconds": 60})
    process.events.put_events(Entries=[ENTRY])
    process.timers.advance(1.5)  # the first retry, failed too
    assert len(flaky.calls) == 2
    del process
    clock.advance(120)
    process = Process(path, clock, flaky).start()
    process.timers.advance(0)
    assert len(flaky.calls) == 2  # too old to retry
    [message] = dead_letters(url)
    assert {k: v["StringValue"] for k, v in message["MessageAttributes"].items()} == {
        "RULE_ARN": RULE_ARN, "TARGET_ARN": FUNCTION_ARN, "ERROR_CODE": "THROTTLING", "ERROR_MESSAGE": "Rate exceeded",
        "RETRY_ATTEMPTS": "1", "EXHAUSTED_RETRY_CONDITION": "MaximumEventAgeInSeconds"}
    assert json.loads(message["Body"])["detail"] == {"id": 1}
    assert process.pending() == []
    [failure] = process.events.deliverer.failures
    assert failure["DeadLettered"] is True and len(failure["Attempts"]) == 2


def test_maximum_attempts_count_across_restarts(tmp_path, aws):
    path, clock, flaky, process, url = first_process(tmp_path, 100, {"MaximumRetryAttempts": 2})
    process.events.put_events(Entries=[ENTRY])
    process.timers.advance(1.5)
    del process
    process = Process(path, clock, flaky).start()
    process.timers.advance(3600)
    assert len(flaky.calls) == 3  # the first attempt and two retries, over two processes
    [message] = dead_letters(url)
    assert message["MessageAttributes"]["RETRY_ATTEMPTS"]["StringValue"] == "2"
    assert message["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumRetryAttempts"
    assert process.pending() == []
    process = Process(path, clock, flaky).start()  # nothing left to do on a third start
    process.timers.advance(3600)
    assert process.restored == 0 and len(flaky.calls) == 3 and len(dead_letters(url)) == 0


def test_a_schedules_retry_is_kept_too(tmp_path, aws):
    path, clock = str(tmp_path / "events.db"), VirtualClock(START)
    flaky = Flaky(clock, 1)
    process = Process(path, clock, flaky).start()
    arn = process.scheduler.create_schedule(
        Name="once", ScheduleExpression="at(2026-03-01T00:01:00)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": FUNCTION_ARN, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r", "Input": "{}"})["ScheduleArn"]
    process.timers.advance(60)
    [kept] = process.pending()
    assert kept["SourceAttributes"]["SCHEDULE_ARN"] == arn
    del process
    clock.advance(0.1)
    process = Process(path, clock, flaky).start()
    process.timers.advance(60)
    assert len(flaky.calls) == 2 and process.pending() == []
