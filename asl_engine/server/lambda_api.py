"""Lambda's Invoke for the functions asl serve runs itself (``--resource``), on the one endpoint.

``lambda.invoke(FunctionName=...)`` at the service's URL reaches the same
local handler a workflow's Task calls; functions asl serve does not have go
on to moto, like every other service.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from asl_engine.errors import StatesError
from asl_engine.integrations.lambda_.providers import LambdaRequest, LambdaResponse, LocalFunctions
from asl_engine.runtime.clock import Clock
from asl_engine.server.context import Caller

_INVOKE = re.compile(r"/2015-03-31/functions/(?P<function>[^/]+)/invocations")


class LambdaInvoke:
    """Answers ``POST /2015-03-31/functions/<name>/invocations`` for the local functions."""

    def __init__(self, functions: LocalFunctions, clock: Clock) -> None:
        self.functions = functions
        self.clock = clock
        self._background: set[asyncio.Task] = set()

    def function(self, request: Request) -> str | None:
        """The local function a request invokes, or None when it is not for one of them."""
        match = _INVOKE.fullmatch(request.url.path)
        if request.method != "POST" or match is None:
            return None
        name = unquote(match["function"])
        return name if name in self.functions else None

    async def invoke(self, request: Request, function: str, caller: Caller) -> Response:
        call = LambdaRequest(function=function, payload=await request.body(), region=caller.region,
                             account=caller.account, request_id=str(uuid.uuid4()),
                             qualifier=request.query_params.get("Qualifier"),
                             invocation_type=request.headers.get("x-amz-invocation-type", "RequestResponse"),
                             log_type=request.headers.get("x-amz-log-type"))
        if call.invocation_type == "Event":  # queued: Lambda answers 202 at once and runs it later
            task = asyncio.ensure_future(self._run(call))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return Response(status_code=202, headers={"x-amzn-RequestId": call.request_id})
        answer = await self._run(call)
        headers = {"x-amzn-RequestId": answer.request_id, "X-Amz-Executed-Version": answer.executed_version}
        if answer.function_error:
            headers["X-Amz-Function-Error"] = answer.function_error
        if answer.log_result:
            headers["X-Amz-Log-Result"] = answer.log_result
        return Response(answer.payload, answer.status, headers, media_type="application/json")

    async def _run(self, call: LambdaRequest) -> LambdaResponse:
        try:
            answer = await self.functions.invoke(call, self.clock)
        except StatesError as e:  # a handler failing a task by name: over HTTP, an unhandled function error
            body = json.dumps({"errorType": e.error, "errorMessage": e.cause or ""}).encode()
            return LambdaResponse(body, call.request_id, function_error="Unhandled")
        assert answer is not None, "the function was checked to be local"
        return answer
