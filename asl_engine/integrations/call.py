"""One Task attempt, as the resource layer sees it.

The Task state evaluates its fields and writes the history; everything an
integration needs to do the work (the resolved payload, timeouts, the task
token, the clock, a way to report that a job was submitted) travels in a
``TaskCall``, so integrations never reach into the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asl_engine.integrations.arns import ResourceSpec


@dataclass(slots=True)
class TaskCall:
    spec: ResourceSpec
    payload: Any
    state_name: str
    execution_arn: str
    state_machine_name: str
    region: str
    request_id: str
    timeout: int | None = None
    heartbeat: int | None = None
    task_token: str | None = None
    credentials: Any = None
    clock: Any = None  # asl_engine.runtime.clock.Clock
    services: Any = None  # asl_engine.runtime.services.Services
    on_submitted: Callable[[Any], None] | None = None

    def submitted(self, output: Any) -> None:
        """Report that the job or message was accepted (AWS's TaskSubmitted event for .sync and callbacks)."""
        if self.on_submitted is not None:
            self.on_submitted(output)
