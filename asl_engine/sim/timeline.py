"""What happened when: status transitions and traffic weights, for the scenario report.

Every controller records here, so one timeline shows a training job
finishing, the canary taking 25 % of the traffic and the rollback that
followed, in clock order.  Subscribers see each entry as it is recorded,
which is how a scenario shows its progress while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    time: datetime
    resource: str  # e.g. "endpoint/churn", "training-job/churn-2026-11-27"
    kind: str  # "status" | "traffic"
    state: str  # the status reached, or the deployment phase the traffic belongs to
    data: dict[str, Any] = field(default_factory=dict)


def format_entry(entry: Entry, start: datetime, width: int = 40) -> str:
    """One line: seconds since ``start``, the resource, and the status reached or the traffic split."""
    offset = int((entry.time - start).total_seconds())
    if entry.kind == "traffic":
        what = "  ".join(f"{k} {v:.0%}" for k, v in entry.data.items())
        return f"+{offset:>6}s  {entry.resource:<{width}}  traffic  {entry.state:<12} {what}"
    note = f"  {entry.data['reason']}" if entry.data.get("reason") else ""
    return f"+{offset:>6}s  {entry.resource:<{width}}  status   {entry.state}{note}"


class Timeline:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._subscribers: list[Callable[[Entry], None]] = []

    def subscribe(self, callback: Callable[[Entry], None]) -> None:
        self._subscribers.append(callback)

    def _add(self, entry: Entry) -> None:
        self.entries.append(entry)
        for callback in self._subscribers:
            callback(entry)

    def status(self, time: datetime, resource: str, state: str, **data: Any) -> None:
        self._add(Entry(time, resource, "status", state, data))

    def traffic(self, time: datetime, resource: str, phase: str, shares: dict[str, float]) -> None:
        """``shares``: fraction of the endpoint's traffic per fleet/variant ("blue/AllTraffic": 0.75, ...)."""
        self._add(Entry(time, resource, "traffic", phase, {k: round(v, 4) for k, v in shares.items()}))

    def traffic_of(self, resource: str) -> list[tuple[datetime, str, dict[str, float]]]:
        return [(e.time, e.state, e.data) for e in self.entries if e.kind == "traffic" and e.resource == resource]

    def states_of(self, resource: str) -> list[str]:
        return [e.state for e in self.entries if e.kind == "status" and e.resource == resource]

    def render(self) -> str:
        """A plain-text table, one line per entry, times relative to the first entry."""
        if not self.entries:
            return "(nothing happened)"
        width = max(len(e.resource) for e in self.entries)
        return "\n".join(format_entry(e, self.entries[0].time, width) for e in self.entries)
