"""The race Python 3.11's ``asyncio.wait_for`` lost (CPython gh-86296): a task cancelled in the loop turns just
after what it waits on was woken must end cancelled, not go on as if never cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from asl_engine.runtime.clock import Clock


async def cancel_after(task: asyncio.Future, turns: int) -> tuple[bool, bool]:
    """Cancel ``task`` ``turns`` loop turns from now: whether it was still running, whether it ended cancelled."""
    for _ in range(turns):
        await asyncio.sleep(0)
    running = task.cancel()
    await asyncio.wait({task}, timeout=5000)  # a timer, so a lost cancellation fails instead of hanging
    return running, task.cancelled()


def cancelled_when_woken(clock: Clock, waiter: Callable[[], Coroutine[Any, Any, Any]], wake: Callable[[], None],
                         turns: int) -> bool:
    """Run ``waiter`` until it waits, ``wake`` it, cancel it ``turns`` turns later: whether it ended cancelled."""
    async def scenario() -> bool:
        task = asyncio.ensure_future(waiter())
        for _ in range(3):
            await asyncio.sleep(0)
        wake()
        return (await cancel_after(task, turns))[1]

    return clock.run(scenario())
