"""How EventBridge, Scheduler and Pipes reach targets inside asl serve: its executions and its functions.

A state machine target starts a real execution in the server's Step
Functions service (stored, listed, described like any other); a Lambda target
runs the server's ``--resource`` handler (other functions go to the Lambda
API of the server's moto backend); every other AWS target is a client of the
same moto backend the server answers with, so a queue a client created over
HTTP is the queue a rule sends to.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from asl_engine.eventbridge.delivery import DeliveryFailure, Invocation
from asl_engine.eventbridge.invokers import client_failure
from asl_engine.eventbridge.pipes.environment import PipeFailure, function_answer
from asl_engine.eventbridge.service import EventBridge
from asl_engine.integrations.lambda_.providers import LambdaRequest, function_name
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError
from asl_engine.server.nested import ServiceSfnClient
from asl_engine.server.service import StepFunctionsService


class ServerTargets:
    """The targets of one region: a StateMachineStarter, the Lambda TargetInvoker, and a PipeEnvironment."""

    def __init__(self, service: StepFunctionsService, caller: Caller) -> None:
        self.service = service
        self.caller = caller
        self.events: EventBridge | None = None  # set once the region's EventBridge exists (PutEvents targets)
        self._sfn = ServiceSfnClient(service.resources.state_machines.executions)  # type: ignore[attr-defined]
        self._background: set[asyncio.Task[Any]] = set()

    def client(self, name: str) -> Any:
        return self.service.resources.clients.client(name, self.caller.region)

    # -- Step Functions ------------------------------------------------------------------------
    def start_execution(self, state_machine_arn: str, input_json: str, name: str | None = None) -> Any:
        """StartExecution on the server; AWS's refusal (no such machine, bad input) fails the delivery."""
        params = {"stateMachineArn": state_machine_arn, "input": input_json, **({"name": name} if name else {})}
        try:
            return self._sfn.start_execution(**params)
        except ClientError as e:
            raise client_failure(e) from e

    async def run_state_machine(self, arn: str, payload: str, wait: bool) -> str | None:
        if not wait:
            try:
                self.start_execution(arn, payload)
            except DeliveryFailure as e:
                raise PipeFailure(e.message) from e
            return None
        try:
            result = await self.service.call("StartSyncExecution", {"stateMachineArn": arn, "input": payload},
                                             self.caller)
        except ApiError as e:
            raise PipeFailure(f"{e.code}: {e.message}") from e
        if result["status"] != "SUCCEEDED":
            raise PipeFailure(f"{arn} {result['status']}: {result.get('error')} {result.get('cause')}")
        return result.get("output")

    # -- Lambda ---------------------------------------------------------------------------------
    def invoke(self, invocation: Invocation) -> None:
        """A rule's or schedule's Lambda target: an asynchronous invoke (Event), as EventBridge makes it."""
        if function_name(invocation.arn) in self.service.resources.functions:
            self._spawn(self._invoke_local(invocation.arn, invocation.payload, "Event"))
            return
        try:
            self.client("lambda").invoke(FunctionName=invocation.arn, InvocationType="Event",
                                         Payload=invocation.payload.encode())
        except ClientError as e:
            raise client_failure(e) from e

    async def invoke_function(self, arn: str, payload: str, wait: bool) -> str | None:
        if function_name(arn) in self.service.resources.functions:
            if not wait:
                self._spawn(self._invoke_local(arn, payload, "Event"))
                return None
            return await self._invoke_local(arn, payload, "RequestResponse")
        try:
            answer = self.client("lambda").invoke(FunctionName=arn, Payload=payload.encode(),
                                                  InvocationType="RequestResponse" if wait else "Event")
        except ClientError as e:
            raise PipeFailure(str(e)) from e
        if answer.get("FunctionError"):
            raise PipeFailure(f"{arn} failed: {answer['Payload'].read().decode()}")
        return answer["Payload"].read().decode() if wait else None

    async def _invoke_local(self, arn: str, payload: str, invocation_type: str) -> str:
        request = LambdaRequest(function=arn, payload=payload.encode(), region=self.caller.region,
                                account=self.caller.account, request_id=str(uuid.uuid4()),
                                invocation_type=invocation_type)
        return await function_answer(arn, self.service.resources.functions.invoke(request, self.service.clock))

    def _spawn(self, call: Any) -> None:
        """An asynchronous invoke: the caller does not wait, and the function's failure is the function's."""
        task = asyncio.ensure_future(call)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: an async invoke's failure is Lambda's to report, not the sender's

    # -- EventBridge ----------------------------------------------------------------------------
    def put_events(self, entries: list[Mapping[str, Any]]) -> Mapping[str, Any]:
        assert self.events is not None, "the region's EventBridge is wired before pipes run"
        return self.events.put_events(Entries=[dict(e) for e in entries])
