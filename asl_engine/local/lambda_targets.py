"""Lambda as an EventBridge target: an asynchronous Invoke of the local function.

EventBridge invokes Lambda with InvocationType Event: delivery succeeds once
Lambda has queued the event, and what the function then does (returns, or
raises) is the function's business, not a failed delivery.  So the invoker
only checks that the function exists, then runs it as a task on the stack's
event loop and reports the response to ``on_result``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from asl_engine.eventbridge.delivery import DeliveryFailure, Invocation
from asl_engine.integrations.lambda_.providers import LambdaRequest, LocalFunctions

ResultSink = Callable[[str, Any, bool], None]
"""``on_result(function name, response body, failed)``."""


class AsyncLambdaTargets:
    def __init__(self, functions: LocalFunctions, clock: Any, on_result: ResultSink, *, region: str,
                 account: str) -> None:
        self._functions, self._clock, self._on_result = functions, clock, on_result
        self._region, self._account = region, account
        self._ids = itertools.count(1)
        self.pending: set[asyncio.Task] = set()

    def invoke(self, invocation: Invocation) -> None:
        function = self._functions.get(invocation.arn)
        if function is None:
            raise DeliveryFailure("RESOURCE_NOT_FOUND", f"Function not found: {invocation.arn}", retryable=False)
        request = LambdaRequest(invocation.arn, invocation.payload.encode(), self._region, self._account,
                                f"00000000-0000-4000-8000-{next(self._ids):012d}", invocation_type="Event")
        task = asyncio.get_running_loop().create_task(self._run(function.name, request))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _run(self, name: str, request: LambdaRequest) -> None:
        response = await self._functions.invoke(request, self._clock)
        assert response is not None  # checked in invoke
        self._on_result(name, json.loads(response.payload or b"null"), response.function_error is not None)
