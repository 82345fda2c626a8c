"""Replaying an execution's stored history, so that a restarted service continues it where it stood.

The interpreter is deterministic given its inputs (the clock, the seeded
``Services``, task results, callbacks), so an execution that was running when
the service died is resumed by running it again from the start with the same
seed while a ``ReplayCursor`` stands in for the history:

* each event the interpreter emits is matched against the stored one (type,
  ``previousEventId``, details) instead of being appended, and keeps its
  stored id; once a frame has no stored events left, its events are appended
  as usual.  A difference (the definition changed, a nondeterministic input)
  raises ``ReplayMismatch``: the execution fails loudly rather than writing a
  history with duplicated or missing events.
* Map iterations and Parallel branches interleave differently from run to
  run, so events are matched per branch: each stored event carries the path
  of branch / iteration indexes of the frame that wrote it (``BRANCH_FIELD``).
* every point where the original run waited on the outside world (a task's
  outcome, the end of a sleep) is released in stored-history order
  (``reached``), which reproduces the original interleaving: ids taken from
  "the latest event", the chaining of Map iterations and the order of the
  seeded random draws (task tokens) come out the same.
* anything the stored history does not contain (a task call that was in
  flight, a sleep that had not ended) happens only once the whole stored
  history has been replayed (``replayed``), so new events always follow the
  stored ones.

A history that went through RedriveExecution replays without what the redrive
threw away (``replay_redrive``): the states that had not exited run again, and
each frame knows which redrive it stands in (``redrive``: the context object's
RedriveCount and RedriveTime, the draw of new task tokens).

A Distributed Map's child executions have no stored events: their tasks run
``running_live`` (as new work, after the replay), and the Map Run skips the
children whose outcome it kept (``asl_engine.runtime.map_run_items``).

Delivery guarantee: a task call whose outcome is stored is never made again;
a task call that was in flight when the service died (scheduled, no outcome
stored) is made once more on resume: at most one extra invocation per
in-flight task call.  A callback task whose message was delivered
(``TaskSubmitted`` stored) is not sent again: the resumed execution waits for
the same task token, which the seeded randomness issues again.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import json
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from asl_engine.runtime.history import BRANCH_FIELD, History, details_key, render_details
from asl_engine.runtime.replay_redrive import MAP_RUN_REDRIVEN, REDRIVEN, plan_redrives

Branch = tuple[int, ...]
# The "branch" of a task that runs a Distributed Map's child execution: no stored event has it, so the
# child finds nothing to replay and runs as new work, once the stored history is replayed.
LIVE: Branch = (-1,)
# Per asyncio task: (cursor, branch, timestamp) of the event the task emitted last.  A frame's events are
# emitted by the task running it, so this is "where this frame stands" for the clock and the task wrapper.
_position: ContextVar[tuple[ReplayCursor, Branch, float] | None] = ContextVar("asl_replay_position", default=None)


class ReplayMismatch(Exception):
    """The execution, run again, does not write the history it wrote before.

    Not a ``StatesError``: no Retry or Catch may take it; the execution fails with its message.
    """


class ReplayCursor:
    """The stored events of one execution, handed out per branch, and the order they were written in."""

    def __init__(self, execution_arn: str, events: list[dict[str, Any]], start: float) -> None:
        """``events``: the stored history in id order; ``start``: the execution's start (if none is stored)."""
        self.execution_arn = execution_arn
        self.events = events
        plan = plan_redrives(events)  # what redrives threw away is not replayed (see replay_redrive)
        self.skipped = plan.skip
        self.anchors = plan.anchors
        self.map_runs = plan.map_runs
        self.left = len(events) - len(plan.skip)  # stored events not matched yet
        self.latest = 0  # the highest id matched or appended so far: "the latest event" while replaying
        self._start = events[0]["timestamp"] if events else start
        self._queues: dict[Branch, deque[dict[str, Any]]] = {}
        self._matched = bytearray(len(events) + 2)
        for event in events:
            event_id = event["id"]
            if event_id in plan.skip:
                self._matched[event_id] = 1
                continue
            if event_id in plan.previous:
                event = {**event, "previousEventId": plan.previous[event_id]}
            self._queues.setdefault(tuple(event.get(BRANCH_FIELD, ())), deque()).append(event)
        self._watermark = 0  # every id up to it is matched
        while self._matched[self._watermark + 1]:
            self._watermark += 1
        redriven = [e for e in events if e["type"] == REDRIVEN]
        self._redrive_ids = [e["id"] for e in redriven]
        self._redrive_times = [e["timestamp"] for e in redriven]
        self._gates: list[tuple[int, int, asyncio.Future]] = []
        self._order = itertools.count()
        self._done: asyncio.Future | None = None

    # -- matching (History.add)
    def take(self, branch: Branch, event_type: str | None = None) -> dict[str, Any] | None:
        """The next stored event of ``branch`` (if it is an ``event_type`` one), or None when there is none."""
        queue = self._queues.get(branch)
        if not queue or (event_type is not None and queue[0]["type"] != event_type):
            return None
        return queue.popleft()

    def matched(self, event: dict[str, Any], branch: Branch) -> None:
        """Record that the stored ``event`` was emitted again; release what waited for it."""
        event_id = event["id"]
        _position.set((self, branch, event["timestamp"]))
        self.latest = max(self.latest, event_id)
        self._matched[event_id] = 1
        self.left -= 1
        while self._matched[self._watermark + 1]:
            self._watermark += 1
        gates = self._gates
        while gates and gates[0][0] <= self._watermark:
            future = heapq.heappop(gates)[2]
            if not future.done():
                future.set_result(None)
        if not self.left and self._done is not None and not self._done.done():
            self._done.set_result(None)

    def appended(self, event_id: int, branch: Branch, timestamp: float) -> None:
        """Record a new event (its branch had nothing stored left)."""
        _position.set((self, branch, timestamp))
        self.latest = max(self.latest, event_id)

    def unmatched(self) -> list[dict[str, Any]]:
        """The stored events not emitted again (yet), redriven ones aside."""
        return [e for e in self.events if not self._matched[e["id"]]]

    # -- where the current frame stands (the clock and the task wrapper ask)
    def upcoming(self) -> deque[dict[str, Any]] | tuple[()]:
        """The stored events still to come for the frame the current task runs."""
        position = _position.get()
        branch = position[1] if position is not None and position[0] is self else ()
        return self._queues.get(branch) or ()

    def rerun_since(self) -> float | None:
        """When the redrive was that runs the current task's frame again, if it has written nothing since."""
        position = _position.get()
        anchor = self.anchors.get(position[1] if position is not None and position[0] is self else ())
        return None if anchor is None else self._redrive_times[self._redrive_ids.index(anchor[1])]

    def live(self) -> bool:
        """Whether the current task runs a Distributed Map's child execution (see ``running_live``)."""
        position = _position.get()
        return position is not None and position[0] is self and position[1] == LIVE

    @contextmanager
    def running_live(self) -> Iterator[None]:
        """Run the body (a Distributed Map's child execution, whose history is not stored) as new work.

        Its tasks are called and its sleeps slept once the stored history is replayed; its clock is the
        service's.  Without this it would stand where the Map's frame stands and read the Map's events.
        """
        token = _position.set((self, LIVE, 0.0))
        try:
            yield
        finally:
            _position.reset(token)

    def redrive(self) -> tuple[int, float | None]:
        """The redrive count and time (epoch) as the current task's frame saw them where it stands.

        Where the frame still has stored events, the next one tells: it was written after as many
        redrives as precede it.  Past them (or in a frame a redrive runs again) it is the latest redrive.
        """
        ids = self._redrive_ids
        if not ids:
            return 0, None
        upcoming = self.upcoming()
        count = bisect.bisect_left(ids, upcoming[0]["id"]) if upcoming else len(ids)
        return count, self._redrive_times[count - 1] if count else None

    def position_time(self) -> float:
        """When the current task's last event happened (the execution's start before any)."""
        position = _position.get()
        return position[2] if position is not None and position[0] is self else self._start

    def now(self) -> float | None:
        """The time as the original run saw it here, or None once this frame is past its stored events."""
        if not self.left or not self.upcoming():
            return None
        return self.position_time()

    # -- ordering
    async def reached(self, event_id: int) -> None:
        """Return once every stored event before ``event_id`` has been emitted again."""
        if self._watermark >= event_id - 1:
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._gates, (event_id - 1, next(self._order), future))
        await future

    async def replayed(self) -> None:
        """Return once the whole stored history has been emitted again."""
        if not self.left:
            return
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._done)

    def mismatch(self, stored: dict[str, Any] | None, what: str) -> ReplayMismatch:
        where = "" if stored is None else (f" at event #{stored['id']} ({stored['type']}, branch "
                                           f"{list(stored.get(BRANCH_FIELD, []))})")
        return ReplayMismatch(f"Resuming {self.execution_arn} failed{where}: {what}. The execution no longer "
                              "writes the history it wrote before the restart (its definition, input or a task "
                              "result changed, or it is not deterministic), so it is not continued.")


class ReplayHistory(History):
    """A ``History`` that first re-reads the stored events (keeping their ids), then appends as usual.

    The stored events fill the columns up front, so ids of new events follow
    them and the history quota counts them; ``len()`` is "the latest event"
    as the interpreter uses it (Map and Parallel chain their last events to it).
    """

    __slots__ = ("cursor",)

    def __init__(self, cursor: ReplayCursor, limit: int | None,
                 sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(limit, sink)
        self.cursor = cursor
        for event in cursor.events:
            self._types.append(event["type"])
            self._previous.append(event["previousEventId"])
            self._times.append(event["timestamp"])
            self._details.append(None)  # rendered from the stored event (see _render)

    @classmethod
    def factory(cls, cursor: ReplayCursor) -> Callable[[int | None, Any], ReplayHistory]:
        """What ``StateMachine.run_async(history_factory=...)`` takes."""
        return lambda limit, sink: cls(cursor, limit, sink)

    def __len__(self) -> int:
        cursor = self.cursor
        return cursor.latest if cursor.left else len(self._types)

    def add(self, event_type: str, previous: int, timestamp: float, details: dict | tuple | None = None,
            *, final: bool = False, branch: Branch = ()) -> int:
        cursor = self.cursor
        if cursor.left:
            stored = cursor.take(branch)
            if stored is not None:
                _check(cursor, stored, event_type, previous, details)
                cursor.matched(stored, branch)
                if event_type == "MapRunStarted":
                    self._map_run_redriven(stored, branch)
                return stored["id"]
            if final:
                rest = cursor.unmatched()
                raise cursor.mismatch(rest[0], f"the execution ended ({event_type}) before replaying "
                                               f"{len(rest)} stored event(s)")
        anchor = cursor.anchors.get(branch)
        if anchor is not None and previous == anchor[0]:  # the first new event of a redriven frame
            del cursor.anchors[branch]
            previous = anchor[1]
        event_id = super().add(event_type, previous, timestamp, details, final=final, branch=branch)
        cursor.appended(event_id, branch, timestamp)
        return event_id

    def _map_run_redriven(self, started: dict[str, Any], branch: Branch) -> None:
        """After a replayed MapRunStarted: the run's stored MapRunRedriven, or a new one if a redrive reopened it.

        The engine itself does not write this event; it follows the MapRunStarted and the run goes on from it.
        """
        cursor = self.cursor
        stored = cursor.take(branch, MAP_RUN_REDRIVEN)
        if stored is not None:
            cursor.matched(stored, branch)
        elif started["id"] in cursor.map_runs:  # written when the redrive reopened the run
            count, timestamp = cursor.map_runs.pop(started["id"])
            details = {"mapRunArn": started["mapRunStartedEventDetails"]["mapRunArn"], "redriveCount": count}
            cursor.appended(super().add(MAP_RUN_REDRIVEN, started["id"], timestamp, details, branch=branch),
                            branch, timestamp)

    def _render(self, index: int, include_data: bool) -> dict[str, Any]:
        events = self.cursor.events
        if index >= len(events):
            return super()._render(index, include_data)
        out = {k: v for k, v in events[index].items() if k != BRANCH_FIELD}
        out["timestamp"] = datetime.fromtimestamp(out["timestamp"], UTC)
        return out


def _check(cursor: ReplayCursor, stored: dict[str, Any], event_type: str, previous: int,
           details: dict | tuple | None) -> None:
    """Raise ReplayMismatch unless the emitted event is the stored one (its timestamp aside)."""
    if stored["type"] != event_type:
        raise cursor.mismatch(stored, f"the execution now writes {event_type}")
    if stored["previousEventId"] != previous:
        raise cursor.mismatch(stored, f"the execution now chains it to event #{previous}, not "
                                      f"#{stored['previousEventId']}")
    key = details_key(event_type)
    expected = stored.get(key)
    actual = None if details is None else render_details(event_type, details)
    if expected != actual and json.loads(json.dumps(actual)) != expected:  # tuples and lists compare as JSON
        raise cursor.mismatch(stored, f"its details are now {json.dumps(actual)[:300]}, not "
                                      f"{json.dumps(expected)[:300]}")
