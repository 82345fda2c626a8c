"""The resource layer: which local implementation answers a Task's ``Resource``.

This is the seam the service integrations plug into: the Task state asks
``Resources.invoke`` for a result and writes the history events; how the
result is produced (an in-process handler here; Lambda endpoints, moto and
the optimized integrations later) is this layer's business alone.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.callbacks.activities import Activities
from asl_engine.integrations.callbacks.tokens import TaskTokens
from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.dispatch import run_service
from asl_engine.integrations.lambda_.handlers import lambda_error, load_handler
from asl_engine.integrations.lambda_.providers import EndpointFunctions, LocalFunctions
from asl_engine.integrations.lambda_.task import Lambdas, run_function_arn
from asl_engine.integrations.mocks import Mocks
from asl_engine.integrations.services.state_machines import StateMachines
from asl_engine.runtime.map_run_controls import MapRunControls

Target = Callable[..., Any] | str


class Resources:
    """Local implementations keyed by resource ARN or Lambda function name/ARN, and every integration.

    Lambda functions are asked of ``functions`` (in-process handlers) first, then of the Lambda API the
    ClientFactory points at (moto by default, AWS, ``sam local start-lambda``...); ``state_machines``
    holds the state machines ``states:startExecution`` and ``aws-sdk:sfn`` can start in-process.
    """

    def __init__(self, targets: Mapping[str, Target] | None = None, callbacks: TaskTokens | None = None, *,
                 clients: ClientFactory | None = None, mocks: Mocks | None = None,
                 activities: Activities | None = None, functions: LocalFunctions | None = None,
                 state_machines: StateMachines | None = None, now: Callable[[], datetime] | None = None) -> None:
        """``now``: the clock the executions using these resources run on (``Clock.now``), which dates what
        the resources create (an activity's creationDate); the wall clock when not given."""
        self._by_arn: dict[str, Callable[..., Any]] = {}
        self.functions = functions or LocalFunctions()
        # SendTaskSuccess/Failure/Heartbeat and the activity API, for tests, workers and the HTTP service
        self.activities = activities or Activities(callbacks, now=now)
        self.callbacks = self.activities.callbacks
        self.clients = clients or ClientFactory()  # every AWS call of the run (Distributed Map's S3 I/O too)
        self.mocks = mocks  # answered before any resource is called (unit tests)
        self.lambdas = Lambdas([self.functions, EndpointFunctions(self.clients)])
        self.state_machines = state_machines or StateMachines()
        self.map_run_controls = MapRunControls()  # UpdateMapRun reaches a running Distributed Map through these
        for key, target in (targets or {}).items():
            self.register(key, target)

    def register(self, key: str, target: Target) -> None:
        fn = load_handler(target) if isinstance(target, str) else target
        self._by_arn[key] = fn
        if not key.startswith("arn:") or ":function:" in key:
            self.functions.register(key, fn)

    @classmethod
    def from_template(cls, path: str | os.PathLike, **kwargs: Any) -> Resources:
        """Resources whose Lambda functions are the Python functions of a SAM ``template.yaml``."""
        clients = kwargs.get("clients") or ClientFactory()  # the functions run in the region of the run's clients
        return cls(functions=LocalFunctions.from_template(path, region=clients.region), **kwargs)

    def check(self, call: TaskCall) -> None:
        """Fail the state before anything is scheduled, as AWS does, when its resource cannot be used.

        An activity that does not exist is such a resource (unless a mock answers for the state).
        """
        if call.spec.kind == "activity" and not (self.mocks is not None and self.mocks.covers(call)):
            self.activities.require(call.spec.arn)

    async def invoke(self, call: TaskCall) -> Any:
        """The task's result; for ``.waitForTaskToken``, the answer a client sends with the token."""
        if self.mocks is not None and self.mocks.covers(call):
            return await self.mocks.answer(call)
        if call.spec.kind == "activity":
            return await self.activities.run(call)
        if call.spec.pattern in ("sync", "sync:2"):
            return await self.callbacks.race(call.task_token, self._dispatch(call))  # type: ignore[arg-type]
        result = await self._dispatch(call)
        if call.spec.pattern == "waitForTaskToken":
            call.submitted(result)
            return await self.callbacks.wait(call.task_token, call.heartbeat)  # type: ignore[arg-type]
        return result

    async def _dispatch(self, call: TaskCall) -> Any:
        spec = call.spec
        fn = self._by_arn.get(spec.arn)
        if fn is not None and spec.kind != "lambda":
            return await _call(fn, call.payload)
        if spec.kind == "lambda":
            return await run_function_arn(self.lambdas, call)
        return await run_service(self, call)


async def _call(fn: Callable[..., Any], payload: Any) -> Any:
    try:
        result = fn(payload)
        if inspect.isawaitable(result):
            result = await result
    except StatesError:
        raise
    except Exception as exc:
        raise lambda_error(exc, "local") from exc
    return _marshal(result, "local")


def _marshal(result: Any, request_id: str, compact: bool = True) -> Any:
    """A handler's return value as the JSON the Lambda runtime would send back.

    Bytes are the response body as is (recorded: services/Test*Lambda__test_invoke_bytes_payload returns
    ``b'"HelloWorld!"'`` and the state sees ``"HelloWorld!"``); anything JSON cannot encode is the Python
    runtime's ``Runtime.MarshalError`` instead of a traceback out of the engine.
    """
    if isinstance(result, (bytes, bytearray)):
        text = bytes(result).decode("utf-8", "replace")
        try:
            return json.loads(text)
        except ValueError:
            return text
    if result is None or isinstance(result, (str, int, float, bool)):
        return result
    try:
        return json.loads(json.dumps(result))
    except (TypeError, ValueError) as exc:
        cause = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError",
                 "requestId": request_id, "stackTrace": []}
        raise StatesError("Runtime.MarshalError",
                          json.dumps(cause, separators=(",", ":") if compact else (", ", ": "))) from None
