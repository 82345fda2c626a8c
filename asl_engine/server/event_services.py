"""EventBridge, Scheduler, Pipes and Schemas inside asl serve: one set per region, on the server's clock.

Every region's services share one ``Timers`` on the server's clock, served
on its event loop, so scheduled rules, Scheduler schedules, retries and
replays fire in real time, or under ``--virtual-clock`` when
``/_asl/clock/advance`` moves time (``advance`` steps through each due
callback at its own instant, so a cron rule fires at every minute it passed).
The API endpoints here are the adapters in ``events_api`` and ``rest_api``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.pipes.service import Pipes
from asl_engine.eventbridge.pipes.supervisor import PipeSupervisor
from asl_engine.eventbridge.scheduler import Scheduler
from asl_engine.eventbridge.schemas.service import Schemas
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.server.context import Caller
from asl_engine.server.event_targets import ServerTargets
from asl_engine.server.events_api import EventsEndpoint
from asl_engine.server.rest_api import RestEndpoint
from asl_engine.server.service import StepFunctionsService


@dataclass(frozen=True)
class RegionServices:
    events: EventBridge
    scheduler: Scheduler
    pipes: Pipes
    schemas: Schemas
    supervisor: PipeSupervisor


class EventServices:
    """The event services of the server, made per region on first use; ``start`` on the server's loop."""

    def __init__(self, service: StepFunctionsService) -> None:
        self.service = service
        self.timers = Timers(service.clock)
        self._peers: dict[tuple[str, str], EventBridge] = {}  # buses of every region reach one another
        self._regions: dict[tuple[str, str], RegionServices] = {}
        self._task: asyncio.Future[None] | None = None
        clients = service.resources.clients  # a workflow's events:putEvents lands on the buses the API shows
        clients.bus_provider = lambda region: self.region(Caller(region=region, account=clients.account)).events
        self.events_api = EventsEndpoint(lambda caller: self.region(caller).events)
        self.rest_apis = {
            "scheduler": RestEndpoint("scheduler", Scheduler, lambda caller: self.region(caller).scheduler),
            "pipes": RestEndpoint("pipes", Pipes, lambda caller: self.region(caller).pipes),
            "schemas": RestEndpoint("schemas", Schemas, lambda caller: self.region(caller).schemas,
                                    validation_code="BadRequestException"),
        }

    def region(self, caller: Caller) -> RegionServices:
        key = (caller.account, caller.region)
        found = self._regions.get(key)
        if found is None:
            found = self._regions[key] = self._build(caller)
        return found

    def _build(self, caller: Caller) -> RegionServices:
        targets = ServerTargets(self.service, caller)
        invokers = Invokers(client=targets.client, state_machines=targets)
        invokers.register("lambda", targets)
        events = EventBridge(account=caller.account, region=caller.region, timers=self.timers, invokers=invokers,
                             peers=self._peers)
        targets.events = events
        scheduler = Scheduler(events.deliverer, account=caller.account, region=caller.region, timers=self.timers)
        supervisor = PipeSupervisor(targets, self.service.clock.time)
        pipes = Pipes(account=caller.account, region=caller.region, now=self.timers.now, on_change=supervisor.sync)
        schemas = Schemas(account=caller.account, region=caller.region, now=self.timers.now)
        events.observers.append(schemas.observe)
        return RegionServices(events, scheduler, pipes, schemas, supervisor)

    def start(self) -> None:
        """Serves the timers on the running loop (the server's, whose time is the server's clock)."""
        self._task = asyncio.ensure_future(self.timers.serve())

    def advance(self, seconds: float) -> None:
        """Moves the virtual clock forward, firing each timer that comes due at its own instant."""
        self.timers.advance(seconds)

    def pipe_polls(self) -> dict[str, int]:
        """Finished polls of every running pipe, by ARN (``GET /_asl/pipes/polls``)."""
        return {arn: n for region in self._regions.values() for arn, n in region.supervisor.polls().items()}

    async def close(self) -> None:
        for region in self._regions.values():
            await region.supervisor.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
