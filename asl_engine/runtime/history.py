"""Execution history, recorded as it happens and rendered in GetExecutionHistory's shape.

Events keep references to the (immutable) JSON values they carry; the JSON
text AWS puts in ``input``/``output`` is made only when the history is read,
so a long loop does not serialize every state twice.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asl_engine.errors import StatesError

HISTORY_LIMIT = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_LIMIT})."
# Detail fields that hold JSON data: rendered as text plus a ``<name>Details`` truncation flag.
_DATA_FIELDS = ("input", "output")
# Internal field of a stored event: the path of Parallel branch / Map iteration indexes of the frame that
# wrote it, which a replay after a restart matches events by (GetExecutionHistory leaves it out).
BRANCH_FIELD = "_branch"


class HistoryLimitExceeded(StatesError):
    """The execution reached the 25,000-event quota of a STANDARD execution."""

    def __init__(self) -> None:
        super().__init__("States.Runtime", HISTORY_LIMIT_CAUSE)


def details_key(event_type: str) -> str:
    """The key an event's details sit under (``taskSucceededEventDetails``...)."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def dumps(value: Any) -> str:
    """JSON text as Step Functions writes it (compact, UTF-8 kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class History:
    """An append-only event log with AWS's id / previousEventId chaining.

    Stored column-wise (types, previous ids and epoch timestamps in compact
    arrays) because a 100,000-item Map writes 800,000 events.
    """

    __slots__ = ("_details", "_previous", "_times", "_types", "limit", "sink")

    def __init__(self, limit: int | None = HISTORY_LIMIT,
                 sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._types: list[str] = []
        self._previous = array("q")
        self._times = array("d")
        self._details: list[dict | tuple | None] = []
        self.limit = limit
        # Called with each event, rendered as GetExecutionHistory shows it, the moment it is added:
        # how a store keeps history durable as it happens instead of copying it at the end.
        self.sink = sink

    def __len__(self) -> int:
        return len(self._types)

    def add(self, event_type: str, previous: int, timestamp: float, details: dict | tuple | None = None,
            *, final: bool = False, branch: tuple[int, ...] = ()) -> int:
        """Append an event and return its id; ``final`` events (the execution's end) bypass the quota.

        ``branch`` identifies the frame that wrote it (see ``BRANCH_FIELD``); only the sink keeps it.

        ``timestamp`` is in seconds since the epoch; ``details`` is a dict, or
        ``(name, data)`` for a state's entered/exited event (a tuple is a third
        of a dict's memory, and a long run writes hundreds of thousands).
        """
        types = self._types
        if self.limit is not None and not final and len(types) >= self.limit - 1:
            raise HistoryLimitExceeded()
        types.append(event_type)
        self._previous.append(previous)
        self._times.append(timestamp)
        self._details.append(details)
        if self.sink is not None:
            event = self._render(len(types) - 1, True)
            if branch:
                event[BRANCH_FIELD] = list(branch)
            self.sink(event)
        return len(types)

    def render(self, include_data: bool = True) -> list[dict[str, Any]]:
        """The events as GetExecutionHistory returns them (timestamps as datetimes)."""
        return [self._render(i, include_data) for i in range(len(self._types))]

    def _render(self, index: int, include_data: bool) -> dict[str, Any]:
        event_type, details = self._types[index], self._details[index]
        out: dict[str, Any] = {"timestamp": datetime.fromtimestamp(self._times[index], UTC), "type": event_type,
                               "id": index + 1, "previousEventId": self._previous[index]}
        if details is not None:
            out[details_key(event_type)] = render_details(event_type, details, include_data)
        return out


def render_details(event_type: str, details: dict | tuple, include_data: bool = True) -> dict[str, Any]:
    """An event's details as GetExecutionHistory shows them (JSON data as text)."""
    if type(details) is tuple:  # (name, data) of a state's entered/exited event, stored compactly
        details = {"name": details[0], "input" if event_type.endswith("Entered") else "output": details[1]}
    rendered = {}
    for key, value in details.items():  # type: ignore[union-attr]
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
    return rendered
