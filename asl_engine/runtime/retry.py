"""Retry and Catch: which error names a rule matches, and the backoff it asks for.

AWS's matching rules: ``States.ALL`` matches every error except
``States.Runtime`` (it catches ``States.DataLimitExceeded`` from a task's result, as recorded);
``States.TaskFailed`` matches every error except ``States.Timeout`` and those
terminal ones; ``States.Runtime`` is never retried nor caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_TERMINAL = frozenset({"States.Runtime", "States.DataLimitExceeded"})


def matches(error_equals: tuple[str, ...], error: str, heartbeat: bool = False) -> bool:
    """Whether a rule takes ``error``; ``heartbeat`` marks a States.Timeout that a heartbeat ran out."""
    if error == "States.Runtime":
        return False
    for name in error_equals:
        if name == error or (heartbeat and name == "States.HeartbeatTimeout"):
            return True
        # AWS's docs call States.DataLimitExceeded terminal for States.ALL, but a recorded execution
        # (error_handling/TestStatesErrors__test_service_task_lambada_catch_state_all_data_limit_exceeded_on_
        # large_utf8_response) shows States.ALL catching it when a task's result is over the quota.
        if name == "States.ALL":
            return True
        if name == "States.TaskFailed" and error not in _TERMINAL and error != "States.Timeout":
            return True
    return False


@dataclass(frozen=True, slots=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: float
    max_attempts: int
    backoff_rate: float
    max_delay_seconds: float | None
    jitter_full: bool

    def delay(self, attempt: int, random: float) -> float:
        """Seconds before retry number ``attempt + 1`` (``random`` in [0, 1) for FULL jitter)."""
        delay = self.interval_seconds * self.backoff_rate ** attempt
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        if self.jitter_full:
            delay *= random
        return delay


@dataclass(frozen=True, slots=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Any  # a ReferencePath, or None to discard the error output
    output: Any = None  # JSONata Output template
    assign: Any = None  # compiled Assign, or None
