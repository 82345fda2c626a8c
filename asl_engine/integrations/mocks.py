"""Mocked Task results for unit tests: Step Functions Local's MockConfigFile, and overrides from Python.

The semantics are Step Functions Local's (AWS's "Configuration file for mocked
service integrations"), so a MockConfigFile written for it works unchanged:

- a test case of a state machine maps Task state names to mocked responses;
  a Task state it does not name calls its resource as usual (AWS's "HybridPath");
- a mocked response answers invocation ``n`` of its state within one
  execution (``"0"``, ``"1-2"``...); every retry is an invocation, and so is
  every Map iteration, counted across the execution's Map Runs;
- an invocation with no response fails the execution (AWS: "If you do not
  specify a mocked response, the state machine execution will fail"): a
  ``States.Runtime`` error, which no Retry or Catch takes;
- for ``.waitForTaskToken`` and ``.sync`` the mocked ``Return`` is the task's
  result: no callback and no job is waited for.

The Task state still writes its usual history events around a mocked call.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")
_PATTERNS = frozenset({"sync", "sync:2", "waitForTaskToken"})


class MockConfigError(ValueError):
    """A MockConfigFile Step Functions Local would refuse; ``pointer`` is the JSON pointer of the bad part."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{message} (at {pointer or '/'})")
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True, slots=True)
class Return:
    """A mocked successful result."""

    value: Any


@dataclass(frozen=True, slots=True)
class Throw:
    """A mocked failure: the task fails with this error name and cause, as Retry and Catch see it."""

    error: str
    cause: str = ""


Answer = Return | Throw | Callable[[Any], Any]


class MockedResponse:
    """The answers of one mocked response, by invocation number (an inclusive range per answer)."""

    __slots__ = ("_ranges",)

    def __init__(self, ranges: list[tuple[int, int, Answer]]) -> None:
        self._ranges = ranges

    @classmethod
    def always(cls, answer: Answer) -> MockedResponse:
        """One answer for every invocation: how a Python override behaves."""
        return cls([(0, -1, answer)])

    @classmethod
    def parse(cls, document: Any, pointer: str = "") -> MockedResponse:
        """A ``{"0": {"Return": ...}, "1-2": {"Throw": {...}}}`` object; ranges must cover 0, 1, 2... in order."""
        if not isinstance(document, dict) or not document:
            raise MockConfigError(pointer, "A mocked response must be a non-empty object of invocation numbers")
        parsed = []
        for key, value in document.items():
            where = f"{pointer}/{_escape(key)}"
            match = _RANGE.match(key)
            if match is None:
                raise MockConfigError(where, f"'{key}' is not an invocation number or range such as '0' or '1-2'")
            start = int(match[1])
            end = int(match[2]) if match[2] is not None else start
            if end < start:
                raise MockConfigError(where, f"The range '{key}' ends before it starts")
            parsed.append((start, end, _parse_answer(value, where), where))
        parsed.sort(key=lambda r: r[0])
        expected = 0
        for start, end, _, where in parsed:
            if start != expected:
                raise MockConfigError(where, f"Invocation {expected} has no response: responses must be numbered "
                                             "consecutively from 0")
            expected = end + 1
        return cls([(start, end, answer) for start, end, answer, _ in parsed])

    def answer_for(self, invocation: int) -> Answer | None:
        for start, end, answer in self._ranges:
            if start <= invocation and (end < 0 or invocation <= end):
                return answer
        return None


def _parse_answer(value: Any, pointer: str) -> Answer:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("Return", "Throw"):
        raise MockConfigError(pointer, "A response must be an object with exactly one field, Return or Throw")
    if "Return" in value:
        return Return(value["Return"])
    throw, where = value["Throw"], f"{pointer}/Throw"
    if not isinstance(throw, dict):
        raise MockConfigError(where, "Throw must be an object with the string fields Error and Cause")
    for field in throw:
        if field not in ("Error", "Cause"):
            raise MockConfigError(f"{where}/{_escape(field)}", f"Unknown field '{field}' in Throw")
    for field in ("Error", "Cause"):
        if not isinstance(throw.get(field), str):
            raise MockConfigError(f"{where}/{field}", f"Throw needs a string {field}")
    return Throw(throw["Error"], throw["Cause"])


class MockConfig:
    """A validated MockConfigFile: ``StateMachines`` -> ``TestCases`` -> state -> ``MockedResponses`` name."""

    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise MockConfigError("", "A mock configuration must be a JSON object")
        for field in document:
            if field not in ("StateMachines", "MockedResponses"):
                raise MockConfigError(f"/{_escape(field)}", f"Unknown field '{field}' (expected StateMachines "
                                                            "and MockedResponses)")
        responses = _object(document, "MockedResponses", "")
        self._responses = {name: MockedResponse.parse(value, f"/MockedResponses/{_escape(name)}")
                           for name, value in responses.items()}
        self._cases: dict[str, dict[str, dict[str, str]]] = {}
        for machine, config in _object(document, "StateMachines", "").items():
            where = f"/StateMachines/{_escape(machine)}"
            if not isinstance(config, dict):
                raise MockConfigError(where, "A state machine's mock configuration must be an object")
            for field in config:
                if field != "TestCases":
                    raise MockConfigError(f"{where}/{_escape(field)}", f"Unknown field '{field}' (expected "
                                                                       "TestCases)")
            self._cases[machine] = {name: self._check_case(case, f"{where}/TestCases/{_escape(name)}")
                                    for name, case in _object(config, "TestCases", where).items()}

    @classmethod
    def load(cls, path: str | os.PathLike) -> MockConfig:
        """Read a MockConfigFile.json."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            document = json.loads(text)
        except json.JSONDecodeError as e:
            raise MockConfigError("", f"{os.fspath(path)} is not JSON: {e.msg} at line {e.lineno}, column "
                                      f"{e.colno}") from None
        return cls(document)

    @property
    def state_machines(self) -> tuple[str, ...]:
        """The names of the state machines this configuration has test cases for."""
        return tuple(self._cases)

    def _check_case(self, case: Any, pointer: str) -> dict[str, str]:
        if not isinstance(case, dict):
            raise MockConfigError(pointer, "A test case must be an object of state names to mocked responses")
        for state, response in case.items():
            if not isinstance(response, str) or response not in self._responses:
                raise MockConfigError(f"{pointer}/{_escape(state)}", f"The mocked response {response!r} is not "
                                                                     "defined in MockedResponses")
        return case

    def test_case(self, state_machine: str, test_case: str) -> dict[str, MockedResponse]:
        """The mocked responses of ``test_case`` by state name; MockConfigError names what is missing."""
        cases = self._cases.get(state_machine)
        if cases is None:
            raise MockConfigError(f"/StateMachines/{_escape(state_machine)}",
                                  f"No state machine named '{state_machine}' in the mock configuration")
        case = cases.get(test_case)
        if case is None:
            raise MockConfigError(f"/StateMachines/{_escape(state_machine)}/TestCases/{_escape(test_case)}",
                                  f"No test case '{test_case}' for the state machine '{state_machine}'")
        return {state: self._responses[name] for state, name in case.items()}


class Mocks:
    """What a run answers instead of calling a Task's resource: a test case of a MockConfig, Python overrides.

    ``overrides`` maps a state name to a value (the result of every
    invocation), a ``Throw``, a callable ``(payload) -> result`` (sync or
    async; raising fails the task with the exception's class name as the
    error) or a ``MockedResponse`` (answers by invocation number). An override
    wins over the test case for its state.
    """

    def __init__(self, config: MockConfig | None = None, test_case: str | None = None,
                 overrides: Mapping[str, Any] | None = None) -> None:
        if (config is None) != (test_case is None):
            raise ValueError("a MockConfig is used with the name of one of its test cases")
        self._config = config
        self._test_case = test_case
        self._overrides = {state: _as_response(value) for state, value in (overrides or {}).items()}
        self._by_machine: dict[str, dict[str, MockedResponse]] = {}
        self._invocations: dict[tuple[str, str], int] = {}

    def check(self, state_machine: str) -> None:
        """Raise MockConfigError now if the test case does not exist for ``state_machine``."""
        self._responses(state_machine)

    def covers(self, call: TaskCall) -> bool:
        """Whether this call is mocked (else the resource is called as usual)."""
        return self._response(call) is not None

    async def answer(self, call: TaskCall) -> Any:
        """The mocked result of this invocation, or the mocked failure raised as a StatesError."""
        response = self._response(call)
        assert response is not None, "answer() is for calls that covers() accepts"
        key = (call.execution_arn, call.state_name)
        invocation = self._invocations.get(key, 0)
        self._invocations[key] = invocation + 1
        answer = response.answer_for(invocation)
        if answer is None:
            raise StatesError("States.Runtime", f"No mocked response for invocation {invocation} of the state "
                                                f"'{call.state_name}' in the test case '{self._test_case}'")
        submits = call.spec.pattern in _PATTERNS
        try:
            result = await _resolve(answer, call.payload)
        except StatesError:
            if submits:  # the job or message went out; its outcome is the failure
                call.submitted({})
            raise
        if submits:
            call.submitted(result)
        return _lambda_result(call, result)

    def replayed(self, call: TaskCall) -> None:
        """Count an invocation that a resumed execution reads back from its history instead of making it again,
        so that the invocations after it get the responses numbered after it."""
        if self.covers(call):
            key = (call.execution_arn, call.state_name)
            self._invocations[key] = self._invocations.get(key, 0) + 1

    def _response(self, call: TaskCall) -> MockedResponse | None:
        response = self._overrides.get(call.state_name)
        if response is None and self._config is not None:
            response = self._responses(call.state_machine_name).get(call.state_name)
        return response

    def _responses(self, state_machine: str) -> dict[str, MockedResponse]:
        if self._config is None:
            return {}
        responses = self._by_machine.get(state_machine)
        if responses is None:
            responses = self._by_machine[state_machine] = self._config.test_case(state_machine,
                                                                                 self._test_case)  # type: ignore[arg-type]
        return responses


def _as_response(value: Any) -> MockedResponse:
    if isinstance(value, MockedResponse):
        return value
    if isinstance(value, (Throw, Return)) or callable(value):
        return MockedResponse.always(value)
    return MockedResponse.always(Return(value))


async def _resolve(answer: Answer, payload: Any) -> Any:
    if isinstance(answer, Throw):
        raise StatesError(answer.error, answer.cause)
    if isinstance(answer, Return):
        return copy.deepcopy(answer.value)
    try:
        result = answer(payload)
        if inspect.isawaitable(result):
            result = await result
    except StatesError:
        raise
    except Exception as exc:  # the test's stand-in failed: a task failure named after the exception
        raise StatesError(type(exc).__name__, str(exc)) from exc
    if isinstance(result, Throw):
        raise StatesError(result.error, result.cause)
    return result


def _lambda_result(call: TaskCall, result: Any) -> Any:
    """A mocked Lambda ``Return`` is the Invoke response, as Step Functions Local reads it.

    A legacy function ARN task gets its ``Payload``; a ``FunctionError`` in
    it fails either kind of Lambda task with the payload's ``errorType``.
    """
    spec = call.spec
    legacy = spec.kind == "lambda"
    if not (legacy or (spec.service == "lambda" and spec.action == "invoke")) or not isinstance(result, dict):
        return result
    payload = result.get("Payload")
    if result.get("FunctionError"):
        error = payload.get("errorType") if isinstance(payload, dict) else None
        raise StatesError(error or result["FunctionError"],
                          json.dumps(payload, separators=(", ", ": ") if legacy else (",", ":")))
    return payload if legacy and "Payload" in result else result


def _object(node: dict, field: str, pointer: str) -> dict:
    value = node.get(field)
    if not isinstance(value, dict):
        raise MockConfigError(f"{pointer}/{field}", f"{field} is required and must be an object")
    return value


def _escape(token: str) -> str:
    """A JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")
