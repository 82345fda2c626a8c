"""Step Functions Local's mocked service integrations on asl serve: executions of ``<state machine ARN>#<TestCase>``.

The MockConfigFile comes from ``--mock-config`` (else ``SFN_MOCK_CONFIG``, the
variable Step Functions Local reads) or from ``POST /_asl/mock-config``, which
replaces it whole at runtime so that a test suite loads one per test without a
restart.  Its test cases are keyed by state machine NAME, as Step Functions
Local's are.  The execution is named as Step Functions Local names it: the
state machine's own ARN, without the ``#TestCase``.

An execution started with a test case keeps the part of the configuration it
runs with (that test case and the responses it names) in its record: a resume
after a restart, or a redrive, answers exactly as the first run did, whatever
configuration is loaded by then.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from asl_engine.integrations.mocks import MockConfig, MockConfigError, Mocks
from asl_engine.integrations.registry import Resources
from asl_engine.server.errors import validation

ENV_VAR = "SFN_MOCK_CONFIG"
ROUTE = "/_asl/mock-config"


def split_test_case(arn: str) -> tuple[str, str | None]:
    """``arn#TestCase`` as ``(arn, "TestCase")``; an ARN without ``#`` names no test case (None)."""
    arn, sep, test_case = arn.partition("#")
    return arn, test_case if sep else None


class MockConfigs:
    """The MockConfigFile loaded now (or none): the test cases ``#TestCase`` executions are started with."""

    def __init__(self, document: Any = None) -> None:
        self._document: dict[str, Any] | None = None
        self._config: MockConfig | None = None
        if document is not None:
            self.replace(document)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> MockConfigs:
        """The configuration in a MockConfigFile.json; MockConfigError (or OSError) when it cannot be used."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return cls(_parse(text, os.fspath(path)))

    @property
    def state_machines(self) -> tuple[str, ...]:
        return self._config.state_machines if self._config is not None else ()

    def replace(self, document: Any) -> None:
        """Load ``document`` instead of what is loaded; a MockConfigError leaves the loaded one in place."""
        config = MockConfig(document)  # validates the whole document before anything changes
        self._document, self._config = copy.deepcopy(document), config

    def test_case(self, state_machine: str, test_case: str) -> dict[str, Any]:
        """The MockConfigFile of this one test case (what the execution keeps), or a ValidationException.

        Raised before anything is stored, naming the test case and the state machine.
        """
        if self._config is None or self._document is None:
            raise validation(f"Cannot run the test case '{test_case}' of the state machine '{state_machine}': no "
                             "mock configuration is loaded (start asl serve with --mock-config or SFN_MOCK_CONFIG, "
                             f"or POST one to {ROUTE})")
        if state_machine not in self._config.state_machines:
            raise validation(f"The mock configuration has no test case '{test_case}' for the state machine "
                             f"'{state_machine}': it lists no state machine of that name")
        try:
            self._config.test_case(state_machine, test_case)
        except MockConfigError:
            raise validation(f"The mock configuration has no test case '{test_case}' for the state machine "
                             f"'{state_machine}'") from None
        case = self._document["StateMachines"][state_machine]["TestCases"][test_case]
        responses = self._document["MockedResponses"]
        return {"StateMachines": {state_machine: {"TestCases": {test_case: case}}},
                "MockedResponses": {name: responses[name] for name in sorted(set(case.values()))}}


def mocked_resources(base: Resources, document: dict[str, Any] | None, test_case: str | None) -> Resources:
    """``base`` with the Task states of ``test_case`` answered from ``document``; ``base`` itself without one.

    A shallow copy, so everything else is the service's own: task tokens and activities (SendTask* and
    workers reach the execution), functions, clients, the state machines registry (its nested executions
    are the service's), Map Run controls.  Each execution gets its own ``Mocks``: invocations count per run.
    """
    if document is None or test_case is None:
        return base
    resources = copy.copy(base)
    resources.mocks = Mocks(MockConfig(document), test_case)
    return resources


def mock_config_route(configs: MockConfigs) -> Route:
    """``POST /_asl/mock-config``: the body, a whole MockConfigFile, replaces the loaded configuration.

    A body that is not JSON or not a valid configuration is a 400 ValidationException, with the JSON
    pointer of the bad part, and the loaded configuration stays as it was.
    """

    async def load(request: Request) -> JSONResponse:
        try:
            configs.replace(_parse((await request.body()).decode("utf-8", "replace"), "the request body"))
        except MockConfigError as e:
            return JSONResponse({"__type": "ValidationException", "message": str(e), "pointer": e.pointer}, 400)
        return JSONResponse({"stateMachines": list(configs.state_machines)})

    return Route(ROUTE, load, methods=["POST"])


def _parse(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise MockConfigError("", f"{source} is not JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
