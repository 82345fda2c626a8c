"""Endpoints of asl serve itself (not AWS's), under ``/_asl/``: health and the virtual clock.

``POST /_asl/clock/advance`` moves a ``--virtual-clock`` server's time forward,
by ``{"seconds": N}``, to ``{"until": EPOCH}``, or ``{"toNextTimer": true}``:
to the earliest timer of an execution, once everything runnable has run (the
engine's jump-when-idle, one step at a time).  Waiting timers that come due
fire at once.  ``GET /_asl/clock`` tells the time and ``nextTimer`` (epoch
seconds, or null); with ``?settle=true`` it first lets the executions run
until they all wait (``settled`` says whether they did within 2 s).
``GET /_asl/pipes/polls`` counts each running pipe's finished polls, by ARN.
``POST /_asl/mock-config`` replaces the MockConfigFile (see ``mock_config``).
``/_asl/events/failures`` injects failures into event targets (see ``event_services``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from asl_engine.server.clock import ShiftedClock
from asl_engine.server.mock_config import mock_config_route
from asl_engine.server.service import StepFunctionsService

CLOCK_OFFSET = "clock_offset"  # store meta key: a restarted server keeps its virtual time


def admin_app(service: StepFunctionsService, advance_clock: Callable[[float], None] | None = None,
              pipe_polls: Callable[[], dict[str, int]] | None = None,
              event_failures: Route | None = None) -> Starlette:
    """``advance_clock`` moves time (default: the clock's own advance; the event services step their timers);
    ``pipe_polls`` counts the pipes' polls (default: no pipes); ``event_failures`` is the event services'
    failure injection route (default: none)."""
    clock = service.clock

    def _clock_state() -> dict:
        next_timer = clock.next_timer() if isinstance(clock, ShiftedClock) else None
        return {"now": clock.now().isoformat(), "epoch": clock.time(), "virtual": isinstance(clock, ShiftedClock),
                "nextTimer": next_timer}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "actions": service.implemented})

    async def get_clock(request: Request) -> JSONResponse:
        if request.query_params.get("settle") == "true" and isinstance(clock, ShiftedClock):
            settled = await clock.settle()
            return JSONResponse({**_clock_state(), "settled": settled})
        return JSONResponse(_clock_state())

    async def advance(request: Request) -> JSONResponse:
        if not isinstance(clock, ShiftedClock):
            return JSONResponse({"message": "the server runs on the real clock: start it with --virtual-clock"}, 409)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        seconds = await _seconds(clock, body)
        if isinstance(seconds, str):
            return JSONResponse({"message": seconds}, 400)
        (advance_clock or clock.advance)(seconds)
        service.store.set_meta(CLOCK_OFFSET, repr(clock.offset))
        return JSONResponse({**_clock_state(), "advanced": seconds})

    async def get_pipe_polls(request: Request) -> JSONResponse:
        return JSONResponse(pipe_polls() if pipe_polls is not None else {})

    return Starlette(routes=[Route("/_asl/health", health), Route("/_asl/clock", get_clock),
                             Route("/_asl/clock/advance", advance, methods=["POST"]),
                             Route("/_asl/pipes/polls", get_pipe_polls), mock_config_route(service.mock_configs),
                             *([event_failures] if event_failures is not None else [])])


_ADVANCE_USAGE = ('expected one of {"seconds": N}, {"until": EPOCH} (N, EPOCH finite numbers, N >= 0) '
                  'or {"toNextTimer": true}')


async def _seconds(clock: ShiftedClock, body: object) -> float | str:
    """How far an advance request moves the clock, or what is wrong with it."""
    if not isinstance(body, dict) or len(body) != 1:
        return _ADVANCE_USAGE
    (key, value), = body.items()
    if key == "toNextTimer" and value is True:
        await clock.settle()  # what can run now runs first, or the timer it would set is missed
        due = clock.next_timer()
        return 0.0 if due is None else max(0.0, due - clock.time())
    if key not in ("seconds", "until") or isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        return _ADVANCE_USAGE
    if key == "until":
        return max(0.0, value - clock.time())
    return float(value) if value >= 0 else _ADVANCE_USAGE
