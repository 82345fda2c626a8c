"""A discrete-event agenda: actions due at clock times, run in time order.

The controllers never sleep and never read the wall clock: they put the next
thing that must happen (a job phase ending, a baking period running out, an
alarm check) on this agenda, and ``run_until`` replays everything due up to a
given instant, stamping each action with its own due time.  That keeps every
timestamp in DescribeTrainingJob or DescribeEndpoint exactly where AWS would
put it, however coarsely the clock is followed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from asl_engine.due_queue import DueQueue, Entry

Scheduled = Entry[datetime]  # one pending action; ``cancel()`` drops it (a rollback cancels the remaining steps)


class Agenda:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self._queue: DueQueue[datetime] = DueQueue()
        self.on_schedule: Callable[[], None] | None = None  # tells a follower that the next due time moved

    def after(self, seconds: float, action: Callable[[], None]) -> Scheduled:
        """Schedules ``action`` ``seconds`` after the agenda's current time."""
        return self.at(self.now + timedelta(seconds=seconds), action)

    def at(self, when: datetime, action: Callable[[], None]) -> Scheduled:
        item = self._queue.push(max(when, self.now), action)
        if self.on_schedule is not None:
            self.on_schedule()
        return item

    def next_due(self) -> datetime | None:
        return self._queue.next_due()

    def run_until(self, until: datetime) -> None:
        """Runs every action due at or before ``until`` (including ones they schedule) in time order."""
        while (item := self._queue.pop_due(until)) is not None:
            self.now = max(self.now, item.due)
            item.action()
        self.now = max(self.now, until)
