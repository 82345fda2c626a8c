"""Running an execution with a client beside it: the callback and activity tests' driver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from runtime_helpers import START, machine

from asl_engine import Resources, Services, VirtualClock

WAIT = "arn:aws:states:::sns:publish.waitForTaskToken"


def callback_task(**fields: Any) -> dict:
    """One ``.waitForTaskToken`` Task passing its token on as ``Token``."""
    task = {"Type": "Task", "Resource": WAIT, "Parameters": {"Token.$": "$$.Task.Token"}, "End": True, **fields}
    return {"StartAt": "T", "States": {"T": task}}


def run_beside(definition: Any, client: Callable[[], Awaitable[Any]], resources: Resources, input: Any = None,
               clock: VirtualClock | None = None):
    """Run ``definition`` on a virtual clock with the coroutine ``client()`` on the same loop.

    The client sleeps on the execution's clock, so "answer after 4 s" is exact and instant; an
    assertion failing inside it fails the test.
    """
    clock = clock or VirtualClock(START)

    async def main():
        helper = asyncio.ensure_future(client())
        result = await machine(definition).run_async({} if input is None else input, "exec", clock, resources,
                                                     services=Services(seed=1))
        if helper.done():
            helper.result()  # an assertion that failed in the client fails the test
        return result

    return clock.run(main())


class TokenInbox:
    """A resource handler that keeps the tokens it is given, for a client to answer."""

    def __init__(self, answer: Callable[[str], None] | None = None) -> None:
        self.tokens: list[str] = []
        self._answer = answer
        self._arrived: asyncio.Event | None = None

    def __call__(self, payload: dict) -> dict:
        self.tokens.append(payload["Token"])
        if self._arrived is not None:
            self._arrived.set()
        if self._answer is not None:
            self._answer(payload["Token"])
        return {"MessageId": "m-1"}

    async def token(self, n: int = 0) -> str:
        """The token of the ``n``th task given one, once it has been."""
        while len(self.tokens) <= n:
            self._arrived = asyncio.Event()
            await self._arrived.wait()
        return self.tokens[n]
