"""The TestState action: one state run by the engine on a virtual clock, reported as AWS reports it.

The state runs in a tiny state machine of its own: the state (named
``StateName``, as AWS names it in the context object) and a Succeed state
for each state it can hand on to, so the definition is checked as
CreateStateMachine checks it.  A ``Probe`` stands in for the state in the
compiled plan (see ``probe``): the run ends with the state, whose transition,
error handling and intermediate values the Probe reports.  A ``mock`` answers
the Task through the engine's mocks (``integrations.mocks``); Map and Parallel
are tested on their mocked result only.  Time is virtual, so a Wait returns at
once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from types import MappingProxyType
from typing import Any

from asl_engine import isotime
from asl_engine.errors import InvalidDefinition
from asl_engine.integrations.arns import parse_resource
from asl_engine.integrations.mocks import Mocks, Return, Throw
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock, VirtualClock
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.history import dumps
from asl_engine.runtime.services import Services
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError
from asl_engine.server.nested import ServiceStateMachines
from asl_engine.server.test_state.http_trace import http_trace
from asl_engine.server.test_state.mock_shape import check_mock_result
from asl_engine.server.test_state.probe import Probe
from asl_engine.server.test_state.request import TESTED_NAME, StateTestRequest, read_request
from asl_engine.state_machine import StateMachine

# inspectionData members that are numbers; every other one is JSON text
_NUMBERS = frozenset({"maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage"})


class StateTester:
    """The TestState action; an unmocked Task calls the service's own clients, local functions and state machines
    (the test runs on a thread of its own; calls to the service's state machines hop to the service's loop)."""

    def __init__(self, resources: Resources, clock: Clock) -> None:
        self.resources = resources
        self.clock = clock

    async def test_state(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """TestState's response: status, output or error, next state and, at DEBUG and TRACE, inspectionData."""
        request = read_request(params)
        mock = request.mock
        if request.type == "Task" and mock is not None and mock.error is None:
            check_mock_result(request.state.get("Resource") or "", mock.result, mock.validation_mode)
        services = Services()
        try:
            machine = StateMachine(_harness(request), name=f"TestState-{services.uuid4()}", type="EXPRESS",
                                   region=caller.region, account=caller.account, role_arn=request.role_arn)
        except InvalidDefinition as e:
            raise ApiError("InvalidDefinition", str(e)) from None
        start: datetime = self.clock.now()
        execution_name = services.uuid4()
        execution = {"Id": f"arn:aws:states:{caller.region}:{caller.account}:express:{machine.name}:"
                           f"{execution_name}",
                     "Input": request.input, "Name": execution_name, "RoleArn": request.role_arn,
                     "StartTime": isotime.millis(start)}
        probe = Probe(machine.plan.states[TESTED_NAME], request, execution)
        machine.plan = dataclasses.replace(machine.plan,
                                           states=MappingProxyType({**machine.plan.states, TESTED_NAME: probe}))
        machines = self.resources.state_machines
        if isinstance(machines, ServiceStateMachines):
            machines = machines.from_thread(asyncio.get_running_loop())
        resources = Resources(clients=self.resources.clients, functions=self.resources.functions, mocks=_mocks(mock),
                              state_machines=machines)
        result = await asyncio.to_thread(machine.run, request.input, name=execution_name,
                                         clock=VirtualClock(start), resources=resources, services=services)
        return _response(request, probe, result)


def _harness(request: StateTestRequest) -> dict[str, Any]:
    """The state, and a Succeed state standing in for each state it can go to."""
    states: dict[str, Any] = {TESTED_NAME: request.state}
    for target in request.targets:
        states.setdefault(target, {"Type": "Succeed"})
    return {"StartAt": TESTED_NAME, "States": states}


def _mocks(mock: Any) -> Mocks | None:
    if mock is None:
        return None
    answer = Throw(*mock.error) if mock.error is not None else Return(mock.result)
    return Mocks(overrides={TESTED_NAME: answer})


def _response(request: StateTestRequest, probe: Probe, result: ExecutionResult) -> dict[str, Any]:
    """The response fields AWS sets for how the state ended, inspectionData at DEBUG and TRACE."""
    failure = probe.failure
    if probe.retriable:
        out: dict[str, Any] = {"status": "RETRIABLE", "error": failure.error,  # type: ignore[union-attr]
                               "cause": failure.cause or None}  # type: ignore[union-attr]
    elif result.status != "SUCCEEDED":
        out = {"status": "FAILED", "error": result.error, "cause": result.cause}
    else:
        out = {"status": "SUCCEEDED", "output": result.output_json, "nextState": probe.taken}
        if failure is not None:
            out |= {"status": "CAUGHT_ERROR", "error": failure.error, "cause": failure.cause or None}
    if request.level != "INFO":
        out["inspectionData"] = _inspection(request, probe)
    return {key: value for key, value in out.items() if value is not None}


def _inspection(request: StateTestRequest, probe: Probe) -> dict[str, Any]:
    """The values DEBUG shows (as JSON text, the Map settings as numbers); TRACE adds an HTTP Task's exchange."""
    data: dict[str, Any] = {key: value if isinstance(value, (int, float)) and key in _NUMBERS else dumps(value)
                            for key, value in probe.data.items()}
    variables = {**request.variables, **(probe.assigned or {})}
    if variables:
        data["variables"] = dumps(variables)
    if probe.errors:
        data["errorDetails"] = dict(probe.errors)
    if request.level == "TRACE" and request.mock is None and request.type == "Task":
        spec = parse_resource(request.state.get("Resource") or "")
        if spec.service == "http" and spec.action == "invoke":
            data.update(http_trace(probe.data, probe.failure, request.reveal_secrets))
    return data

