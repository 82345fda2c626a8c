"""The context object (``$$``), built only when a state reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asl_engine import isotime


def build_context(execution: dict[str, Any], state_machine: dict[str, Any], state_name: str,
                  entered: datetime, retry_count: int | None, map_item: dict | None,
                  task_token: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"Name": state_name, "EnteredTime": isotime.millis(entered)}
    if retry_count is not None:
        state["RetryCount"] = retry_count
    context: dict[str, Any] = {"Execution": execution, "StateMachine": state_machine, "State": state}
    if map_item is not None:
        context["Map"] = {"Item": map_item}
    if task_token is not None:
        context["Task"] = {"Token": task_token}
    return context
