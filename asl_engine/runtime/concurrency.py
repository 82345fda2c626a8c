"""Running branches and iterations side by side without a thread each.

Every branch or iteration is a coroutine on the execution's event loop; at
most ``limit`` run at once (a worker pool, so 100,000 Map items never become
100,000 tasks).  The first failure cancels the rest, as AWS stops the other
branches when one fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def run_all(count: int, run_one: Callable[[int], Awaitable[Any]], limit: int) -> list[Any]:
    """Results of ``run_one(0..count-1)`` in index order; raises the first failure."""
    results: list[Any] = [None] * count
    if count == 0:
        return results
    if limit <= 1:
        for i in range(count):
            results[i] = await run_one(i)
        return results
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            i = next_index
            next_index += 1
            results[i] = await run_one(i)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, count))]
    try:
        _, pending = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
    except asyncio.CancelledError:
        for w in workers:
            w.cancel()
        raise
    failure = _first_exception(workers)
    if failure is not None:
        for w in pending:
            w.cancel()
        if pending:
            await asyncio.wait(pending)
            _first_exception(workers)
        raise failure
    return results


def _first_exception(tasks: list[asyncio.Future]) -> BaseException | None:
    """The first failure among finished tasks, reading them all so none is reported as never retrieved."""
    errors = [t.exception() for t in tasks if t.done() and not t.cancelled()]
    return next((e for e in errors if e is not None), None)


class AdjustableLimit:
    """A concurrency limit that may change while ``run_adjustable`` runs (UpdateMapRun's MaxConcurrency)."""

    def __init__(self, value: int) -> None:
        self.value = value
        self._listeners: list[Callable[[], None]] = []

    def set(self, value: int) -> None:
        self.value = value
        for listener in list(self._listeners):
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[], None]) -> None:
        self._listeners.remove(listener)


async def run_adjustable(count: int, run_one: Callable[[int], Awaitable[Any]], limit: AdjustableLimit) -> list[Any]:
    """``run_all`` whose limit may change midway: a raised limit starts more items at once, a lowered one
    starts none until fewer run. One task per running item (not a fixed pool, which could not grow), and one
    queue of completions, so each completion costs the same however many items run."""
    results: list[Any] = [None] * count
    running: dict[asyncio.Future[Any], int] = {}
    wakeups: asyncio.Queue[asyncio.Future[Any] | None] = asyncio.Queue()
    next_index = 0

    def fill() -> None:
        nonlocal next_index
        while next_index < count and len(running) < max(limit.value, 1):
            task = asyncio.ensure_future(run_one(next_index))
            running[task] = next_index
            next_index += 1
            task.add_done_callback(wakeups.put_nowait)

    def changed() -> None:
        wakeups.put_nowait(None)

    limit.listen(changed)
    try:
        fill()
        while running:
            finished = await wakeups.get()
            if finished is not None and finished in running:
                index = running.pop(finished)
                results[index] = finished.result()  # the first failure propagates; the rest are cancelled below
            fill()
        return results
    finally:
        limit.unlisten(changed)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
            _first_exception(list(running))  # read, so none is reported as never retrieved
