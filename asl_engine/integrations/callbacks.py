"""Task tokens: ``.waitForTaskToken`` tasks and activities wait here until a client answers.

SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat may come from any
thread (a test, a worker, the HTTP service); each answer is handed to the
waiting task on its own event loop, so one ``TaskTokens`` serves every
execution of a runtime.  A heartbeat resets the task's HeartbeatSeconds timer;
silence past it fails the task with AWS's heartbeat timeout.  The calls check
their arguments as the API does and raise ``ApiError`` with AWS's code.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from asl_engine.errors import HeartbeatTimedOut, StatesError
from asl_engine.integrations.api_errors import ApiError, too_long

OUTPUT_LIMIT = 262_144  # bytes of UTF-8, as SendTaskSuccess's ``output`` constraint
TOKEN_LIMIT = 2048
ERROR_LIMIT = 256
CAUSE_LIMIT = 32_768
# AWS's tokens are base64 of an opaque binary blob of about 500 bytes, starting "AQ" or "AAAAKg".
_TOKEN_HEADER = b"\x01\x00\x00\x00\x2a\x00\x00\x00\x02"
_TOKEN_UUIDS = 30
INVALID_TOKEN = "Invalid Token: 'Invalid token'"  # recorded: services/*send_task_outcome_with_no_such_token*
TASK_TIMED_OUT = "Task Timed Out: 'Provided task does not exist anymore'"


@dataclass
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    execution_arn: str
    heartbeats: asyncio.Queue = field(default_factory=asyncio.Queue)
    answered: bool = False


def new_token(services: Any) -> str:
    """An opaque token shaped like AWS's (base64, ~650 characters), drawn from the run's seeded randomness."""
    blob = _TOKEN_HEADER + b"".join(uuid.UUID(services.uuid4()).bytes for _ in range(_TOKEN_UUIDS))
    return base64.b64encode(blob).decode("ascii")


class TaskTokens:
    """Issues task tokens and routes the answers to the tasks waiting on them (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # token -> its waiter while the task is open; None once closed (answers then get TaskTimedOut)
        self._tokens: dict[str, _Waiter | None] = {}

    def issue(self, services: Any, execution_arn: str) -> str:
        """A new token for a task of ``execution_arn``, registered before anyone can see it."""
        token = new_token(services)
        loop = asyncio.get_running_loop()
        with self._lock:
            self._tokens[token] = _Waiter(loop, loop.create_future(), execution_arn)
        return token

    async def wait(self, token: str, heartbeat: int | None) -> Any:
        """The output a client sends with the token; raises the error it sends, or the heartbeat timeout.

        An answer sent before the wait began (while the integration call was in flight) is kept.
        """
        with self._lock:
            waiter = self._tokens[token]
        assert waiter is not None, "a task waits on its token once"
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
                    raise HeartbeatTimedOut()
        finally:
            self.release(token)

    def release(self, token: str) -> None:
        """Close a token: its task ended (answered, timed out, or failed before waiting)."""
        with self._lock:
            if token in self._tokens:
                self._tokens[token] = None

    def send_success(self, token: str, output: str) -> None:
        """SendTaskSuccess: ``output`` is JSON text, as in the API."""
        value = _parse_output(output)
        waiter = self._answer(token)
        waiter.loop.call_soon_threadsafe(_settle, waiter.future, value, None)

    def send_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure: the task fails with ``error``/``cause`` as given (None stays None for a Catch)."""
        _check_length("error", error, ERROR_LIMIT)
        _check_length("cause", cause, CAUSE_LIMIT)
        waiter = self._answer(token)
        waiter.loop.call_soon_threadsafe(_settle, waiter.future, None, StatesError(error, cause))  # type: ignore[arg-type]

    def send_heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: resets the task's HeartbeatSeconds timer (no history event, as on AWS)."""
        waiter = self._find(token)
        waiter.loop.call_soon_threadsafe(waiter.heartbeats.put_nowait, True)

    def _answer(self, token: str) -> _Waiter:
        """The open task of ``token``, closed to further answers from now on."""
        with self._lock:
            waiter = self._find_locked(token)
            waiter.answered = True
        return waiter

    def _find(self, token: str) -> _Waiter:
        with self._lock:
            return self._find_locked(token)

    def _find_locked(self, token: str) -> _Waiter:
        if not isinstance(token, str) or len(token) > TOKEN_LIMIT:
            raise too_long("taskToken", TOKEN_LIMIT)
        if token not in self._tokens:
            raise ApiError("InvalidToken", INVALID_TOKEN)
        waiter = self._tokens[token]
        if waiter is None or waiter.answered:
            raise ApiError("TaskTimedOut", TASK_TIMED_OUT)
        return waiter


def _parse_output(output: str) -> Any:
    """SendTaskSuccess's ``output``: JSON text of at most 256 KiB (UTF-8)."""
    if not isinstance(output, str):
        raise ApiError("InvalidOutput", "Invalid Output: the output must be JSON text (a str)")
    if len(output.encode("utf-8")) > OUTPUT_LIMIT:
        raise too_long("output", OUTPUT_LIMIT)
    try:
        return json.loads(output)
    except ValueError:
        raise ApiError("InvalidOutput", "Invalid Output: 'The provided output is not valid JSON'") from None


def _check_length(name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise too_long(name, limit)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
