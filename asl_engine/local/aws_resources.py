"""The template's plain resources created in moto, with the properties CloudFormation would pass.

Only the types the local stack's services read are created: DynamoDB
tables, SQS queues, SNS topics, S3 buckets (with their EventBridge
notifications), CloudWatch alarms and SageMaker model package groups.
Roles and policies need no backing object; pipes and schemas are the
stack's own services (``pipes``, ``eventbus``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from asl_engine.sam.application import Application
from asl_engine.sam.model import Resource, TemplateError

Client = Callable[[str], Any]


def _table(client: Client, r: Resource) -> None:
    props = r.properties
    ddb = client("dynamodb")
    ddb.create_table(TableName=r.name, KeySchema=props["KeySchema"], AttributeDefinitions=props["AttributeDefinitions"],
                     BillingMode=props.get("BillingMode", "PROVISIONED"),
                     **({"ProvisionedThroughput": props["ProvisionedThroughput"]}
                        if "ProvisionedThroughput" in props else {}))
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=r.name, TimeToLiveSpecification=ttl)


def _queue(client: Client, r: Resource) -> None:
    attributes = {k: str(v) for k, v in r.properties.items() if k in ("VisibilityTimeout", "DelaySeconds",
                                                                       "MessageRetentionPeriod", "FifoQueue")}
    client("sqs").create_queue(QueueName=r.name, Attributes=attributes)


def _bucket(client: Client, r: Resource) -> None:
    """The bucket, and its EventBridge notifications when enabled: S3 then sends every object event to the
    account's default bus (see ``service_events``)."""
    s3 = client("s3")
    s3.create_bucket(Bucket=r.name)
    notifications = r.properties.get("NotificationConfiguration") or {}
    if (notifications.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled") in (True, "true"):
        s3.put_bucket_notification_configuration(Bucket=r.name,
                                                 NotificationConfiguration={"EventBridgeConfiguration": {}})


def _alarm(client: Client, r: Resource) -> None:
    keys = ("AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
            "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions", "OKActions", "DatapointsToAlarm")
    client("cloudwatch").put_metric_alarm(AlarmName=r.name, **{k: v for k, v in r.properties.items() if k in keys})


CREATORS: dict[str, Callable[[Client, Resource], None]] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": lambda client, r: client("sns").create_topic(Name=r.name),
    "AWS::S3::Bucket": _bucket,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::SageMaker::ModelPackageGroup": lambda client, r: client("sagemaker").create_model_package_group(
        ModelPackageGroupName=r.name),
}


def create_resources(app: Application, client: Client) -> None:
    """The template's plain resources, through ``client(service)``'s API (the local stack's moto, or ``asl
    serve``'s); TemplateError names the resource the service refused and why."""
    for resource in app.resources.values():
        creator = CREATORS.get(resource.type)
        if creator is None:
            continue
        try:
            creator(client, resource)
        except (BotoCoreError, ClientError, KeyError) as exc:
            problem = f"missing property {exc}" if isinstance(exc, KeyError) else str(exc)
            raise TemplateError(f"{resource.logical_id} ({resource.type}): {problem}") from None
