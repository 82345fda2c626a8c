"""The simulator: SageMaker jobs, endpoint deployments and Batch jobs on moto, driven by one clock.

Attach it (``with Simulator(clock) as sim:``) and moto's SageMaker and Batch
answer with time-dependent behaviour; nothing moves until the simulator is
told what time it is: ``tick()`` (the clock's now), ``advance_to(t)`` or the
``follow()`` task, which keeps up with the clock on the event loop the
executions run on (under a VirtualClock it sleeps to the next due change, so
an hour-long deployment passes in no wall time).  Requests reaching moto
first bring the simulator up to the clock's time, so what a caller sees is
always as of now.

Everything that happens is on ``timeline`` and is emitted to ``sink``
(callable(event_dict)) as the AWS service event.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, Self

from asl_engine.sim import moto_hooks
from asl_engine.sim.agenda import Agenda
from asl_engine.sim.batch_jobs import BatchJobs
from asl_engine.sim.context import Durations, SimContext
from asl_engine.sim.endpoint_deployments import EndpointDeployments
from asl_engine.sim.events import EventEmitter, EventSink
from asl_engine.sim.failures import FailureRules
from asl_engine.sim.model_packages import ModelPackages
from asl_engine.sim.moto_hooks import Param
from asl_engine.sim.sagemaker_jobs import CREATE_ACTIONS, STOP_ACTIONS, SageMakerJobs
from asl_engine.sim.timeline import Timeline


class ClockLike(Protocol):
    def now(self) -> datetime: ...


class Simulator:
    def __init__(self, clock: ClockLike, *, sink: EventSink | None = None, account: str = "123456789012",
                 region: str = "us-east-1", durations: Durations | None = None,
                 failures: FailureRules | None = None) -> None:
        self.clock = clock
        self.timeline = Timeline()
        self.failures = failures or FailureRules()
        self._ctx = SimContext(Agenda(clock.now()), self.timeline, EventEmitter(sink, account, region),
                               self.failures, durations or Durations(), account, region)
        self.jobs = SageMakerJobs(self._ctx)
        self.endpoints = EndpointDeployments(self._ctx)
        self.batch = BatchJobs(self._ctx)
        self.model_packages = ModelPackages(self._ctx)
        self._lock = threading.RLock()
        self._listeners = {"sagemaker": _SageMakerListener(self), "batch": _BatchListener(self)}
        self._batch_docker: bool | None = None

    # -- attaching to moto --------------------------------------------------------------------------------

    def attach(self) -> Self:
        from moto.core.models import default_user_config

        for service, listener in self._listeners.items():
            moto_hooks.attach(service, self._ctx.account, self._ctx.region, listener)
        batch = default_user_config.setdefault("batch", {})
        self._batch_docker = batch.get("use_docker", True)
        batch["use_docker"] = False  # jobs are the simulator's to run, not Docker's
        return self

    def detach(self) -> None:
        from moto.core.models import default_user_config

        for service, listener in self._listeners.items():
            moto_hooks.detach(service, self._ctx.account, self._ctx.region, listener)
        if self._batch_docker is not None:
            default_user_config["batch"]["use_docker"] = self._batch_docker

    def __enter__(self) -> Self:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # -- time ---------------------------------------------------------------------------------------------

    def advance_to(self, when: datetime) -> None:
        """Applies every change due up to ``when``, each at its own due time."""
        with self._lock:
            self._ctx.agenda.run_until(when)

    def tick(self) -> None:
        self.advance_to(self.clock.now())

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        """Runs ``action`` when the simulator reaches ``when``: a scenario's own events (an alarm firing
        mid-canary) happen at an exact clock time, in order with the controllers' changes."""
        with self._lock:
            self._ctx.agenda.at(when, action)

    def next_due(self) -> datetime | None:
        with self._lock:
            return self._ctx.agenda.next_due()

    async def follow(self) -> None:
        """Keeps up with the clock until cancelled, on the event loop executions run on.

        It sleeps (in clock time) exactly to the next due change, and is woken when a request schedules an
        earlier one; with nothing due it sets no timer at all, so under a VirtualClock it never makes time
        pass by itself.

        The due time is a plain timer that sets the same event a request sets, not ``asyncio.wait_for``: on
        Python 3.11 ``wait_for`` returns normally when the follower is cancelled in the turn its awaitable
        completes (CPython gh-86296), and a request waking the follower as its host cancels it (StopTrainingJob
        from a stopped ``.sync`` task) would leave it waiting, with no timer, for a wake-up nobody sends."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        self._ctx.agenda.on_schedule = lambda: loop.call_soon_threadsafe(wake.set)
        try:
            while True:
                wake.clear()
                self.tick()
                due = self.next_due()
                timer = None if due is None else loop.call_later(
                    max((due - self.clock.now()).total_seconds(), 0.0), wake.set)
                try:
                    await wake.wait()
                finally:
                    if timer is not None:
                        timer.cancel()
        finally:
            self._ctx.agenda.on_schedule = None

    def request(self) -> threading.RLock:
        """The lock a hooked request holds: the simulator is first brought to the clock's time."""
        self.tick()
        return self._lock


class _SageMakerListener:
    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def before(self, action: str, param: Param) -> None:
        with self._sim.request():
            if action == "create_endpoint":
                self._sim.endpoints.check_create(param)

    def after(self, action: str, param: Param, result: Any) -> None:
        with self._sim.request():
            if action in CREATE_ACTIONS:
                kind = CREATE_ACTIONS[action]
                self._sim.jobs.adopt(kind, param(f"{kind.kind}Name"))
            elif action == "create_endpoint":
                self._sim.endpoints.created(param)
            elif action == "create_endpoint_config":
                self._sim.endpoints.keep_shadow_variants(param)
            elif action == "create_model_package":
                self._sim.model_packages.changed(result.result["ModelPackageArn"])
            elif action == "update_model_package":
                self._sim.model_packages.changed(param("ModelPackageArn"))

    def handle(self, action: str, param: Param) -> dict[str, Any]:
        with self._sim.request():
            if action == "update_endpoint":
                return self._sim.endpoints.update(param)
            kind = STOP_ACTIONS[action]
            self._sim.jobs.stop(kind, param(f"{kind.kind}Name"))
            return {}


class _BatchListener:
    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def before(self, action: str, param: Param) -> None:
        """Batch requests need no check beyond moto's; the simulator only catches up with the clock."""
        self._sim.tick()

    def after(self, action: str, param: Param, result: Any) -> None:
        with self._sim.request():
            if action == "submitjob":
                self._sim.batch.adopt(result)
            elif action in ("terminatejob", "canceljob"):
                self._sim.batch.stopped_by_caller(param("jobId"))

    def handle(self, action: str, param: Param) -> dict[str, Any]:
        raise NotImplementedError(f"The {action} action has not been implemented")
