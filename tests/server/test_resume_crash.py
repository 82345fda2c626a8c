"""The crash test: ``kill -9`` a busy ``asl serve``, restart it on the same store, and every execution ends right.

200 executions mixing year-scale Waits, Retry backoffs, callbacks and a
1,000-item Map run on a virtual-clock server that is killed while the Map is
half done; after the restart the callbacks are answered and the clock moved
on.  Every execution must end with the output and history of a server that
was never interrupted and ran the same calls: ids contiguous, previousEventId
chains the same, nothing duplicated or lost.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, wait_for_end

CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
DOUBLE = "arn:aws:lambda:us-east-1:123456789012:function:double"
ARGS = ("--virtual-clock", "--seed", "11", "--no-moto", "--resource", "double=tests.server.handlers:double",
        "--resource", "explode=tests.server.handlers:explode", "--resource", f"{CALLBACK}=tests.server.handlers:double")
WAITS, RETRIES, CALLBACKS = 60, 60, 79
MAP_ITEMS = 1000
DEADLINE = 45.0

MACHINES = {
    "waits": definition({
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": DOUBLE, "Parameters": {"n.$": "$.n"}, "End": True}}),
    "retries": definition({
        "Try": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:explode", "End": True,
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1800, "MaxAttempts": 2,
                           "BackoffRate": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Recovered"}]},
        "Recovered": {"Type": "Pass", "Parameters": {"recovered.$": "$.n"}, "End": True}}),
    "callbacks": definition({
        "Ask": {"Type": "Task", "Resource": CALLBACK, "Parameters": {"n.$": "$.n", "token.$": "$$.Task.Token"},
                "End": True}}),
    "map": definition({
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 200, "End": True, "ItemProcessor": {
            "StartAt": "Double", "States": {
                "Double": {"Type": "Task", "Resource": DOUBLE, "Parameters": {"n.$": "$.n"}, "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Out"},
                "Out": {"Type": "Pass", "Parameters": {"v.$": "$.doubled"}, "End": True}}}}}),
}


def start_all(sfn: Any) -> list[str]:
    """The same 200 StartExecution calls, in the same order (so the seeded server draws the same seeds)."""
    arns = {name: sfn.create_state_machine(name=name, roleArn=ROLE, definition=text)["stateMachineArn"]
            for name, text in MACHINES.items()}
    started = [sfn.start_execution(stateMachineArn=arns["map"], name="map",
                                   input=json.dumps({"items": [{"n": n} for n in range(MAP_ITEMS)]}))]
    for kind, count in (("waits", WAITS), ("retries", RETRIES), ("callbacks", CALLBACKS)):
        started += [sfn.start_execution(stateMachineArn=arns[kind], name=f"{kind}-{n}", input=json.dumps({"n": n}))
                    for n in range(count)]
    return [s["executionArn"] for s in started]


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def token_of(sfn: Any, arn: str) -> str | None:
    """The callback's task token, read from its TaskScheduled parameters (None until it is scheduled)."""
    for event in sfn.get_execution_history(executionArn=arn)["events"]:
        if event["type"] == "TaskSubmitted":
            scheduled = next(e for e in sfn.get_execution_history(executionArn=arn)["events"]
                             if e["type"] == "TaskScheduled")
            return json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["token"]
    return None


def answer(sfn: Any, arns: list[str], which: range) -> None:
    for n in which:
        arn = next(a for a in arns if a.endswith(f":callbacks-{n}"))
        token = None
        deadline = time.monotonic() + 10
        while token is None:
            token = token_of(sfn, arn)
            assert token is not None or time.monotonic() < deadline, f"{arn} never submitted its callback"
        sfn.send_task_success(taskToken=token, output=json.dumps({"answer": n}))


def map_progress(db: Path) -> int:
    """Map iterations finished so far, read straight from the store (WAL readers do not block the server)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM events WHERE execution_arn LIKE '%:execution:map:map' "
                            "AND doc LIKE '%\"MapIterationSucceeded\"%'").fetchone()[0]


def finish(server: Server, sfn: Any, arns: list[str]) -> dict[str, dict]:
    """Answer the other half of the callbacks, move the clock over every Wait and backoff, collect the ends."""
    answer(sfn, arns, range(CALLBACKS // 2, CALLBACKS))
    server.advance(3600)
    server.advance(1800)
    server.advance(1800)
    deadline = time.monotonic() + DEADLINE
    ends: dict[str, dict] = {}
    for arn in arns:
        described = wait_for_end(sfn, arn, max(0.0, deadline - time.monotonic()))
        ends[arn] = {"status": described["status"], "output": json.loads(described.get("output", "null")),
                     "history": history(sfn, arn)}
    return ends


def assert_well_formed(events: list[dict[str, Any]]) -> None:
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))  # contiguous, no duplicates, no gaps
    assert all(0 <= e["previousEventId"] < e["id"] for e in events)
    assert [e["type"] for e in events].count("ExecutionStarted") == 1
    assert events[-1]["type"] in ("ExecutionSucceeded", "ExecutionFailed")
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)


def content(events: list[dict[str, Any]]) -> Counter:
    """Each event's type and details, ids aside: what must match however Map iterations interleaved."""
    return Counter(json.dumps([e["type"], {k: v for k, v in e.items() if k.endswith("EventDetails")}],
                              sort_keys=True) for e in events)


def test_kill_9_mid_run_then_every_execution_ends_as_if_uninterrupted(tmp_path: Path) -> None:
    began = time.monotonic()
    db = tmp_path / "crashed.db"
    first = Server(db, *ARGS)
    try:
        sfn = first.client()
        arns = start_all(sfn)
        answer(sfn, arns, range(CALLBACKS // 2))  # half the callbacks complete before the crash
        deadline = time.monotonic() + DEADLINE
        while map_progress(db) < MAP_ITEMS // 4:
            assert time.monotonic() < deadline, "the Map made no progress"
            time.sleep(0.05)
    finally:
        first.crash()
    done_at_crash = map_progress(db)
    assert MAP_ITEMS // 4 <= done_at_crash < MAP_ITEMS, "the kill came after the Map had finished"

    second = Server(db, *ARGS)
    try:
        crashed = finish(second, second.client(), arns)
        second.process.terminate()
        _, log = second.process.communicate(timeout=15)
    finally:
        second.stop()
    # the Map, every Wait and Retry, and at least the callbacks not answered before the crash
    resumed = int(re.search(r"resumed (\d+) running execution", log)[1])  # type: ignore[index]
    assert 1 + WAITS + RETRIES + CALLBACKS // 2 <= resumed <= len(arns)

    reference_server = Server(tmp_path / "reference.db", *ARGS)
    try:
        sfn = reference_server.client()
        assert start_all(sfn) == arns
        answer(sfn, arns, range(CALLBACKS // 2))
        reference = finish(reference_server, sfn, arns)
    finally:
        reference_server.stop()

    for arn in arns:
        got, want = crashed[arn], reference[arn]
        assert (got["status"], got["output"]) == (want["status"], want["output"]), arn
        assert_well_formed(got["history"])
        if arn.endswith(":map"):  # iterations interleave by timing: same events, ids may differ
            assert content(got["history"]) == content(want["history"])
            assert len(got["output"]) == MAP_ITEMS and got["output"][7] == {"v": 14}
        else:
            assert [(e["id"], e["previousEventId"], e["type"]) for e in got["history"]] == \
                   [(e["id"], e["previousEventId"], e["type"]) for e in want["history"]], arn
            assert content(got["history"]) == content(want["history"]), arn
    assert time.monotonic() - began < 60
