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
