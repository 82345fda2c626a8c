"""Lambda's API on the one endpoint, for the functions asl serve runs in-process.

Those are the functions given on the command line (``--resource``, ``--template``) and the ones a client
creates: CreateFunction with a zip of Python code (``Code.ZipFile``, or ``Code.S3Bucket``/``S3Key`` in moto's
S3) for a python3.x runtime.  ``lambda.invoke(FunctionName=...)`` at the service's URL and a workflow's
Lambda task reach the same handler (the engine's LocalFunctions).

Why moto stays in the loop: it keeps Lambda's registry (GetFunction, ListFunctions, versions, aliases, its
checks of names, roles and S3 code), as it does for a template's functions; what it cannot do is run a
function without Docker.  So CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration and
DeleteFunction are forwarded to moto and, once it accepted one, the function as moto now holds it (code and
configuration) is stored under the server's state directory and registered locally (``FunctionPackages``);
only Invoke is answered here.  The state directory is ``<--db>.functions`` (a temporary directory for
``:memory:``): a restart on the same --db registers its functions again, in moto too.

A function moto holds that cannot run here (another runtime, a container image) answers Invoke with
``InvalidRuntimeException`` and says why, instead of moto's attempt to start Docker.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Scope

from asl_engine.errors import StatesError
from asl_engine.integrations.lambda_.packages import FunctionConfig, FunctionPackages
from asl_engine.integrations.lambda_.providers import LambdaRequest, LambdaResponse, function_name
from asl_engine.server.context import Caller
from asl_engine.store import SqliteStore

if TYPE_CHECKING:
    from asl_engine.server.service import StepFunctionsService

_INVOKE = re.compile(r"/2015-03-31/functions/(?P<function>[^/]+)/invocations")
_CREATE = re.compile(r"/2015-03-31/functions/?")
_FUNCTION = re.compile(r"/2015-03-31/functions/(?P<function>[^/]+)(?P<part>/code|/configuration)?")
_CHANGES = {("PUT", "/code"), ("PUT", "/configuration"), ("DELETE", None)}
_LAMBDA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class LambdaApi:
    """Answers Invoke for the local functions and keeps the created ones in step with moto's registry."""

    def __init__(self, service: StepFunctionsService, moto: ASGIApp | None) -> None:
        self.functions = service.resources.functions
        self.clock = service.clock
        self.moto = moto
        # created functions are kept beside the SQLite file; for :memory:, in a directory gone with the server
        self._scratch: tempfile.TemporaryDirectory | None = None
        if isinstance(service.store, SqliteStore):
            root = Path(service.store.path + ".functions")
        else:
            self._scratch = tempfile.TemporaryDirectory(prefix="asl-functions-")
            root = Path(self._scratch.name)
        self.packages = FunctionPackages(root, self.functions)
        self._background: set[asyncio.Task] = set()
        if moto is not None:  # without moto there is no Lambda registry to create functions in
            for config in self.packages.restore():
                _recreate_in_moto(config, self.packages.code(config.name))

    def handles(self, request: Request) -> bool:
        """Whether the request is for this API: Invoke of a local or created function, or a change to a
        function (answered by moto, mirrored here).  Every other Lambda call goes on to moto."""
        path, method = request.url.path, request.method
        if (match := _INVOKE.fullmatch(path)) is not None:
            name = unquote(match["function"])
            return method == "POST" and (name in self.functions or self.packages.owns(function_name(name)))
        if self.moto is None:
            return False
        if method == "POST" and _CREATE.fullmatch(path):
            return True
        match = _FUNCTION.fullmatch(path)
        return match is not None and (method, match["part"]) in _CHANGES

    async def __call__(self, request: Request, caller: Caller) -> Response:
        if (match := _INVOKE.fullmatch(request.url.path)) is not None:
            return await self.invoke(request, unquote(match["function"]), caller)
        return await self._change(request)

    async def invoke(self, request: Request, function: str, caller: Caller) -> Response:
        call = LambdaRequest(function=function, payload=await request.body(), region=caller.region,
                             account=caller.account, request_id=str(uuid.uuid4()),
                             qualifier=request.query_params.get("Qualifier"),
                             invocation_type=request.headers.get("x-amz-invocation-type", "RequestResponse"),
                             log_type=request.headers.get("x-amz-log-type"))
        if call.name not in self.functions:  # created, but not something asl serve can run
            config = self.packages.config(call.name)
            what = f"runtime {config.runtime}" if config and config.runtime else "a container image"
            return _error("InvalidRuntimeException", f"asl serve runs Python (python3.x) functions from a zip "
                          f"in-process; {call.name} has {what}, which it cannot run", 502, call.request_id)
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
        if answer.status == 204:  # DryRun: no body at all
            return Response(status_code=204, headers=headers)
        return Response(answer.payload, answer.status, headers, media_type="application/json")

    async def _run(self, call: LambdaRequest) -> LambdaResponse:
        try:
            answer = await self.functions.invoke(call, self.clock)
        except StatesError as e:  # a handler failing a task by name: over HTTP, an unhandled function error
            body = json.dumps({"errorType": e.error, "errorMessage": e.cause or ""}).encode()
            return LambdaResponse(body, call.request_id, function_error="Unhandled")
        assert answer is not None, "the function was checked to be local"
        return answer

    async def _change(self, request: Request) -> Response:
        """CreateFunction, UpdateFunctionCode/Configuration, DeleteFunction: moto answers, the function here
        follows what it accepted."""
        assert self.moto is not None, "changes are taken only with moto on"
        status, headers, body = await _forward(self.moto, request.scope, await request.body())
        if 200 <= status < 300:
            if request.method == "DELETE":
                match = _FUNCTION.fullmatch(request.url.path)
                name = function_name(unquote(match["function"]))  # type: ignore[index]
                if "Qualifier" not in request.query_params and self.packages.owns(name):
                    self.packages.delete(name)
            else:
                answer = json.loads(body)
                if request.method == "POST" or self.packages.owns(answer["FunctionName"]):
                    self._mirror(answer["FunctionArn"])
        response = Response(body, status)
        response.raw_headers = headers
        return response

    def _mirror(self, arn: str) -> None:
        """The function as moto holds it now, stored and registered here."""
        from moto.awslambda.models import lambda_backends

        parts = arn.split(":")
        region, account, name = parts[3], parts[4], parts[6]
        fn = lambda_backends[account][region].get_function(name)
        config = FunctionConfig(name, fn.run_time, fn.handler, fn.role, region, account, fn.timeout,
                                fn.memory_size, dict(fn.environment_vars or {}), fn.description or "")
        self.packages.put(config, fn.code_bytes or b"")


def _recreate_in_moto(config: FunctionConfig, code: bytes) -> None:
    """A stored function back in moto's registry after a restart (its role in IAM first, as Lambda checks it)."""
    from moto.awslambda.models import lambda_backends
    from moto.iam.models import iam_backends

    iam = iam_backends[config.account]["aws"]
    try:
        iam.get_role_by_arn(config.role)
    except Exception:  # moto's IAMNotFoundException: the role went with the process
        path, _, role = config.role.split(":role", 1)[1].rpartition("/")
        iam.create_role(role, _LAMBDA_TRUST, path + "/", None, "", [], None)
    spec: dict[str, Any] = {"FunctionName": config.name, "Runtime": config.runtime, "Role": config.role,
                            "Handler": config.handler, "Timeout": config.timeout, "MemorySize": config.memory,
                            "Environment": {"Variables": config.environment}, "Description": config.description,
                            "Code": {"ZipFile": base64.b64encode(code).decode()}}
    lambda_backends[config.account][config.region].create_function(spec)


async def _forward(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The request (its body already read) through ``app``; its status, raw headers and body."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return start["status"], list(start.get("headers", [])), b"".join(chunks)


def _error(code: str, message: str, status: int, request_id: str) -> Response:
    """A Lambda API error as boto3 reads it (the code in x-amzn-ErrorType)."""
    return JSONResponse({"Type": "User", "message": message}, status,
                        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": request_id})
