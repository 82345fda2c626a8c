"""What a scenario shows: progress as it happens, then a timeline.

Progress is the stack's timeline (the simulator's resources, each
execution's states, bus events and function results) printed as entries are
recorded; a polling loop (DescribeEndpoint, Choice, Wait every minute) is
shown once per pass, not once per minute.  At the end: the endpoint's
traffic weights over time, and each execution state by state with the clock
time it first entered each state and how often.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TextIO

from asl_engine.sim.timeline import Entry, Timeline, format_entry

_WIDTH = 36
_BAR = 40


class Progress:
    """Prints timeline entries as they are recorded, times relative to ``start``."""

    def __init__(self, start: datetime, out: TextIO) -> None:
        self.start, self.out = start, out
        self._recent: dict[str, list[str]] = defaultdict(list)

    def __call__(self, entry: Entry) -> None:
        if entry.kind == "status" and entry.resource.startswith("sfn/"):
            recent = self._recent[entry.resource]
            if entry.state in recent:  # one more pass of a polling loop
                return
            recent[:] = [*recent[-3:], entry.state]
        print(format_entry(entry, self.start, _WIDTH), file=self.out, flush=True)


def offset(time: datetime, start: datetime) -> str:
    seconds = int((time - start).total_seconds())
    return f"+{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def traffic_chart(timeline: Timeline, endpoint: str, start: datetime) -> str:
    """One line per traffic change: the phase and a bar of the new fleet's share (green) against the old."""
    lines = [f"traffic on endpoint/{endpoint}   (# = new fleet, . = previous fleet)"]
    for time, phase, shares in timeline.traffic_of(f"endpoint/{endpoint}"):
        green = sum(v for k, v in shares.items() if k.startswith("green/"))
        filled = round(green * _BAR)
        lines.append(f"  {offset(time, start)}  {phase:<10} |{'#' * filled}{'.' * (_BAR - filled)}| {green:>4.0%}")
    return "\n".join(lines)


def states_table(timeline: Timeline, start: datetime) -> str:
    """Per state machine lane: each state in first-entered order, when, and how many times."""
    lines = []
    lanes: dict[str, dict[str, list[datetime]]] = defaultdict(dict)
    for entry in timeline.entries:
        if entry.kind == "status" and entry.resource.startswith("sfn/"):
            lanes[entry.resource].setdefault(entry.state, []).append(entry.time)
    for lane, states in lanes.items():
        lines.append(lane.removeprefix("sfn/"))
        for state, times in states.items():
            repeat = f"  x{len(times)}" if len(times) > 1 else ""
            lines.append(f"  {offset(times[0], start)}  {state}{repeat}")
    return "\n".join(lines)
