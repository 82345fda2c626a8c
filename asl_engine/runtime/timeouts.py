"""``wait_for`` that never loses its caller's cancellation, for every timeout the engine waits under.

On Python 3.11, ``asyncio.wait_for`` runs what it waits for as a task of its own and, when the caller is
cancelled in the loop turn that task finishes, returns the result as if nothing happened (CPython
gh-86296, fixed in 3.12): a StopExecution arriving as a Task's invocation ends is lost and the stopped
execution goes on to its next state; a server shutting down waits forever for a loop that missed it.

This is 3.12's ``wait_for``: the awaitable runs in the caller's own task under ``asyncio.timeout``, so a
cancellation from outside is delivered where the task is suspended, whatever finished in the same turn.
3.11's ``asyncio.timeout`` does not lose one either: its expiry cancels the task and it turns that into
``TimeoutError`` only when ``Task.uncancel`` shows no other cancellation pending (3.11.7 compares with
the count on entry, so an earlier, handled cancellation does not confuse it).  Its expiry is a loop
timer (``call_at``), so a VirtualClock jumps to it like to any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def wait_for(aw: Awaitable[T], timeout: float | None) -> T:
    """``await aw``, raising ``TimeoutError`` (cancelling ``aw``) after ``timeout`` seconds of loop time.

    ``None`` waits as long as it takes.  As with ``asyncio.wait_for``: a future is cancelled at the
    timeout (pass ``asyncio.shield(f)`` to keep ``f``), a result that ``aw`` returns despite the
    cancellation is returned, and a timeout of 0 or less does not start a coroutine that has not
    started (its result if it is already done, else ``TimeoutError``).
    """
    if timeout is None:
        return await aw
    if timeout <= 0:
        fut = asyncio.ensure_future(aw)
        if fut.done():
            return fut.result()
        await _cancel_and_wait(fut)
        try:
            return fut.result()
        except asyncio.CancelledError as exc:
            raise TimeoutError from exc
    async with asyncio.timeout(timeout):
        return await aw


async def _cancel_and_wait(fut: asyncio.Future[Any]) -> None:
    """Cancel ``fut`` and wait until it is done (a cancellation of the caller propagates)."""
    waiter = asyncio.get_running_loop().create_future()

    def release(_: asyncio.Future[Any]) -> None:
        if not waiter.done():
            waiter.set_result(None)

    fut.add_done_callback(release)
    try:
        fut.cancel()
        await waiter
    finally:
        fut.remove_done_callback(release)
