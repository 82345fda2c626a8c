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
    failed = next((w for w in workers if w.done() and not w.cancelled() and w.exception() is not None), None)
    if failed is not None:
        for w in pending:
            w.cancel()
        if pending:
            await asyncio.wait(pending)
        raise failed.exception()  # type: ignore[misc]
    return results
