"""Runs executions on the service's event loop and records them in the store as they go.

Each STANDARD execution is one asyncio task; its history events go to the
store the moment the engine adds them (``History.sink``), and its record is
closed when it ends.  StopExecution cancels the task and writes the
ExecutionAborted event itself, after which the sink drops anything the
cancelled task still emits, so the history ends with the abort.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from typing import TYPE_CHECKING, Any

from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.services import Services
from asl_engine.server.clock import EXECUTION
from asl_engine.server.map_runs import MapRunTracker
from asl_engine.state_machine import StateMachine
from asl_engine.store import ExecutionRecord, Store

if TYPE_CHECKING:
    from asl_engine.server.resume import Replay


log = logging.getLogger("asl_engine.server")


class _Live:
    """The moving parts of one running execution: its task, where its history stands, its Map Runs."""

    def __init__(self, record: ExecutionRecord, store: Store) -> None:
        self.arn = record.arn
        self.store = store
        self.map_runs = MapRunTracker(store, record)
        self.last_event = 0
        self.closed = False
        self.task: asyncio.Task | None = None

    def sink(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        self.last_event = event["id"]
        stored = {**event, "timestamp": event["timestamp"].timestamp()}
        self.store.append_event(self.arn, stored)
        self.map_runs.observe(stored)


class Runner:
    """Starts, stops and finishes executions; the loop it runs on is the service's (and the clock's)."""

    def __init__(self, store: Store, clock: Clock, resources: Resources) -> None:
        self.store = store
        self.clock = clock
        self.resources = resources
        self._live: dict[str, _Live] = {}
        self._detached: set[asyncio.Task] = set()

    def start(self, record: ExecutionRecord, machine: StateMachine, input: Any,
              replay: Replay | None = None, resources: Resources | None = None) -> asyncio.Task:
        """Run a STANDARD execution whose record is already stored (status RUNNING).

        With ``replay``, the execution ran before the service restarted: its stored history is re-read first.
        ``resources``: the execution's own (a mocked test case's), else the service's.
        """
        live = _Live(record, self.store)
        if replay is not None:
            live.last_event = len(replay.cursor.events)
            live.map_runs.follow(replay.cursor.events, replay.cursor.skipped)
        self._live[record.arn] = live
        context = contextvars.copy_context()
        context.run(EXECUTION.set, record.arn)  # its timers are an execution's (the virtual clock's next_timer)
        live.task = asyncio.get_running_loop().create_task(self._drive(record, machine, input, live, replay, resources),
                                                           context=context)
        return live.task

    def start_detached(self, machine: StateMachine, input: Any, name: str, seed: int,
                       resources: Resources | None = None) -> None:
        """Run an asynchronous EXPRESS execution: AWS keeps neither its record nor its history."""
        task = asyncio.get_running_loop().create_task(self.run(machine, input, name, seed, resources))
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)

    async def run(self, machine: StateMachine, input: Any, name: str, seed: int,
                  resources: Resources | None = None) -> ExecutionResult:
        """Run an execution to its end without recording it (StartSyncExecution)."""
        EXECUTION.set(name)  # this task's context is the request's or start_detached's own
        return await machine.run_async(input, name, self.clock, resources or self.resources, services=Services(seed))

    async def _drive(self, record: ExecutionRecord, machine: StateMachine, input: Any, live: _Live,
                     replay: Replay | None, resources: Resources | None = None) -> None:
        try:
            if replay is None:
                result = await machine.run_async(input, record.name, self.clock, resources or self.resources,
                                                 services=Services(record.seed), history_sink=live.sink,
                                                 map_items=live.map_runs)
            else:
                result = await machine.run_async(input, record.name, replay.clock, replay.resources,
                                                 services=Services(record.seed), history_sink=live.sink,
                                                 history_factory=replay.history_factory, map_items=live.map_runs)
        except asyncio.CancelledError:
            raise  # stopped (StopExecution wrote the end) or the service is shutting down (resumed later)
        except Exception as e:  # an engine fault (or a failed resume) must not leave the execution RUNNING forever
            log.error("execution %s failed in the engine: %s", record.arn, e)
            self._close(record, live, "FAILED", "States.Runtime", f"{type(e).__name__}: {e}",
                        "ExecutionFailed", "executionFailedEventDetails")
            return
        finally:
            if self._live.get(record.arn) is live:
                del self._live[record.arn]
        live.closed = True
        record.status, record.output = result.status, result.output_json
        record.error, record.cause = result.error, result.cause
        record.stop = result.stop_date.timestamp()
        live.map_runs.finish(result.map_runs, record.stop)
        self.store.put_execution(record)

    async def finished(self, arn: str) -> None:
        """Return once the execution's task (if it runs here) has ended, however it ended."""
        live = self._live.get(arn)
        if live is not None and live.task is not None:
            await asyncio.wait({live.task})

    def stop(self, record: ExecutionRecord, error: str | None, cause: str | None) -> None:
        """Abort a running execution: cancel its task, end its history with ExecutionAborted, close it."""
        live = self._live.pop(record.arn, None)
        if live is None:  # running in the store but not here (the service restarted): close it all the same
            live = _Live(record, self.store)
            live.last_event = len(self.store.events(record.arn))
        elif live.task is not None:
            live.task.cancel()
        self._close(record, live, "ABORTED", error, cause, "ExecutionAborted", "executionAbortedEventDetails")

    def _close(self, record: ExecutionRecord, live: _Live, status: str, error: str | None, cause: str | None,
               event_type: str, details_key: str) -> None:
        now = self.clock.time()
        event: dict[str, Any] = {"timestamp": now, "type": event_type, "id": live.last_event + 1,
                                 "previousEventId": live.last_event}
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        if details:
            event[details_key] = details
        live.closed = True
        live.map_runs.finish([], now)
        self.store.append_event(record.arn, event)
        record.status, record.error, record.cause, record.stop = status, error, cause, now
        self.store.put_execution(record)

    async def close(self) -> None:
        """Cancel every task without closing its record: what is RUNNING in the store stays RUNNING."""
        tasks = [live.task for live in self._live.values() if live.task is not None] + list(self._detached)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._live.clear()
