"""Executions that workflows start (``states:startExecution``, ``aws-sdk:sfn``) become the service's own.

The engine runs a nested execution through ``Resources.state_machines``; in
the service that registry is this one, so a child execution is stored,
listed, described and stoppable through the API like any other, and its
``.sync`` parent waits on it on the same loop.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from asl_engine.integrations.services.state_machines import LocalSfnClient, StateMachines
from asl_engine.runtime.history import dumps
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, http_status
from asl_engine.server.executions import Executions
from asl_engine.server.model import SERVICE_MODEL
from asl_engine.server.validation import validate


class ServiceStateMachines(StateMachines):
    """The registry the engine's integrations ask for a Step Functions client."""

    def __init__(self, executions: Executions) -> None:
        super().__init__()
        self.executions = executions

    def client(self, resources: Any, clock: Any, services: Any) -> LocalSfnClient:
        return ServiceSfnClient(self.executions)

    def from_thread(self, loop: asyncio.AbstractEventLoop) -> StateMachines:
        """This registry for an engine run on a thread of its own (TestState's): each call hops to ``loop``."""
        return _LoopBoundStateMachines(self.executions, loop)


class _LoopBoundStateMachines(ServiceStateMachines):
    def __init__(self, executions: Executions, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(executions)
        self.loop = loop

    def client(self, resources: Any, clock: Any, services: Any) -> LocalSfnClient:
        return _LoopBoundSfnClient(self.executions, self.loop)


class ServiceSfnClient(LocalSfnClient):
    """boto3's method names and shapes (datetimes, ClientError) over the service's actions, on its loop."""

    def __init__(self, executions: Executions) -> None:  # LocalSfnClient's own state is not used
        self.executions = executions

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("stateMachineArn") or params.get("executionArn") or ""
        parts = arn.split(":")
        # the ARN's own region and account: a workflow starting a state machine of another account reaches it
        caller = Caller(region=parts[3], account=parts[4]) if len(parts) > 4 and parts[3] and parts[4] else Caller()
        try:
            validate(SERVICE_MODEL.operation_model(operation).input_shape, params)
            handler = getattr(self.executions, xform_name(operation))
            return {k: _datetime(k, v) for k, v in handler(params, caller).items()}
        except ApiError as e:
            raise ClientError({"Error": {"Code": e.code, "Message": e.message},
                               "ResponseMetadata": {"HTTPStatusCode": http_status(e.code), "RequestId": "local"}},
                              operation) from None

    def start_execution(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        if "input" in params and not isinstance(params["input"], str):  # the integration's Input may be JSON
            params["input"] = dumps(params["input"])
        return self._call("StartExecution", params)

    def describe_execution(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._call("DescribeExecution", params)

    def stop_execution(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._call("StopExecution", params)

    def send_task_success(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._call("SendTaskSuccess", params)

    def send_task_failure(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._call("SendTaskFailure", params)

    def send_task_heartbeat(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._call("SendTaskHeartbeat", params)

    async def wait(self, execution_arn: str) -> dict[str, Any]:
        await self.executions.runner.finished(execution_arn)
        await asyncio.sleep(0)  # let a stop that cancelled it finish recording
        return self.describe_execution(executionArn=execution_arn)


class _LoopBoundSfnClient(ServiceSfnClient):
    """The service's actions touch its store and runner, which belong to the service's loop: a caller on
    another thread has each action run there and waits for the answer."""

    def __init__(self, executions: Executions, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(executions)
        self.loop = loop

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        async def on_loop() -> dict[str, Any]:
            return ServiceSfnClient._call(self, operation, params)

        return asyncio.run_coroutine_threadsafe(on_loop(), self.loop).result()


def _datetime(key: str, value: Any) -> Any:
    return datetime.fromtimestamp(value, UTC) if key.endswith("Date") and isinstance(value, float) else value
