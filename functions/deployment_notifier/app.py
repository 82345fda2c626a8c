"""Reports how an endpoint deployment ended, from SageMaker's "Endpoint Deployment State Change" events.

Only the end of a deployment is worth a message: InService on the new
config, a rollback, or a failed rollback.  EventBridge may redeliver an
event, and a duplicate page about a rollback at night is exactly what
idempotency on the event id prevents.
"""

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
config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=24 * 3600)
sns = boto3.client("sns")

TERMINAL = {"IN_SERVICE", "ROLLING_BACK", "UPDATE_ROLLBACK_FAILED", "FAILED"}


class EndpointDeployment(BaseModel):
    endpoint_name: str = Field(alias="EndpointName")
    endpoint_config_name: str = Field(alias="EndpointConfigName")
    endpoint_status: str = Field(alias="EndpointStatus")
    failure_reason: str | None = Field(alias="FailureReason", default=None)
    pending: dict[str, Any] | None = Field(alias="PendingDeploymentSummary", default=None)


class EndpointDeploymentEvent(EventBridgeModel):
    detail: EndpointDeployment


def summarize(deployment: EndpointDeployment) -> tuple[str, str]:
    """(outcome, message) for a terminal status."""
    if deployment.endpoint_status == "IN_SERVICE" and not deployment.failure_reason:
        return "Deployed", f"{deployment.endpoint_name} now serves {deployment.endpoint_config_name}."
    if deployment.endpoint_status in ("ROLLING_BACK", "IN_SERVICE"):
        return "RolledBack", (f"{deployment.endpoint_name} rolled back to {deployment.endpoint_config_name}: "
                              f"{deployment.failure_reason}")
    return "Failed", f"{deployment.endpoint_name} is {deployment.endpoint_status}: {deployment.failure_reason}"


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@idempotent(config=config, persistence_store=persistence)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deployment = parse(event=event, model=EndpointDeploymentEvent).detail
    if deployment.endpoint_status not in TERMINAL or deployment.pending is not None:
        return {"skipped": deployment.endpoint_status}
    outcome, message = summarize(deployment)
    sns.publish(TopicArn=os.environ["NOTIFICATION_TOPIC_ARN"], Subject=f"Endpoint deployment {outcome}",
                Message=message)
    metrics.add_metric(name=f"Deployments{outcome}", unit=MetricUnit.Count, value=1)
    logger.info("deployment finished", extra={"outcome": outcome, "endpoint": deployment.endpoint_name})
    return {"outcome": outcome, "message": message}
