"""One in-process local stack for a SAM template, on one clock.

moto holds the template's resources; the engine runs its state machines;
the in-process EventBridge service and Scheduler carry its rules, targets,
archives and schedules, its pipes poll their sources and its discoverers
record schemas (``asl serve``'s Pipes and Schemas code); the simulator makes
SageMaker and Batch take time and emits their events to the default bus,
from where the template's own forwarding rule takes them to the ``mlops``
bus, and so do S3 (objects put in a bucket with EventBridge notifications)
and CloudWatch (alarms changing state, evaluated when their metric gets
data), see ``service_events``.  Functions are the template's Python
handlers, and their Step Functions calls reach the engine.

Everything runs on the clock's event loop: use ``async with LocalStack(...)``
inside it, or ``LocalStack.run(scenario)`` to make the loop and run a
scenario coroutine on it.  Under a VirtualClock the hours a deployment takes
pass in no wall time.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from asl_engine.eventbridge.arns import bus_name
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.pipes.supervisor import PipeSupervisor
from asl_engine.eventbridge.timers import Timers
from asl_engine.integrations.clients import start_moto
from asl_engine.integrations.lambda_.providers import LocalFunctions
from asl_engine.integrations.registry import Resources
from asl_engine.local import hooks, service_events
from asl_engine.local.aws_resources import create_resources
from asl_engine.local.eventbus import answer_with, deploy_events, deploy_schemas
from asl_engine.local.hooks import LocalClients
from asl_engine.local.lambda_targets import AsyncLambdaTargets
from asl_engine.local.pipes import LocalPipeTargets, deploy_pipes
from asl_engine.local.service_events import ServiceEvent
from asl_engine.local.stepfunctions import Execution, LocalStepFunctions
from asl_engine.local.world import World, WorldSettings
from asl_engine.runtime.clock import Clock, VirtualClock
from asl_engine.runtime.services import Services
from asl_engine.sam.application import Application, load_application
from asl_engine.sim import Durations
from asl_engine.sim.events import EventEmitter
from asl_engine.sim.hosting import attach_simulators
from asl_engine.state_machine import StateMachine

T = TypeVar("T")


class LocalStack:
    def __init__(self, template: str | Path | Application = "template.yaml", *, clock: Clock | None = None,
                 world: WorldSettings | None = None, durations: Durations | None = None, seed: int = 7,
                 function_output: TextIO | None = None) -> None:
        self.app = template if isinstance(template, Application) else load_application(template)
        self.clock = clock or VirtualClock()
        self.settings = world or WorldSettings()
        self.durations = durations
        self.seed = seed
        self.function_output = function_output or io.StringIO()
        self.region, self.account = self.app.resolver.naming.region, self.app.resolver.naming.account
        self.clients = LocalClients("moto", region=self.region, account=self.account)
        self.service_events: list[dict[str, Any]] = []
        self.lambda_results: list[tuple[str, Any, bool]] = []  # (function, response, failed) of async invokes
        self._tasks: list[asyncio.Task] = []
        self._pipe_supervisor: PipeSupervisor | None = None  # made on the loop, with the pipes

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    @property
    def timeline(self) -> Any:
        return self.sim.timeline

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def __aenter__(self) -> LocalStack:
        self._loop = asyncio.get_running_loop()
        _fresh_moto()
        self.simulators = attach_simulators(self.clock, self.emit, durations=self.durations)
        self.simulators.start()  # events reach the bus on the loop, whichever thread made the request
        self.sim = self.simulators.simulator(self.account, self.region)
        self._service_events = EventEmitter(self.emit, self.account, self.region)
        try:
            self._deploy()
        except BaseException:
            await self._stop()
            raise
        self._tasks = [asyncio.ensure_future(self.timers.serve())]
        return self

    def _deploy(self) -> None:
        """moto resources first (the functions' clients and the world need them), then the functions, imported
        after the Step Functions hook is installed, then the engine, then the event wiring that targets both."""
        self.world = World(self.app, self.client, self.sim, self.settings)
        create_resources(self.app, self.client)
        self.world.create_production()
        hooks.install()  # before the functions create their clients
        functions = LocalFunctions.from_functions(self.app.functions.values(), region=self.region,
                                                  output=self.function_output)
        resources = Resources(clients=self.clients, functions=functions, now=self.clock.now)
        self.stepfunctions = LocalStepFunctions(resources, self.clock, Services(seed=self.seed), self._history)
        for spec in self.app.state_machines.values():
            self.stepfunctions.add(StateMachine(spec.definition, spec.name, spec.type, region=self.region,
                                                account=self.account))
        self.resources = resources
        self.timers = Timers(self.clock)
        invokers = Invokers(client=self.client, state_machines=self.stepfunctions)
        self.lambda_targets = AsyncLambdaTargets(functions, self.clock, self._lambda_result,
                                                 region=self.region, account=self.account)
        invokers.register("lambda", self.lambda_targets)
        self.events, self.scheduler = deploy_events(self.app, self.timers, invokers, seed=self.seed)
        self.clients.events = hooks.OnLoop(self.events, self._loop)
        hooks.serve({"sfn": self.stepfunctions.answer, "eventbridge": answer_with(self.events),
                     "scheduler": answer_with(self.scheduler)}, self._loop)
        self.events.observers.append(self._on_bus)
        self.schemas = deploy_schemas(self.app, self.events, self.clock.now)
        self.pipes, self._pipe_supervisor = deploy_pipes(self.app, LocalPipeTargets(
            self.client, self.stepfunctions, functions, self.events, self.clock, region=self.region,
            account=self.account), self.clock)
        service_events.attach(self.account, self.region, self)  # last: what S3 and CloudWatch emit needs the bus

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pipe_supervisor is not None:
            await self._pipe_supervisor.close()
        service_events.detach(self.account, self.region, self)
        hooks.serve({})
        await self.simulators.close()

    def run(self, scenario: Callable[[LocalStack], Awaitable[T]]) -> T:
        """Makes the clock's loop, starts the stack on it, runs ``scenario(stack)`` and stops the stack."""

        async def main() -> T:
            async with self:
                return await scenario(self)

        return self.clock.run(main())

    # -- events in and out ------------------------------------------------------------------------------------

    def emit(self, event: dict[str, Any]) -> None:
        """An AWS service event, emitted as services emit them: to the account's default bus."""
        self.service_events.append(event)
        self.world.observe(event)
        self.events.accept_event("default", event)

    # service_events' listener: S3 and CloudWatch calls reach it from whichever thread made them

    def now(self) -> datetime:
        return self.clock.now()

    def service_event(self, event: ServiceEvent) -> None:
        self._loop.call_soon_threadsafe(lambda: self._service_events.emit(
            event.source, event.detail_type, event.resources, event.detail, self.clock.now()))

    def message_sent(self, queue_arn: str) -> None:
        if self._pipe_supervisor is not None:
            self._loop.call_soon_threadsafe(self._pipe_supervisor.wake, queue_arn)

    def put_events(self, *entries: dict[str, Any]) -> dict[str, Any]:
        """PutEvents, as an application (or the AWS CLI) calls it."""
        return self.events.put_events(Entries=list(entries))

    async def idle(self, seconds: float) -> None:
        """Lets ``seconds`` of clock time pass with everything running (schedules fire, jobs progress)."""
        await self.clock.sleep(seconds)

    async def finished(self, state_machine_logical_id: str, count: int = 1) -> list[Execution]:
        return await self.stepfunctions.finished(self.app.state_machines[state_machine_logical_id].name, count)

    # -- what the report shows --------------------------------------------------------------------------------

    def _history(self, execution: Execution, event: dict[str, Any]) -> None:
        kind = event["type"]
        lane = f"sfn/{execution.state_machine}"
        if kind.endswith("StateEntered"):
            self.sim.timeline.status(self.clock.now(), lane, event["stateEnteredEventDetails"]["name"])
        elif kind in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            details = event.get("executionFailedEventDetails") or {}
            self.sim.timeline.status(self.clock.now(), lane, kind.removeprefix("Execution").upper(),
                                     reason=details.get("error", ""))

    def _lambda_result(self, name: str, response: Any, failed: bool) -> None:
        self.lambda_results.append((name, response, failed))
        summary = response.get("errorType") if failed and isinstance(response, dict) else response
        self.sim.timeline.status(self.clock.now(), f"lambda/{name}", "error" if failed else "ok",
                                 reason=_short(summary))

    def _on_bus(self, bus_arn: str, event: dict[str, Any]) -> None:
        """The template's buses on the timeline (the default bus only forwards what services emit)."""
        bus = bus_name(bus_arn)
        if bus != "default":
            self.sim.timeline.status(self.clock.now(), f"bus/{bus}", str(event.get("detail-type")),
                                     reason=str(event.get("source")))


def _fresh_moto() -> None:
    """The stack is deployed from scratch: moto serves the whole process, so what an earlier stack (or test)
    left in it is cleared first, as a fresh account would be."""
    from moto.moto_api._internal.models import moto_api_backend

    start_moto()
    moto_api_backend.reset()


def _short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
