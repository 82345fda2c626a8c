"""Polling one pipe's source on the clock, with AWS's batching: BatchSize and MaximumBatchingWindowInSeconds.

A batch goes out when it is full or when the window, counted from the first
record waiting, has passed (at once with no window). Records filtered out and
records delivered are done with; records to retry go back to the source,
which decides when they come again (see ``sources``). The wait between polls is an asyncio
sleep on the running loop, whose time is the server's clock: under a virtual
clock an advance ends a batching window at once, and a long advance costs
one poll, not one per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from asl_engine.runtime.timeouts import wait_for

from .processing import PipeProcessor
from .sources import PipeSource

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.2  # seconds of the clock between polls of an idle source


class PipePoller:
    def __init__(self, processor: PipeProcessor, source: PipeSource, time: Callable[[], float],
                 interval: float = POLL_INTERVAL) -> None:
        self.processor = processor
        self.source = source
        self._time = time
        self._interval = interval
        self._waiting: list[dict[str, Any]] = []
        self._since: float | None = None
        self.polls = 0  # polls finished (failed ones too): what a test waits on instead of sleeping
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Polls now rather than at the end of the interval: the source got records (SQS long polling answers
        as soon as a message arrives), so a long interval costs no delivery latency."""
        self._woken.set()

    async def run(self) -> None:
        """Polls until cancelled; a failing poll is logged and tried again, as the service keeps polling."""
        while True:
            try:
                await self.poll_once()
            except Exception:
                log.exception("pipe %s: polling %s failed", self.processor.spec["Name"], self.source.arn)
            self.polls += 1
            with contextlib.suppress(TimeoutError):
                await wait_for(self._woken.wait(), self._interval)
            self._woken.clear()

    async def poll_once(self) -> int:
        """Reads what is there, and sends the batch if it is due; returns how many records were delivered."""
        compiled = self.processor.compiled
        kept, dropped = [], []
        for record in self.source.receive(compiled.batch_size - len(self._waiting)):
            (kept if self.processor.matches(record) else dropped).append(record)
        if dropped:
            self.source.done(dropped)
        if kept and not self._waiting:
            self._since = self._time()
        self._waiting += kept
        if not self._waiting or not self._due():
            return 0
        batch, self._waiting, self._since = self._waiting, [], None
        retry = await self.processor.process(batch, [self.source.record_id(r) for r in batch])
        delivered = [r for r in batch if self.source.record_id(r) not in retry]
        if delivered:
            self.source.done(delivered)
        self.source.retry([r for r in batch if self.source.record_id(r) in retry])
        return len(delivered)

    def _due(self) -> bool:
        compiled = self.processor.compiled
        full = len(self._waiting) >= compiled.batch_size
        return full or self._since is None or self._time() - self._since >= compiled.batching_window
