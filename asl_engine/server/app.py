"""The ASGI application: one port for Step Functions, the admin endpoints, and moto for the rest.

A request is Step Functions' when its ``X-Amz-Target`` names the service or
its SigV4 scope is ``states``; Events (``AWSEvents.*`` or scope ``events``), Scheduler,
Pipes and Schemas (by scope) go to the event services; ``/_asl/...`` is the admin API; a Lambda
Invoke of a function asl serve runs itself is answered here; anything else
goes to moto (when enabled), which tells services apart the way AWS does.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asl_engine.server import protocol
from asl_engine.server.admin import admin_app
from asl_engine.server.context import Caller, account_of, signing_scope
from asl_engine.server.errors import ApiError
from asl_engine.server.event_services import EventServices
from asl_engine.server.events_api import is_events_call
from asl_engine.server.lambda_api import LambdaApi
from asl_engine.server.model import SIGNING_NAME, TARGET_PREFIX
from asl_engine.server.service import StepFunctionsService
from asl_engine.sim.hosting import Simulators

log = logging.getLogger("asl_engine.server")


class Gateway:
    """Routes each HTTP request to the Step Functions endpoint, the admin app, a local function, or moto."""

    def __init__(self, service: StepFunctionsService, moto: ASGIApp | None = None) -> None:
        self.service = service
        self.event_services = EventServices(service)  # Events, Scheduler, Pipes, Schemas
        self.admin = admin_app(service, self.event_services.advance, self.event_services.pipe_polls,
                               self.event_services.failures_route())
        self.lambdas = LambdaApi(service, moto)  # Invoke of local functions; created ones mirrored from moto
        self.moto = moto
        self.simulators: Simulators | None = None  # moto's SageMaker and Batch on the server's clock
        self.simulation: ASGIApp | None = None  # /_asl/sim/: failure injection into the simulators
        if moto is not None:
            from asl_engine.server.moto_bridge import moto_simulators, simulation_admin

            self.simulators = moto_simulators(service.clock, self.event_services)
            self.simulation = simulation_admin(self.simulators)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        send = self._after_commit(send)
        if scope["path"].startswith("/_asl/"):
            if self.simulation is not None and scope["path"].startswith("/_asl/sim/"):
                await self.simulation(scope, receive, send)
            else:
                await self.admin(scope, receive, send)
            return
        target, authorization, account = _routing_headers(scope)
        signed = signing_scope(authorization)
        caller = _caller(signed, account_of(authorization, account))
        if target.startswith(TARGET_PREFIX + ".") or (signed is not None and signed[1] == SIGNING_NAME):
            await self._step_functions(scope, receive, send, target, caller)
            return
        await self._other(scope, receive, send, target, signed, caller)

    def _after_commit(self, send: Send) -> Send:
        """``send``, holding a response back until the writes behind it are committed (see RESUME.md)."""
        store = self.service.store

        async def send_committed(message: Message) -> None:
            if message["type"] == "http.response.start":
                await store.committed()
            await send(message)

        return send_committed

    async def _other(self, scope: Scope, receive: Receive, send: Send, target: str,
                     signed: tuple[str, str] | None, caller: Caller) -> None:
        """Everything but Step Functions and the admin API: the event services, a local function, or moto.

        moto gets the request as sent and picks its account its own way (see ``context``).
        """
        request = Request(scope, receive)
        if is_events_call(target, signed[1] if signed else None):
            response = await self.event_services.events_api(request, caller)
        elif signed is not None and signed[1] in self.event_services.rest_apis:
            response = await self.event_services.rest_apis[signed[1]](request, caller)
        elif self.lambdas.handles(request):
            response = await self.lambdas(request, caller)
        elif self.moto is not None:
            await self.moto(scope, receive, send)
            return
        else:
            response = JSONResponse({"message": "asl serve answers Step Functions only (moto is off)"}, 404)
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Close the service (executions' tasks, the store) when the server shuts down.

        Here rather than after ``Server.serve()`` returns: on SIGTERM uvicorn re-raises the signal once it
        has shut down, which ends the process before any code after it runs.
        """
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.event_services.start()
                if self.simulators is not None:
                    self.simulators.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.simulators is not None:
                    await self.simulators.close()
                await self.event_services.close()
                await self.service.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _step_functions(self, scope: Scope, receive: Receive, send: Send, target: str, caller: Caller) -> None:
        """An awsJson call, on raw ASGI messages (see ``protocol``)."""
        try:
            body = await protocol.read_body(receive, protocol.content_length(scope["headers"]))
            op, params = protocol.parse_call(target, body)
            reply = protocol.result(await self.service.call(op.name, params, caller))
        except ClientDisconnect:
            return  # nobody to answer, and the call was not acted on
        except ApiError as e:
            reply = protocol.error(e)
        except Exception:
            log.exception("internal error in %s", target)
            reply = protocol.error(ApiError("InternalFailure", "An internal error occurred in asl serve"))
        await reply.send(send)


def _routing_headers(scope: Scope) -> tuple[str, str, str]:
    """``X-Amz-Target``, ``Authorization`` and ``x-moto-account-id``, read off the raw headers without building
    a Headers object."""
    target = authorization = account = ""
    for name, value in scope["headers"]:
        if name == b"x-amz-target":
            target = value.decode("latin-1")
        elif name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"x-moto-account-id":
            account = value.decode("latin-1")
    return target, authorization, account


def _caller(signed: tuple[str, str] | None, account: str) -> Caller:
    return Caller(region=signed[0], account=account) if signed else Caller(account=account)
