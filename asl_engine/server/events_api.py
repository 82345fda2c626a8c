"""The Events API (awsJson1_1, ``X-Amz-Target: AWSEvents.<Action>``) over ``EventBridge`` objects.

A thin adapter: the action names a method of ``asl_engine.eventbridge.EventBridge``
(``PutRule`` -> ``put_rule``), which validates the request against botocore's
model and raises EventBridgeError with AWS's code; this module only reads the
wire format and writes ``{"__type": code, "message": ...}`` with the status
the model gives the error. Actions the object does not implement answer 501.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from botocore import xform_name
from starlette.requests import Request
from starlette.responses import Response

from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.shapes import service_model
from asl_engine.server.context import Caller
from asl_engine.server.rest_json import error_status, json_default

log = logging.getLogger("asl_engine.server.events")

MODEL = service_model("events")
TARGET_PREFIX: str = MODEL.metadata["targetPrefix"]  # "AWSEvents"
SIGNING_NAME: str = MODEL.signing_name  # "events"
CONTENT_TYPE = f"application/x-amz-json-{MODEL.metadata['jsonVersion']}"
MAX_BODY = 1024 * 1024  # PutEvents' 256 KiB quota, JSON-escaped, fits


def implemented_actions(cls: type, model: Any) -> dict[str, str]:
    """Operation name -> method name, for the operations of ``model`` that ``cls`` defines."""
    return {op: xform_name(op) for op in model.operation_names if callable(getattr(cls, xform_name(op), None))}


ACTIONS = implemented_actions(EventBridge, MODEL)


def is_events_call(target: str, signed_service: str | None) -> bool:
    """Whether a request is for the Events API (by its target header, or its SigV4 service)."""
    return target.startswith(TARGET_PREFIX + ".") or signed_service == SIGNING_NAME


class EventsEndpoint:
    """Answers Events calls with the EventBridge of the caller's region (``resolve(caller)``)."""

    def __init__(self, resolve: Callable[[Caller], EventBridge]) -> None:
        self._resolve = resolve

    async def __call__(self, request: Request, caller: Caller) -> Response:
        target = request.headers.get("x-amz-target", "")
        try:
            method = self._method(target)
            body = await request.body()
            if len(body) > MAX_BODY:
                raise EventBridgeError(f"Request body is larger than {MAX_BODY} bytes",
                                       "RequestEntityTooLargeException")
            params = _params(body)
            return _answer(200, getattr(self._resolve(caller), method)(**params))
        except EventBridgeError as e:
            return _answer(error_status(MODEL, e.code), {"__type": e.code, "message": e.message},
                           {"X-Amzn-ErrorType": e.code})
        except Exception:
            log.exception("internal error in %s", target)
            return _answer(500, {"__type": "InternalException", "message": "An internal error occurred"},
                           {"X-Amzn-ErrorType": "InternalException"})

    @staticmethod
    def _method(target: str) -> str:
        prefix, _, action = target.partition(".")
        if prefix != TARGET_PREFIX or action not in MODEL.operation_names:
            raise EventBridgeError(f"Unknown operation: '{target}'", "UnknownOperationException")
        if action not in ACTIONS:
            raise EventBridgeError(f"asl serve does not implement {action} yet", "NotImplemented")
        return ACTIONS[action]


def _params(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as e:
        raise EventBridgeError(f"The request body is not valid JSON: {e}", "SerializationException") from None
    if not isinstance(params, dict):
        raise EventBridgeError("The request body must be a JSON object", "SerializationException")
    return params


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=json_default)
    return Response(text, status, {"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
                    media_type=CONTENT_TYPE)
