"""Endpoints of asl serve itself (not AWS's), under ``/_asl/``: health and the virtual clock.

``POST /_asl/clock/advance`` with ``{"seconds": N}`` moves a ``--virtual-clock``
server's time forward; waiting timers that come due fire at once.
``GET /_asl/pipes/polls`` counts each running pipe's finished polls, by ARN.
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
from asl_engine.server.service import StepFunctionsService

CLOCK_OFFSET = "clock_offset"  # store meta key: a restarted server keeps its virtual time


def admin_app(service: StepFunctionsService, advance_clock: Callable[[float], None] | None = None,
              pipe_polls: Callable[[], dict[str, int]] | None = None) -> Starlette:
    """``advance_clock`` moves time (default: the clock's own advance; the event services step their timers);
    ``pipe_polls`` counts the pipes' polls (default: no pipes)."""
    clock = service.clock

    def _clock_state() -> dict:
        return {"now": clock.now().isoformat(), "epoch": clock.time(), "virtual": isinstance(clock, ShiftedClock)}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "actions": service.implemented})

    async def get_clock(request: Request) -> JSONResponse:
        return JSONResponse(_clock_state())

    async def advance(request: Request) -> JSONResponse:
        if not isinstance(clock, ShiftedClock):
            return JSONResponse({"message": "the server runs on the real clock: start it with --virtual-clock"}, 409)
        try:
            seconds = json.loads(await request.body() or b"{}").get("seconds")
        except (ValueError, AttributeError):
            seconds = None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or seconds < 0:
            return JSONResponse({"message": 'expected {"seconds": N} with N a finite number >= 0'}, 400)
        (advance_clock or clock.advance)(seconds)
        service.store.set_meta(CLOCK_OFFSET, repr(clock.offset))
        return JSONResponse(_clock_state())

    async def get_pipe_polls(request: Request) -> JSONResponse:
        return JSONResponse(pipe_polls() if pipe_polls is not None else {})

    return Starlette(routes=[Route("/_asl/health", health), Route("/_asl/clock", get_clock),
                             Route("/_asl/clock/advance", advance, methods=["POST"]),
                             Route("/_asl/pipes/polls", get_pipe_polls)])
