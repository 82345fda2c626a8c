"""TestState at the INFO level: output, next state and status of one state, mocks and variables included."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE

TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}], "Next": "Done"}


def _test(sfn, state: dict, input: object = None, **kwargs: object) -> dict:
    out = sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input=json.dumps(input or {}), **kwargs)
    out.pop("ResponseMetadata")
    if "output" in out:
        out["output"] = json.loads(out["output"])
    return out


def test_pass_choice_fail_and_wait(sfn) -> None:
    assert _test(sfn, {"Type": "Pass", "Result": {"resultKey": "result value"}, "End": True}) == \
           {"output": {"resultKey": "result value"}, "status": "SUCCEEDED"}
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.value", "NumericGreaterThan": 20, "Next": "Big"}],
              "Default": "Small"}
    assert _test(sfn, choice, {"value": 22}) == {"output": {"value": 22}, "nextState": "Big", "status": "SUCCEEDED"}
    assert _test(sfn, choice, {"value": 2})["nextState"] == "Small"
    assert _test(sfn, {"Type": "Fail", "Error": "SomeFailure", "Cause": "on purpose"}) == \
           {"error": "SomeFailure", "cause": "on purpose", "status": "FAILED"}
    assert _test(sfn, {"Type": "Wait", "Seconds": 31_536_000, "Next": "Later"})["nextState"] == "Later"


def test_mocked_task_results_and_errors(sfn) -> None:
    ok = _test(sfn, TASK, {"a": 1}, mock={"result": '{"Payload": 42}'})
    assert ok == {"output": {"Payload": 42}, "nextState": "Done", "status": "SUCCEEDED"}
    retriable = _test(sfn, TASK, mock={"errorOutput": {"error": "Flaky", "cause": "try again"}})
    assert retriable == {"error": "Flaky", "cause": "try again", "status": "RETRIABLE"}
    caught = _test(sfn, TASK, {"a": 1}, mock={"errorOutput": {"error": "Flaky", "cause": "try again"}},
                   stateConfiguration={"retrierRetryCount": 2})
    assert caught == {"output": {"a": 1, "error": {"Error": "Flaky", "Cause": "try again"}}, "nextState": "Recover",
                      "error": "Flaky", "cause": "try again", "status": "CAUGHT_ERROR"}


def test_a_state_of_a_whole_machine_with_variables(sfn) -> None:
    machine = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": "{% $greeting & ' ' & $states.input.name %}", "Next": "B"},
        "B": {"Type": "Succeed"}}}
    out = _test(sfn, machine, {"name": "Ada"}, stateName="A", variables=json.dumps({"greeting": "hello"}))
    assert out == {"output": "hello Ada", "nextState": "B", "status": "SUCCEEDED"}


def test_what_is_not_served(sfn) -> None:
    with pytest.raises(ClientError) as e:
        _test(sfn, {"Type": "Pass", "End": True}, inspectionLevel="DEBUG")
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    with pytest.raises(ClientError) as e:
        _test(sfn, {"Type": "Pass", "Next": 5})
    assert e.value.response["Error"]["Code"] == "InvalidDefinition"
