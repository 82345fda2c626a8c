"""RedriveExecution: continue a failed, timed-out or aborted STANDARD execution from the states that did not finish.

A redrive appends ``ExecutionRedriven`` to the stored history and replays it
(``asl_engine.runtime.replay``) with the unsuccessful tail left out
(``replay_redrive``): successful states are read back, not run again, and the
states that failed, timed out or were aborted run again, with the same input,
name, ARN and definition.  The service (``asl serve``) and the in-process API
below share this module's rules, so both refuse and accept the same executions.

In process, record the history as a store would, then redrive it::

    history = RecordedHistory()
    result = await machine.run_async(data, "exec", clock, resources, services=Services(seed),
                                     history_sink=history)
    # ... fix what failed ...
    result = await redrive_async(machine, history, data, "exec", seed=seed, clock=clock, resources=resources,
                                 history_sink=history)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.history import HISTORY_LIMIT
from asl_engine.runtime.map_run_items import MapRunItems
from asl_engine.runtime.replay import ReplayCursor, ReplayHistory
from asl_engine.runtime.replay_clock import ReplayClock
from asl_engine.runtime.replay_redrive import REDRIVEN
from asl_engine.runtime.replay_tasks import ReplayResources
from asl_engine.runtime.services import Services

if TYPE_CHECKING:
    from asl_engine.state_machine import StateMachine

REDRIVABLE_PERIOD = 14 * 86_400  # seconds after the stop during which an execution can be redriven
MAX_OPEN_TIME = 365 * 86_400  # a STANDARD execution's maximum duration, redrives included
MAX_REDRIVES = 1000
# the redrive needs room for ExecutionRedriven and at least one more event under the 25,000-event quota
REDRIVE_EVENT_LIMIT = HISTORY_LIMIT - 1
_STATUS_OF_END = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
                  "ExecutionAborted": "ABORTED"}


class ExecutionNotRedrivable(Exception):
    """AWS's ExecutionNotRedrivable; the message is the reason DescribeExecution gives (``redriveStatusReason``)."""


def not_redrivable_reason(status: str, start: float, stop: float | None, event_count: int, redrive_count: int,
                          now: float) -> str | None:
    """Why RedriveExecution would refuse a STANDARD execution now, in AWS's words; None when it would not.

    The wording is DescribeExecution's ``redriveStatusReason`` as AWS documents it.
    """
    if status in ("RUNNING", "SUCCEEDED"):
        return f"Execution is {status} and cannot be redriven"
    if now - start > MAX_OPEN_TIME:
        return "Execution has exceeded the max execution time"
    if stop is not None and now - stop > REDRIVABLE_PERIOD:
        return "Execution redrivable period exceeded"
    if event_count >= REDRIVE_EVENT_LIMIT:
        return "Execution history event limit exceeded"
    if redrive_count >= MAX_REDRIVES:
        return "Execution redrive count limit exceeded"
    return None


def redriven_event(events: list[dict[str, Any]], now: float, redrive_count: int) -> dict[str, Any]:
    """The ``ExecutionRedriven`` event that continues a stored history (epoch timestamp, as stores keep it)."""
    last = events[-1]["id"] if events else 0
    return {"timestamp": now, "type": REDRIVEN, "id": last + 1, "previousEventId": last,
            "executionRedrivenEventDetails": {"redriveCount": redrive_count}}


class RecordedHistory(list):
    """A ``history_sink`` that keeps the events as a store does: what ``redrive`` / ``redrive_async`` take.

    ``machine.run_async(..., history_sink=recorded)`` fills it; the engine's own history does not keep
    the branch of each event, which a redrive needs to tell successful branches from failed ones.
    """

    def __call__(self, event: dict[str, Any]) -> None:
        self.append({**event, "timestamp": event["timestamp"].timestamp()})


def status_of(events: list[dict[str, Any]]) -> str:
    """The execution's status as its stored history tells it."""
    return _STATUS_OF_END.get(events[-1]["type"], "RUNNING") if events else "RUNNING"


def redrive_count_of(events: list[dict[str, Any]]) -> int:
    return sum(1 for e in events if e["type"] == REDRIVEN)


async def redrive_async(machine: StateMachine, history: list[dict[str, Any]], input: Any, name: str, *, seed: int,
                        clock: Clock, resources: Resources | Mapping[str, Any] | None = None,
                        history_sink: Callable[[dict[str, Any]], None] | None = None,
                        map_items: MapRunItems | None = None) -> ExecutionResult:
    """Redrive, in process, the execution whose stored ``history`` (a ``RecordedHistory``) ended unsuccessfully.

    ``input``, ``name`` and ``seed`` are the original run's (its ``Services(seed)``): the replay must draw the
    same task tokens and ids.  ``history_sink`` receives ``ExecutionRedriven`` and every event after it.
    ``map_items``, the original run's (a ``MemoryMapRunItems``), lets a Distributed Map run only its
    unsuccessful items again.
    Raises ExecutionNotRedrivable when AWS would.  The result's history holds the stored events and the new ones.
    """
    now = clock.time()
    if machine.type == "EXPRESS":
        raise ExecutionNotRedrivable("Execution is of an EXPRESS state machine and cannot be redriven")
    stop = history[-1]["timestamp"] if history else None
    reason = not_redrivable_reason(status_of(history), history[0]["timestamp"] if history else now, stop,
                                   len(history), redrive_count_of(history), now)
    if reason is not None:
        raise ExecutionNotRedrivable(reason)
    event = redriven_event(history, now, redrive_count_of(history) + 1)
    if history_sink is not None:
        history_sink({**event, "timestamp": datetime.fromtimestamp(now, UTC)})
    arn = machine.arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
    cursor = ReplayCursor(arn, [*history, event], history[0]["timestamp"])
    if not isinstance(resources, Resources):
        resources = Resources(resources)
    return await machine.run_async(input, name, ReplayClock(clock, cursor), ReplayResources(resources, cursor),
                                   services=Services(seed), history_sink=history_sink,
                                   history_factory=ReplayHistory.factory(cursor), map_items=map_items)


def redrive(machine: StateMachine, history: list[dict[str, Any]], input: Any, name: str, *, seed: int,
            clock: Clock, resources: Resources | Mapping[str, Any] | None = None,
            history_sink: Callable[[dict[str, Any]], None] | None = None,
            map_items: MapRunItems | None = None) -> ExecutionResult:
    """``redrive_async`` run to its end on ``clock``'s loop (blocking)."""
    return clock.run(redrive_async(machine, history, input, name, seed=seed, clock=clock, resources=resources,
                                   history_sink=history_sink, map_items=map_items))
