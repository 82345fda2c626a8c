"""Turns the drift alarm's "CloudWatch Alarm State Change" event into a retraining execution.

EventBridge delivers at least once and retries a failed invocation, so the
start is idempotent on the event id: a redelivered event returns the
execution already started instead of starting a second retraining.  The
execution name is derived from the event id too, which makes Step Functions
refuse a duplicate even if the idempotency record were lost.
"""

import json
import os
from datetime import datetime
from typing import Any, Literal

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
stepfunctions = boto3.client("stepfunctions")


class AlarmState(BaseModel):
    value: Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
    reason: str
    timestamp: datetime


class AlarmStateChange(BaseModel):
    alarm_name: str = Field(alias="alarmName")
    state: AlarmState
    previous_state: AlarmState = Field(alias="previousState")


class AlarmStateChangeEvent(EventBridgeModel):
    detail: AlarmStateChange


@tracer.capture_method
def start_retraining(event: AlarmStateChangeEvent) -> dict[str, Any]:
    request = {"trigger": "drift", "reason": event.detail.state.reason, "alarm": event.detail.alarm_name,
               "requested_at": event.time.isoformat()}
    started = stepfunctions.start_execution(stateMachineArn=os.environ["RETRAINING_STATE_MACHINE_ARN"],
                                            name=f"drift-{event.id}", input=json.dumps(request))
    metrics.add_metric(name="RetrainingsStarted", unit=MetricUnit.Count, value=1)
    logger.info("retraining started", extra={"executionArn": started["executionArn"]})
    return {"executionArn": started["executionArn"], "request": request}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@idempotent(config=config, persistence_store=persistence)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    alarm = parse(event=event, model=AlarmStateChangeEvent)
    if alarm.detail.state.value != "ALARM":
        logger.info("alarm left ALARM; nothing to retrain", extra={"state": alarm.detail.state.value})
        return {"skipped": alarm.detail.state.value}
    return start_retraining(alarm)
