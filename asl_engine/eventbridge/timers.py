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
from collections.abc import Callable
from datetime import UTC, datetime

from asl_engine.due_queue import DueQueue, Entry
from asl_engine.runtime.clock import Clock, RealClock
from asl_engine.runtime.timeouts import wait_for

_EPSILON = 1e-6  # float time: a timer due within this is due now


Timer = Entry[float]  # a pending callback at epoch seconds; ``cancel`` keeps it from running


class Timers:
    """A heap of callbacks ordered by due time (then by creation), on ``clock``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self._queue: DueQueue[float] = DueQueue()
        self._wake: asyncio.Event | None = None

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def call_at(self, when: datetime, callback: Callable[[], None]) -> Timer:
        """Runs ``callback`` once the clock reaches ``when`` (at once if it already has)."""
        timer = self._queue.push(when.timestamp(), callback)
        if self._wake is not None and self._queue.head() is timer:
            self._wake.set()
        return timer

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(datetime.fromtimestamp(self.clock.time() + seconds, UTC), callback)

    def next_due(self) -> float | None:
        """Epoch seconds of the earliest pending callback, or None."""
        return self._queue.next_due()

    def run_due(self) -> int:
        """Runs every callback due by now (including ones they schedule for now); returns how many ran."""
        ran = 0
        while (timer := self._queue.pop_due(self.clock.time() + _EPSILON)) is not None:
            timer.action()
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
                    await wait_for(self._wake.wait(), timeout)
        finally:
            self._wake = None
