"""What the store keeps: plain records, one per Step Functions resource.

Times are seconds since the epoch (what the awsJson protocol sends), JSON
payloads are kept as the text the client sent, so a record round-trips
through any store byte for byte.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

R = TypeVar("R")


@dataclass
class StateMachineRecord:
    arn: str
    name: str
    type: str
    definition: str
    role_arn: str
    created: float
    revision_id: str
    updated: float
    description: str | None = None
    logging: dict[str, Any] = field(default_factory=lambda: {"level": "OFF", "includeExecutionData": False})
    tracing: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    next_version: int = 1  # version numbers are never reused, even after a version is deleted


@dataclass
class VersionRecord:
    arn: str
    state_machine_arn: str
    number: int
    definition: str
    role_arn: str
    type: str
    created: float
    revision_id: str
    description: str | None = None


@dataclass
class AliasRecord:
    arn: str
    name: str
    state_machine_arn: str
    routing: list[dict[str, Any]]  # [{"stateMachineVersionArn": ..., "weight": ...}]
    created: float
    updated: float
    description: str | None = None


@dataclass
class ExecutionRecord:
    """One execution, with everything needed to run it again from its history (replay)."""

    arn: str
    state_machine_arn: str
    name: str
    type: str
    definition: str  # the definition it runs, as it was when it started
    role_arn: str
    input: str
    start: float
    seed: int  # of its Services: task tokens, UUIDs and jitter come out the same on replay
    status: str = "RUNNING"
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop: float | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    # RedriveExecution's idempotency: the last client tokens that redrove it, as [token, redriveDate]
    redrive_tokens: list[list[Any]] = field(default_factory=list)
    # started as ``<arn>#<test_case>`` (Step Functions Local's mocks): the MockConfigFile of that one test case,
    # kept so that a resume or a redrive answers as the first run did (see server/mock_config.py)
    test_case: str | None = None
    mock_config: dict[str, Any] | None = None


@dataclass
class MapRunRecord:
    """A Distributed Map's run, as DescribeMapRun reports it."""

    arn: str
    execution_arn: str
    state_machine_arn: str
    start: float
    status: str = "RUNNING"
    stop: float | None = None
    max_concurrency: int = 0
    tolerated_failure_percentage: float = 0.0
    tolerated_failure_count: int = 0
    total: int = 0
    failed: int = 0
    redrive_count: int = 0
    redrive_date: float | None = None
    # what UpdateMapRun changed, by its parameter name (maxConcurrency, toleratedFailureCount,
    # toleratedFailurePercentage): a Map Run resumed after a restart or redriven runs with these
    updates: dict[str, Any] = field(default_factory=dict)


def to_doc(record: Any) -> dict[str, Any]:
    """A record as a JSON-ready dict."""
    return asdict(record)


def from_doc(cls: type[R], doc: dict[str, Any]) -> R:
    """The record a ``to_doc`` dict describes (keys a later version added or dropped are ignored)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in doc.items() if k in names})
