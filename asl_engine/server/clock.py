"""The service's virtual clock: real time, moved forward only when a client asks.

The engine's ``VirtualClock`` jumps to the next timer whenever its loop is
idle, which is right for one process running executions to their end but
wrong for a service: there the loop is idle whenever it waits for the next
request, so a task's HeartbeatSeconds would expire before the client could
send a heartbeat.  This clock runs at the speed of real time, so HTTP
timeouts and polling behave, and ``advance`` (the admin endpoint) jumps it
forward: a year-long Wait is over after one call, and its history reads a
year later.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from asl_engine.runtime.clock import Clock


class ShiftedClock(Clock):
    """Wall-clock time plus ``offset`` seconds; only ``advance`` changes the offset, never backwards."""

    def __init__(self, start: datetime | None = None, offset: float = 0.0) -> None:
        if start is not None:
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            offset = start.timestamp() - time.time()
        self.offset = offset

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return _ShiftedLoop(self)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move time forward; timers that come due fire on the loop's next turn."""
        if seconds < 0:
            raise ValueError("a clock cannot go back in time")
        self.offset += seconds


class _ShiftedLoop(asyncio.SelectorEventLoop):
    """An event loop whose timers run on the shifted time, so an advance makes them due at once."""

    def __init__(self, clock: ShiftedClock) -> None:
        super().__init__()
        self._shifted = clock

    def time(self) -> float:
        return super().time() + self._shifted.offset
