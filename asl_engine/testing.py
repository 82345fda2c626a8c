"""Unit-testing a workflow in a few lines: run it with mocks on a virtual clock, then ask about its history.

``WorkflowRunner`` is what the pytest plugin's ``asl_run`` fixture hands a
test; it is plain Python, so other test frameworks can use it too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.mocks import MockConfig, Mocks
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.services import Services
from asl_engine.state_machine import StateMachine


class Execution:
    """A finished (or ``run_for``-stopped) execution, with the look-ups a workflow test makes.

    Every attribute of ``ExecutionResult`` (``status``, ``output``, ``error``,
    ``cause``, ``history``...) reads through.
    """

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        """The history events of one type (``"TaskScheduled"``, ``"MapIterationFailed"``...), in order."""
        return [e for e in self.result.history if e["type"] == event_type]

    @property
    def path(self) -> list[str]:
        """The names of the states entered, in order (a state entered twice appears twice)."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.result.history
                if "stateEnteredEventDetails" in e]

    def state_input(self, state: str) -> Any:
        """The input of the last time ``state`` was entered; KeyError if it never was."""
        return self._last(state, "stateEnteredEventDetails", "input")

    def state_output(self, state: str) -> Any:
        """The output of the last time ``state`` exited; KeyError if it never did."""
        return self._last(state, "stateExitedEventDetails", "output")

    def _last(self, state: str, details_key: str, field: str) -> Any:
        for event in reversed(self.result.history):
            details = event.get(details_key)
            if details is not None and details["name"] == state:
                return json.loads(details[field])
        raise KeyError(f"the state '{state}' has no {details_key} event in this execution")


class WorkflowRunner:
    """Runs state machines for tests: one virtual clock and one AWS backend, mocks chosen per run."""

    def __init__(self, clock: Clock, clients: ClientFactory | None = None) -> None:
        self.clock = clock
        self.clients = clients or ClientFactory()

    def __call__(self, definition: str | dict | os.PathLike, input: Any = None, *, name: str | None = None,
                 mock_config: MockConfig | Mapping | str | os.PathLike | None = None,
                 test_case: str | None = None, overrides: Mapping[str, Any] | None = None,
                 handlers: Mapping[str, Any] | None = None, type: str = "STANDARD", seed: int = 0,
                 **run_options: Any) -> Execution:
        """Run ``definition`` once with ``input`` and return the execution.

        ``mock_config`` (a MockConfig, its JSON document or a path to a
        MockConfigFile) with ``test_case`` answers the Task states that test
        case names; ``overrides`` maps state names to a value, a ``Throw`` or
        a callable (see ``Mocks``); ``handlers`` registers local resources
        (``{function name or ARN: callable or "module.handler"}``). ``name``
        is the state machine's name, which selects it in the MockConfig
        (default: the config's only state machine, else ``StateMachine``).
        The rest (``run_for``, ``payload_limit``...) goes to
        ``StateMachine.run``; ``seed`` fixes generated ids and jitter.
        """
        config = _config(mock_config)
        name = name or _only_machine(config) or "StateMachine"
        mocks = None
        if config is not None or overrides:
            mocks = Mocks(config, test_case, overrides)
            mocks.check(name)
        machine = StateMachine(definition, name=name, type=type)
        resources = Resources(handlers, clients=self.clients, mocks=mocks, now=self.clock.now)
        return Execution(machine.run(input, clock=self.clock, resources=resources, services=Services(seed),
                                     **run_options))


def _config(value: MockConfig | Mapping | str | os.PathLike | None) -> MockConfig | None:
    if value is None or isinstance(value, MockConfig):
        return value
    if isinstance(value, Mapping):
        return MockConfig(dict(value))
    return MockConfig.load(value)


def _only_machine(config: MockConfig | None) -> str | None:
    machines = config.state_machines if config is not None else ()
    return machines[0] if len(machines) == 1 else None
