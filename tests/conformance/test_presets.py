"""The sfn_sqs_integration preset numbers ARN resource names in the order the recording met them."""

from __future__ import annotations

import json

from tests.conformance.presets import with_presets


def test_resource_names_are_numbered_in_history_order():
    sm = "arn:aws:states:us-east-1:111111111111:stateMachine:target"
    history = [
        {"type": "ExecutionStarted", "executionStartedEventDetails": {
            "input": json.dumps({"StateMachineArn": sm, "Name": "Run1"}),
            "roleArn": "arn:aws:iam::111111111111:role/the-role"}},
        {"type": "TaskSubmitted", "taskSubmittedEventDetails": {"output": json.dumps({
            "ExecutionArn": "arn:aws:states:us-east-1:111111111111:execution:target:Run1",
            "FunctionArn": "arn:aws:lambda:us-east-1:111111111111:function:fn:$LATEST"})}},
    ]
    case = {"normalize": [{"role": "preset", "name": "sfn_sqs_integration"}]}
    rules = with_presets(case, {"history": history})["normalize"]
    resources = {r["placeholder"]: r["value"] for r in rules if r["placeholder"].startswith("<resource:")}
    assert resources == {"<resource:1>": "target", "<resource:2>": "the\\-role", "<resource:3>": "Run1",
                         "<resource:4>": "fn"}
