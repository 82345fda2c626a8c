"""The event services outlive the process: after a clean stop or ``kill -9`` and a restart on the same --db,
buses, rules, targets, archives (with their events), schedules, pipes and schemas are all there, described
as before, and keep working: events reach the restored targets, replays deliver what was archived before the
restart, schedules fire on the same minutes."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, eventually, queue, wait_for_end

ARGS = ("--virtual-clock", "--no-moto")
ECHO = definition({"P": {"Type": "Pass", "End": True}})
QUEUE = "arn:aws:sqs:us-east-1:123456789012:"


def restart(server: Server, crash: bool) -> Server:
    """A new server on the same store, after SIGTERM or ``kill -9`` of the old one."""
    if crash:
        server.crash()
    else:
        server.stop()
    return Server(server.db, *ARGS)


def describe_all(server: Server) -> dict[str, Any]:
    """Everything the APIs say about the resources the test made, without the per-response metadata."""
    events, scheduler = server.client("events"), server.client("scheduler")
    pipes, schemas = server.client("pipes"), server.client("schemas")
    calls: dict[str, Callable[[], Any]] = {
        "buses": lambda: events.list_event_buses(),
        "bus": lambda: events.describe_event_bus(Name="orders"),
        "rules": lambda: events.list_rules(EventBusName="orders"),
        "rule": lambda: events.describe_rule(Name="paid", EventBusName="orders"),
        "quiet": lambda: events.describe_rule(Name="quiet", EventBusName="orders"),
        "targets": lambda: events.list_targets_by_rule(Rule="paid", EventBusName="orders"),
        "archive": lambda: events.describe_archive(ArchiveName="kept"),
        "archives": lambda: events.list_archives(),
        "schedule": lambda: scheduler.get_schedule(Name="nightly"),
        "schedules": lambda: scheduler.list_schedules(),
        "pipe": lambda: pipes.describe_pipe(Name="drain"),
        "registry": lambda: schemas.describe_registry(RegistryName="shop"),
        "schema": lambda: schemas.describe_schema(RegistryName="shop", SchemaName="Order"),
        "versions": lambda: schemas.list_schema_versions(RegistryName="shop", SchemaName="Order"),
        "discoverers": lambda: schemas.list_discoverers(),
        "discovered": lambda: schemas.list_schemas(RegistryName="discovered-schemas"),
    }
    out = {}
    for name, call in calls.items():
        answer = call()
        answer.pop("ResponseMetadata", None)
        out[name] = answer
    return out


def executions(server: Server, machine: str) -> list[dict[str, Any]]:
    return server.client().list_executions(stateMachineArn=machine)["executions"]


def inputs(server: Server, machine: str) -> list[Any]:
    sfn = server.client()
    return sorted((json.loads(wait_for_end(sfn, e["executionArn"])["input"]) for e in executions(server, machine)),
                  key=json.dumps)


@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "kill-9"])
def test_configuration_and_archives_survive_a_restart(tmp_path: Path, crash: bool) -> None:
    server = Server(tmp_path / "state.db", *ARGS)
    try:
        machine = server.client().create_state_machine(name="sink", roleArn=ROLE, definition=ECHO)["stateMachineArn"]
        events = server.client("events")
        bus = events.create_event_bus(Name="orders", Description="the shop's")["EventBusArn"]
        events.put_rule(Name="paid", EventBusName="orders", Description="paid orders",
                        EventPattern=json.dumps({"source": ["shop"], "detail-type": ["paid"]}))
        events.put_rule(Name="quiet", EventBusName="orders", EventPattern=json.dumps({"source": ["x"]}),
                        State="DISABLED")
        events.put_targets(Rule="paid", EventBusName="orders", Targets=[{
            "Id": "sink", "Arn": machine, "RoleArn": ROLE,
            "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'},
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
            "DeadLetterConfig": {"Arn": QUEUE + "dead"}}])
        events.create_archive(ArchiveName="kept", EventSourceArn=bus, Description="all of it")
        server.client("scheduler").create_schedule(
            Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", ScheduleExpressionTimezone="Europe/Paris",
            FlexibleTimeWindow={"Mode": "OFF"}, State="DISABLED",
            Target={"Arn": machine, "RoleArn": ROLE, "Input": "{}"})
        server.client("pipes").create_pipe(Name="drain", Source=QUEUE + "in", Target=machine, RoleArn=ROLE,
                                           DesiredState="STOPPED", Tags={"team": "shop"})
        schemas = server.client("schemas")
        schemas.create_registry(RegistryName="shop", Description="ours")
        schemas.create_schema(RegistryName="shop", SchemaName="Order", Type="JSONSchemaDraft4",
                              Content=json.dumps({"type": "object"}))
        schemas.update_schema(RegistryName="shop", SchemaName="Order", Type="JSONSchemaDraft4",
                              Content=json.dumps({"type": "object", "required": ["id"]}))
        schemas.create_discoverer(SourceArn=bus)
        put = [{"Source": "shop", "DetailType": "paid", "Detail": json.dumps({"id": n}), "EventBusName": "orders"}
               for n in (1, 2)]
        events.put_events(Entries=put)
        eventually(lambda: len(executions(server, machine)) == 2)
        before = describe_all(server)
        assert before["archive"]["EventCount"] == 2
        assert [s["SchemaName"] for s in before["discovered"]["Schemas"]] == ["shop@Paid"]

        server = restart(server, crash)
        assert describe_all(server) == before

        events = server.client("events")
        events.put_events(Entries=[{"Source": "shop", "DetailType": "paid", "Detail": json.dumps({"id": 3}),
                                    "EventBusName": "orders"}])
        eventually(lambda: len(executions(server, machine)) == 3)
        assert inputs(server, machine) == [{"order": 1}, {"order": 2}, {"order": 3}]
        assert events.describe_archive(ArchiveName="kept")["EventCount"] == 3

        created = before["archive"]["CreationTime"]
        events.start_replay(ReplayName="again", EventSourceArn=before["archive"]["ArchiveArn"],
                            EventStartTime=created, EventEndTime=_after(server),
                            Destination={"Arn": bus})
        server.advance(1)
        eventually(lambda: events.describe_replay(ReplayName="again")["State"] == "COMPLETED")
        eventually(lambda: len(executions(server, machine)) == 6)
        assert inputs(server, machine) == [{"order": n} for n in (1, 1, 2, 2, 3, 3)]
    finally:
        server.stop()


def _after(server: Server) -> float:
    return server.advance(0)["epoch"] + 1


def test_schedules_keep_their_minutes_across_a_kill(tmp_path: Path) -> None:
    server = Server(tmp_path / "state.db", *ARGS)
    try:
        machine = server.client().create_state_machine(name="tick", roleArn=ROLE, definition=ECHO)["stateMachineArn"]
        server.client("scheduler").create_schedule(
            Name="every-5", ScheduleExpression="cron(0/5 * * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": machine, "RoleArn": ROLE, "Input": "{}"})
        server.client("events").put_rule(Name="rate-7", ScheduleExpression="rate(7 minutes)")
        now = server.advance(0)["epoch"]
        boundary = math.ceil(now / 300) * 300
        server.advance(boundary + 300 + 60 - now)  # two firings, then a minute clear of the next one
        eventually(lambda: len(executions(server, machine)) == 2)

        server = restart(server, crash=True)
        server.advance(600)
        eventually(lambda: len(executions(server, machine)) == 4)
        starts = sorted(e["startDate"].timestamp() for e in executions(server, machine))
        assert [round(s - boundary) for s in starts] == [0, 300, 600, 900]  # every 5 minutes, none twice or lost
        assert server.client("events").describe_rule(Name="rate-7")["ScheduleExpression"] == "rate(7 minutes)"
    finally:
        server.stop()


def test_a_foreign_events_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Server(db, *ARGS).stop()
    foreign = tmp_path / "state.db.events-123456789012-us-east-1.db"
    foreign.write_bytes(b"not a database at all" * 10)
    with pytest.raises(RuntimeError, match="not an SQLite database"):
        Server(db, *ARGS)
    assert foreign.read_bytes() == b"not a database at all" * 10


TARGET = "arn:aws:states:us-east-1:123456789012:stateMachine:throttled"
SIX_RETRIES = 63.2
"""Virtual seconds in which the first attempt and six retries are made and the seventh is not: the backoffs are
0.5-1, 1-2, ... 16-32 s (at most 63 s in all), then 32-64 s. The seventh stays pending for over 30 s: what a
restart spends of the virtual clock (its wall-clock seconds) does not make it due before the test acts."""
THROTTLED = "Rate exceeded (injected)"


def pending_retries(server: Server) -> list[dict[str, Any]]:
    """The deliveries the region's events file keeps waiting for a retry (read beside the server)."""
    db = sqlite3.connect(f"file:{server.db}.events-123456789012-us-east-1.db?mode=ro", uri=True)
    try:
        return [json.loads(body) for (body,) in db.execute("SELECT body FROM pending_deliveries ORDER BY id")]
    finally:
        db.close()


def dead_letter_queue(server: Server) -> tuple[str, str]:
    """The queue ``dead`` (again: moto's queues do not outlive the server, the events file does)."""
    return queue(server.client("sqs"), "dead")


def throttle(server: Server, count: int) -> list[dict[str, Any]]:
    """The next ``count`` attempts to deliver to TARGET fail with THROTTLING (retryable); returns the rules."""
    status, body = server.post("/_asl/events/failures", json.dumps(
        {"target": TARGET, "code": "THROTTLING", "message": THROTTLED, "count": count}).encode())
    assert status == 200, body
    return body["failures"]


def failing_rule(server: Server, policy: dict[str, int], count: int) -> dict[str, Any]:
    """A rule whose target, the state machine TARGET, is throttled for its first ``count`` attempts, with
    ``policy`` and a dead-letter queue; an event put on it fails its first attempt. Returns the event's entry."""
    _, dlq = dead_letter_queue(server)
    server.client().create_state_machine(name="throttled", roleArn=ROLE, definition=ECHO)
    throttle(server, count)
    events = server.client("events")
    events.put_rule(Name="to-throttled", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="to-throttled", Targets=[{"Id": "throttled", "Arn": TARGET, "RoleArn": ROLE,
                                                      "RetryPolicy": policy, "DeadLetterConfig": {"Arn": dlq}}])
    entry = {"Source": "shop", "DetailType": "paid", "Detail": json.dumps({"id": 7})}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    return entry


def test_a_retry_pending_at_a_kill_is_made_after_the_restart(tmp_path: Path) -> None:
    server = Server(tmp_path / "state.db", "--virtual-clock")
    try:
        failing_rule(server, {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}, count=7)
        [kept] = pending_retries(server)  # the first attempt failed; its retry was kept before it was scheduled
        assert (kept["Retries"], len(kept["History"]), kept["LastError"]) == (1, 1, ["THROTTLING", THROTTLED])
        server.advance(SIX_RETRIES)
        assert [r["remaining"] for r in server.get("/_asl/events/failures")["failures"]] == [0]  # 7 attempts failed
        server.crash()
        [kept] = pending_retries(server)
        assert (kept["Retries"], len(kept["History"])) == (7, 7)

        server = Server(server.db, "--virtual-clock")
        assert server.get("/_asl/events/failures") == {"failures": []}  # injected failures live in memory
        url, _ = dead_letter_queue(server)
        sfn = server.client()
        assert executions(server, TARGET) == []
        server.advance(64)  # the seventh retry comes due: it starts the execution
        [execution] = eventually(lambda: executions(server, TARGET))
        event = json.loads(wait_for_end(sfn, execution["executionArn"])["input"])
        assert (event["source"], event["detail"]) == ("shop", {"id": 7})
        assert pending_retries(server) == []
        server.advance(3600)
        assert len(executions(server, TARGET)) == 1  # delivered once
        assert server.client("sqs").receive_message(QueueUrl=url).get("Messages") is None

        server = restart(server, crash=True)  # nothing pending any more: nothing made again
        server.advance(3600)
        assert len(executions(server, TARGET)) == 1
    finally:
        server.stop()


def test_a_retry_pending_at_a_kill_ends_in_the_dead_letter_queue_once(tmp_path: Path) -> None:
    server = Server(tmp_path / "state.db", "--virtual-clock")
    try:
        entry = failing_rule(server, {"MaximumRetryAttempts": 7, "MaximumEventAgeInSeconds": 3600}, count=7)
        server.advance(SIX_RETRIES)  # six retries, all failed
        server.crash()
        [kept] = pending_retries(server)
        assert (kept["Retries"], len(kept["History"])) == (7, 7)

        server = Server(server.db, "--virtual-clock")
        url, _ = dead_letter_queue(server)
        throttle(server, 1)  # the rules did not outlive the kill: the last retry is throttled again
        server.advance(64)  # the seventh and last retry fails: the event goes to the dead-letter queue
        server.advance(3600)
        messages = server.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                       MessageAttributeNames=["All"]).get("Messages", [])
        [message] = messages
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attributes == {"RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/to-throttled",
                              "TARGET_ARN": TARGET, "ERROR_CODE": "THROTTLING", "ERROR_MESSAGE": THROTTLED,
                              "RETRY_ATTEMPTS": "7", "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts"}
        body = json.loads(message["Body"])
        assert (body["source"], body["detail-type"], body["detail"]) == ("shop", entry["DetailType"], {"id": 7})
        assert pending_retries(server) == []
        assert executions(server, TARGET) == []  # never delivered
        assert [r["remaining"] for r in server.get("/_asl/events/failures")["failures"]] == [0]
    finally:
        server.stop()
