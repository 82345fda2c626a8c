"""The service's virtual clock: real time, moved forward only when a client asks.

The engine's ``VirtualClock`` jumps to the next timer whenever its loop is
idle, which is right for one process running executions to their end but
wrong for a service: there the loop is idle whenever it waits for the next
request, so a task's HeartbeatSeconds would expire before the client could
send a heartbeat.  This clock runs at the speed of real time, so HTTP
timeouts and polling behave, and ``advance`` (the admin endpoint) jumps it
forward: a year-long Wait is over after one call, and its history reads a
year later.

A test that wants the engine's jump-when-idle behaviour over HTTP asks for it
step by step: ``settle`` lets what the executions can do now run, and
``next_timer`` tells when the earliest timer of an execution (a Wait, a
backoff, a TimeoutSeconds) falls due, so a client can advance to it.  Timers
are an execution's when they were set from its task (``EXECUTION``); the
server's own (uvicorn's ticks, keep-alives, the retention sweep) never count.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from asl_engine.runtime.clock import Clock

# The ARN of the execution whose task runs: set by the runner on each execution's task, inherited by its children.
EXECUTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("asl_execution", default=None)


class ShiftedClock(Clock):
    """Wall-clock time plus ``offset`` seconds; only ``advance`` changes the offset, never backwards."""

    def __init__(self, start: datetime | None = None, offset: float = 0.0) -> None:
        if start is not None:
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            offset = start.timestamp() - time.time()
        self.offset = offset
        self._in_flight = 0
        self._loop: _ShiftedLoop | None = None

    def new_loop(self) -> asyncio.AbstractEventLoop:
        self._loop = _ShiftedLoop(self)
        return self._loop

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move time forward; timers that come due fire on the loop's next turn."""
        if seconds < 0:
            raise ValueError("a clock cannot go back in time")
        self.offset += seconds

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Real work of an execution in a thread (a handler, an AWS call): the service is not settled."""
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    async def settle(self, patience: float = 2.0) -> bool:
        """Let everything runnable run, and wait (at most ``patience`` real seconds) for work in threads.

        True when the executions are all waiting: on a timer, a callback, an activity worker, or nothing.
        """
        loop = self._loop
        deadline = time.monotonic() + patience
        while True:
            if not self._in_flight and (loop is None or not loop.runnable()):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.002 if self._in_flight else 0)

    def next_timer(self) -> float | None:
        """When (epoch seconds) the earliest pending timer of an execution falls due; None if none is set."""
        if self._loop is None:
            return None
        when = self._loop.next_execution_timer()
        return None if when is None else self.time() + (when - self._loop.time())


class _ShiftedLoop(asyncio.SelectorEventLoop):
    """An event loop whose timers run on the shifted time, so an advance makes them due at once."""

    def __init__(self, clock: ShiftedClock) -> None:
        super().__init__()
        self._shifted = clock
        self._execution_timers: list[tuple[float, int, asyncio.TimerHandle]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return super().time() + self._shifted.offset

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any,
                context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        handle = super().call_at(when, callback, *args, context=context)
        if EXECUTION.get() is not None:
            heapq.heappush(self._execution_timers, (handle.when(), next(self._order), handle))
        return handle

    def next_execution_timer(self) -> float | None:
        """The loop time of the earliest execution timer still to fire (fired and cancelled ones are dropped)."""
        timers = self._execution_timers
        while timers and (timers[0][2].cancelled() or not _pending(timers[0][2])):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def runnable(self) -> bool:
        """Callbacks ready to run now (asyncio's ``_ready`` queue), or an execution timer already due."""
        if self._ready:  # type: ignore[attr-defined]
            return True
        when = self.next_execution_timer()
        return when is not None and when <= self.time()


def _pending(handle: asyncio.TimerHandle) -> bool:
    """Still in the loop's heap: asyncio clears ``_scheduled`` when it takes a timer out to run it."""
    return bool(getattr(handle, "_scheduled", True))
