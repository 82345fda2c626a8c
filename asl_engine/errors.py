"""Exceptions shared by every layer.

Two kinds of failure exist and must never be confused: a definition that AWS
would reject (``InvalidDefinition``, raised before anything runs) and an error
raised while an execution runs (``StatesError``), which Retry and Catch see by
its AWS error name.
"""

from __future__ import annotations

from dataclasses import dataclass


class StatesError(Exception):
    """A runtime error with an AWS error name (``States.Runtime``, ``Lambda.Unknown``...).

    ``error`` and ``cause`` are exactly what AWS would put in the failure event.
    """

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class HeartbeatTimedOut(StatesError):
    """A task whose HeartbeatSeconds passed without a heartbeat.

    AWS records it as ``States.Timeout`` (recorded: timeouts/TestHeartbeats__test_heartbeat_timeout), yet a
    Retry or Catch can single it out with ``States.HeartbeatTimeout``; the cause is empty, as for TimeoutSeconds.
    """

    def __init__(self) -> None:
        super().__init__("States.Timeout", "")


class StateFailure(StatesError):
    """A runtime error found while evaluating one of a state's fields.

    AWS prefixes the cause of these with the state's name and the id of its
    entered event ("An error occurred while executing the state 'X' (entered at
    the event id #2). ..."); the interpreter adds that prefix, so the query
    layer raises these with only the tail of the cause.
    """


class QuerySyntaxError(ValueError):
    """A path, reference path, intrinsic call or expression that cannot be parsed.

    Raised at compile time so the validator can turn it into a diagnostic with
    the location of the offending field.
    """


class PathSyntaxError(QuerySyntaxError):
    """A malformed JSONPath or reference path."""


class IntrinsicSyntaxError(QuerySyntaxError):
    """A malformed intrinsic function call (``States.Format(...)``)."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding of definition validation, shaped like AWS's ValidateStateMachineDefinition."""

    severity: str  # "ERROR" | "WARNING"
    code: str  # e.g. "SCHEMA_VALIDATION_FAILED"
    message: str
    location: str  # JSON pointer into the definition, e.g. "/States/A/Next"

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "location": self.location}

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location or '/'}"


class InvalidDefinition(Exception):
    """The definition would be rejected by CreateStateMachine; ``diagnostics`` says why and where."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "ERROR"] or self.diagnostics
        summary = "; ".join(str(d) for d in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"Invalid State Machine Definition: {summary}{more}")
