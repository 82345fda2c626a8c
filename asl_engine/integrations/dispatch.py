"""Which integration answers a Task whose Resource is a service (not a function ARN or an activity)."""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.lambda_.task import run_lambda_invoke
from asl_engine.integrations.services.aws_sdk import run_aws_sdk
from asl_engine.integrations.services.http_task import run_http
from asl_engine.integrations.services.optimized import run_optimized
from asl_engine.integrations.services.states_task import run_start_execution
from asl_engine.integrations.services.supported import SUPPORTED


async def run_service(resources: Any, call: TaskCall) -> Any:
    """Run ``call`` with the resources' clients, Lambda providers and state machines."""
    spec = call.spec
    account = call.execution_arn.split(":")[4] or None  # the calls of a workflow are its account's

    def client_for(name: str, region: str) -> Any:
        if name == "stepfunctions":  # nested executions and task tokens stay in this engine
            return resources.state_machines.client(resources, call.clock, call.services)
        if spec.service == "events":  # the optimized events:putEvents (see ClientFactory.event_bus)
            return resources.clients.event_bus(region, account)
        return resources.clients.client(name, region, account)

    if spec.service.startswith("aws-sdk:"):
        return await run_aws_sdk(call, client_for)
    if spec.service == "lambda" and spec.action == "invoke":
        return await run_lambda_invoke(resources.lambdas, call)
    if spec.service == "states" and spec.action == "startExecution":
        return await run_start_execution(call, client_for("stepfunctions", call.region))
    if spec.service == "http" and spec.action == "invoke":
        return await run_http(call)
    if spec.service in SUPPORTED and spec.action in SUPPORTED[spec.service][1]:
        return await run_optimized(call, client_for)
    raise StatesError("States.Runtime", f"No integration answers the resource '{spec.arn}': pass a local "
                                        "implementation with resources={arn: callable} or register it")
