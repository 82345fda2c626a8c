"""One queue of actions due at instants: a heap ordered by (due, insertion), with cancellation.

The core under EventBridge's timers (``asl_engine.eventbridge.timers``, epoch
seconds on an injected clock) and the simulator's agenda
(``asl_engine.sim.agenda``, datetimes it steps itself). It never reads a clock:
callers say when an entry is due and up to when they want due entries.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Due = TypeVar("Due", bound=Any)  # any ordered instant: float seconds, datetime


@dataclass(order=True)
class Entry(Generic[Due]):
    """A pending action; ``cancel`` keeps it from ever being popped."""

    due: Due
    seq: int
    action: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class DueQueue(Generic[Due]):
    """Entries by due instant, ties in the order they were pushed."""

    def __init__(self) -> None:
        self._heap: list[Entry[Due]] = []
        self._seq = itertools.count()

    def push(self, due: Due, action: Callable[[], None]) -> Entry[Due]:
        entry = Entry(due, next(self._seq), action)
        heapq.heappush(self._heap, entry)
        return entry

    def head(self) -> Entry[Due] | None:
        """The entry at the top of the heap, cancelled or not (None when empty)."""
        return self._heap[0] if self._heap else None

    def next_due(self) -> Due | None:
        """The earliest due instant of an entry not cancelled, or None."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def pop_due(self, until: Due) -> Entry[Due] | None:
        """Removes and returns the earliest entry (not cancelled) due at or before ``until``, else None."""
        due = self.next_due()
        if due is None or due > until:
            return None
        return heapq.heappop(self._heap)
