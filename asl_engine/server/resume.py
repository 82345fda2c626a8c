"""Crash-safe resume: ``asl serve`` continues every execution that was running when it last stopped.

Each one is compiled again from the definition its record keeps and run
again with its seed while its stored history is replayed (see
``asl_engine.runtime.replay``): finished steps are read back, not redone;
waiting timers fire at their original due time (at once if it passed while
the service was down), retries resume their backoff, callback tokens are
issued again and stay valid, Map and Parallel pick up their unfinished
iterations and branches; a Distributed Map runs only the items whose outcome
its store rows (``map_run_items``) do not hold.

Delivery guarantee: a task call in flight when the service died (scheduled,
no outcome stored) is made once more: at most one extra invocation per
in-flight task call.  See ``RESUME.md`` beside this module.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.replay import ReplayCursor, ReplayHistory
from asl_engine.runtime.replay_clock import ReplayClock
from asl_engine.runtime.replay_tasks import ReplayResources
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError
from asl_engine.server.machines import Compiler
from asl_engine.server.mock_config import mocked_resources
from asl_engine.store import ExecutionRecord

if TYPE_CHECKING:
    from asl_engine.server.service import StepFunctionsService

REPLAY_TIMEOUT = 120.0  # seconds startup waits for the stored histories to be re-read before serving anyway


@dataclass(frozen=True)
class Replay:
    """What a resumed execution runs with instead of the service's clock, resources and a fresh history."""

    cursor: ReplayCursor
    clock: ReplayClock
    resources: ReplayResources

    @classmethod
    def of(cls, record: ExecutionRecord, events: list[dict], clock: Clock, resources: Resources) -> Replay:
        cursor = ReplayCursor(record.arn, events, record.start)
        return cls(cursor, ReplayClock(clock, cursor), ReplayResources(resources, cursor))

    @property
    def history_factory(self) -> Callable[[int | None, Any], ReplayHistory]:
        return ReplayHistory.factory(self.cursor)


async def resume_all(service: StepFunctionsService) -> int:
    """Start every RUNNING execution again in replay; return once their stored histories are re-read.

    Startup waits for that (bounded by REPLAY_TIMEOUT) so that a client calling right after the restart
    finds the task tokens issued again.  Returns how many executions were resumed.
    """
    records = service.store.running_executions()
    compiler = Compiler()
    waits = []
    for record in records:
        parts = record.arn.split(":")  # arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME
        try:
            machine = compiler.get(record.definition, parts[6], record.type, record.role_arn,
                                   Caller(region=parts[3], account=parts[4]))
        except ApiError as e:  # the definition no longer compiles: leave it RUNNING for StopExecution
            print(f"asl serve: cannot resume {record.arn}: {e.message}", file=sys.stderr)
            continue
        resources = mocked_resources(service.resources, record.mock_config, record.test_case)  # its test case's
        replay = Replay.of(record, service.store.events(record.arn), service.clock, resources)
        task = service.runner.start(record, machine, record.input, replay)
        waits.append(asyncio.ensure_future(_replayed_or_ended(replay.cursor, task)))
    if waits:
        _, late = await asyncio.wait(waits, timeout=REPLAY_TIMEOUT)
        for wait in late:
            wait.cancel()
        print(f"asl serve: resumed {len(records)} running execution(s)"
              + (f"; {len(late)} still replaying their history" if late else ""), file=sys.stderr)
    return len(records)


async def _replayed_or_ended(cursor: ReplayCursor, task: asyncio.Task) -> None:
    replayed = asyncio.ensure_future(cursor.replayed())
    await asyncio.wait({replayed, task}, return_when=asyncio.FIRST_COMPLETED)
    replayed.cancel()
