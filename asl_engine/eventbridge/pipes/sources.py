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
from .kinesis import KinesisSource
from .sqs import SqsSource

SOURCES = ("sqs", "kinesis")
"""The source services a pipe can poll here (moto's DynamoDB Streams cannot be read: DescribeStream answers 404)."""


class PipeSource(Protocol):
    arn: str

    def receive(self, limit: int) -> list[Record]: ...

    def record_id(self, record: Record) -> str:
        """What a target's ``batchItemFailures`` names the record by."""

    def done(self, records: Sequence[Record]) -> None: ...

    def retry(self, records: Sequence[Record]) -> None: ...


def open_source(spec: Mapping[str, Any], env: PipeEnvironment, time: Callable[[], float]) -> PipeSource:
    """The source of a pipe (``spec`` as DescribePipe has it); only called for services in SOURCES."""
    arn = spec["Source"]
    if arn.split(":")[2] == "kinesis":
        parameters = (spec.get("SourceParameters") or {}).get("KinesisStreamParameters") or {}
        return KinesisSource(env.client("kinesis"), arn, parameters, spec, env.client("sqs"), time)
    return SqsSource(env.client("sqs"), arn)
