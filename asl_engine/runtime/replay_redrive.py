"""Which stored events a replay skips because a redrive threw them away, and how the rest chain.

RedriveExecution continues an execution from the states that did not finish
(AWS: "a parent workflow redrives unsuccessful states if there's no
``<stateType>Exited`` event corresponding to the ``<stateType>Entered``
event").  The engine does that by replaying the stored history up to those
states and running them again, so a redrive is a resume with a history whose
unsuccessful tail is left out.  This module works out that tail from the
stored events alone, which is what lets a redriven execution that was running
when the service died resume like any other.

For every frame (the top level, a Parallel branch, a Map iteration; see
``BRANCH_FIELD``) the open state is the last one entered and not exited:

* a Task, Choice, Pass, Wait...: kept up to its ``*StateEntered``; what it did
  after (scheduled calls, failures, retries, aborts) is dropped, so it runs again
  with its retry counts at 0 (AWS resets them on redrive).
* a Fail state: dropped with its ``FailStateEntered``, so it is entered again and fails again.
* a Parallel or Map whose last attempt failed: kept up to that attempt's
  ``*StateStarted`` (and ``MapRunStarted``), its earlier attempts and its failure
  dropped; each branch or iteration is then treated as a frame of its own, so
  the ones that succeeded replay and only the failed or aborted ones run again.
  One whose branches all succeeded but that failed afterwards
  (``States.DataLimitExceeded``) runs again whole, as AWS reruns it.

The events of the redriven run follow ``ExecutionRedriven``: the first event of
each frame that runs again chains to it (``anchors``); a later replay chains
that event back to where its frame stood, which is what the engine emits.  A
Distributed Map's run that runs again gets a ``MapRunRedriven`` event after its
(replayed) ``MapRunStarted`` (``map_runs``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from asl_engine.runtime.history import BRANCH_FIELD

Branch = tuple[int, ...]
REDRIVEN = "ExecutionRedriven"
MAP_RUN_REDRIVEN = "MapRunRedriven"
# the ends of an attempt, which a redrive (or the next one) replaces with its own
_ENDS = frozenset({"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted", REDRIVEN})
_ATTEMPT_STARTS = frozenset({"ParallelStateStarted", "MapStateStarted"})
_ATTEMPT_SUCCEEDED = frozenset({"ParallelStateSucceeded", "MapStateSucceeded"})


@dataclass
class RedrivePlan:
    """How a replay treats a history that went through redrives (all empty when it went through none)."""

    skip: set[int] = field(default_factory=set)  # stored ids the replay does not emit again
    previous: dict[int, int] = field(default_factory=dict)  # stored id -> the previousEventId the replay emits
    # branch -> (the id its next new event would chain to, the ExecutionRedriven id it chains to instead)
    anchors: dict[Branch, tuple[int, int]] = field(default_factory=dict)
    # MapRunStarted id -> (redriveCount, timestamp) of the MapRunRedriven the replay writes after it
    map_runs: dict[int, tuple[int, float]] = field(default_factory=dict)


def plan_redrives(events: list[dict[str, Any]]) -> RedrivePlan:
    """The plan for a stored history in id order; each ``ExecutionRedriven`` cuts what came before it."""
    plan = RedrivePlan()
    for index, event in enumerate(events):
        if event["type"] != REDRIVEN:
            continue
        prefix = [{**e, "previousEventId": plan.previous.get(e["id"], e["previousEventId"])}
                  for e in events[:index] if e["id"] not in plan.skip and e["type"] not in _ENDS]
        cut = _Cut(prefix)
        plan.skip |= cut.skip | {e["id"] for e in events[:index + 1] if e["type"] in _ENDS}
        plan.previous.update(cut.previous)
        plan.anchors = {}
        redriven = event["id"]
        first_after: dict[Branch, dict[str, Any]] = {}  # each branch's first event after this redrive
        for later in events[index + 1:]:
            first_after.setdefault(_branch(later), later)
        plan.map_runs = {started["id"]: (_map_run_redrives(events, started) + 1, event["timestamp"])
                         for started in cut.map_runs
                         if not any(e["type"] == MAP_RUN_REDRIVEN and e["previousEventId"] == started["id"]
                                    for e in events[index + 1:])}
        for branch, last in cut.frames:
            after = first_after.get(branch)
            if after is None:
                plan.anchors[branch] = (last, redriven)
            elif after["previousEventId"] == redriven:
                plan.previous[after["id"]] = last
    return plan


def _branch(event: dict[str, Any]) -> Branch:
    return tuple(event.get(BRANCH_FIELD, ()))


def _map_run_redrives(events: list[dict[str, Any]], started: dict[str, Any]) -> int:
    """How many times the Map Run that ``started`` (its MapRunStarted) began was redriven so far."""
    arn = started["mapRunStartedEventDetails"]["mapRunArn"]
    return sum(1 for e in events
               if e["type"] == MAP_RUN_REDRIVEN and e["mapRunRedrivenEventDetails"]["mapRunArn"] == arn)


class _Cut:
    """The unsuccessful tail of one attempt's history (``skip``) and the frames that run again (``frames``)."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.by_branch: dict[Branch, list[dict[str, Any]]] = {}
        for event in events:
            self.by_branch.setdefault(_branch(event), []).append(event)
        self.children: dict[Branch, set[Branch]] = {}  # the frames directly inside each frame
        for key in list(self.by_branch):
            while key:
                self.children.setdefault(key[:-1], set()).add(key)
                key = key[:-1]
        self.skip: set[int] = set()
        self.previous: dict[int, int] = {}
        self.frames: list[tuple[Branch, int]] = []  # (branch, the id its next event chains to)
        self.map_runs: list[dict[str, Any]] = []  # the MapRunStarted of the Distributed Maps that run again
        self._frame((), 0)

    def _frame(self, branch: Branch, after: int) -> None:
        """Cut the frame ``branch`` as it stood after event ``after`` (earlier events are a previous state's)."""
        events = [e for e in self.by_branch.get(branch, ()) if e["id"] > after]
        open_at = None
        for i, event in enumerate(events):
            if event["type"].endswith("StateEntered"):
                open_at = i
            elif event["type"].endswith("StateExited"):
                open_at = None
        if open_at is None:  # the frame finished: everything in it replays
            return
        entered, tail = events[open_at], events[open_at + 1:]
        kind = entered["type"].removesuffix("StateEntered")
        if kind in ("Parallel", "Map") and self._container(branch, entered, tail):
            return
        self.skip.update(e["id"] for e in tail)
        self.skip.update(e["id"] for e in self._nested(branch, entered["id"], math.inf))
        if kind == "Fail":
            self.skip.add(entered["id"])
            self.frames.append((branch, entered["previousEventId"]))
        else:
            self.frames.append((branch, entered["id"]))

    def _container(self, branch: Branch, entered: dict[str, Any], tail: list[dict[str, Any]]) -> bool:
        """Keep a Parallel/Map's last attempt and cut its branches one by one; False to run it again whole."""
        starts = [i for i, e in enumerate(tail) if e["type"] in _ATTEMPT_STARTS]
        if not starts or any(e["type"] in _ATTEMPT_SUCCEEDED for e in tail[starts[-1]:]):
            return False
        first = starts[-1]
        last = first + 1 if first + 1 < len(tail) and tail[first + 1]["type"] == "MapRunStarted" else first
        started = tail[first]
        if last > first:
            self.map_runs.append(tail[last])
        self.skip.update(e["id"] for e in tail[:first])
        self.skip.update(e["id"] for e in tail[last + 1:])
        self.skip.update(e["id"] for e in self._nested(branch, entered["id"], started["id"]))
        if started["previousEventId"] != entered["id"]:  # a retried attempt: the redrive's is its first
            self.previous[started["id"]] = entered["id"]
        for child in sorted(self.children.get(branch, ())):
            self._frame(child, started["id"])
        return True

    def _nested(self, branch: Branch, low: float, high: float) -> Iterator[dict[str, Any]]:
        """Events of the frames inside ``branch`` with ``low < id < high``."""
        for child in self.children.get(branch, ()):
            yield from (e for e in self.by_branch.get(child, ()) if low < e["id"] < high)
            yield from self._nested(child, low, high)
