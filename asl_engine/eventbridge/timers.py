"""Callbacks due at instants of an injected clock: retries, schedules, replays.

EventBridge waits for hours (retry backoff, a rule's next cron minute, a
schedule a year ahead). Reading time only through ``asl_engine.runtime.clock``
makes that instant under a VirtualClock: ``advance`` jumps from one due
callback to the next, so a year of hourly schedules costs 8,760 callbacks and
no sleeping. ``serve`` runs the same timers on the clock's event loop (real
time, or virtual time shared with running executions).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asl_engine.runtime.clock import Clock, RealClock

_EPSILON = 1e-6  # float time: a timer due within this is due now


@dataclass(order=True)
class Timer:
    """A pending callback; ``cancel`` keeps it from running."""

    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """A heap of callbacks ordered by due time (then by creation), on ``clock``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def call_at(self, when: datetime, callback: Callable[[], None]) -> Timer:
        """Runs ``callback`` once the clock reaches ``when`` (at once if it already has)."""
        timer = Timer(when.timestamp(), next(self._seq), callback)
        heapq.heappush(self._heap, timer)
        if self._wake is not None and self._heap[0] is timer:
            self._wake.set()
        return timer

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(datetime.fromtimestamp(self.clock.time() + seconds, UTC), callback)

    def next_due(self) -> float | None:
        """Epoch seconds of the earliest pending callback, or None."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_due(self) -> int:
        """Runs every callback due by now (including ones they schedule for now); returns how many ran."""
        ran = 0
        while (due := self.next_due()) is not None and due <= self.clock.time() + _EPSILON:
            heapq.heappop(self._heap).callback()
            ran += 1
        return ran

    def advance(self, seconds: float) -> int:
        """Moves a VirtualClock forward by ``seconds``, running each callback at its own instant."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError("only a VirtualClock can be advanced")
        end = self.clock.time() + seconds
        ran = 0
        while (due := self.next_due()) is not None and due <= end + _EPSILON:
            advance(max(0.0, due - self.clock.time()))
            ran += self.run_due()
        advance(max(0.0, end - self.clock.time()))
        return ran + self.run_due()

    async def serve(self) -> None:
        """Runs callbacks as they fall due, forever, on the running loop (made by ``clock.new_loop()``)."""
        self._wake = asyncio.Event()
        try:
            while True:
                self.run_due()
                due = self.next_due()
                self._wake.clear()
                timeout = None if due is None else max(0.0, due - self.clock.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            self._wake = None
