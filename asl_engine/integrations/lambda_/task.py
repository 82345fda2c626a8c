"""Lambda Tasks: a function ARN as the Resource, or ``arn:aws:states:::lambda:invoke``.

Both ask the run's providers (``lambda_.providers``) and differ only in what
the task sees: the function ARN gives the function's result; ``lambda:invoke``
gives Invoke's response (``Payload``, ``StatusCode``, ``ExecutedVersion``,
``SdkHttpMetadata``...).  A function error is the function's ``errorType``
as the error and its error JSON as the cause (``Lambda.Unknown`` when it has
no type); a refused call is the Lambda API's error (``Lambda.ResourceNotFoundException``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.errors import optimized_error
from asl_engine.integrations.lambda_.providers import (
    LambdaProvider,
    LambdaRequest,
    LambdaResponse,
    LambdaServiceError,
    not_found,
)
from asl_engine.integrations.services.http_metadata import sdk_metadata
from asl_engine.integrations.services.model import is_modeled_error


class Lambdas:
    """The run's Lambda providers, asked in order; the first that has the function answers."""

    def __init__(self, providers: list[LambdaProvider]) -> None:
        self.providers = providers

    async def invoke(self, request: LambdaRequest, clock: Any) -> LambdaResponse:
        for provider in self.providers:
            response = await provider.invoke(request, clock)
            if response is not None:
                return response
        raise not_found(request, request.request_id)

    async def call(self, request: LambdaRequest, clock: Any) -> LambdaResponse:
        """Invoke, with a refused call raised as the task error AWS reports."""
        try:
            return await self.invoke(request, clock)
        except LambdaServiceError as exc:
            failure = exc.failure
            raise optimized_error("lambda", failure, is_modeled_error("lambda", failure.code)) from None


def _request(call: TaskCall, function: str, payload: bytes, **options: Any) -> LambdaRequest:
    account = call.execution_arn.split(":")[4] if call.execution_arn.count(":") >= 4 else ""
    return LambdaRequest(function, payload, call.spec.region or call.region, account, call.request_id, **options)


def _decoded(body: bytes) -> Any:
    """The response body as the state sees it: JSON when it is JSON, else the text."""
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _function_error(response: LambdaResponse, separators: tuple[str, str]) -> StatesError:
    body = _decoded(response.payload)
    if isinstance(body, dict):
        return StatesError(str(body.get("errorType") or "Lambda.Unknown"), json.dumps(body, separators=separators))
    return StatesError("Lambda.Unknown", response.payload.decode("utf-8", "replace"))


async def run_function_arn(lambdas: Lambdas, call: TaskCall) -> Any:
    """``"Resource": "arn:aws:lambda:...:function:NAME"``: the function's result.

    The cause of a function error is written with ``", "`` and ``": "`` separators here (recorded:
    error_handling/TestTaskLambda__*), compact for ``lambda:invoke``.
    """
    response = await lambdas.call(_request(call, call.spec.arn, json.dumps(call.payload).encode()), call.clock)
    if response.function_error:
        raise _function_error(response, (", ", ": "))
    return _decoded(response.payload)


_BACKGROUND: set[asyncio.Future] = set()  # Event invocations in flight (kept referenced until done)
_OPTIONS = {"Qualifier": "qualifier", "InvocationType": "invocation_type", "LogType": "log_type"}


def request_body(payload: Any) -> bytes:
    """Invoke's body for the ``Payload`` parameter: a string is sent as it is (``"0"`` reaches the function
    as 0, recorded: services/TestTaskServiceLambda__test_invoke_json_values_*), any other value as JSON,
    null as no body at all (the function sees {})."""
    if payload is None:
        return b""
    return payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()


async def run_lambda_invoke(lambdas: Lambdas, call: TaskCall) -> Any:
    """``arn:aws:states:::lambda:invoke``: Invoke's response in AWS's shape."""
    params = call.payload if isinstance(call.payload, dict) else {}
    name = params.get("FunctionName")
    if not isinstance(name, str):
        raise StatesError("States.Runtime", "The field 'FunctionName' is required by lambda:invoke")
    options = {attr: params[key] for key, attr in _OPTIONS.items() if isinstance(params.get(key), str)}
    request = _request(call, name, request_body(params.get("Payload")), **options)
    if request.invocation_type == "Event":
        # accepted and run in the background, as Lambda queues an asynchronous invocation
        _BACKGROUND.add(task := asyncio.ensure_future(lambdas.invoke(request, call.clock)))
        task.add_done_callback(_BACKGROUND.discard)
        response = LambdaResponse(b"", call.request_id, 202)
    else:
        response = await lambdas.call(request, call.clock)
    if response.function_error:
        raise _function_error(response, (",", ":"))
    extra = {"X-Amz-Executed-Version": response.executed_version}
    output: dict[str, Any] = {"ExecutedVersion": response.executed_version}
    if response.log_result is not None:
        extra["X-Amz-Log-Result"] = response.log_result
        output["LogResult"] = response.log_result
    output["Payload"] = _decoded(response.payload) if response.payload else ""
    output.update(sdk_metadata("lambda", body=response.payload, content_type="application/json",
                               request_id=response.request_id, date=call.clock.now(), extra=extra))
    output["StatusCode"] = response.status
    return output
