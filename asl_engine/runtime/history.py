"""Execution history, recorded as it happens and rendered in GetExecutionHistory's shape.

Events keep references to the (immutable) JSON values they carry; the JSON
text AWS puts in ``input``/``output`` is made only when the history is read,
so a long loop does not serialize every state twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from asl_engine.errors import StatesError

HISTORY_LIMIT = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_LIMIT})."
# Detail fields that hold JSON data: rendered as text plus a ``<name>Details`` truncation flag.
_DATA_FIELDS = ("input", "output")


class HistoryLimitExceeded(StatesError):
    """The execution reached the 25,000-event quota of a STANDARD execution."""

    def __init__(self) -> None:
        super().__init__("States.Runtime", HISTORY_LIMIT_CAUSE)


def _details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def dumps(value: Any) -> str:
    """JSON text as Step Functions writes it (compact, UTF-8 kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class History:
    """An append-only event log with AWS's id / previousEventId chaining."""

    __slots__ = ("_events", "limit")

    def __init__(self, limit: int | None = HISTORY_LIMIT) -> None:
        self._events: list[tuple[str, int, datetime, dict | None]] = []
        self.limit = limit

    def __len__(self) -> int:
        return len(self._events)

    def add(self, event_type: str, previous: int, timestamp: datetime, details: dict | None = None,
            *, final: bool = False) -> int:
        """Append an event and return its id; ``final`` events (the execution's end) bypass the quota."""
        events = self._events
        if self.limit is not None and not final and len(events) >= self.limit - 1:
            raise HistoryLimitExceeded()
        events.append((event_type, previous, timestamp, details))
        return len(events)

    def render(self, include_data: bool = True) -> list[dict[str, Any]]:
        """The events as GetExecutionHistory returns them (timestamps as datetimes)."""
        return [self._render(i, event, include_data) for i, event in enumerate(self._events, 1)]

    @staticmethod
    def _render(event_id: int, event: tuple, include_data: bool) -> dict[str, Any]:
        event_type, previous, timestamp, details = event
        out: dict[str, Any] = {"timestamp": timestamp, "type": event_type, "id": event_id,
                               "previousEventId": previous}
        if details is not None:
            rendered = {}
            for key, value in details.items():
                if key in _DATA_FIELDS:
                    if include_data:
                        rendered[key] = dumps(value)
                    rendered[key + "Details"] = {"truncated": False} if include_data else {"included": False}
                elif key == "parameters":
                    rendered[key] = dumps(value)
                elif key == "assignedVariables":  # each value as JSON text, as AWS shows them
                    rendered[key] = {name: dumps(v) for name, v in value.items()}
                    rendered["assignedVariablesDetails"] = {"truncated": False}
                else:
                    rendered[key] = value
            out[_details_key(event_type)] = rendered
        return out
