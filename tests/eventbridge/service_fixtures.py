"""Shared set-up for the EventBridge service tests: a virtual clock, counted ids, seeded randomness."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

import boto3

from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.runtime.clock import VirtualClock

START = datetime(2026, 3, 1, tzinfo=UTC)
ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:collect"
ENTRY = {"Source": "shop", "DetailType": "Order", "Detail": '{"id": 1}'}


def client(service: str) -> Any:
    """A boto3 client in the test's region (moto's, under the ``aws`` fixture)."""
    return boto3.client(service, region_name="us-east-1")


def queue(name: str, **attributes: str) -> tuple[str, str]:
    """A new SQS queue's URL and ARN (a target, a dead-letter queue)."""
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def counter(prefix: str) -> Any:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def make_bridge(invokers: Invokers | None = None, start: datetime = START, **kwargs: Any) -> EventBridge:
    return EventBridge(
        timers=Timers(VirtualClock(start)),
        invokers=invokers or Invokers(),
        ids=counter("event"),
        rng=random.Random(7),
        **kwargs,
    )


def collecting(received: list[Any]) -> Invokers:
    """Invokers whose Lambda ``collect`` appends each event it gets to ``received``."""
    return Invokers(functions={"collect": lambda event, context: received.append(event)})
