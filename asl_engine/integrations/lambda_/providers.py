"""Where a Lambda function runs: one interface, several providers.

A provider answers an Invoke exactly as the Lambda service would (the
response body, FunctionError, ExecutedVersion, the log tail) and knows
nothing of Step Functions; ``lambda_.task`` turns that into the task's result
or AWS's error.  Providers are asked in order and the first that has the
function answers:

* ``LocalFunctions``: Python handlers run in-process (the default) or in worker processes of their own
  (``isolation="process"``, ``lambda_.workers``), registered by hand or found in a SAM ``template.yaml``
  (no Docker);
* ``EndpointFunctions``: any Lambda Invoke API (AWS, ``sam local
  start-lambda`` at 127.0.0.1:3001, moto) through the run's ClientFactory.

Functions a client creates through ``asl serve``'s Lambda API (a zip of
Python code) are unpacked and registered into the same ``LocalFunctions``
(``lambda_.packages``), so a workflow and Invoke reach them alike.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import importlib.util
import inspect
import itertools
import json
import os
import signal
import sys
import weakref
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from asl_engine.errors import StatesError
from asl_engine.integrations.errors import ServiceFailure, sdk_client_exception
from asl_engine.integrations.lambda_.handlers import (
    LambdaContext,
    error_body,
    load_handler,
    response_body,
    takes_context,
)
from asl_engine.integrations.lambda_.workers import MAX_WORKERS, Outcome, WorkerPools, WorkerSpec
from asl_engine.integrations.services.call import ServiceCallError, call_operation
from asl_engine.integrations.services.model import operation
from asl_engine.sam import load_application
from asl_engine.sam.model import Function


@dataclass(slots=True)
class LambdaRequest:
    """One Invoke call: ``function`` is a name, partial ARN or ARN, possibly with ``:qualifier``;
    ``payload`` is the request body (JSON text, as Lambda receives it)."""

    function: str
    payload: bytes
    region: str
    account: str
    request_id: str
    qualifier: str | None = None
    invocation_type: str = "RequestResponse"
    log_type: str | None = None

    @property
    def name(self) -> str:
        return function_name(self.function)

    @property
    def qualified_arn(self) -> str:
        """The ARN Lambda names in its errors: ``arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST``."""
        parts = self.function.split(":")
        region, account = self.region, self.account
        if len(parts) >= 7 and parts[0] == "arn":
            region, account = parts[3] or region, parts[4] or account
        elif len(parts) >= 3 and parts[1] == "function":
            account = parts[0]
        return f"arn:aws:lambda:{region}:{account}:function:{self.name}:{self.version}"

    @property
    def version(self) -> str:
        parts = self.function.split(":")
        own = parts[7] if len(parts) >= 8 and parts[0] == "arn" else (parts[1] if len(parts) == 2 else None)
        return self.qualifier or own or "$LATEST"


@dataclass(slots=True)
class LambdaResponse:
    """What Invoke returned: the raw body and, for a function error, ``function_error`` ("Unhandled")."""

    payload: bytes
    request_id: str
    status: int = 200
    function_error: str | None = None
    executed_version: str = "$LATEST"
    log_result: str | None = None


class LambdaServiceError(Exception):
    """The Lambda service refused the call (no such function, throttled): ``failure`` as the API said it."""

    def __init__(self, failure: ServiceFailure) -> None:
        super().__init__(f"{failure.code}: {failure.message}")
        self.failure = failure


class LambdaProvider(Protocol):
    async def invoke(self, request: LambdaRequest, clock: Any) -> LambdaResponse | None:
        """The response, or None when this provider does not have the function."""


def function_name(name_or_arn: str) -> str:
    """``my-fn``, ``my-fn:alias``, ``123:function:my-fn`` or a full ARN -> ``my-fn``."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def not_found(request: LambdaRequest, request_id: str) -> LambdaServiceError:
    return LambdaServiceError(ServiceFailure("ResourceNotFoundException",
                                             f"Function not found: {request.qualified_arn}", 404, request_id))


# ---- in-process Python handlers


@dataclass
class LocalFunction:
    """A Python handler with the configuration Lambda would give it."""

    name: str
    handler: Callable[..., Any]
    code_dir: Path | None = None  # frames under it are reported as /var/task/..., as Lambda shows them
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int | None = None  # seconds; None (a handler registered from Python) runs as long as it takes
    memory: int = 128
    init_error: dict[str, Any] | None = None  # what Invoke answers when the code could not be imported
    worker: WorkerSpec | None = None  # isolation="process": runs in a worker process started from this


ISOLATIONS = ("in-process", "process")


class LocalFunctions:
    """In-process handlers by function name.  ``handler(event, context)`` or ``fn(event)``, sync or async:
    a coroutine handler waits on the execution's clock, so ``await asyncio.sleep(60)`` costs no time
    under a VirtualClock; a function with a Timeout is answered ``Sandbox.Timedout`` when it runs past it
    (see ``invoke``).

    ``isolation="process"`` runs the functions of a template, and handlers registered by name
    (``"module:function"``, ``"file.py:function"``), in worker processes instead, as Lambda runs them: a
    pool of up to ``max_workers`` per function, each worker with the function's Environment in its own
    ``os.environ``, invocations of a function in parallel, a timed-out worker killed (``lambda_.workers``).
    A callable registered by hand cannot cross to another process: it stays in-process.  ``moto``: each
    worker starts moto's mock_aws of its own before importing its code (for a run whose AWS is moto, so a
    function's calls never reach AWS; it does not see the run's moto state).  ``close`` ends the workers.
    """

    def __init__(self, isolation: str = "in-process", *, max_workers: int = MAX_WORKERS,
                 output: TextIO | None = None, moto: bool = False) -> None:
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation {isolation!r}: expected one of {', '.join(ISOLATIONS)}")
        self.isolation = isolation
        self._functions: dict[str, LocalFunction] = {}
        self._sandboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = \
            weakref.WeakKeyDictionary()
        self.workers = WorkerPools(output, max_workers, moto) if isolation == "process" else None

    def add(self, function: LocalFunction) -> None:
        old = self._functions.get(function.name)
        self._functions[function.name] = function
        if old is not None and old.worker is not function.worker:
            self._forget_workers(old)

    def remove(self, name_or_arn: str) -> None:
        """Forget a function (DeleteFunction); nothing happens when there is none by that name."""
        old = self._functions.pop(function_name(name_or_arn), None)
        if old is not None:
            self._forget_workers(old)

    def _forget_workers(self, old: LocalFunction) -> None:
        if self.workers is not None and old.worker is not None and \
                all(f.worker is not old.worker for f in self._functions.values()):
            self.workers.forget(old.worker)

    def register(self, name: str, handler: Callable[..., Any] | str, **config: Any) -> None:
        if isinstance(handler, str) and self.isolation == "process":
            environment = config.get("environment") or {}
            worker = WorkerSpec(code_dir=config.get("code_dir"), environment=environment,
                                spec=_absolute_spec(handler), sys_path=[p for p in sys.path if p])
            self.add(LocalFunction(function_name(name), _in_worker, **config, worker=worker))
            return
        fn = load_handler(handler) if isinstance(handler, str) else handler
        self.add(LocalFunction(function_name(name), fn, **config))

    def close(self) -> None:
        """Ends the worker processes (isolation="process"); nothing to do in-process.  The registry can still
        answer in-process functions afterwards, not those of workers."""
        if self.workers is not None:
            self.workers.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def get(self, name_or_arn: str) -> LocalFunction | None:
        return self._functions.get(function_name(name_or_arn))

    def __contains__(self, name_or_arn: str) -> bool:
        return function_name(name_or_arn) in self._functions

    @classmethod
    def from_template(cls, path: str | os.PathLike, *, region: str = "us-east-1", output: TextIO | None = None,
                      **options: Any) -> LocalFunctions:
        """The Python functions of a SAM ``template.yaml`` (Globals merged, intrinsics resolved as deployed);
        ``options`` as ``from_functions``'."""
        return cls.from_functions(load_application(path).functions.values(), region=region, output=output,
                                  **options)

    @classmethod
    def from_functions(cls, functions: Iterable[Function], *, region: str = "us-east-1",
                       output: TextIO | None = None, isolation: str = "in-process", max_workers: int = MAX_WORKERS,
                       moto: bool = False) -> LocalFunctions:
        """A template's Python functions as in-process handlers, by their deployed name and their logical id,
        each in a fresh "execution environment".

        Lambda imports a handler with the function's Environment already set, and Powertools reads
        POWERTOOLS_* (and the functions read their table names) at import; so each module is imported under
        the function's environment, under a name of its own per call (two stacks never share module-level
        clients or settings, unlike ``load_handler``'s per-file cache).  ``AWS_SAM_LOCAL`` is set as ``sam
        local`` sets it (Powertools then skips X-Ray).  With ``output``, what a function prints (Powertools'
        JSON logs and EMF metrics) goes there, as Lambda sends it to CloudWatch Logs rather than to the caller.

        With ``isolation="process"`` nothing is imported here: each function's workers import its handler
        (under the same environment, with its code directory first on ``sys.path`` and as the working
        directory), and an import that fails is answered by Invoke as Lambda answers a failed Init
        (``Runtime.ImportModuleError``...), rather than raised; what they print goes to ``output``, else to
        stderr.  See the class's docstring for ``max_workers`` and ``moto``.
        """
        stack = next(_stacks)
        registry = cls(isolation, max_workers=max_workers, output=output, moto=moto)
        for function in functions:
            if function.runtime and not function.runtime.startswith("python"):
                continue
            env = {"AWS_SAM_LOCAL": "true", "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
                   **function.environment, "AWS_LAMBDA_FUNCTION_NAME": function.name}
            if isolation == "process":
                worker = WorkerSpec(function.handler, function.code_dir,
                                    {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
                                     "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", **env})
                for name in dict.fromkeys((function.name, function.logical_id)):
                    registry.add(LocalFunction(name, _in_worker, function.code_dir, env, function.timeout,
                                               function.memory, worker=worker))
                continue
            with lambda_environment(env), _printing(output):
                handler = _import(function, f"_asl_local_{stack}_{function.logical_id}")
            if output is not None:
                handler = _printing_to(handler, output)
            for name in dict.fromkeys((function.name, function.logical_id)):
                registry.add(LocalFunction(name, handler, function.code_dir, env, function.timeout,
                                           function.memory))
        return registry

    async def invoke(self, request: LambdaRequest, clock: Any) -> LambdaResponse | None:
        """Runs the handler as Lambda would, within the function's Timeout on ``clock``.

        A coroutine handler, and a synchronous one with no Timeout (a plain Python callable registered by
        hand), run on the loop as they always did.  A synchronous handler with a Timeout runs in a worker
        thread, so the loop can stop waiting for it at the deadline: Lambda answers ``Sandbox.Timedout`` then,
        while the thread runs on to its end (Lambda freezes the sandbox; Python cannot kill a thread).  The
        thread is real work to the clock (``clock.busy()``): a VirtualClock stands still while it runs, so
        its time, and the context's remaining time, move only with the handler's awaits.
        """
        function = self.get(request.function)
        if function is None:
            return None
        event = _event(request)
        if request.invocation_type == "DryRun":  # Lambda checks the call and runs nothing
            return LambdaResponse(b"", request.request_id, 204)
        if function.init_error is not None:
            body = {**function.init_error, "requestId": request.request_id}
            return LambdaResponse(_json(body), request.request_id, function_error="Unhandled")
        if function.worker is not None and self.workers is not None:
            return await self._run_in_worker(function, request, event, clock)
        if function.timeout is not None and not inspect.iscoroutinefunction(function.handler):
            async with self._sandbox():  # its Timeout counts from when it runs, not from when it queued
                return await self._run(function, request, event, clock)
        return await self._run(function, request, event, clock)

    def _sandbox(self) -> asyncio.Lock:
        """One threaded handler at a time per loop, as when they ran on the loop: handlers share os.environ
        (each runs under its function's Environment), and a run stays deterministic."""
        loop = asyncio.get_running_loop()
        lock = self._sandboxes.get(loop)
        if lock is None:
            lock = self._sandboxes[loop] = asyncio.Lock()
        return lock

    async def _run(self, function: LocalFunction, request: LambdaRequest, event: Any, clock: Any) -> LambdaResponse:
        timeout = function.timeout
        context = LambdaContext(function.name, request.qualified_arn.rsplit(":", 1)[0], request.request_id,
                                memory_mb=function.memory, timeout_s=timeout or _MAX_TIMEOUT, clock=clock,
                                deadline=clock.time() + (timeout or _MAX_TIMEOUT))
        threaded = timeout is not None and not inspect.iscoroutinefunction(function.handler)
        limit = asyncio.timeout(timeout)  # None: no limit
        error: Exception | None = None
        try:
            async with limit:
                with lambda_environment(function.environment):
                    if threaded:
                        with clock.busy():
                            result, error = await asyncio.to_thread(_call_in_thread, function.handler, event,
                                                                    context)
                    else:  # called here, so a stack trace starts at the handler as it does in a thread
                        result = function.handler(event, context) if takes_context(function.handler) \
                            else function.handler(event)
                    if inspect.isawaitable(result):
                        result = await result
        except StatesError:  # a local handler may fail the task with any error name it likes
            raise
        except Exception as exc:  # the function raised: Lambda's Unhandled error, unless its time ran out
            if limit.expired():
                return _timed_out(request, timeout or _MAX_TIMEOUT)
            error = exc
        if isinstance(error, StatesError):
            raise error
        if error is not None:
            return LambdaResponse(_json(error_body(error, request.request_id, function.code_dir)), request.request_id,
                                  function_error="Unhandled")
        payload, failed = response_body(result, request.request_id)
        return LambdaResponse(payload, request.request_id, function_error=failed, log_result=_tail(request))

    async def _run_in_worker(self, function: LocalFunction, request: LambdaRequest, event: Any,
                             clock: Any) -> LambdaResponse:
        """The invocation in a worker of the function's pool (``lambda_.workers``): the same answers as
        in-process, and Lambda's ``Runtime.ExitError`` when the worker died under the handler."""
        assert self.workers is not None and function.worker is not None
        timeout = function.timeout
        message = {"event": event, "context": {
            "function_name": function.name, "arn": request.qualified_arn.rsplit(":", 1)[0],
            "request_id": request.request_id, "memory": function.memory, "timeout": timeout or _MAX_TIMEOUT}}
        outcome: Outcome = await self.workers.invoke(function.worker, message, timeout, clock)
        if outcome.kind == "ok":
            return LambdaResponse(outcome.body, request.request_id, function_error=outcome.error,
                                  log_result=_tail(request))
        if outcome.kind == "timeout":
            return _timed_out(request, timeout or _MAX_TIMEOUT)
        if outcome.kind == "init_error":
            body = {**(outcome.init_error or {}), "requestId": request.request_id}
        else:
            status = outcome.status
            how = f"signal: {_signal_name(-status)}" if status is not None and status < 0 else \
                f"exit status {status if status is not None else 1}"
            body = {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request.request_id} Error: Runtime exited with error: {how}"}
        return LambdaResponse(_json(body), request.request_id, function_error="Unhandled")


def _tail(request: LambdaRequest) -> str | None:
    """The log tail Invoke returns for LogType Tail."""
    if request.log_type != "Tail":
        return None
    return base64.b64encode(f"START RequestId: {request.request_id} Version: $LATEST\nEND RequestId: "
                            f"{request.request_id}\n".encode()).decode()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name.removeprefix("SIG").lower().replace("kill", "killed")
    except ValueError:
        return str(number)


def _in_worker(event: Any, context: Any) -> Any:
    """The handler of a function that runs in worker processes: never called in this one."""
    raise AssertionError("a function of isolation='process' runs in its workers")


def _absolute_spec(spec: str) -> str:
    """``file.py:function`` with the file's path made absolute (a worker may run in another directory)."""
    target, sep, name = spec.rpartition(":")
    if sep and (target.endswith(".py") or "/" in target):
        return f"{Path(target).resolve()}:{name}"
    return spec


def _call_in_thread(handler: Callable[..., Any], event: Any, context: LambdaContext) -> tuple[Any, Exception | None]:
    """The handler's result, or what it raised: caught here so its stack trace starts at the handler, as
    one raised on the loop does (``error_body`` drops this frame), not in the thread pool's machinery."""
    try:
        return (handler(event, context) if takes_context(handler) else handler(event)), None
    except Exception as exc:
        return None, exc


def _timed_out(request: LambdaRequest, timeout: float) -> LambdaResponse:
    """Lambda's answer when a function outlives its Timeout (the runtimes since 2023 name it Sandbox.Timedout;
    older ones gave only "<date> <request id> Task timed out after N seconds")."""
    body = {"errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request.request_id} Error: Task timed out after {timeout:.2f} seconds"}
    return LambdaResponse(_json(body), request.request_id, function_error="Unhandled")


_MAX_TIMEOUT = 900  # Lambda's longest Timeout, what the context reports for an unlimited local handler


def _event(request: LambdaRequest) -> Any:
    """The event the runtime hands the function: the body parsed as JSON ({} for an empty body)."""
    if not request.payload:
        return {}
    try:
        return json.loads(request.payload)
    except ValueError as exc:
        raise LambdaServiceError(ServiceFailure("InvalidRequestContentException",
                                                f"Could not parse request body into json: {exc}", 400,
                                                request.request_id)) from None


@contextmanager
def lambda_environment(variables: dict[str, str]):
    """The function's Environment.Variables while it runs (process-wide: in-process handlers share os.environ)."""
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_stacks = itertools.count()  # each from_functions call imports its modules under names of its own


def _import(function: Function, module_name: str) -> Callable[..., Any]:
    module_path, _, attribute = function.handler.rpartition(".")
    path = function.code_dir / f"{module_path.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{function.logical_id}: no handler module at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    if str(function.code_dir) not in sys.path:
        sys.path.insert(0, str(function.code_dir))  # the code directory is Lambda's /var/task
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def _printing(output: TextIO | None) -> contextlib.AbstractContextManager:
    return contextlib.nullcontext() if output is None else contextlib.redirect_stdout(output)


def _printing_to(handler: Callable[..., Any], output: TextIO) -> Callable[[Any, Any], Any]:
    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        with contextlib.redirect_stdout(output):
            return handler(event, context)

    return run


def _json(value: Any) -> bytes:
    # the Python runtime serializes with json.dumps' default separators (Content-Length shows it)
    return json.dumps(value).encode()


# ---- any Lambda Invoke API


class EndpointFunctions:
    """Invoke through a boto3 Lambda client from the run's ClientFactory (AWS, SAM local, moto)."""

    def __init__(self, clients: Any) -> None:
        self.clients = clients

    async def invoke(self, request: LambdaRequest, clock: Any) -> LambdaResponse:
        params: dict[str, Any] = {"FunctionName": request.function, "Payload": request.payload,
                                  "InvocationType": request.invocation_type, "Qualifier": request.qualifier,
                                  "LogType": request.log_type}
        client = self.clients.client("lambda", request.region, request.account)
        try:
            response = await call_operation(client, operation("lambda", "Invoke"), params, clock)
        except ServiceCallError as exc:
            failure = exc.failure
            if exc.client_side:  # the endpoint cannot be reached
                raise sdk_client_exception("Lambda", failure.message) from None
            if failure.code == "ResourceNotFoundException":  # Lambda names the qualified ARN
                raise not_found(request, failure.request_id) from None
            raise LambdaServiceError(failure) from None
        body = response["Payload"].read() if "Payload" in response else b""
        return LambdaResponse(body, response.get("ResponseMetadata", {}).get("RequestId", request.request_id),
                              response.get("StatusCode", 200), response.get("FunctionError"),
                              response.get("ExecutedVersion", "$LATEST"), response.get("LogResult"))
