"""Resumes the workflow waiting for a model package's approval when the package is approved or rejected.

Triggered by "SageMaker Model Package State Change" events; approval through
the console or ``UpdateModelPackage`` both emit it.  Sending the task result
twice would fail the second call (the token is spent), and EventBridge may
deliver an event twice, so the handler is idempotent on the event id.
"""

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)
from aws_lambda_powertools.utilities.parser import BaseModel, Field, parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=7 * 24 * 3600)
approvals = boto3.resource("dynamodb").Table(os.environ["APPROVALS_TABLE"])
stepfunctions = boto3.client("stepfunctions")


class ModelPackageStateChange(BaseModel):
    model_package_arn: str = Field(alias="ModelPackageArn")
    model_package_group_name: str = Field(alias="ModelPackageGroupName")
    model_approval_status: str = Field(alias="ModelApprovalStatus")
    approval_description: str | None = Field(alias="ApprovalDescription", default=None)


class ModelPackageStateChangeEvent(EventBridgeModel):
    detail: ModelPackageStateChange


@tracer.capture_method
def resume(change: ModelPackageStateChange, token: str) -> str:
    if change.model_approval_status == "Approved":
        stepfunctions.send_task_success(taskToken=token, output=json.dumps(
            {"approved": True, "ModelPackageArn": change.model_package_arn}))
        return "approved"
    stepfunctions.send_task_failure(taskToken=token, error="ModelRejected",
                                    cause=change.approval_description or "rejected in the model registry")
    return "rejected"


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@idempotent(config=config, persistence_store=persistence)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse(event=event, model=ModelPackageStateChangeEvent).detail
    if change.model_approval_status not in ("Approved", "Rejected"):
        return {"skipped": change.model_approval_status}
    item = approvals.get_item(Key={"ModelPackageArn": change.model_package_arn}).get("Item")
    if item is None:
        logger.warning("no workflow waits for this package", extra={"arn": change.model_package_arn})
        return {"skipped": "no waiting workflow"}
    outcome = resume(change, item["TaskToken"])
    approvals.delete_item(Key={"ModelPackageArn": change.model_package_arn})
    metrics.add_metric(name=f"Models{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome, "ModelPackageArn": change.model_package_arn}
