"""UpdateMapRun's levers on a running Distributed Map: how many children run at once, how many may fail.

A Map Run registers its levers here while it runs and reads them as it goes (the concurrency before each
child starts, the tolerated failures when it judges its children), so a change made through the service
takes effect on the children not yet started and on the verdict. The registry lives in the run's
Resources, which the host (``asl serve``) shares with the engine.

A Map Run that registers again under the same ARN (resumed after a restart, or redriven) gets the updates
made to it before: the host says which (``recorded``), and they are applied to the fresh levers before
any child starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from asl_engine.runtime.concurrency import AdjustableLimit


@dataclass
class MapRunLevers:
    """``tolerated_*`` are None until an update replaces the value the Map state declares."""

    concurrency: AdjustableLimit
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None

    def update(self, changes: dict[str, Any]) -> None:
        """Apply UpdateMapRun's ``changes`` (its parameter names); a maxConcurrency of 0 lifts the limit, up to
        the Distributed Map's own."""
        if "maxConcurrency" in changes:
            from asl_engine.runtime.states.map import DISTRIBUTED_CONCURRENCY  # that module imports this one

            self.concurrency.set(int(changes["maxConcurrency"]) or DISTRIBUTED_CONCURRENCY)
        if "toleratedFailureCount" in changes:
            self.tolerated_count = int(changes["toleratedFailureCount"])
        if "toleratedFailurePercentage" in changes:
            self.tolerated_percentage = float(changes["toleratedFailurePercentage"])


class MapRunControls:
    """The levers of the Map Runs running now, by Map Run ARN.

    ``recorded``, set by the host, answers the updates kept for a Map Run ARN (an empty dict if none).
    """

    def __init__(self) -> None:
        self._live: dict[str, MapRunLevers] = {}
        self.recorded: Callable[[str], dict[str, Any]] | None = None

    @contextmanager
    def running(self, map_run_arn: str, concurrency: int) -> Iterator[MapRunLevers]:
        levers = MapRunLevers(AdjustableLimit(concurrency))
        if self.recorded is not None:
            levers.update(self.recorded(map_run_arn))
        self._live[map_run_arn] = levers
        try:
            yield levers
        finally:
            self._live.pop(map_run_arn, None)

    def get(self, map_run_arn: str) -> MapRunLevers | None:
        return self._live.get(map_run_arn)
