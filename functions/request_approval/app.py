"""Asks a human to approve a model package: stores the workflow's task token and notifies the approvers.

The retraining and shadow-test workflows wait on ``.waitForTaskToken``; the
token is kept under the model package ARN so that whatever approves the
package (the SageMaker console, ``UpdateModelPackage`` through the API, or a
promotion decision) lets the approval callback find the waiting execution.
"""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()
approvals = boto3.resource("dynamodb").Table(os.environ["APPROVALS_TABLE"])
sns = boto3.client("sns")


class ApprovalRequest(BaseModel):
    task_token: str = Field(alias="TaskToken", min_length=1)
    model_package_arn: str = Field(alias="ModelPackageArn", pattern=r"^arn:aws[a-z-]*:sagemaker:")
    purpose: str = Field(alias="Purpose", default="deploy")
    summary: dict[str, Any] = Field(alias="Summary", default_factory=dict)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=ApprovalRequest)
def lambda_handler(event: ApprovalRequest, context: LambdaContext) -> dict[str, Any]:
    approvals.put_item(Item={"ModelPackageArn": event.model_package_arn, "TaskToken": event.task_token,
                             "Purpose": event.purpose})
    sns.publish(TopicArn=os.environ["NOTIFICATION_TOPIC_ARN"], Subject=f"Approval needed: {event.purpose}",
                Message=f"Approve or reject {event.model_package_arn} in the model registry.\n{event.summary}")
    metrics.add_metric(name="ApprovalsRequested", unit=MetricUnit.Count, value=1)
    return {"requested": event.model_package_arn}
