"""One polling task per RUNNING pipe, started and stopped as the Pipes API changes pipes' states."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from .environment import PipeEnvironment
from .poller import POLL_INTERVAL, PipePoller
from .processing import PipeProcessor
from .service import Pipe
from .sources import open_source


class PipeSupervisor:
    """``sync`` is the Pipes object's ``on_change``; it needs the running event loop (the server's)."""

    def __init__(self, env: PipeEnvironment, time: Callable[[], float], interval: float = POLL_INTERVAL) -> None:
        self.env = env
        self._time = time
        self._interval = interval  # between polls of an idle source; ``wake`` polls at once
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._pollers: dict[str, PipePoller] = {}

    def sync(self, pipe: Pipe) -> None:
        task = self._tasks.pop(pipe.arn, None)
        self._pollers.pop(pipe.arn, None)
        if task is not None:
            task.cancel()
        if pipe.running:
            processor = PipeProcessor(pipe.spec, pipe.compiled, self.env)
            poller = PipePoller(processor, open_source(pipe.spec, self.env, self._time), self._time, self._interval)
            self._pollers[pipe.arn] = poller
            self._tasks[pipe.arn] = asyncio.ensure_future(poller.run())

    def wake(self, source_arn: str) -> None:
        """The pipes reading ``source_arn`` poll now (it got records)."""
        for poller in self._pollers.values():
            if poller.source.arn == source_arn:
                poller.wake()

    def polls(self) -> dict[str, int]:
        """Finished polls of each running pipe, by ARN."""
        return {arn: poller.polls for arn, poller in self._pollers.items()}

    async def close(self) -> None:
        tasks, self._tasks, self._pollers = list(self._tasks.values()), {}, {}
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
