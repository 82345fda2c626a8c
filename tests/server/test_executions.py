"""Start/Stop/Describe/List executions, history and StartSyncExecution through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import PASS, ROLE, definition, history_types, wait_for_end

LONG_WAIT = definition({"W": {"Type": "Wait", "Seconds": 86_400, "End": True}})
FAIL = definition({"F": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}})


def _machine(sfn, name: str, text: str = PASS, kind: str = "STANDARD") -> str:
    return sfn.create_state_machine(name=name, definition=text, roleArn=ROLE, type=kind)["stateMachineArn"]


def test_start_describe_history(sfn) -> None:
    arn = _machine(sfn, "exec-basic", definition({"P": {"Type": "Pass", "Result": {"ok": 1}, "ResultPath": "$.r",
                                                        "End": True}}))
    started = sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"a": 1}')
    assert started["executionArn"] == "arn:aws:states:us-east-1:123456789012:execution:exec-basic:run-1"
    described = wait_for_end(sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1, "r": {"ok": 1}}
    assert described["input"] == '{"a": 1}' and described["stateMachineArn"] == arn
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                           "ExecutionSucceeded"]
    assert [(e["id"], e["previousEventId"]) for e in events] == [(1, 0), (2, 0), (3, 2), (4, 3)]  # as AWS
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"a": 1}
    for_execution = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert for_execution["stateMachineArn"] == arn and "definition" in for_execution


def test_history_pages_reverses_and_hides_data(sfn) -> None:
    arn = _machine(sfn, "exec-history", definition({f"P{i}": {"Type": "Pass", **({"Next": f"P{i + 1}"} if i < 4 else
                                                                                 {"End": True})} for i in range(5)}))
    execution = sfn.start_execution(stateMachineArn=arn, input='{"k": "v"}')["executionArn"]
    wait_for_end(sfn, execution)
    all_events = sfn.get_execution_history(executionArn=execution)["events"]
    assert len(all_events) == 12
    pages = list(sfn.get_paginator("get_execution_history").paginate(executionArn=execution,
                                                                      PaginationConfig={"PageSize": 5}))
    assert [len(p["events"]) for p in pages] == [5, 5, 2]
    assert [e["id"] for p in pages for e in p["events"]] == list(range(1, 13))
    reverse = sfn.get_execution_history(executionArn=execution, reverseOrder=True, maxResults=3)
    assert [e["id"] for e in reverse["events"]] == [12, 11, 10] and reverse["nextToken"]
    bare = sfn.get_execution_history(executionArn=execution, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    with pytest.raises(ClientError) as e:
        sfn.get_execution_history(executionArn=execution, nextToken=reverse["nextToken"])  # another listing's token
    assert e.value.response["Error"]["Code"] == "InvalidToken"


def test_start_is_idempotent_by_name_and_input(server, sfn) -> None:
    arn = _machine(sfn, "exec-idem", LONG_WAIT)
    first = sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 1}')
    again = sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 1}')
    assert again["executionArn"] == first["executionArn"] and again["startDate"] == first["startDate"]
    with pytest.raises(ClientError) as e:
        sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 2}')
    assert e.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    sfn.stop_execution(executionArn=first["executionArn"])
    with pytest.raises(ClientError) as e:  # closed: the name is taken
        sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 1}')
    assert e.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


def test_stop_execution(sfn) -> None:
    arn = _machine(sfn, "exec-stop", LONG_WAIT)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    stopped = sfn.stop_execution(executionArn=execution, error="Halt", cause="a test stopped it")
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "a test stopped it")
    assert described["stopDate"] == stopped["stopDate"]
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    assert events[-1]["previousEventId"] == 2
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "a test stopped it"}


def test_list_executions_filters_and_pages(sfn) -> None:
    ok, failing = _machine(sfn, "exec-list", PASS), _machine(sfn, "exec-list-fail", FAIL)
    done = [sfn.start_execution(stateMachineArn=ok, name=f"ok-{i}")["executionArn"] for i in range(3)]
    for arn in done:
        wait_for_end(sfn, arn)
    failed = sfn.start_execution(stateMachineArn=failing)["executionArn"]
    described = wait_for_end(sfn, failed)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Oops", "on purpose")
    listed = sfn.list_executions(stateMachineArn=ok, statusFilter="SUCCEEDED")["executions"]
    assert sorted(e["name"] for e in listed) == ["ok-0", "ok-1", "ok-2"]
    assert sfn.list_executions(stateMachineArn=ok, statusFilter="FAILED")["executions"] == []
    first = sfn.list_executions(stateMachineArn=ok, maxResults=2)
    second = sfn.list_executions(stateMachineArn=ok, maxResults=2, nextToken=first["nextToken"])
    assert len(first["executions"]) == 2 and len(second["executions"]) == 1 and "nextToken" not in second
    assert [e["status"] for e in sfn.list_executions(stateMachineArn=failing)["executions"]] == ["FAILED"]


def test_start_sync_execution(sfn) -> None:
    express = _machine(sfn, "exec-express", definition({"P": {"Type": "Pass", "Result": 42, "End": True}}), "EXPRESS")
    out = sfn.start_sync_execution(stateMachineArn=express, input="{}", name="sync-1")
    assert out["status"] == "SUCCEEDED" and out["output"] == "42"
    assert out["executionArn"].startswith("arn:aws:states:us-east-1:123456789012:express:exec-express:sync-1:")
    assert out["billingDetails"]["billedDurationInMilliseconds"] >= 100
    failed = sfn.start_sync_execution(stateMachineArn=_machine(sfn, "exec-express-fail", FAIL, "EXPRESS"))
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Oops", "on purpose")
    with pytest.raises(ClientError) as e:
        sfn.start_sync_execution(stateMachineArn=_machine(sfn, "exec-standard", PASS))
    assert e.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    started = sfn.start_execution(stateMachineArn=express)
    assert ":express:exec-express:" in started["executionArn"]


@pytest.mark.parametrize("text", ['"HelloWorld"', "1.5", "null", "[1, 2]", '"{}"'])
def test_any_json_value_is_an_input(sfn, text: str) -> None:
    """A JSON string input stays a string: the service hands the engine the text, not a value to re-read."""
    standard = _machine(sfn, "exec-echo", PASS)
    described = wait_for_end(sfn, sfn.start_execution(stateMachineArn=standard, input=text)["executionArn"])
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == json.loads(text)
    express = _machine(sfn, "exec-echo-express", PASS, "EXPRESS")
    answer = sfn.start_sync_execution(stateMachineArn=express, input=text)
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == json.loads(text)


def test_missing_things(sfn) -> None:
    missing_machine = "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
    missing_execution = "arn:aws:states:us-east-1:123456789012:execution:nope:run"
    for call, kwargs, code in [
        (sfn.start_execution, {"stateMachineArn": missing_machine}, "StateMachineDoesNotExist"),
        (sfn.describe_execution, {"executionArn": missing_execution}, "ExecutionDoesNotExist"),
        (sfn.stop_execution, {"executionArn": missing_execution}, "ExecutionDoesNotExist"),
        (sfn.get_execution_history, {"executionArn": missing_execution}, "ExecutionDoesNotExist"),
        (sfn.describe_execution, {"executionArn": missing_machine}, "InvalidArn"),
        (sfn.start_execution, {"stateMachineArn": "arn:aws:sqs:us-east-1:123456789012:q"}, "InvalidArn"),
    ]:
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        assert e.value.response["Error"]["Code"] == code, (call, kwargs)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_invalid_execution_input_and_name(sfn) -> None:
    arn = _machine(sfn, "exec-bad-input", PASS)
    with pytest.raises(ClientError) as e:
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    assert e.value.response["Error"]["Code"] == "InvalidExecutionInput"
    with pytest.raises(ClientError) as e:
        sfn.start_execution(stateMachineArn=arn, name="a/b")
    assert e.value.response["Error"]["Code"] == "InvalidName"
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []
    assert history_types(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])[0] == "ExecutionStarted"


def test_nested_executions_are_the_services_own(sfn) -> None:
    child = _machine(sfn, "nested-child", definition({"P": {"Type": "Pass", "Result": {"from": "child"},
                                                            "End": True}}))
    parent = _machine(sfn, "nested-parent", definition({"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child, "Input": {"x": 1}}, "OutputPath": "$.Output", "End": True}}))
    execution = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"from": "child"}
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    assert [c["status"] for c in children] == ["SUCCEEDED"]
    assert history_types(sfn, children[0]["executionArn"])[-1] == "ExecutionSucceeded"


def test_map_runs(sfn) -> None:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
                 "States": {"P": {"Type": "Pass", "End": True}}}
    arn = _machine(sfn, "map-runs", definition({"M": {"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": 3,
                                                      "ToleratedFailureCount": 1, "End": True}}))
    execution = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3]")["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1 and runs[0]["executionArn"] == execution and runs[0]["stateMachineArn"] == arn
    described = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
    assert (described["status"], described["maxConcurrency"], described["toleratedFailureCount"]) == \
           ("SUCCEEDED", 3, 1)
    assert (described["itemCounts"]["total"], described["itemCounts"]["succeeded"]) == (3, 3)
    with pytest.raises(ClientError) as e:  # a finished Map Run can't be changed (test_update_map_run.py)
        sfn.update_map_run(mapRunArn=runs[0]["mapRunArn"], maxConcurrency=5)
    assert (e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == \
           ("ValidationException", 400)
    with pytest.raises(ClientError) as e:
        sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"] + "0")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
