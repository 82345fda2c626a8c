"""A Task resource AWS does not recognize is refused at validation, where AWS refuses it, not at run time.

The message is the one AWS gives a Task pattern it does not have (see test_integrations_optimized); each case
here is a resource that used to validate clean and fail only when the state ran, with States.Runtime.
"""

from __future__ import annotations

import pytest

from asl_engine.definition.validate import validate

SCHEMA = "SCHEMA_VALIDATION_FAILED"


def _task(resource: str, where: str = "X") -> dict:
    return {"StartAt": where, "States": {where: {"Type": "Task", "Resource": resource, "End": True}}}


def _not_recognized(resource: str) -> str:
    return (f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the "
            "resource is not available in this region.")


@pytest.mark.parametrize("resource", [
    "arn:aws:states:::foo:bar",  # no such optimized integration
    "arn:aws:states:::aws-sdk:nosuchsvc:doThing",  # no such SDK service
    "arn:aws:states:::aws-sdk:s3:doThing",  # no such action of a service the SDK has
    "arn:aws:states:::aws-sdk:s3",  # no action at all
    "arn:aws:states:::aws-sdk:s3:getObject.sync",  # aws-sdk integrations have no .sync
    "arn:aws:lambda:us-east-1:123:function",  # a Lambda ARN naming no function
    "arn:aws:lambda:us-east-1:123456789012:layer:l",
    "arn:aws:lambda:us-east-1:123456789012:function:f:1:2",
])
def test_unknown_resources_are_refused_at_the_resource(resource):
    assert [(d.code, d.message, d.location) for d in validate(_task(resource))] == [
        (SCHEMA, _not_recognized(resource), "/States/X/Resource")]


def test_the_pointer_is_the_nested_states():
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": _task(
        "arn:aws:states:::foo:bar", "Inner")}}}
    assert [d.location for d in validate(definition)] == ["/States/M/ItemProcessor/States/Inner/Resource"]


@pytest.mark.parametrize("resource", [
    "arn:aws:states:::aws-sdk:sfn:startExecution",  # SDK v2 service names, as AWS spells them
    "arn:aws:states:::aws-sdk:eventbridge:putEvents",
    "arn:aws:states:::aws-sdk:cloudwatchlogs:putLogEvents",
    "arn:aws:states:::aws-sdk:s3:getObject",
    "arn:aws:states:::aws-sdk:s3:listObjectsV2",
    "arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::athena:startQueryExecution.sync",  # optimized services beyond the checked table
    "arn:aws:states:::codebuild:startBuild.sync",
    "arn:aws:states:::apigateway:invoke",
    "arn:aws:states:::bedrock:invokeModel",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
    "arn:aws:states:us-east-1:123456789012:activity:a",
])
def test_resources_aws_has_validate_clean(resource):
    assert validate(_task(resource)) == []
