"""Distributed Map items survive ``kill -9`` and redrives: the children that ended are not run again.

Each item's child execution calls ``slow`` (``map_run_handlers``), which counts its calls per item in
files: after a restart the items whose outcome was stored before the kill ran once, and only the children
in flight at the kill ran twice.  The Map's output and its DescribeMapRun counts are those of a server
that was never interrupted.  A redrive runs again only the unsuccessful children, with new task tokens.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.server.conftest import Server
from tests.server.helpers import ROLE, WAITING_CHILDREN, definition, eventually, wait_for_end
from tests.server.redrive_handlers import calls

SLOW = "arn:aws:lambda:us-east-1:123456789012:function:slow"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
ARGS = ("--virtual-clock", "--no-moto", "--seed", "13", "--resource", "slow=tests.server.map_run_handlers:slow",
        "--resource", f"{CALLBACK}=tests.server.redrive_handlers:deliver")
ITEMS, CONCURRENCY = 200, 10


def distributed(**fields: Any) -> str:
    return definition({"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": CONCURRENCY, "End": True,
        "ItemSelector": {"dir.$": "$.dir", "key.$": "$$.Map.Item.Value"}, **fields,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {
                              "Type": "Task", "Resource": SLOW, "Parameters": {"dir.$": "$.dir", "key.$": "$.key"},
                              "End": True}}}}})


def start(sfn: Any, folder: Path, keys: list[str], **fields: Any) -> str:
    arn = sfn.create_state_machine(name="each", roleArn=ROLE, definition=distributed(**fields))["stateMachineArn"]
    return sfn.start_execution(stateMachineArn=arn, name="each",
                               input=json.dumps({"dir": str(folder), "items": keys}))["executionArn"]


def stored_items(db: Path) -> set[int]:
    """The items whose outcome is in the store (read-only: WAL readers do not block the server)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT idx FROM map_run_items")}


def map_run(sfn: Any, execution: str) -> dict[str, Any]:
    arn = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
    return sfn.describe_map_run(mapRunArn=arn)


def ended(sfn: Any, execution: str) -> dict[str, Any]:
    """What must be the same whether or not the server crashed: status, output, history and Map Run."""
    described = wait_for_end(sfn, execution, 60)
    return {"status": described["status"], "output": json.loads(described["output"]),
            "history": shape(sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]),
            "map_run": map_run(sfn, execution)}


def shape(events: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    return [(e["id"], e["previousEventId"], e["type"]) for e in events]


def test_kill_9_mid_map_run_then_only_the_items_not_done_run_again(tmp_path: Path) -> None:
    keys = [f"k{n}" for n in range(ITEMS)]
    crashed_dir, reference_dir = tmp_path / "crashed", tmp_path / "reference"
    crashed_dir.mkdir()
    reference_dir.mkdir()
    db = tmp_path / "crashed.db"
    first = Server(db, *ARGS)
    try:
        sfn = first.client()
        execution = start(sfn, crashed_dir, keys)
        deadline = time.monotonic() + 30
        while len(stored_items(db)) < ITEMS // 5:
            assert time.monotonic() < deadline, "the Map Run made no progress"
            time.sleep(0.01)
    finally:
        first.crash()
    done_at_crash = stored_items(db)
    assert ITEMS // 5 <= len(done_at_crash) < ITEMS, "the kill came after the Map Run had finished"

    second = Server(db, *ARGS)
    try:
        sfn = second.client()
        crashed = ended(sfn, execution)
    finally:
        second.stop()
    counts = {key: calls(crashed_dir, key) for key in keys}
    assert all(counts[keys[i]] == 1 for i in done_at_crash)  # stored before the kill: not run again
    assert all(n >= 1 for n in counts.values())
    assert sum(counts.values()) - ITEMS <= CONCURRENCY  # at most the children in flight at the kill, once more

    reference_server = Server(tmp_path / "reference.db", *ARGS)
    try:
        sfn = reference_server.client()
        assert start(sfn, reference_dir, keys) == execution
        reference = ended(sfn, execution)
    finally:
        reference_server.stop()
    assert crashed["status"] == reference["status"] == "SUCCEEDED"
    assert crashed["output"] == reference["output"] == [{"key": key, "ok": True} for key in keys]
    assert crashed["history"] == reference["history"]
    for run in (crashed["map_run"], reference["map_run"]):
        assert run["status"] == "SUCCEEDED"
        assert run["itemCounts"] == run["executionCounts"]
        assert {k: run["itemCounts"][k] for k in ("succeeded", "failed", "running", "aborted", "total")} == {
            "succeeded": ITEMS, "failed": 0, "running": 0, "aborted": 0, "total": ITEMS}
    assert crashed["map_run"]["mapRunArn"] == reference["map_run"]["mapRunArn"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = Server(tmp_path_factory.mktemp("map-redrive") / "state.db", *ARGS)
    yield srv
    srv.stop()


def test_a_redrive_runs_only_the_unsuccessful_children(served: Server, tmp_path: Path) -> None:
    sfn = served.client()
    keys = [f"r{n}" for n in range(6)]
    for key in ("r1", "r4"):
        (tmp_path / f"{key}.broken").touch()
    execution = start(sfn, tmp_path, keys, ToleratedFailureCount=0)
    assert wait_for_end(sfn, execution)["status"] == "FAILED"
    failed = map_run(sfn, execution)
    assert failed["status"] == "FAILED"
    assert {k: failed["itemCounts"][k] for k in ("succeeded", "failed", "total")} == {
        "succeeded": 4, "failed": 2, "total": 6}
    for key in ("r1", "r4"):
        (tmp_path / f"{key}.broken").unlink()
    sfn.redrive_execution(executionArn=execution)
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [{"key": key, "ok": True} for key in keys]
    assert {key: calls(tmp_path, key) for key in keys} == {"r0": 1, "r1": 2, "r2": 1, "r3": 1, "r4": 2, "r5": 1}
    done = map_run(sfn, execution)
    assert done["status"] == "SUCCEEDED" and done["redriveCount"] == 1
    assert {k: done["itemCounts"][k] for k in ("succeeded", "failed", "running", "aborted", "total")} == {
        "succeeded": 6, "failed": 0, "running": 0, "aborted": 0, "total": 6}


def test_a_redriven_callback_gets_a_new_token_and_the_old_one_is_refused(served: Server, tmp_path: Path) -> None:
    sfn = served.client()
    arn = sfn.create_state_machine(name="ask", roleArn=ROLE, definition=definition({"Ask": {
        "Type": "Task", "Resource": CALLBACK, "TimeoutSeconds": 60, "End": True,
        "Parameters": {"token.$": "$$.Task.Token"}}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="ask")["executionArn"]
    served.advance(120)
    assert wait_for_end(sfn, execution)["status"] == "FAILED"  # States.Timeout
    sfn.redrive_execution(executionArn=execution)

    def tokens() -> list[str]:
        events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        return [json.loads(e["taskScheduledEventDetails"]["parameters"])["token"] for e in events
                if e["type"] == "TaskScheduled"]

    deadline = time.monotonic() + 20
    while len(tokens()) < 2:
        assert time.monotonic() < deadline, "the redriven task was not scheduled"
        time.sleep(0.02)
    old, new = tokens()
    assert old != new
    with pytest.raises(ClientError) as refused:
        sfn.send_task_success(taskToken=old, output="{}")
    assert refused.value.response["Error"]["Code"] == "TaskTimedOut"
    sfn.send_task_success(taskToken=new, output='{"answer": 42}')
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"answer": 42}


def running_children(sfn: Any, map_run_arn: str, count: int) -> list[dict[str, Any]]:
    """The run's RUNNING children, once there are ``count`` of them."""
    def listed() -> list[dict[str, Any]] | None:
        children = sfn.list_executions(mapRunArn=map_run_arn, statusFilter="RUNNING")["executions"]
        return children if len(children) == count else None

    return eventually(listed)


def test_an_update_map_run_survives_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = Server(db, *ARGS)
    try:
        sfn = first.client()
        machine = sfn.create_state_machine(name="updated", roleArn=ROLE, definition=definition({"M": {
            "Type": "Map", "ItemProcessor": WAITING_CHILDREN, "MaxConcurrency": 1, "End": True}}))["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3, 4]))["executionArn"]
        map_run_arn = eventually(lambda: sfn.list_map_runs(executionArn=execution)["mapRuns"])[0]["mapRunArn"]
        assert len(running_children(sfn, map_run_arn, 1)) == 1  # as declared
        sfn.update_map_run(mapRunArn=map_run_arn, maxConcurrency=4, toleratedFailureCount=1)
        before = running_children(sfn, map_run_arn, 4)  # all four wait side by side
    finally:
        first.crash()

    second = Server(db, *ARGS)
    try:
        sfn = second.client()
        described = sfn.describe_map_run(mapRunArn=map_run_arn)
        assert (described["status"], described["maxConcurrency"], described["toleratedFailureCount"]) == \
               ("RUNNING", 4, 1)
        # the children in flight at the kill run again from their start (listed again once they do), four
        # at once, as updated
        after = running_children(sfn, map_run_arn, 4)
        starts = sorted(c["startDate"] for c in after)
        assert (starts[-1] - starts[0]).total_seconds() < 1
        assert not {c["startDate"] for c in after} & {c["startDate"] for c in before}
        second.advance(61)  # one child at a time (as declared) would need four minutes
        ended = wait_for_end(sfn, execution)
        assert ended["status"] == "SUCCEEDED", ended  # item 2's failure is within the updated tolerance
        assert json.loads(ended["output"])[1] == {"Error": "Item.Bad", "Cause": "item 2"}
        done = sfn.describe_map_run(mapRunArn=map_run_arn)
        assert (done["status"], done["maxConcurrency"], done["toleratedFailureCount"]) == ("SUCCEEDED", 4, 1)
        assert {k: done["itemCounts"][k] for k in ("succeeded", "failed", "running", "total")} == {
            "succeeded": 3, "failed": 1, "running": 0, "total": 4}
        children = sfn.list_executions(mapRunArn=map_run_arn)["executions"]
        assert sorted(c["status"] for c in children) == ["FAILED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
        stops = sorted(c["stopDate"] for c in children)
        assert (stops[-1] - stops[0]).total_seconds() < 1  # they ran side by side
    finally:
        second.stop()
