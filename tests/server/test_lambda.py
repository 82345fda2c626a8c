"""Local functions (``--resource``) answer both a workflow's Lambda task and Lambda's Invoke at the endpoint."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE, definition, wait_for_end


def test_invoke_a_local_function(server) -> None:
    lam = server.client("lambda")
    answer = lam.invoke(FunctionName="double", Payload=b'{"n": 21}')
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"doubled": 42}
    failed = lam.invoke(FunctionName="explode", Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorMessage"] == "boom"
    assert lam.invoke(FunctionName="double", Payload=b'{"n": 1}', InvocationType="Event")["StatusCode"] == 202


def test_other_functions_are_moto_s(server) -> None:
    with pytest.raises(ClientError) as e:
        server.client("lambda").invoke(FunctionName="not-local", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_workflow_calls_the_same_function(sfn) -> None:
    arn = sfn.create_state_machine(name="calls-lambda", roleArn=ROLE, definition=definition({"L": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "double", "Payload.$": "$"},
        "ResultSelector": {"out.$": "$.Payload"}, "End": True}}))
    execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input='{"n": 5}')["executionArn"]
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"out": {"doubled": 10}}
