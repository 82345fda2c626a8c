"""The engine as the local stack's Step Functions: for EventBridge targets, for the functions' boto3
clients and for nested executions alike.

Functions reach it through their boto3 clients (``hooks``), EventBridge and
Scheduler targets through ``start_execution``, nested executions through the
engine's own ``StateMachines`` registry.

Every execution started, however it was started, is recorded in
``executions`` and its history reported to ``on_event``, so a scenario can
wait for executions and show them state by state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from asl_engine.integrations.registry import Resources
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.services import Services
from asl_engine.state_machine import StateMachine

HistorySink = Callable[["Execution", dict[str, Any]], None]
_OPERATIONS = ("StartExecution", "DescribeExecution", "StopExecution", "SendTaskSuccess", "SendTaskFailure",
               "SendTaskHeartbeat")


@dataclass
class Execution:
    arn: str
    name: str
    state_machine: str  # the state machine's name
    task: asyncio.Task

    @property
    def result(self) -> ExecutionResult:
        return self.task.result()


class _Observed:
    """A state machine whose executions are recorded and reported, started by whichever client."""

    def __init__(self, machine: StateMachine, engine: LocalStepFunctions) -> None:
        self._machine, self._engine = machine, engine
        self.arn, self.name = machine.arn, machine.name

    async def run_async(self, input: Any = None, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        arn = self.arn.replace(":stateMachine:", ":execution:") + f":{name}"
        execution = Execution(arn, str(name), self.name, asyncio.current_task())  # type: ignore[arg-type]
        self._engine.started(execution)
        return await self._machine.run_async(input, name, *args, **kwargs,
                                             history_sink=lambda event: self._engine.on_event(execution, event))


class LocalStepFunctions:
    def __init__(self, resources: Resources, clock: Any, services: Services, on_event: HistorySink) -> None:
        self.resources = resources
        self.client = resources.state_machines.client(resources, clock, services)
        self.executions: list[Execution] = []
        self.on_event = on_event
        self._changed = asyncio.Event()

    def add(self, machine: StateMachine) -> None:
        self.resources.state_machines.add(_Observed(machine, self))

    def started(self, execution: Execution) -> None:
        self.executions.append(execution)
        execution.task.add_done_callback(lambda _: self._changed.set())
        self._changed.set()

    # -- EventBridge and Scheduler targets (StateMachineStarter) ----------------------------------------------

    def start_execution(self, state_machine_arn: str, input_json: str, name: str | None = None) -> Any:
        return self.client.start_execution(stateMachineArn=state_machine_arn, input=input_json, name=name)

    # -- waiting ----------------------------------------------------------------------------------------------

    def of(self, state_machine: str) -> list[Execution]:
        return [e for e in self.executions if e.state_machine == state_machine]

    async def finished(self, state_machine: str, count: int = 1) -> list[Execution]:
        """The first ``count`` executions of ``state_machine`` once they have all ended."""
        while True:
            found = self.of(state_machine)[:count]
            if len(found) == count and all(e.task.done() for e in found):
                return found
            self._changed.clear()
            await self._changed.wait()

    # -- boto3 clients in functions ---------------------------------------------------------------------------

    def answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """A Step Functions API call from a boto3 client (see ``hooks``)."""
        if operation not in _OPERATIONS:
            raise ClientError({"Error": {"Code": "UnknownOperationException",
                                         "Message": f"{operation} is not served by the local stack"}}, operation)
        return getattr(self.client, xform_name(operation))(**params)
