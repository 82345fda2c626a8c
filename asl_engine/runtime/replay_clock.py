"""The clock of a resumed execution: the stored timestamps while replaying, then the service's clock.

While a frame re-reads its stored events, "now" is the time of the event it
emitted last, so ``$$.State.EnteredTime``, timestamp Waits and the execution's
start read as they did before the restart.  A sleep (Wait, Retry backoff) that
ended before the restart is over as soon as the events before its end are
replayed; one that had not ended waits only what is left until its original
due time, which may be nothing when that time passed while the service was down.
A Timestamp Wait ends at its timestamp (``sleep_until``), whenever it was
entered.  A Wait that a redrive runs again is evaluated again: it waits its
Seconds from the redrive, or until its Timestamp.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from asl_engine.runtime.clock import Clock
from asl_engine.runtime.replay import ReplayCursor


class ReplayClock(Clock):
    """Wraps the service's clock (and its loop) for one resumed execution."""

    def __init__(self, clock: Clock, cursor: ReplayCursor) -> None:
        self.clock = clock
        self.cursor = cursor

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return self.clock.new_loop()

    def now(self) -> datetime:
        replayed = self.cursor.now()
        return self.clock.now() if replayed is None else datetime.fromtimestamp(replayed, UTC)

    def time(self) -> float:
        replayed = self.cursor.now()
        return self.clock.time() if replayed is None else replayed

    def busy(self) -> AbstractContextManager:
        return self.clock.busy()

    async def sleep(self, seconds: float) -> None:
        cursor = self.cursor
        if await self._replayed_end():
            return
        if cursor.live():  # a Distributed Map's child: new work, after the replay
            await cursor.replayed()
            await self.clock.sleep(seconds)
            return
        due = cursor.position_time() + seconds  # it began when this frame's last event was written
        redriven = cursor.rerun_since()
        await cursor.replayed()
        if redriven is not None:  # a Wait that a redrive runs again waits again, from the redrive
            due = redriven + seconds
        await self.clock.sleep(max(0.0, due - self.clock.time()))

    async def sleep_until(self, when: datetime) -> None:
        """A Timestamp Wait: it ends at its timestamp, however long the service was down meanwhile."""
        if await self._replayed_end():
            return
        await self.cursor.replayed()
        await self.clock.sleep(max(0.0, when.timestamp() - self.clock.time()))

    async def _replayed_end(self) -> bool:
        """Whether the sleep ended before the restart: it ends (or is cancelled) again where it did."""
        cursor = self.cursor
        upcoming = cursor.upcoming() if cursor.left else ()
        if not upcoming:
            return False
        if upcoming[0]["type"].endswith("StateAborted"):
            # a failing sibling branch cancelled the sleep before the restart: the replay cancels it again
            await asyncio.get_running_loop().create_future()
        await cursor.reached(upcoming[0]["id"])  # the sleep ended before the restart: it ends right there
        return True
