"""What a pipe reads from: the source protocol the poller drives, and the source for a pipe's ARN.

A source hands out records, is told which are finished (delivered or
filtered out) and which failed. What "failed" means is the source's: an SQS
message simply is not deleted and comes back after the visibility timeout; a
stream record is offered again, blocking its shard, until the pipe's retry
limits send it to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .environment import PipeEnvironment, Record
from .sqs import SqsSource
from .streams import DynamoDBStreamSource, KinesisSource

SOURCES = ("sqs", "kinesis", "dynamodb")
"""The source services a pipe can poll here (``dynamodb``: a table's stream)."""


class PipeSource(Protocol):
    arn: str

    def receive(self, limit: int) -> list[Record]: ...

    def record_id(self, record: Record) -> str:
        """What a target's ``batchItemFailures`` names the record by."""

    def done(self, records: Sequence[Record]) -> None: ...

    def retry(self, records: Sequence[Record]) -> None: ...


def open_source(spec: Mapping[str, Any], env: PipeEnvironment, time: Callable[[], float]) -> PipeSource:
    """The source of a pipe (``spec`` as DescribePipe has it); only called for services in SOURCES."""
    arn, parameters = spec["Source"], spec.get("SourceParameters") or {}
    service = arn.split(":")[2]
    if service == "kinesis":
        return KinesisSource(env.client("kinesis"), arn, parameters.get("KinesisStreamParameters") or {}, spec,
                             env.client("sqs"), time)
    if service == "dynamodb":
        return DynamoDBStreamSource(env.client("dynamodbstreams"), arn,
                                    parameters.get("DynamoDBStreamParameters") or {}, spec, env.client("sqs"), time)
    return SqsSource(env.client("sqs"), arn)
