"""A discrete-event agenda: actions due at clock times, run in time order.

The controllers never sleep and never read the wall clock: they put the next
thing that must happen (a job phase ending, a baking period running out, an
alarm check) on this agenda, and ``run_until`` replays everything due up to a
given instant, stamping each action with its own due time.  That keeps every
timestamp in DescribeTrainingJob or DescribeEndpoint exactly where AWS would
put it, however coarsely the clock is followed.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(order=True)
class Scheduled:
    """One pending action; ``cancel()`` drops it (a rollback cancels the remaining steps)."""

    when: datetime
    seq: int
    action: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Agenda:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self._queue: list[Scheduled] = []
        self._seq = itertools.count()
        self.on_schedule: Callable[[], None] | None = None  # tells a follower that the next due time moved

    def after(self, seconds: float, action: Callable[[], None]) -> Scheduled:
        """Schedules ``action`` ``seconds`` after the agenda's current time."""
        return self.at(self.now + timedelta(seconds=seconds), action)

    def at(self, when: datetime, action: Callable[[], None]) -> Scheduled:
        item = Scheduled(max(when, self.now), next(self._seq), action)
        heapq.heappush(self._queue, item)
        if self.on_schedule is not None:
            self.on_schedule()
        return item

    def next_due(self) -> datetime | None:
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0].when if self._queue else None

    def run_until(self, until: datetime) -> None:
        """Runs every action due at or before ``until`` (including ones they schedule) in time order."""
        while (due := self.next_due()) is not None and due <= until:
            item = heapq.heappop(self._queue)
            self.now = max(self.now, item.when)
            item.action()
        self.now = max(self.now, until)
