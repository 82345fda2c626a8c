"""A TestState request, read and checked the way AWS checks it before anything runs.

Every refusal here is one AWS makes up front, with its wording where it was
recorded (LocalStack's snapshot tests of TestState, recorded against AWS in
2025-11/12 and 2026-02): the state to test (the definition itself, or
``stateName`` of a whole state machine, nested states included), its mock,
its context object and its state configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from asl_engine.definition.load import parse_definition
from asl_engine.errors import InvalidDefinition
from asl_engine.integrations.arns import parse_resource
from asl_engine.server.errors import ApiError, validation
from asl_engine.state_machine import InvalidExecutionInput, StateMachine, parse_input

# $$.State.Name of the state under test: AWS names it so whatever stateName says (recorded)
TESTED_NAME = "StateName"
FLOW_STATES = ("Map", "Parallel")
_MOCKABLE = ("Task", *FLOW_STATES)
_NOT_SUPPORTED = ("InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state "
                  "types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
_CONTEXT_FIELDS = {"Execution": {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount", "RedriveTime"},
                   "State": {"Name", "EnteredTime", "RetryCount"},
                   "StateMachine": {"Id", "Name"},
                   "Task": {"Token"}}
_CONTEXT_NUMBERS = {("Execution", "RedriveCount"), ("State", "RetryCount")}
_CONTEXT_OBJECTS = {("Execution", "Input")}


@dataclass(frozen=True)
class Mock:
    """``mock``: a result (parsed JSON) or an error, and how strictly a result is checked."""

    result: Any = None
    error: tuple[str, str] | None = None
    validation_mode: str = "STRICT"


@dataclass(frozen=True)
class StateTestRequest:
    """What to run: the state's definition and everything the request says about its surroundings."""

    state: dict[str, Any]
    level: str
    input: Any
    variables: dict[str, Any]
    role_arn: str | None
    reveal_secrets: bool
    mock: Mock | None
    context: dict[str, Any] | None
    in_map: bool  # a state of a Map's ItemProcessor: its default context has $$.Map.Item
    retried: int
    map_failures: int
    reader_data: str | None
    targets: tuple[str, ...] = field(default=())  # the states it can transition to

    @property
    def type(self) -> str:
        return self.state.get("Type", "")

    @property
    def jsonata(self) -> bool:
        return self.state.get("QueryLanguage") == "JSONata"


def read_request(params: dict[str, Any]) -> StateTestRequest:
    """The request checked in AWS's order: definition, state, input, mock, context (ApiError when refused)."""
    state, in_map = _pick(params["definition"], params.get("stateName"))
    kind = state.get("Type")
    mock = _mock(params.get("mock"), kind, state, bool(params.get("revealSecrets")))
    if kind in FLOW_STATES and mock is None:
        raise ApiError(*_NOT_SUPPORTED)
    if kind == "Task" and mock is None:
        _check_unmocked_task(state, params.get("roleArn"))
    config = params.get("stateConfiguration") or {}
    variables = _json(params.get("variables"), {}, "ValidationException", "variables")
    if not isinstance(variables, dict):
        raise validation("Invalid variables: the variables must be a JSON object")
    context = None
    if params.get("context") is not None:
        context = _context(params["context"], state)
    # stateConfiguration.errorCausedByState names where a mocked Map/Parallel error comes from; the error
    # reaches the state's Retry and Catch the same way whichever state it names
    return StateTestRequest(state=state, level=params.get("inspectionLevel") or "INFO",
                            input=_json(params.get("input"), {}, "InvalidExecutionInput", "execution input"),
                            variables=variables, role_arn=params.get("roleArn"),
                            reveal_secrets=bool(params.get("revealSecrets")), mock=mock, context=context,
                            in_map=in_map, retried=config.get("retrierRetryCount") or 0,
                            map_failures=config.get("mapIterationFailureCount") or 0,
                            reader_data=config.get("mapItemReaderData"), targets=_targets(state))


def _pick(text: str, state_name: str | None) -> tuple[dict[str, Any], bool]:
    """The state to test, with the query language it runs in, and whether it sits in a Map's ItemProcessor."""
    try:
        document = parse_definition(text)
    except InvalidDefinition as e:
        raise ApiError("InvalidDefinition", str(e)) from None
    if not isinstance(document, dict):
        raise ApiError("InvalidDefinition", "Invalid State Machine Definition: the definition must be a JSON object")
    if "States" not in document:
        return document, False
    if state_name is None:
        raise validation("stateName is required when the definition is a state machine")
    try:
        StateMachine(document)  # a whole state machine is checked as CreateStateMachine would check it
    except InvalidDefinition as e:
        raise ApiError("InvalidDefinition", str(e)) from None
    found = _find(document, state_name, False)
    if found is None:
        raise validation("State not found in definition")
    state, in_map = found
    if "QueryLanguage" in document and "QueryLanguage" not in state:
        state = {**state, "QueryLanguage": document["QueryLanguage"]}
    return state, in_map


def _find(machine: dict[str, Any], name: str, in_map: bool) -> tuple[dict[str, Any], bool] | None:
    """``name`` among the states of ``machine`` and, depth first, of its Parallel branches and Map processors."""
    states = machine.get("States") or {}
    if isinstance(states.get(name), dict):
        return states[name], in_map
    for state in states.values():
        for branch in state.get("Branches") or []:
            found = _find(branch, name, in_map)
            if found is not None:
                return found
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, dict):
            found = _find(processor, name, True)
            if found is not None:
                return found
    return None


def _targets(state: dict[str, Any]) -> tuple[str, ...]:
    """Every state name the tested state can hand on to (Next, Default, each Choice rule, each Catch)."""
    names = [state.get("Next"), state.get("Default")]
    names += [rule.get("Next") for rule in state.get("Choices") or [] if isinstance(rule, dict)]
    names += [catcher.get("Next") for catcher in state.get("Catch") or [] if isinstance(catcher, dict)]
    return tuple(dict.fromkeys(n for n in names if isinstance(n, str)))


def _json(text: str | None, default: Any, code: str, what: str) -> Any:
    """JSON text of the request, refused with ``code`` and the place it is broken at (``what`` names it)."""
    if text is None:
        return default
    try:
        return parse_input(text)
    except InvalidExecutionInput as e:
        raise ApiError(code, str(e).replace("execution input", what, 1)) from None


def _mock(mock: dict[str, Any] | None, kind: str | None, state: dict[str, Any], reveal: bool) -> Mock | None:
    if not mock:
        return None
    if kind not in _MOCKABLE:
        raise validation(f"State type '{kind}' is not supported when a mock is specified")
    if reveal:
        raise validation("TestState does not support RevealSecrets when a mock is specified.")
    if "result" in mock and "errorOutput" in mock:
        raise validation("A test mock should have only one of the following fields: [result, errorOutput].")
    mode = mock.get("fieldValidationMode") or "STRICT"
    if "errorOutput" in mock:
        failure = mock["errorOutput"] or {}
        return Mock(error=(failure.get("error") or "", failure.get("cause") or ""), validation_mode=mode)
    if "result" not in mock:
        return None
    try:
        result = json.loads(mock["result"])
    except ValueError:
        raise validation("Mocked result must be valid JSON") from None
    if kind == "Map" and "ResultWriter" in state:
        if not isinstance(result, dict):
            raise validation("Mocked result must be a JSON object.")
    elif kind in FLOW_STATES and not isinstance(result, list):
        raise validation("Mocked result must be an array.")
    if kind == "Parallel" and len(result) != len(state.get("Branches") or []):
        raise validation("Mocked result must contain the same number of items as number of Parallel branches.")
    return Mock(result=result, validation_mode=mode)


def _check_unmocked_task(state: dict[str, Any], role_arn: str | None) -> None:
    """A Task that would call AWS needs a role; one that waits for a worker, a token or a job needs a mock."""
    spec = parse_resource(state.get("Resource") or "")
    if spec.kind == "activity" or spec.pattern:
        raise validation("TestState API does not support Activity tasks, .sync or .waitForTaskToken service "
                         "integration patterns unless a mock is specified")
    if not role_arn:
        raise validation("RoleArn must be specified when testing a Task state")


def _context(text: str, state: dict[str, Any]) -> dict[str, Any]:
    """The context object the request supplies: only the fields AWS lets a test set, with their types."""
    try:
        context = json.loads(text)
    except ValueError as e:
        raise _bad_context(f"the Context object must be valid JSON ({e})") from None
    if not isinstance(context, dict):
        raise _bad_context("the Context object must be a JSON object")
    for key, value in context.items():
        if key == "Map":
            raise _bad_context("'Map' field is not supported when mocking a Context object")
        if key not in _CONTEXT_FIELDS:
            raise _bad_context(f"Field '{key}' is not allowed")
        if not isinstance(value, dict):
            raise _bad_context(f"{key} must be an object")
        for name, member in value.items():
            if name not in _CONTEXT_FIELDS[key]:
                raise _bad_context(f"Field '{name}' is not allowed")
            _check_context_type(key, name, member)
    if "Task" in context:
        spec = parse_resource(state.get("Resource") or "") if state.get("Type") == "Task" else None
        if spec is None or spec.pattern not in ("sync", "sync:2", "waitForTaskToken"):
            raise _bad_context("Context object contains 'Task' when state is not a Task state with a '.sync' or "
                               "'.waitForTaskToken' service integration pattern")
    return context


def _check_context_type(key: str, name: str, value: Any) -> None:
    if (key, name) in _CONTEXT_OBJECTS:
        return
    if (key, name) in _CONTEXT_NUMBERS:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad_context(f"{key}.{name} must be a number")
    elif not isinstance(value, str):
        raise _bad_context(f"{key}.{name} must be a string")


def _bad_context(reason: str) -> ApiError:
    return validation(f"Invalid Context object provided: {reason}")
