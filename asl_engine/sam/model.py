"""What the local runtime deploys, in the shapes of the APIs that create it (PutRule/PutTargets,
CreateSchedule, CreateArchive), so the local stack passes them on unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str  # Lambda's spelling: "app.lambda_handler"
    runtime: str
    environment: dict[str, str]
    timeout: int
    memory: int
    role_arn: str = ""  # the Role property, else the role SAM generates (``<LogicalId>Role``)


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    definition: str  # after DefinitionSubstitutions
    type: str = "STANDARD"
    role_arn: str = ""  # the Role/RoleArn property, else the role SAM generates (``<LogicalId>Role``)
    tracing: bool = False  # Tracing.Enabled / TracingConfiguration.Enabled


class TemplateError(ValueError):
    """A template that cannot be deployed as written, the message naming the resource and what is wrong."""


@dataclass(frozen=True)
class Rule:
    """PutRule's request (``rule``) and PutTargets' ``Targets``."""

    rule: dict[str, Any]
    targets: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return self.rule["Name"]


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler schedule (SAM ``ScheduleV2``): CreateSchedule's request."""

    request: dict[str, Any]


@dataclass(frozen=True)
class Archive:
    """CreateArchive's request."""

    request: dict[str, Any]


@dataclass
class Resource:
    """A plain resource (table, queue, topic, bucket, alarm...) with its physical name and resolved properties."""

    logical_id: str
    type: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
