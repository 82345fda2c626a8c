"""EventBridge, Scheduler, Pipes and Schemas inside asl serve: one set per region, on the server's clock.

Every region's services share one ``Timers`` on the server's clock, served
on its event loop, so scheduled rules, Scheduler schedules, retries and
replays fire in real time, or under ``--virtual-clock`` when
``/_asl/clock/advance`` moves time (``advance`` steps through each due
callback at its own instant, so a cron rule fires at every minute it passed).
The API endpoints here are the adapters in ``events_api`` and ``rest_api``.

With a store on disk (``--db``), each region's services keep their
configuration, archives and replays in ``<db>.events-<account>-<region>.db``
(``eventbridge.journal``): every region found there is restored when the
server is made, before a template is deployed or a request served, and its
scheduled rules and schedules armed from the clock's now, and its pending delivery retries scheduled
again (see RESUME.md).

``POST /_asl/events/failures`` (``failures_route``) injects delivery failures into the targets of every
region's rules and schedules (``eventbridge.injection``); the rules are kept in memory only.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from asl_engine.eventbridge.injection import InjectedFailures
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.journal import Journal, PinnedClock, open_store
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
from asl_engine.store import StoreError

MEMORY = ":memory:"
FAILURES_ROUTE = "/_asl/events/failures"


@dataclass(frozen=True)
class RegionServices:
    events: EventBridge
    scheduler: Scheduler
    pipes: Pipes
    schemas: Schemas
    supervisor: PipeSupervisor
    journal: Journal | None  # None when the server's store is in memory


class EventServices:
    """The event services of the server, made per region on first use; ``start`` on the server's loop.

    Made on the running loop (a restored pipe starts polling); raises StoreError, before anything is served,
    when a region's database is not one of ours or is damaged.
    """

    def __init__(self, service: StepFunctionsService) -> None:
        self.service = service
        self._db = getattr(service.store, "path", MEMORY)
        self._clock = PinnedClock(service.clock)  # pinned only while restoring a journaled call
        self.timers = Timers(self._clock)  # type: ignore[arg-type]  # a Clock by delegation
        self._peers: dict[tuple[str, str], EventBridge] = {}  # buses of every region reach one another
        self._regions: dict[tuple[str, str], RegionServices] = {}
        self._task: asyncio.Future[None] | None = None
        self.failures = InjectedFailures()  # one set for every region: a rule's target ARN names its region
        clients = service.resources.clients  # a workflow's events:putEvents lands on the buses the API shows
        clients.bus_provider = lambda region, account: self.region(Caller(region=region, account=account)).events
        self.events_api = EventsEndpoint(lambda caller: self.region(caller).events)
        self.rest_apis = {
            "scheduler": RestEndpoint("scheduler", Scheduler, lambda caller: self.region(caller).scheduler),
            "pipes": RestEndpoint("pipes", Pipes, lambda caller: self.region(caller).pipes),
            "schemas": RestEndpoint("schemas", Schemas, lambda caller: self.region(caller).schemas,
                                    validation_code="BadRequestException"),
        }
        self._restore()

    def region(self, caller: Caller) -> RegionServices:
        key = (caller.account, caller.region)
        found = self._regions.get(key)
        if found is None:
            found = self._regions[key] = self._build(caller)
        return found

    def _path(self, account: str, region: str) -> str:
        return f"{self._db}.events-{account}-{region}.db"

    def _build(self, caller: Caller) -> RegionServices:
        journal, pinned = None, self._clock.pinned
        if self._db != MEMORY:
            try:
                journal = Journal(open_store(self._path(caller.account, caller.region)), self._clock)
            except ValueError as exc:
                raise StoreError(f"{exc} Move it away or pass another --db.") from None
            journal.recording = self._task is not None  # a region first used once the server runs
            self._clock.pinned = journal.created  # the default bus is as old as the region's first use
        try:
            return self._make(caller, journal)
        finally:
            self._clock.pinned = pinned

    def _make(self, caller: Caller, journal: Journal | None) -> RegionServices:
        targets = ServerTargets(self.service, caller)
        invokers = Invokers(client=targets.client, state_machines=targets)
        invokers.register("lambda", targets)
        events = EventBridge(account=caller.account, region=caller.region, timers=self.timers, invokers=invokers,
                             peers=self._peers, archive_store=journal.store if journal else None)
        targets.events = events
        events.deliverer.injected = self.failures  # Scheduler's deliveries go through it as well
        scheduler = Scheduler(events.deliverer, account=caller.account, region=caller.region, timers=self.timers)
        supervisor = PipeSupervisor(targets, self.service.clock.time)
        pipes = Pipes(account=caller.account, region=caller.region, now=self.timers.now, on_change=supervisor.sync)
        schemas = Schemas(account=caller.account, region=caller.region, now=self.timers.now)
        if journal is not None:
            events.deliverer.store = journal.pending  # Scheduler's deliveries go through it as well
            for name, target in (("events", events), ("scheduler", scheduler), ("pipes", pipes),
                                 ("schemas", schemas)):
                journal.attach(name, target)
        events.observers.append(schemas.observe)
        return RegionServices(events, scheduler, pipes, schemas, supervisor, journal)

    def _restore(self) -> None:
        """Every region with a database next to the store comes back: its journaled calls made again at their
        instants, then its scheduled rules and schedules armed from now (firings due while the server was
        down are not made up), then its deliveries that were waiting for a retry scheduled again (a retry due
        while the server was down is made at once, or given up if the event is now too old)."""
        if self._db == MEMORY:
            return
        prefix = f"{self._db}.events-"
        for path in sorted(glob.glob(glob.escape(prefix) + "*.db")):
            account, _, region = path[len(prefix):-len(".db")].partition("-")
            services = self.region(Caller(region=region, account=account))
            if services.journal is not None:
                services.journal.replay({"events": services.events, "scheduler": services.scheduler,
                                         "pipes": services.pipes, "schemas": services.schemas})
            services.events.rearm()
            services.scheduler.rearm()
            services.events.deliverer.restore()  # retries pending at the stop: due as before, or at once

    def failures_route(self) -> Route:
        """``/_asl/events/failures``: ``POST {"target": ARN or pattern, "code": CODE, "message"?: ..., "count"?: N}``
        makes the next N attempts to deliver to a matching target fail with that code (every attempt when
        ``count`` is absent), ``GET`` lists the rules with the attempts each has left, ``DELETE`` clears them.
        A bad rule is a 400 whose message names the bad field; the rules are not kept across a restart."""

        def listed() -> list[dict]:
            return [rule.as_json() for rule in self.failures.rules]

        async def failures(request: Request) -> JSONResponse:
            if request.method == "DELETE":
                cleared = self.failures.clear()
                return JSONResponse({"failures": listed(), "cleared": cleared})
            if request.method == "POST":
                try:
                    body = json.loads(await request.body() or b"{}")
                except ValueError as e:
                    return JSONResponse({"message": f"the request body is not JSON: {e}"}, 400)
                try:
                    self.failures.add_json(body)
                except ValueError as e:
                    return JSONResponse({"message": str(e)}, 400)
            return JSONResponse({"failures": listed()})

        return Route(FAILURES_ROUTE, failures, methods=["GET", "POST", "DELETE"])

    def start(self) -> None:
        """Serves the timers on the running loop (the server's, whose time is the server's clock) and journals
        the configuration calls from now on (not those of a template deployed at each start)."""
        self._task = asyncio.ensure_future(self.timers.serve())
        for region in self._regions.values():
            if region.journal is not None:
                region.journal.recording = True

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
        for region in self._regions.values():
            if region.journal is not None:
                region.journal.close()
