"""``arn:aws:states:::states:startExecution``: a nested execution, run in-process by the engine.

Request-response returns StartExecution's response; ``.sync`` waits for the
child and returns DescribeExecution's (``Input``/``Output`` as JSON text);
``.sync:2`` the same with ``Input``/``Output`` as JSON values.  A child that
fails, times out or is aborted fails the task with States.TaskFailed and its
description as the cause; a parent that times out or stops stops the child.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.services.call import ServiceCallError, call_operation
from asl_engine.integrations.services.model import operation, service_model, to_boto_params
from asl_engine.integrations.services.optimized import named_error, render, with_metadata
from asl_engine.integrations.services.state_machines import LocalSfnClient

_CLIENT = "stepfunctions"


async def run_start_execution(call: TaskCall, sfn: LocalSfnClient) -> Any:
    op = operation(_CLIENT, "StartExecution")
    params = to_boto_params(op, call.payload)
    try:
        response = await call_operation(sfn, op, params, call.clock)
    except ServiceCallError as exc:
        raise named_error(_CLIENT, exc) from None
    output = with_metadata(_CLIENT, op, response, call)
    pattern = call.spec.pattern
    if pattern not in ("sync", "sync:2"):
        return output
    call.submitted(output)
    arn = response["executionArn"]
    try:
        described = await sfn.wait(arn)
    except asyncio.CancelledError:
        sfn.stop_execution(arn)
        raise
    result = render(service_model(_CLIENT).operation_model("DescribeExecution"), described)
    if pattern == "sync:2":
        for key in ("Input", "Output"):
            if isinstance(result.get(key), str):
                result[key] = json.loads(result[key])
    if result.get("Status") != "SUCCEEDED":
        raise StatesError("States.TaskFailed", json.dumps(result, separators=(",", ":")))
    return result
