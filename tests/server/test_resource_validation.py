"""CreateStateMachine and ValidateStateMachineDefinition refuse a Task resource AWS does not recognize."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE

UNKNOWN = "arn:aws:states:::aws-sdk:nosuchsvc:doThing"
DEFINITION = json.dumps({"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": UNKNOWN, "End": True}}})
MESSAGE = (f"The resource provided {UNKNOWN} is not recognized. The value is not a valid resource ARN, or the "
           "resource is not available in this region.")


def test_validate_answers_the_diagnostic(sfn) -> None:
    answer = sfn.validate_state_machine_definition(definition=DEFINITION)
    assert answer["result"] == "FAIL"
    assert [(d["severity"], d["code"], d["message"], d["location"]) for d in answer["diagnostics"]] == [
        ("ERROR", "SCHEMA_VALIDATION_FAILED", MESSAGE, "/States/X/Resource")]


def test_create_refuses_the_definition(sfn) -> None:
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="unknown-resource", definition=DEFINITION, roleArn=ROLE)
    assert e.value.response["Error"]["Code"] == "InvalidDefinition"
    assert f"SCHEMA_VALIDATION_FAILED: {MESSAGE} at /States/X/Resource" in e.value.response["Error"]["Message"]
