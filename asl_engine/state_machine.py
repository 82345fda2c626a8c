"""The public entry point: ``StateMachine(definition).run(input)``."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from asl_engine.definition.compile import Plan, compile_definition
from asl_engine.definition.load import load_definition
from asl_engine.definition.model import StateMachineModel
from asl_engine.definition.validate import validate
from asl_engine.errors import Diagnostic, InvalidDefinition
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock, RealClock
from asl_engine.runtime.execution import ExecutionResult, ExecutionRun
from asl_engine.runtime.history import HISTORY_LIMIT, History, dumps
from asl_engine.runtime.interpreter import PAYLOAD_LIMIT
from asl_engine.runtime.map_run_items import MapRunItems
from asl_engine.runtime.services import Services

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
AWS_DEFAULT: Any = object()  # "the quota AWS applies to this kind of execution"
_NAME_RE = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


class InvalidExecutionInput(ValueError):
    """The execution input is not JSON (AWS: InvalidExecutionInput); the message has line and column."""


class StateMachine:
    """A validated, compiled state machine that can run any number of executions.

    ``definition`` is ASL as a JSON string, a dict or a path to a file.
    Construction raises InvalidDefinition (with ``.diagnostics``) for anything
    CreateStateMachine would reject.
    """

    def __init__(self, definition: str | dict | os.PathLike, name: str = "StateMachine",
                 type: str = "STANDARD", *, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT,
                 role_arn: str | None = None) -> None:
        if type not in ("STANDARD", "EXPRESS"):
            raise ValueError(f"type must be STANDARD or EXPRESS, not {type!r}")
        self.definition = load_definition(definition)
        self.diagnostics: list[Diagnostic] = validate(self.definition)
        if any(d.severity == "ERROR" for d in self.diagnostics):
            raise InvalidDefinition(self.diagnostics)
        self.model = StateMachineModel.model_validate(self.definition)
        self.plan: Plan = compile_definition(self.model)
        self.name = name
        self.type = type
        self.region = region
        self.account = account
        self.arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
        self.role_arn = role_arn or f"arn:aws:iam::{account}:role/StepFunctions-{name}-role"

    @staticmethod
    def validate(definition: str | dict | os.PathLike) -> list[Diagnostic]:
        """Diagnostics as ValidateStateMachineDefinition returns them; never raises for a bad definition."""
        try:
            return validate(load_definition(definition))
        except InvalidDefinition as e:
            return e.diagnostics

    def run(self, input: Any = None, name: str | None = None, clock: Clock | None = None,
            resources: Resources | Mapping[str, Any] | None = None, *, services: Services | None = None,
            payload_limit: int | None = PAYLOAD_LIMIT, history_limit: Any = AWS_DEFAULT,
            run_for: float | None = None) -> ExecutionResult:
        """Run one execution to its end and return it (blocking).

        ``input`` is a JSON value or JSON text. ``clock`` defaults to the real
        clock; pass ``VirtualClock()`` to make Waits and backoffs instant.
        ``payload_limit=None`` lifts the 256 KiB quota; ``history_limit``
        defaults to AWS's (25,000 events for STANDARD, none for EXPRESS) and
        ``None`` lifts it.
        ``run_for`` stops watching after that many seconds of clock time and
        returns the execution as it is then (status RUNNING if unfinished).
        """
        clock = clock or RealClock()
        return clock.run(self.run_async(input, name, clock, resources, services=services,
                                        payload_limit=payload_limit, history_limit=history_limit,
                                        run_for=run_for))

    async def run_async(self, input: Any = None, name: str | None = None, clock: Clock | None = None,
                        resources: Resources | Mapping[str, Any] | None = None, *,
                        services: Services | None = None, payload_limit: int | None = PAYLOAD_LIMIT,
                        history_limit: Any = AWS_DEFAULT, run_for: float | None = None,
                        history_sink: Callable[[dict], None] | None = None,
                        history_factory: Callable[[int | None, Any], History] = History,
                        map_items: MapRunItems | None = None) -> ExecutionResult:
        """The same as ``run`` on a running event loop (the clock must be the loop's).

        ``history_sink`` receives every history event as it is added (see ``History.sink``);
        ``history_factory(limit, sink)`` makes the history (a ``ReplayHistory`` to resume an execution);
        ``map_items`` keeps the outcomes of Distributed Map items, which a resume or a redrive does not redo.
        """
        services = services or Services()
        if isinstance(input, str):
            input = parse_input(input)
        if payload_limit is not None and len(dumps(input).encode()) > payload_limit:
            raise InvalidExecutionInput("1 validation error detected: Value at 'input' failed to satisfy "
                                        f"constraint: Member must have length less than or equal to {payload_limit}")
        name = name or services.uuid4()
        if not _NAME_RE.match(name):
            raise ValueError(f"Invalid Name: '{name}' (1-80 characters, no whitespace, brackets, wildcards or "
                             "special characters)")
        express = self.type == "EXPRESS"
        if express:
            arn = f"arn:aws:states:{self.region}:{self.account}:express:{self.name}:{name}:{services.uuid4()}"
        else:
            arn = f"arn:aws:states:{self.region}:{self.account}:execution:{self.name}:{name}"
        if history_limit is AWS_DEFAULT:
            history_limit = None if express else HISTORY_LIMIT
        if not isinstance(resources, Resources):
            resources = Resources(resources)
        run = ExecutionRun(self.plan, state_machine_arn=self.arn, state_machine_name=self.name, execution_arn=arn,
                           execution_name=name, role_arn=self.role_arn, region=self.region, express=express,
                           input=input, clock=clock or RealClock(), services=services, resources=resources,
                           payload_limit=payload_limit, history_limit=history_limit,
                           history_sink=history_sink, history_factory=history_factory, map_items=map_items)
        return await run.run(run_for)


def parse_input(text: str) -> Any:
    """JSON input text; InvalidExecutionInput says where it is broken."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidExecutionInput(f"Invalid execution input: {e.msg} at line {e.lineno}, column {e.colno}") \
            from None
