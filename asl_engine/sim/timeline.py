"""What happened when: status transitions and traffic weights, for the scenario report.

Every controller records here, so one timeline shows a training job
finishing, the canary taking 25 % of the traffic and the rollback that
followed, in clock order.
"""

from __future__ import annotations

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


class Timeline:
    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def status(self, time: datetime, resource: str, state: str, **data: Any) -> None:
        self.entries.append(Entry(time, resource, "status", state, data))

    def traffic(self, time: datetime, resource: str, phase: str, shares: dict[str, float]) -> None:
        """``shares``: fraction of the endpoint's traffic per fleet/variant ("blue/AllTraffic": 0.75, ...)."""
        self.entries.append(Entry(time, resource, "traffic", phase, {k: round(v, 4) for k, v in shares.items()}))

    def traffic_of(self, resource: str) -> list[tuple[datetime, str, dict[str, float]]]:
        return [(e.time, e.state, e.data) for e in self.entries if e.kind == "traffic" and e.resource == resource]

    def states_of(self, resource: str) -> list[str]:
        return [e.state for e in self.entries if e.kind == "status" and e.resource == resource]

    def render(self) -> str:
        """A plain-text table, one line per entry, times relative to the first entry."""
        if not self.entries:
            return "(nothing happened)"
        start = self.entries[0].time
        width = max(len(e.resource) for e in self.entries)
        lines = []
        for e in self.entries:
            offset = int((e.time - start).total_seconds())
            if e.kind == "traffic":
                what = "  ".join(f"{k} {v:.0%}" for k, v in e.data.items())
                lines.append(f"+{offset:>6}s  {e.resource:<{width}}  traffic  {e.state:<12} {what}")
            else:
                note = f"  {e.data['reason']}" if e.data.get("reason") else ""
                lines.append(f"+{offset:>6}s  {e.resource:<{width}}  status   {e.state}{note}")
        return "\n".join(lines)
