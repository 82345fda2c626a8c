"""The Step Functions service: one handler per API action, found by the action's name.

``CreateStateMachine`` is answered by ``create_state_machine`` on whichever
component defines it; an action of the model that no component defines is
answered ``NotImplemented`` (HTTP 501) rather than guessed at.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from typing import Any

from botocore import xform_name

from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.services import Services
from asl_engine.server.activities import ActivityActions
from asl_engine.server.aliases import Aliases
from asl_engine.server.catalog import Catalog
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError
from asl_engine.server.executions import Executions
from asl_engine.server.machines import Compiler
from asl_engine.server.map_runs import MapRunActions
from asl_engine.server.mock_config import MockConfigs
from asl_engine.server.model import SERVICE_MODEL
from asl_engine.server.nested import ServiceStateMachines
from asl_engine.server.runner import Runner
from asl_engine.server.tags import Tags
from asl_engine.server.test_state import StateTester
from asl_engine.store import Store

Handler = Callable[[dict[str, Any], Caller], Any]


class StepFunctionsService:
    """Everything behind the awsJson endpoint: store, clock, the engine's resources, and the actions.

    ``seed`` makes ids, execution seeds and alias routing reproducible; ``mock_configs`` holds the
    MockConfigFile that ``<arn>#<TestCase>`` executions run with (POST /_asl/mock-config replaces it).
    """

    def __init__(self, store: Store, clock: Clock, resources: Resources | None = None,
                 seed: int | None = None, mock_configs: MockConfigs | None = None) -> None:
        self.store = store
        self.clock = clock
        self.resources = resources or Resources(now=clock.now)
        self.mock_configs = mock_configs or MockConfigs()
        services, rng = Services(seed), random.Random(seed)
        catalog = Catalog(store, clock, Compiler(), services)
        aliases = Aliases(store, clock, catalog, rng)
        self.runner = Runner(store, clock, self.resources)
        executions = Executions(store, clock, catalog, aliases, self.runner, services, rng, self.mock_configs)
        # workflows that start executions start them here, recorded like any other
        self.resources.state_machines = ServiceStateMachines(executions)
        components = (catalog, aliases, Tags(store, self.resources.activities), executions,
                      ActivityActions(self.resources.activities), MapRunActions(store, self.resources.map_run_controls),
                      StateTester(self.resources, clock))
        self._handlers: dict[str, Handler] = {}
        for operation in SERVICE_MODEL.operation_names:
            for component in components:
                handler = getattr(component, xform_name(operation), None)
                if handler is not None:
                    self._handlers[operation] = handler

    @property
    def implemented(self) -> list[str]:
        """The actions served (GET /_asl/health lists them)."""
        return sorted(self._handlers)

    async def call(self, operation: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The action's response; ApiError for anything AWS would refuse."""
        handler = self._handlers.get(operation)
        if handler is None:
            raise ApiError("NotImplemented", f"asl serve does not implement {operation} yet")
        result = handler(params, caller)
        return await result if inspect.isawaitable(result) else result

    async def close(self) -> None:
        """Stop the executions' tasks (their records stay RUNNING, to be resumed) and close the store."""
        await self.runner.close()
        self.store.close()
