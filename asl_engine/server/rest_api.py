"""A restJson1 API (Scheduler, Pipes, Schemas) answered by the methods of one service object per region.

Like the Events endpoint, a thin adapter: ``rest_json`` reads the call from
the model's HTTP bindings, the object's method (``CreatePipe`` ->
``create_pipe``) validates against the model and raises EventBridgeError
with AWS's code, and the error is answered with the status and body shape
the model gives that code.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.shapes import service_model
from asl_engine.server.context import Caller
from asl_engine.server.events_api import implemented_actions
from asl_engine.server.rest_json import RestJsonError, RestJsonProtocol

log = logging.getLogger("asl_engine.server.rest")

_REQUEST_ERRORS = ("ValidationException", "SerializationException")


class RestEndpoint:
    """``cls`` is the service object's class (its methods are the actions); ``resolve`` picks the caller's one.

    ``validation_code`` is the code this service gives a request that breaks the model (Schemas has no
    ValidationException and answers BadRequestException).
    """

    def __init__(self, service: str, cls: type, resolve: Callable[[Caller], Any],
                 validation_code: str = "ValidationException") -> None:
        self.model = service_model(service)
        self.protocol = RestJsonProtocol(self.model)
        self._actions = implemented_actions(cls, self.model)
        self._resolve = resolve
        self._validation_code = validation_code

    async def __call__(self, request: Request, caller: Caller) -> Response:
        try:
            operation, params = await self.protocol.read(request)
            method = self._actions.get(operation.name)
            if method is None:
                raise RestJsonError("NotImplemented", f"asl serve does not implement {operation.name} yet")
            result = getattr(self._resolve(caller), method)(**params)
            return self.protocol.result(operation, await result if inspect.isawaitable(result) else result)
        except (RestJsonError, EventBridgeError) as e:
            code = self._validation_code if e.code in _REQUEST_ERRORS else e.code
            return self.protocol.error(code, e.message)
        except Exception:
            log.exception("internal error in %s %s", request.method, request.url.path)
            return self.protocol.error("InternalFailure", "An internal error occurred")
