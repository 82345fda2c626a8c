"""A local function's Timeout is enforced on the run's clock, for synchronous handlers too (in a thread), and
its context counts the remaining time down to the invocation's deadline on that clock."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from runtime_helpers import START, run, simple_task

from asl_engine import Resources
from asl_engine.integrations.lambda_.handlers import LambdaContext
from asl_engine.integrations.lambda_.providers import LambdaRequest, LambdaResponse, LocalFunctions
from asl_engine.runtime.clock import Clock, RealClock, VirtualClock


def invoke(functions: LocalFunctions, clock: Clock, name: str = "f", invocation_type: str = "RequestResponse",
           ) -> tuple[LambdaResponse, dict]:
    request = LambdaRequest(name, b"{}", "us-east-1", "123456789012", "req-1", invocation_type=invocation_type)
    response = clock.run(functions.invoke(request, clock))
    assert response is not None
    return response, json.loads(response.payload or b"null")


def test_a_synchronous_handler_is_stopped_at_its_timeout() -> None:
    functions = LocalFunctions()
    functions.register("f", lambda event, context: time.sleep(1.5), timeout=1)
    began = time.monotonic()
    response, body = invoke(functions, RealClock())
    assert time.monotonic() - began < 1.4  # the caller is answered at the deadline, not when the thread ends
    assert response.function_error == "Unhandled"
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": "RequestId: req-1 Error: Task timed out after 1.00 seconds"}


def test_a_fast_synchronous_handler_answers_as_before() -> None:
    def handler(event, context):
        return {"remaining": context.get_remaining_time_in_millis(), "name": context.function_name}

    functions = LocalFunctions()
    functions.register("f", handler, timeout=3, memory=512)
    response, body = invoke(functions, VirtualClock(START))
    assert response.function_error is None
    assert body == {"remaining": 3000, "name": "f"}  # a VirtualClock stands still while the thread works


def test_an_error_raised_in_the_thread_starts_its_trace_at_the_handler() -> None:
    def failing(event, context):
        raise KeyError("missing")

    functions = LocalFunctions()
    functions.register("f", failing, timeout=3)
    _, body = invoke(functions, VirtualClock(START))
    assert body["errorType"] == "KeyError" and "in failing" in body["stackTrace"][0]


def test_remaining_time_and_timeout_are_virtual_under_a_virtual_clock() -> None:
    seen: list[int] = []

    async def slow(event, context):
        seen.append(context.get_remaining_time_in_millis())
        await asyncio.sleep(0.75)
        seen.append(context.get_remaining_time_in_millis())
        await asyncio.sleep(600)

    functions = LocalFunctions()
    functions.register("f", slow, timeout=2)
    clock = VirtualClock(START)
    began = time.monotonic()
    _, body = invoke(functions, clock)
    assert time.monotonic() - began < 1  # ten minutes of virtual sleep cost no real time
    assert seen == [2000, 1250]
    assert body["errorType"] == "Sandbox.Timedout" and clock.now() == START + timedelta(seconds=2)


def test_a_timeout_error_the_handler_raises_is_its_own() -> None:
    def raising(event, context):
        raise TimeoutError("the database did not answer")

    functions = LocalFunctions()
    functions.register("f", raising, timeout=3)
    _, body = invoke(functions, VirtualClock(START))
    assert (body["errorType"], body["errorMessage"]) == ("TimeoutError", "the database did not answer")


def test_dry_run_runs_nothing() -> None:
    calls: list[dict] = []
    functions = LocalFunctions()
    functions.register("f", lambda event, context: calls.append(event))
    response, _ = invoke(functions, VirtualClock(START), invocation_type="DryRun")
    assert (response.status, response.payload, calls) == (204, b"", [])


def test_a_workflow_task_fails_with_the_timeout() -> None:
    res = Resources()
    res.register("slow", lambda event: time.sleep(1.5))
    res.functions.get("slow").timeout = 1
    ex = run(simple_task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "slow"}), resources=res,
             clock=RealClock())  # type: ignore[arg-type]
    assert ex.error == "Sandbox.Timedout"
    assert json.loads(ex.cause)["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_a_context_without_a_clock_counts_down_on_the_wall_clock() -> None:
    context = LambdaContext("f", "arn", "req", timeout_s=3)
    assert 2900 <= context.get_remaining_time_in_millis() <= 3000
