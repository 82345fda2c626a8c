"""The context object (``$$``), built only when a state reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def iso_time(t: datetime) -> str:
    """Timestamps as the context object shows them: ``2024-05-01T12:00:00.123Z``."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def build_context(execution: dict[str, Any], state_machine: dict[str, Any], state_name: str,
                  entered: datetime, retry_count: int | None, map_item: dict | None,
                  task_token: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"Name": state_name, "EnteredTime": iso_time(entered)}
    if retry_count is not None:
        state["RetryCount"] = retry_count
    context: dict[str, Any] = {"Execution": execution, "StateMachine": state_machine, "State": state}
    if map_item is not None:
        context["Map"] = {"Item": map_item}
    if task_token is not None:
        context["Task"] = {"Token": task_token}
    return context
