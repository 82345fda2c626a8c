"""Task tokens: ``.waitForTaskToken`` tasks and activities wait here until a client answers.

SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat may come from any
thread (a test, the HTTP service); each answer is handed to the waiting
task on its own event loop.  A heartbeat resets the task's HeartbeatSeconds
timer; silence past it fails the task with States.HeartbeatTimeout.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from asl_engine.errors import StatesError


class TaskTokenError(Exception):
    """An API error for a callback call: ``code`` is AWS's (InvalidToken, TaskTimedOut, TaskDoesNotExist)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    execution_arn: str
    heartbeats: asyncio.Queue = field(default_factory=asyncio.Queue)


class TaskTokens:
    """Issues task tokens and routes the answers to the tasks waiting on them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, _Waiter] = {}
        self._closed: set[str] = set()

    def issue(self, services: Any, execution_arn: str) -> str:
        """A new token for a task of ``execution_arn``; registered before the task is scheduled."""
        token = services.uuid4().replace("-", "") + services.uuid4().replace("-", "")
        loop = asyncio.get_running_loop()
        with self._lock:
            self._waiting[token] = _Waiter(loop, loop.create_future(), execution_arn)
        return token

    async def wait(self, token: str, heartbeat: int | None) -> Any:
        """The task's output once a client sends success; raises the error a client sends as failure."""
        waiter = self._waiting[token]
        try:
            if heartbeat is None:
                return await waiter.future
            while True:
                beat = asyncio.ensure_future(waiter.heartbeats.get())
                done, _ = await asyncio.wait({waiter.future, beat}, timeout=heartbeat,
                                             return_when=asyncio.FIRST_COMPLETED)
                if waiter.future in done:
                    beat.cancel()
                    return waiter.future.result()
                if beat not in done:
                    beat.cancel()
                    raise StatesError("States.HeartbeatTimeout", None)
        finally:
            with self._lock:
                self._waiting.pop(token, None)
                self._closed.add(token)

    def release(self, token: str) -> None:
        """Forget a token whose task ended without waiting on it (its Parameters failed, say)."""
        with self._lock:
            if self._waiting.pop(token, None) is not None:
                self._closed.add(token)

    def send_success(self, token: str, output: Any) -> None:
        waiter = self._find(token)
        waiter.loop.call_soon_threadsafe(_settle, waiter.future, output, None)

    def send_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        waiter = self._find(token)
        waiter.loop.call_soon_threadsafe(_settle, waiter.future, None, StatesError(error, cause))

    def send_heartbeat(self, token: str) -> None:
        waiter = self._find(token)
        waiter.loop.call_soon_threadsafe(waiter.heartbeats.put_nowait, True)

    def _find(self, token: str) -> _Waiter:
        with self._lock:
            waiter = self._waiting.get(token)
            closed = token in self._closed
        if waiter is not None:
            return waiter
        if closed:
            raise TaskTokenError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
        raise TaskTokenError("InvalidToken", f"Invalid token: '{token}'")


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
