"""Time for executions: real, or virtual so that a year-long Wait ends at once.

Every timer in the runtime (Wait, Retry backoff, TimeoutSeconds,
HeartbeatSeconds, the execution timeout) is an asyncio timer, so a clock is
really an event loop whose notion of time it controls.  The virtual loop jumps
its time to the next due timer whenever nothing is runnable and no real work
(a handler running in a thread) is in flight, so timestamps read as if the time
had passed while no wall time is spent.
"""

from __future__ import annotations

import asyncio
import selectors
import time as _time
from collections.abc import Coroutine
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")


class Clock:
    """Makes the event loop executions run on and tells the wall time on it."""

    def new_loop(self) -> asyncio.AbstractEventLoop:
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def time(self) -> float:
        """Seconds since the epoch: what history events store (cheaper than a datetime each)."""
        return self.now().timestamp()

    @contextmanager
    def busy(self):
        """Marks real work in flight (a thread); a virtual clock does not jump past it."""
        yield

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock's loop (Wait states, Retry backoff).

        Through the clock rather than ``asyncio.sleep`` so that a replay after a restart can wait only what
        is left of a sleep that began before it.
        """
        await asyncio.sleep(seconds)

    async def sleep_until(self, when: datetime) -> None:
        """Wait until ``when`` (a Timestamp Wait).

        Apart from ``sleep`` so that a replay after a restart ends it at that time rather than counting
        the seconds it had left from the restart.
        """
        await self.sleep(max(0.0, (when - self.now()).total_seconds()))

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to its end on a new loop of this clock, then close the loop.

        Tasks left behind (a callback a handler scheduled, a worker beside the execution) are cancelled
        first, so the loop closes cleanly.
        """
        loop = self.new_loop()
        try:
            return loop.run_until_complete(main)
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()


class RealClock(Clock):
    """Wall-clock time; Waits really wait."""

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return _time.time()


class _VirtualSelector(selectors.DefaultSelector):
    """A selector that, instead of blocking until the next timer, advances virtual time to it."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None or timeout <= 0:  # nothing scheduled, or callbacks ready to run now
            return super().select(timeout)
        if self._clock._in_flight:  # time stands still until the real work reports back
            return super().select(None)
        ready = super().select(0)
        if not ready:
            self._clock._offset += timeout
        return ready


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_VirtualSelector(clock))
        self._clock = clock
        # asyncio treats timers due within this resolution as due now; at a
        # virtual time of a year the default (1 ns) is below float precision
        # and a due timer would never fire.
        self._clock_resolution = 1e-4

    def time(self) -> float:
        return self._clock._offset


class VirtualClock(Clock):
    """Simulated time starting at ``start`` (default: the real time when created).

    Time moves only when every execution on the loop is waiting on a timer;
    it keeps moving across runs that share the clock.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._start = start
        self._start_epoch = start.timestamp()
        self._offset = 0.0
        self._in_flight = 0

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return _VirtualLoop(self)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._offset)

    def time(self) -> float:
        return self._start_epoch + self._offset

    def advance(self, seconds: float) -> None:
        """Moves time forward by hand (between runs, or from a test)."""
        if seconds < 0:
            raise ValueError("a clock cannot go back in time")
        self._offset += seconds

    @contextmanager
    def busy(self):
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
