"""RedriveExecution against a real ``asl serve``: failed, timed-out and aborted executions continue where they stopped.

The tasks count their calls in files (``redrive_handlers``), which proves what
ran again and what did not; the histories prove the continuation: one
``ExecutionRedriven`` per redrive, ids contiguous, nothing replayed twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, eventually, wait_for_end
from tests.server.redrive_handlers import calls

FLAKY = "arn:aws:lambda:us-east-1:123456789012:function:flaky"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
ARGS = ("--virtual-clock", "--no-moto", "--seed", "5", "--resource", "flaky=tests.server.redrive_handlers:flaky",
        "--resource", f"{CALLBACK}=tests.server.redrive_handlers:flaky")
DAY = 86_400


def task(key: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FLAKY, "Parameters": {"dir.$": "$$.Execution.Input.dir", "key": key},
            "ResultPath": f"$.{key}", **fields}


def ask(**fields: Any) -> dict[str, Any]:
    """A callback whose message is delivered by ``flaky`` (key ``ask``) and whose token is in its parameters."""
    return {"Type": "Task", "Resource": CALLBACK, "ResultPath": "$.answer",
            "Parameters": {"dir.$": "$$.Execution.Input.dir", "key": "ask", "token.$": "$$.Task.Token"}, **fields}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("redrive") / "state.db", *ARGS)
    yield srv
    srv.stop()


@pytest.fixture
def client(served: Server) -> Any:
    return served.client()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def broken(folder: Path, *keys: str, fixed: bool = False) -> None:
    for key in keys:
        flag = folder / f"{key}.broken"
        flag.unlink(missing_ok=True) if fixed else flag.touch()


def machine(sfn: Any, name: str, states: dict[str, Any], **extra: Any) -> str:
    return sfn.create_state_machine(name=name, roleArn=ROLE, definition=definition(states, **extra))["stateMachineArn"]


def start(sfn: Any, arn: str, name: str, folder: Path, **extra: Any) -> str:
    return sfn.start_execution(stateMachineArn=arn, name=name,
                               input=json.dumps({"dir": str(folder), **extra}))["executionArn"]


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def assert_continuous(events: list[dict[str, Any]], redrives: int) -> None:
    """Ids 1..n, every event chained to an earlier one, one ExecutionRedriven per redrive right after an end."""
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(0 <= e["previousEventId"] < e["id"] for e in events)
    redriven = [e for e in events if e["type"] == "ExecutionRedriven"]
    assert [e["executionRedrivenEventDetails"] for e in redriven] == [{"redriveCount": n + 1} for n in range(redrives)]
    for event in redriven:
        before = events[event["id"] - 2]
        assert before["type"] in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
        assert event["previousEventId"] == before["id"]


def entered(events: list[dict[str, Any]]) -> Counter:
    return Counter(e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e)


def not_redrivable(sfn: Any, arn: str) -> str:
    with pytest.raises(ClientError) as caught:
        sfn.redrive_execution(executionArn=arn)
    assert caught.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return caught.value.response["Error"]["Message"]


def token_after_redrive(sfn: Any, arn: str) -> str:
    """The callback token of the TaskScheduled written after the last ExecutionRedriven, once it is submitted."""
    def submitted() -> str | None:
        events = history(sfn, arn)
        last = max(e["id"] for e in events if e["type"] == "ExecutionRedriven")
        later = [e for e in events if e["id"] > last]
        if not any(e["type"] == "TaskSubmitted" for e in later):
            return None
        scheduled = next(e for e in later if e["type"] == "TaskScheduled")
        return json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["token"]
    return eventually(submitted)


def test_a_failed_task_runs_again_and_the_states_before_it_do_not(client: Any, folder: Path) -> None:
    arn = machine(client, "chain", {"A": task("a", Next="B"), "B": task("b", Next="C"),
                                    "C": {"Type": "Pass", "End": True}})
    broken(folder, "b")
    execution = start(client, arn, "chain-1", folder)
    failed = wait_for_end(client, execution)
    assert failed["status"] == "FAILED" and failed["error"] == "RuntimeError"
    assert failed["redriveStatus"] == "REDRIVABLE" and "redriveStatusReason" not in failed
    assert failed["redriveCount"] == 0 and "redriveDate" not in failed
    before = history(client, execution)

    broken(folder, "b", fixed=True)
    client.update_state_machine(stateMachineArn=arn, definition=definition({"Other": {"Type": "Fail"}}))
    redriven = client.redrive_execution(executionArn=execution)["redriveDate"]
    done = wait_for_end(client, execution)  # the definition it started with, not the updated one

    assert done["status"] == "SUCCEEDED" and "error" not in done
    assert json.loads(done["output"])["b"] == {"key": "b", "ok": True}
    assert (calls(folder, "a"), calls(folder, "b")) == (1, 2)
    assert done["redriveCount"] == 1 and done["redriveDate"] == redriven
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    assert done["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    assert done["executionArn"] == execution and done["startDate"] == failed["startDate"]
    events = history(client, execution)
    assert events[:len(before)] == before  # the first attempt's history is kept as it was
    assert_continuous(events, 1)
    assert entered(events) == {"A": 1, "B": 1, "C": 1}  # B is not entered again: it is scheduled again
    after = [e["type"] for e in events[len(before):]]
    assert after == ["ExecutionRedriven", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                     "LambdaFunctionSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited",
                     "ExecutionSucceeded"]
    assert events[len(before) + 1]["previousEventId"] == events[len(before)]["id"]

    listed = client.list_executions(stateMachineArn=arn)["executions"][0]
    assert listed["redriveCount"] == 1 and listed["redriveDate"] == redriven
    assert [e["name"] for e in client.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")
            ["executions"]] == ["chain-1"]
    assert client.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"] == []


def test_only_the_failed_branch_of_a_parallel_runs_again(client: Any, folder: Path) -> None:
    arn = machine(client, "parallel", {
        "Both": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "Left", "States": {"Left": task("left", End=True)}},
            {"StartAt": "Right", "States": {"Right": task("right", Next="After"),
                                            "After": {"Type": "Pass", "End": True}}}]},
        "Done": {"Type": "Pass", "End": True}})
    broken(folder, "right")
    execution = start(client, arn, "parallel-1", folder)
    assert wait_for_end(client, execution)["status"] == "FAILED"
    broken(folder, "right", fixed=True)
    client.redrive_execution(executionArn=execution)
    done = wait_for_end(client, execution)
    assert done["status"] == "SUCCEEDED"
    assert [branch["left" if "left" in branch else "right"]["key"] for branch in json.loads(done["output"])] == \
        ["left", "right"]
    assert (calls(folder, "left"), calls(folder, "right")) == (1, 2)
    events = history(client, execution)
    assert_continuous(events, 1)
    assert entered(events) == {"Both": 1, "Left": 1, "Right": 1, "After": 1, "Done": 1}


def test_only_the_unsuccessful_iterations_of_an_inline_map_run_again(client: Any, folder: Path) -> None:
    arn = machine(client, "map", {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
                 "ItemSelector": {"dir.$": "$.dir", "key.$": "$$.Map.Item.Value"},
                 "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
                     "Type": "Task", "Resource": FLAKY, "Parameters": {"dir.$": "$.dir", "key.$": "$.key"},
                     "End": True}}}}})
    keys = [f"item{n}" for n in range(5)]
    broken(folder, "item1")
    execution = start(client, arn, "map-1", folder, items=keys)
    assert wait_for_end(client, execution)["status"] == "FAILED"
    assert [calls(folder, k) for k in keys] == [1, 1, 0, 0, 0]  # the failure stopped the Map
    broken(folder, "item1", fixed=True)
    client.redrive_execution(executionArn=execution)
    done = wait_for_end(client, execution)
    assert done["status"] == "SUCCEEDED"
    assert [item["key"] for item in json.loads(done["output"])] == keys
    assert [calls(folder, k) for k in keys] == [1, 2, 1, 1, 1]  # item0 succeeded before: not run again
    events = history(client, execution)
    assert_continuous(events, 1)
    started = Counter(e["mapIterationStartedEventDetails"]["index"] for e in events
                      if e["type"] == "MapIterationStarted")
    assert started == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1}


def test_a_distributed_map_run_is_redriven_with_its_parent(client: Any, folder: Path) -> None:
    arn = machine(client, "distributed", {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                 "ItemSelector": {"dir.$": "$.dir", "key.$": "$$.Map.Item.Value"},
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                   "StartAt": "Work", "States": {"Work": {
                                       "Type": "Task", "Resource": FLAKY,
                                       "Parameters": {"dir.$": "$.dir", "key.$": "$.key"}, "End": True}}}}})
    broken(folder, "d1")
    execution = start(client, arn, "distributed-1", folder, items=["d0", "d1", "d2"])
    assert wait_for_end(client, execution)["status"] == "FAILED"
    map_run = client.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
    failed = client.describe_map_run(mapRunArn=map_run)
    assert failed["status"] == "FAILED" and failed["redriveCount"] == 0 and "redriveDate" not in failed
    broken(folder, "d1", fixed=True)
    redriven = client.redrive_execution(executionArn=execution)["redriveDate"]
    assert wait_for_end(client, execution)["status"] == "SUCCEEDED"
    done = client.describe_map_run(mapRunArn=map_run)
    assert done["status"] == "SUCCEEDED" and done["redriveCount"] == 1 and done["redriveDate"] == redriven
    assert [r["mapRunArn"] for r in client.list_map_runs(executionArn=execution)["mapRuns"]] == [map_run]
    events = history(client, execution)
    assert_continuous(events, 1)
    assert [e["mapRunRedrivenEventDetails"] for e in events if e["type"] == "MapRunRedriven"] == [
        {"mapRunArn": map_run, "redriveCount": 1}]


def test_a_timed_out_execution_continues_its_open_task(served: Server, client: Any, folder: Path) -> None:
    arn = machine(client, "timeout", {"First": {"Type": "Pass", "Next": "Ask"}, "Ask": ask(End=True)},
                  TimeoutSeconds=100)
    execution = start(client, arn, "timeout-1", folder)
    eventually(lambda: calls(folder, "ask") == 1)
    served.advance(101)
    timed_out = wait_for_end(client, execution)
    assert timed_out["status"] == "TIMED_OUT" and timed_out["redriveStatus"] == "REDRIVABLE"
    client.redrive_execution(executionArn=execution)
    client.send_task_success(taskToken=token_after_redrive(client, execution), output='{"yes": 1}')
    done = wait_for_end(client, execution)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["answer"] == {"yes": 1}
    assert calls(folder, "ask") == 2
    events = history(client, execution)
    assert_continuous(events, 1)
    assert entered(events) == {"First": 1, "Ask": 1}


def test_an_aborted_execution_is_redriven(client: Any, folder: Path) -> None:
    arn = machine(client, "aborted", {"First": {"Type": "Pass", "Next": "Ask"}, "Ask": ask(End=True)})
    execution = start(client, arn, "aborted-1", folder)
    eventually(lambda: calls(folder, "ask") == 1)
    client.stop_execution(executionArn=execution, error="Stop", cause="by the test")
    assert wait_for_end(client, execution)["status"] == "ABORTED"
    client.redrive_execution(executionArn=execution)
    running = client.describe_execution(executionArn=execution)
    assert running["status"] == "RUNNING" and "stopDate" not in running and "error" not in running
    assert running["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    client.send_task_success(taskToken=token_after_redrive(client, execution), output="{}")
    assert wait_for_end(client, execution)["status"] == "SUCCEEDED"
    assert_continuous(history(client, execution), 1)


def test_what_cannot_be_redriven(served: Server, client: Any, folder: Path) -> None:
    arn = machine(client, "refusals", {"Ask": ask(End=True)})
    running = start(client, arn, "refusals-running", folder)
    assert not_redrivable(client, running) == "Execution is RUNNING and cannot be redriven"
    client.stop_execution(executionArn=running)

    done = client.start_execution(stateMachineArn=machine(client, "refusals-pass", {"P": {"Type": "Pass",
                                                                                        "End": True}}))
    assert wait_for_end(client, done["executionArn"])["status"] == "SUCCEEDED"
    assert not_redrivable(client, done["executionArn"]) == "Execution is SUCCEEDED and cannot be redriven"

    express = client.create_state_machine(name="refusals-express", roleArn=ROLE, type="EXPRESS",
                                          definition=definition({"P": {"Type": "Pass", "End": True}}))
    express_arn = client.start_execution(stateMachineArn=express["stateMachineArn"])["executionArn"]
    not_redrivable(client, express_arn)

    missing = running.replace("refusals-running", "nobody")
    with pytest.raises(client.exceptions.ExecutionDoesNotExist):
        client.redrive_execution(executionArn=missing)
    with pytest.raises(client.exceptions.InvalidArn):
        client.redrive_execution(executionArn="arn:aws:states:us-east-1:123456789012:nothing")

    broken(folder, "old")
    old = start(client, machine(client, "refusals-old", {"T": task("old", End=True)}), "refusals-old", folder)
    assert wait_for_end(client, old)["status"] == "FAILED"
    served.advance(14 * DAY - 60)
    assert client.describe_execution(executionArn=old)["redriveStatus"] == "REDRIVABLE"
    served.advance(120)
    described = client.describe_execution(executionArn=old)
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution redrivable period exceeded"
    assert not_redrivable(client, old) == "Execution redrivable period exceeded"

    gone_machine = machine(client, "refusals-gone", {"T": task("old", End=True)})
    gone = start(client, gone_machine, "refusals-gone", folder)
    assert wait_for_end(client, gone)["status"] == "FAILED"
    client.delete_state_machine(stateMachineArn=gone_machine)
    assert client.describe_execution(executionArn=gone)["redriveStatusReason"] == "State machine is in DELETING status"
    assert not_redrivable(client, gone) == "State machine is in DELETING status"


def test_a_client_token_makes_the_redrive_idempotent(client: Any, folder: Path) -> None:
    arn = machine(client, "tokens", {"T": task("t", End=True)})
    broken(folder, "t")
    execution = start(client, arn, "tokens-1", folder)
    assert wait_for_end(client, execution)["status"] == "FAILED"
    first = client.redrive_execution(executionArn=execution, clientToken="once")["redriveDate"]
    assert client.redrive_execution(executionArn=execution, clientToken="once")["redriveDate"] == first
    assert wait_for_end(client, execution)["status"] == "FAILED"  # still broken
    assert client.redrive_execution(executionArn=execution, clientToken="once")["redriveDate"] == first
    assert client.describe_execution(executionArn=execution)["redriveCount"] == 1
    assert calls(folder, "t") == 2
    broken(folder, "t", fixed=True)
    second = client.redrive_execution(executionArn=execution, clientToken="twice")["redriveDate"]
    assert second >= first
    assert wait_for_end(client, execution)["status"] == "SUCCEEDED"
    assert client.describe_execution(executionArn=execution)["redriveCount"] == 2
    assert_continuous(history(client, execution), 2)


def test_a_redriven_execution_survives_a_restart(tmp_path: Path) -> None:
    db, folder = tmp_path / "state.db", tmp_path / "calls"
    folder.mkdir()
    first = Server(db, *ARGS)
    try:
        sfn = first.client()
        arn = machine(sfn, "restart", {"A": task("a", Next="Ask"), "Ask": ask(End=True)})
        broken(folder, "ask")
        execution = start(sfn, arn, "restart-1", folder)
        assert wait_for_end(sfn, execution)["status"] == "FAILED"
        broken(folder, "ask", fixed=True)
        sfn.redrive_execution(executionArn=execution)
        token = token_after_redrive(sfn, execution)
    finally:
        first.crash()
    second = Server(db, *ARGS)
    try:
        sfn = second.client()
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
        sfn.send_task_success(taskToken=token, output='{"after": "restart"}')
        done = wait_for_end(sfn, execution)
        assert done["status"] == "SUCCEEDED" and done["redriveCount"] == 1
        assert (calls(folder, "a"), calls(folder, "ask")) == (1, 2)
        events = history(sfn, execution)
        assert_continuous(events, 1)
        assert entered(events) == {"A": 1, "Ask": 1}
    finally:
        second.stop()
