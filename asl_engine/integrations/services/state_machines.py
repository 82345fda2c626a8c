"""Nested executions: ``states:startExecution`` and ``aws-sdk:sfn`` answered by the engine itself.

A workflow that starts another workflow must not need a Step Functions
service: the child runs in-process, on the parent's event loop and clock,
with the parent's resources.  ``StateMachines`` is the registry tests and
backends fill (``add``); ``LocalSfnClient`` answers the few Step Functions
API calls integrations make with boto3's method names, response shapes and
ClientError, so the optimized and aws-sdk integrations treat it as any
other client.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from asl_engine.integrations.api_errors import ApiError
from asl_engine.runtime.execution import ExecutionResult


@dataclass
class _Execution:
    arn: str
    name: str
    state_machine_arn: str
    input: Any
    start_date: datetime
    task: asyncio.Task

    def describe(self) -> dict[str, Any]:
        """DescribeExecution's response (boto3 shape)."""
        out: dict[str, Any] = {"executionArn": self.arn, "stateMachineArn": self.state_machine_arn,
                               "name": self.name, "status": "RUNNING", "startDate": self.start_date,
                               "input": json.dumps(self.input, separators=(",", ":")),
                               "inputDetails": {"included": True}}
        if not self.task.done():
            return out
        if self.task.cancelled():
            out["status"] = "ABORTED"
            return out
        result: ExecutionResult = self.task.result()
        out.update(status=result.status, stopDate=result.stop_date, redriveCount=0)
        if result.status == "SUCCEEDED":
            out.update(redriveStatus="NOT_REDRIVABLE",
                       redriveStatusReason="Execution is SUCCEEDED and cannot be redriven")
        else:
            out["redriveStatus"] = "REDRIVABLE"
        if result.status == "SUCCEEDED":
            out.update(output=result.output_json, outputDetails={"included": True})
        for key in ("error", "cause"):
            if getattr(result, key) is not None:
                out[key] = getattr(result, key)
        return out


def _client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "local"}}, operation)


class StateMachines:
    """State machines by ARN, and the executions started through integrations."""

    def __init__(self) -> None:
        self._machines: dict[str, Any] = {}
        self._executions: dict[str, _Execution] = {}

    def add(self, state_machine: Any) -> None:
        """Make an ``asl_engine.StateMachine`` startable by its ARN."""
        self._machines[state_machine.arn] = state_machine

    def get(self, arn: str) -> Any:
        return self._machines.get(arn)

    def client(self, resources: Any, clock: Any, services: Any) -> LocalSfnClient:
        return LocalSfnClient(self, resources, clock, services)

    def execution(self, arn: str) -> _Execution | None:
        return self._executions.get(arn)


class LocalSfnClient:
    """The Step Functions API calls integrations make, with boto3's names and shapes."""

    def __init__(self, machines: StateMachines, resources: Any, clock: Any, services: Any) -> None:
        self.machines, self.resources, self.clock, self.services = machines, resources, clock, services

    def start_execution(self, stateMachineArn: str, input: str = "{}", name: str | None = None,
                        **_: Any) -> dict[str, Any]:
        machine = self.machines.get(stateMachineArn)
        if machine is None:
            raise _client_error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{stateMachineArn}'",
                                "StartExecution")
        try:
            data = json.loads(input)
        except ValueError:
            raise _client_error("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{input}'",
                                "StartExecution") from None
        name = name or self.services.uuid4()
        arn = machine.arn.replace(":stateMachine:", ":execution:") + f":{name}"
        if arn in self.machines._executions:
            raise _client_error("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'", "StartExecution")
        start = self.clock.now()
        task = asyncio.ensure_future(machine.run_async(input, name, self.clock, self.resources,
                                                       services=self.services))
        self.machines._executions[arn] = _Execution(arn, name, machine.arn, data, start, task)
        return {"executionArn": arn, "startDate": start}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        execution = self.machines.execution(executionArn)
        if execution is None:
            raise _client_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{executionArn}'",
                                "DescribeExecution")
        return execution.describe()

    def stop_execution(self, executionArn: str, **_: Any) -> dict[str, Any]:
        execution = self.machines.execution(executionArn)
        if execution is None:
            raise _client_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{executionArn}'",
                                "StopExecution")
        execution.task.cancel()
        return {"stopDate": self.clock.now()}

    async def wait(self, execution_arn: str) -> dict[str, Any]:
        """DescribeExecution once the execution has ended (what ``.sync`` waits for)."""
        execution = self.machines.execution(execution_arn)
        assert execution is not None
        await asyncio.wait({execution.task})
        return execution.describe()

    def send_task_success(self, taskToken: str, output: str) -> dict[str, Any]:
        return self._answer("SendTaskSuccess", lambda: self.resources.callbacks.send_success(taskToken, output))

    def send_task_failure(self, taskToken: str, error: str | None = None,
                          cause: str | None = None) -> dict[str, Any]:
        return self._answer("SendTaskFailure", lambda: self.resources.callbacks.send_failure(taskToken, error,
                                                                                           cause))

    def send_task_heartbeat(self, taskToken: str) -> dict[str, Any]:
        return self._answer("SendTaskHeartbeat", lambda: self.resources.callbacks.send_heartbeat(taskToken))

    @staticmethod
    def _answer(operation: str, send: Any) -> dict[str, Any]:
        try:
            send()
        except ApiError as exc:
            raise _client_error(exc.code, exc.message, operation) from None
        return {}
