"""TestState at the INFO inspection level: one state, run by the engine on its own virtual clock.

The state runs as a tiny state machine: optionally a Pass that assigns the
given ``variables``, the state itself without its Retry, and a Succeed state
for each of its transitions (Next, each Choice rule, Default, each Catch),
renamed so that the one the run ends in tells which transition was taken.
Retry is not run but judged, as TestState does: a failure a retrier would
take (with ``stateConfiguration.retrierRetryCount`` retries already spent)
is RETRIABLE; otherwise a Catch makes it CAUGHT_ERROR.  A ``mock`` answers
the state's Task in place of its resource.  Time is virtual, so a Wait
returns at once.  DEBUG and TRACE need inspection data the engine does not
expose yet.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import datetime
from typing import Any

from asl_engine.definition.load import parse_definition
from asl_engine.errors import InvalidDefinition
from asl_engine.integrations.mocks import Mocks, Return, Throw
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock, VirtualClock
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.retry import matches
from asl_engine.runtime.services import Services
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, validation
from asl_engine.state_machine import InvalidExecutionInput, StateMachine, parse_input

DEFAULT_NAME = "TestState"
_VARIABLES = "_asl_variables"
_UNSUPPORTED = ("context", "stateConfiguration.errorCausedByState", "stateConfiguration.mapIterationFailureCount",
                "stateConfiguration.mapItemReaderData")


class StateTester:
    """The TestState action; the state's Task calls the service's own clients and local functions."""

    def __init__(self, resources: Resources, clock: Clock) -> None:
        self.resources = resources
        self.clock = clock

    async def test_state(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if params.get("inspectionLevel", "INFO") != "INFO":
            raise ApiError("NotImplemented", "asl serve answers TestState at the INFO inspection level only")
        for field in _UNSUPPORTED:
            head, _, tail = field.partition(".")
            if head in params and (not tail or tail in params[head]):
                raise ApiError("NotImplemented", f"asl serve does not support TestState's {field} yet")
        name, state = _pick(params["definition"], params.get("stateName"))
        value = _json(params, "input", "{}", "InvalidExecutionInput")
        variables = _json(params, "variables", "{}", "ValidationException")
        harness, targets = _harness(name, state, variables)
        try:
            machine = StateMachine(harness, name=DEFAULT_NAME, region=caller.region, account=caller.account,
                                   role_arn=params.get("roleArn"))
        except InvalidDefinition as e:
            raise ApiError("InvalidDefinition", str(e)) from None
        resources = Resources(clients=self.resources.clients, functions=self.resources.functions,
                              mocks=_mocks(name, params.get("mock")))
        start: datetime = self.clock.now()
        result = await asyncio.to_thread(machine.run, value, clock=VirtualClock(start), resources=resources,
                                         services=Services())
        retried = (params.get("stateConfiguration") or {}).get("retrierRetryCount", 0)
        return _outcome(result, targets, state.get("Retry") or [], retried)


def _pick(text: str, state_name: str | None) -> tuple[str, dict[str, Any]]:
    """The state to test: the definition itself, or ``stateName`` of a whole state machine."""
    try:
        document = parse_definition(text)
    except InvalidDefinition as e:
        raise ApiError("InvalidDefinition", str(e)) from None
    if not isinstance(document, dict):
        raise ApiError("InvalidDefinition", "Invalid State Machine Definition: the definition must be an object")
    if "States" not in document:
        return state_name or DEFAULT_NAME, document
    if state_name is None:
        raise validation("stateName is required when the definition is a state machine")
    state = (document.get("States") or {}).get(state_name)
    if not isinstance(state, dict):
        raise validation(f"State '{state_name}' was not found in the state machine definition")
    if "QueryLanguage" in document and "QueryLanguage" not in state:
        state = {**state, "QueryLanguage": document["QueryLanguage"]}
    return state_name, state


def _json(params: dict[str, Any], key: str, default: str, code: str) -> Any:
    try:
        return parse_input(params.get(key, default))
    except InvalidExecutionInput as e:
        raise ApiError(code, f"Invalid {key}: {e}") from None


def _harness(name: str, state: dict[str, Any], variables: Any) -> tuple[dict[str, Any], dict[str, tuple[str, bool]]]:
    """The state machine that runs the state once; maps each stand-in target to (its real name, caught?)."""
    state = copy.deepcopy(state)
    state.pop("Retry", None)
    targets: dict[str, tuple[str, bool]] = {}

    def stand_in(node: dict[str, Any], key: str, caught: bool = False) -> None:
        if isinstance(node, dict) and isinstance(node.get(key), str):
            synthetic = f"_asl_next_{len(targets)}"
            targets[synthetic] = (node[key], caught)
            node[key] = synthetic

    stand_in(state, "Next")
    stand_in(state, "Default")
    for rule in state.get("Choices") or []:
        stand_in(rule, "Next")
    for catcher in state.get("Catch") or []:
        stand_in(catcher, "Next", caught=True)
    states: dict[str, Any] = {name: state, **{t: {"Type": "Succeed"} for t in targets}}
    start = name
    if variables:
        states[_VARIABLES] = {"Type": "Pass", "Assign": variables, "Next": name}
        start = _VARIABLES
    return {"StartAt": start, "States": states}, targets


def _mocks(name: str, mock: dict[str, Any] | None) -> Mocks | None:
    if not mock:
        return None
    if "errorOutput" in mock:
        failure = mock["errorOutput"]
        return Mocks(overrides={name: Throw(failure.get("error", ""), failure.get("cause", ""))})
    if "result" in mock:
        try:
            return Mocks(overrides={name: Return(json.loads(mock["result"]))})
        except ValueError:
            raise validation("The mock result must be JSON text") from None
    return None


def _outcome(result: ExecutionResult, targets: dict[str, tuple[str, bool]], retriers: list[dict[str, Any]],
             retried: int) -> dict[str, Any]:
    history = result.history
    taken = next((targets[name] for name in _entered(history) if name in targets), None)
    error, cause = result.error, result.cause
    if taken is not None and taken[1]:
        error, cause = _last_failure(history)
    retriable = error is not None and any(
        matches(tuple(r.get("ErrorEquals") or ()), error) and retried < r.get("MaxAttempts", 3) for r in retriers)
    if retriable:
        return _fields(status="RETRIABLE", error=error, cause=cause)
    if result.status != "SUCCEEDED":
        return _fields(status="FAILED", error=error, cause=cause)
    out = _fields(status="CAUGHT_ERROR" if taken and taken[1] else "SUCCEEDED", output=result.output_json,
                  nextState=taken[0] if taken else None)
    if taken and taken[1]:
        out |= _fields(error=error, cause=cause)
    return out


def _entered(history: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def _last_failure(history: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """The error and cause of the failure a Catch took: the latest event details that carry an error."""
    for event in reversed(history):
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict) and "error" in details:
                return details["error"], details.get("cause")
    return None, None


def _fields(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
