"""The resource layer: which local implementation answers a Task's ``Resource``.

This is the seam the service integrations plug into: the Task state asks
``Resources.invoke`` for a result and writes the history events; how the
result is produced (an in-process handler here; Lambda endpoints, moto and
the optimized integrations later) is this layer's business alone.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.activities import Activities
from asl_engine.integrations.arns import ResourceSpec
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.callbacks import TaskTokens
from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.handlers import LambdaContext, lambda_error, load_handler, takes_context
from asl_engine.integrations.mocks import Mocks

Target = Callable[..., Any] | str


def _function_name(name_or_arn: str) -> str:
    """``my-fn``, ``my-fn:alias``, ``123:function:my-fn`` or a full ARN -> ``my-fn``."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


class Resources:
    """Local implementations keyed by resource ARN or Lambda function name/ARN."""

    def __init__(self, targets: Mapping[str, Target] | None = None, callbacks: TaskTokens | None = None, *,
                 clients: ClientFactory | None = None, mocks: Mocks | None = None,
                 activities: Activities | None = None) -> None:
        self._by_arn: dict[str, Callable[..., Any]] = {}
        self._functions: dict[str, Callable[..., Any]] = {}
        # SendTaskSuccess/Failure/Heartbeat and the activity API, for tests, workers and the HTTP service
        self.activities = activities or Activities(callbacks)
        self.callbacks = self.activities.callbacks
        self.clients = clients or ClientFactory()  # every AWS call of the run (Distributed Map's S3 I/O too)
        self.mocks = mocks  # answered before any resource is called (unit tests)
        for key, target in (targets or {}).items():
            self.register(key, target)

    def register(self, key: str, target: Target) -> None:
        fn = load_handler(target) if isinstance(target, str) else target
        self._by_arn[key] = fn
        if not key.startswith("arn:") or ":function:" in key:
            self._functions[_function_name(key)] = fn

    async def invoke(self, call: TaskCall) -> Any:
        """The task's result; for ``.waitForTaskToken``, the answer a client sends with the token."""
        if self.mocks is not None and self.mocks.covers(call):
            return await self.mocks.answer(call)
        if call.spec.kind == "activity":
            return await self.activities.run(call)
        result = await self._dispatch(call.spec, call.payload, call.request_id)
        if call.spec.pattern == "waitForTaskToken":
            call.submitted(result)
            return await self.callbacks.wait(call.task_token, call.heartbeat)  # type: ignore[arg-type]
        return result

    async def _dispatch(self, spec: ResourceSpec, payload: Any, request_id: str) -> Any:
        fn = self._by_arn.get(spec.arn)
        if fn is not None:
            if spec.kind == "lambda":
                return await self._call_lambda(fn, spec.action, spec.arn, payload, request_id, compact=False)
            return await _call(fn, payload)
        if spec.kind == "lambda":
            fn = self._functions.get(spec.action)
            if fn is not None:
                return await self._call_lambda(fn, spec.action, spec.arn, payload, request_id, compact=False)
            raise _function_not_found(spec.arn)
        if spec.service == "lambda" and spec.action == "invoke":
            return await self._lambda_invoke(payload, request_id)
        raise StatesError("States.Runtime", f"No local implementation for the resource '{spec.arn}': pass "
                                            "one with resources={arn: callable} or register it")

    async def _lambda_invoke(self, payload: Any, request_id: str) -> Any:
        name = payload.get("FunctionName") if isinstance(payload, dict) else None
        if not isinstance(name, str):
            raise StatesError("States.Runtime", "The field 'FunctionName' is required by lambda:invoke")
        fn = self._functions.get(_function_name(name))
        if fn is None:
            raise _function_not_found(name)
        result = await self._call_lambda(fn, _function_name(name), name, payload.get("Payload"), request_id)
        headers = {"Connection": "keep-alive", "Content-Type": "application/json",
                   "X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": request_id}
        return {"ExecutedVersion": "$LATEST", "Payload": result,
                "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()},
                                    "HttpHeaders": headers, "HttpStatusCode": 200},
                "SdkResponseMetadata": {"RequestId": request_id}, "StatusCode": 200}

    @staticmethod
    async def _call_lambda(fn: Callable[..., Any], name: str, arn: str, event: Any, request_id: str,
                           compact: bool = True) -> Any:
        try:
            if takes_context(fn):
                result = fn(event, LambdaContext(name, arn, request_id))
            else:
                result = fn(event)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # a function error, reported as AWS does
            raise lambda_error(exc, request_id, compact) from exc
        return _marshal(result, request_id, compact)


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


def _function_not_found(name: str) -> StatesError:
    return StatesError("Lambda.ResourceNotFoundException",
                       f"Function not found: {name} (Service: AWSLambda; Status Code: 404; Error Code: "
                       "ResourceNotFoundException; Request ID: local; Proxy: null)")
