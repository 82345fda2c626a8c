"""Every AWS service asl serve does not emulate itself, answered by moto's server in this process.

moto keeps its backends in module-level state, so the requests served here
and the boto3 calls the engine's integrations make under ``mock_aws`` see
the same queues, tables and buckets.  ``start_moto`` is started before the
first request: starting it later would reset what clients already created.

Two things moto's server lacks are added here.  Its SageMaker and Batch get
the simulators (``asl_engine.sim``) on the server's clock, whose events go
to the caller's default EventBridge bus, so a job progresses as the clock
moves and a rule on "Batch Job State Change" fires as it would on AWS.  And
an action moto does not implement (or an error inside moto) is answered the
way AWS answers, in the service's protocol, instead of Flask's text page
"500 Internal Server Error" that botocore cannot parse.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import cache
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from a2wsgi import WSGIMiddleware
from moto.server import DomainDispatcherApplication, create_backend_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from asl_engine.integrations.clients import start_moto
from asl_engine.runtime.clock import Clock
from asl_engine.server.context import Caller, signing_scope
from asl_engine.sim.failures import KINDS
from asl_engine.sim.hosting import Simulators, attach_simulators

if TYPE_CHECKING:
    from asl_engine.server.event_services import EventServices

log = logging.getLogger("asl_engine.server")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def moto_app() -> ASGIApp:
    """moto's server as an ASGI app (its WSGI app on a2wsgi's thread pool), its mock started first."""
    start_moto()
    return WSGIMiddleware(_AwsErrors(DomainDispatcherApplication(create_backend_app)))


def moto_simulators(clock: Clock, event_services: EventServices) -> Simulators:
    """The simulators behind moto's SageMaker and Batch on the server's clock; each event goes to the default
    bus of the account and region it belongs to, where that caller's rules see it."""

    def to_default_bus(event: dict[str, Any]) -> None:
        caller = Caller(region=event["region"], account=event["account"])
        event_services.region(caller).events.accept_event("default", event)

    return attach_simulators(clock, to_default_bus)


def simulation_admin(simulators: Simulators) -> ASGIApp:
    """``POST /_asl/sim/failures`` with ``{"kind": "BatchJob", "pattern": "score-*", "reason": "..."}``: jobs
    or deployments whose name matches fail with that reason, as ``FailureRules.add`` makes them in-process;
    ``GET`` lists the rules.  A client of the server has no other way to make a Batch job fail."""

    async def failures(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                rule = json.loads(await request.body() or b"{}")
                simulators.failures.add(str(rule["kind"]), str(rule["pattern"]), str(rule["reason"]))
            except (ValueError, KeyError, TypeError) as e:
                return JSONResponse({"message": f'expected {{"kind", "pattern", "reason"}}, kind one of '
                                                f'{sorted(KINDS)}: {e}'}, 400)
        return JSONResponse({"failures": [{"kind": r.kind, "pattern": r.pattern, "reason": r.reason}
                                          for r in simulators.failures.rules]})

    return Starlette(routes=[Route("/_asl/sim/failures", failures, methods=["GET", "POST"])])


class _AwsErrors:
    """moto's WSGI app, with an exception escaping it answered as AWS answers: 501 ``NotImplemented`` for an
    action moto lacks, 500 ``InternalFailure`` otherwise, in the body the service's protocol parses."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return self._app(environ, start_response)
        except NotImplementedError as e:
            return _error(environ, start_response, 501, "NotImplemented",
                          f"asl serve's moto does not implement {_action(environ, e)} ({e})")
        except Exception as e:
            log.exception("moto failed on %s", _action(environ))
            return _error(environ, start_response, 500, "InternalFailure",
                          f"moto failed on {_action(environ)}: {type(e).__name__}: {e}")


def _error(environ: dict[str, Any], start_response: Callable[..., Any], status: int, code: str,
           message: str) -> Iterable[bytes]:
    """The error in the shape botocore's parser for the service's protocol reads (code, message, status)."""
    protocol = _protocol(environ)
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    else:
        error = (f"<Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type><Code>{code}</Code>"
                 f"<Message>{escape(message)}</Message></Error>")
        body = {"ec2": f"<Response><Errors>{error}</Errors><RequestID>{_REQUEST_ID}</RequestID></Response>",
                "rest-xml": error}.get(protocol, f"<ErrorResponse>{error}<RequestId>{_REQUEST_ID}</RequestId>"
                                                 "</ErrorResponse>").encode()
        content_type = "text/xml"
    reason = "Not Implemented" if status == 501 else "Internal Server Error"
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                          ("x-amzn-ErrorType", code), ("x-amzn-RequestId", _REQUEST_ID)])
    return [body]


def _protocol(environ: dict[str, Any]) -> str:
    """The protocol of the service the request is signed for (botocore's model), else guessed from the request:
    ``X-Amz-Target`` is awsJson, a form body is the query protocol, anything else REST with JSON."""
    scope = signing_scope(environ.get("HTTP_AUTHORIZATION", ""))
    protocol = _model_protocol(scope[1]) if scope else None
    if protocol is not None:
        return protocol
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return "query"
    return "rest-json"


@cache
def _model_protocol(signing_name: str) -> str | None:
    import botocore.session

    session = botocore.session.get_session()
    names = (signing_name, _SIGNING_NAMES.get(signing_name, signing_name))
    for name in names:
        try:
            return str(session.get_service_model(name).protocol)
        except Exception:  # no model by that name: an unknown service, guessed from the request
            continue
    return None


def _action(environ: dict[str, Any], error: Exception | None = None) -> str:
    """``service:Action`` as far as the request says: the target, the query's Action, the action moto's
    NotImplementedError names (a form body's Action is consumed by then), or the method and path."""
    scope = signing_scope(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope[1] if scope else "?"
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return f"{service}:{action[0]}"
    named = _MOTO_UNIMPLEMENTED.search(str(error)) if error is not None else None
    if named:
        return f"{service}:{''.join(part.title() for part in named[1].split('_'))}"
    return f"{service} {environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"


_MOTO_UNIMPLEMENTED = re.compile(r"The (\w+) action has not been implemented")  # moto's BaseResponse wording
_REQUEST_ID = "00000000-0000-0000-0000-000000000000"
_SIGNING_NAMES = {"execute-api": "apigateway"}  # signing names that are not botocore service names
