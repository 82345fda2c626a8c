"""``asl serve``: the service on one event loop (the clock's), served by uvicorn, until a signal stops it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn
import uvloop

from asl_engine.integrations.lambda_.providers import LocalFunctions
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock, RealClock
from asl_engine.server.admin import CLOCK_OFFSET
from asl_engine.server.app import Gateway
from asl_engine.server.clock import ShiftedClock
from asl_engine.server.mock_config import MockConfigs
from asl_engine.server.resume import resume_all
from asl_engine.server.service import StepFunctionsService
from asl_engine.server.template import ServedTemplate, deploy
from asl_engine.store import Store, open_store

DAY = 86_400.0
SWEEP_INTERVAL = 60.0


@dataclass
class ServeOptions:
    """What ``asl serve``'s flags set; ``resources`` binds Task resources / Lambda names to local handlers."""

    host: str = "127.0.0.1"
    port: int = 8083  # Step Functions Local's port
    db: str = ".asl/state.db"
    virtual_clock: bool = False
    start_time: datetime | None = None
    retention_days: float = 90.0  # how long AWS keeps closed executions
    seed: int | None = None
    moto: bool = True
    resources: dict[str, Any] = field(default_factory=dict)
    template: ServedTemplate | None = None  # asl serve --template: its stack is deployed at startup
    mock_configs: MockConfigs | None = None  # --mock-config / SFN_MOCK_CONFIG: Step Functions Local's test cases
    # --lambda-isolation: "process" runs the template's functions, and those created through the Lambda API,
    # in worker processes (the template's are loaded so by load_template)
    lambda_isolation: str = "in-process"


class UvloopClock(RealClock):
    """The real clock on uvloop's event loop: libuv's I/O and scheduling cost a busy server less than asyncio's
    selector loop (bench/server_load.py measured 15-30% more executions per second)."""

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return uvloop.new_event_loop()


def make_clock(options: ServeOptions, store: Store) -> Clock:
    """The real clock (on uvloop), or a virtual one that resumes where the store's last advance left it.

    The virtual clock keeps asyncio's loop: its timers run on shifted time, which needs the loop's ``time``.
    """
    if not options.virtual_clock:
        return UvloopClock()
    if options.start_time is not None:
        return ShiftedClock(options.start_time)
    saved = store.get_meta(CLOCK_OFFSET)
    return ShiftedClock(offset=float(saved) if saved else 0.0)


def serve(options: ServeOptions) -> None:
    """Run until SIGINT/SIGTERM; raises StoreError before binding anything if the store is unusable."""
    store = open_store(options.db)
    clock = make_clock(options, store)
    functions = options.template.functions if options.template is not None \
        else LocalFunctions(options.lambda_isolation)  # --resource wins (its handlers stay in-process)
    resources = Resources(options.resources, functions=functions, now=clock.now)  # activities dated on the clock
    service = StepFunctionsService(store, clock, resources, seed=options.seed, mock_configs=options.mock_configs)
    clock.run(_serve(service, options))


async def _serve(service: StepFunctionsService, options: ServeOptions) -> None:
    from asl_engine.server.moto_bridge import moto_app  # moto's server (Flask, its backends) only when used

    app = Gateway(service, moto_app() if options.moto else None)
    # http "auto" takes httptools (a dependency: C parsing instead of h11's pure Python); no proxy headers,
    # as nothing forwards to a local endpoint.
    server = uvicorn.Server(uvicorn.Config(app, host=options.host, port=options.port, lifespan="on",
                                           log_level="warning", access_log=False, proxy_headers=False))
    await resume_all(service)  # before binding: a client calling right away finds its executions resumed
    if options.template is not None:  # after resuming, so a restart's update never races a resumed execution
        await deploy(options.template, service, app.event_services)
    background = [asyncio.ensure_future(_sweep(service, options.retention_days * DAY)),
                  asyncio.ensure_future(_announce(server, service))]
    try:
        await server.serve()  # the app closes the service on shutdown (see Gateway._lifespan)
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await service.resources.functions.aclose()  # the worker processes of --lambda-isolation process


async def _announce(server: uvicorn.Server, service: StepFunctionsService) -> None:
    """Print the address once bound (the real port when asked for port 0), for scripts and tests to read."""
    while not server.started:
        await asyncio.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    _workers_call_here(service, f"http://{host}:{port}")
    print(f"asl serve: listening on http://{host}:{port}", flush=True)


def _workers_call_here(service: StepFunctionsService, url: str) -> None:
    """Functions in worker processes make their AWS calls to this endpoint (Step Functions, moto behind it),
    as in-process ones reach the service and its moto directly."""
    workers = service.resources.functions.workers
    if workers is None:
        return
    workers.environment["AWS_ENDPOINT_URL"] = url
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # signed as any local client signs
        if key not in os.environ:
            workers.environment[key] = "testing"


async def _sweep(service: StepFunctionsService, retention: float) -> None:
    """Forget closed executions older than the retention, as AWS does after 90 days."""
    while True:
        service.store.purge_closed(service.clock.time() - retention)
        await asyncio.sleep(SWEEP_INTERVAL)
