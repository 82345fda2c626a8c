"""UpdateMapRun's levers on a running Distributed Map: how many children run at once, how many may fail.

A Map Run registers its levers here while it runs and reads them as it goes (the concurrency before each
child starts, the tolerated failures when it judges its children), so a change made through the service
takes effect on the children not yet started and on the verdict. The registry lives in the run's
Resources, which the host (``asl serve``) shares with the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from asl_engine.runtime.concurrency import AdjustableLimit


@dataclass
class MapRunLevers:
    """``tolerated_*`` are None until an update replaces the value the Map state declares."""

    concurrency: AdjustableLimit
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None


class MapRunControls:
    """The levers of the Map Runs running now, by Map Run ARN."""

    def __init__(self) -> None:
        self._live: dict[str, MapRunLevers] = {}

    @contextmanager
    def running(self, map_run_arn: str, concurrency: int) -> Iterator[MapRunLevers]:
        levers = self._live[map_run_arn] = MapRunLevers(AdjustableLimit(concurrency))
        try:
            yield levers
        finally:
            self._live.pop(map_run_arn, None)

    def get(self, map_run_arn: str) -> MapRunLevers | None:
        return self._live.get(map_run_arn)
