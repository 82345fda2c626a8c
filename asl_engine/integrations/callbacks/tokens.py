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
import hashlib
import json
import threading
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from asl_engine.errors import HeartbeatTimedOut, StatesError
from asl_engine.integrations.api_errors import ApiError, too_long
from asl_engine.runtime.timeouts import wait_for

OUTPUT_LIMIT = 262_144  # bytes of UTF-8, as SendTaskSuccess's ``output`` constraint
TOKEN_LIMIT = 2048
ERROR_LIMIT = 256
CAUSE_LIMIT = 32_768
# AWS's tokens are base64 of an opaque binary blob of about 500 bytes, starting "AQ" or "AAAAKg".
_TOKEN_HEADER = b"\x01\x00\x00\x00\x2a\x00\x00\x00\x02"
_TOKEN_UUIDS = 30
_TOKEN_DIGEST = 16
INVALID_TOKEN = "Invalid Token: 'Invalid token'"  # recorded: services/*send_task_outcome_with_no_such_token*
TASK_TIMED_OUT = "Task Timed Out: 'Provided task does not exist anymore'"


@dataclass
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    execution_arn: str
    answered: bool = False
    last_beat: float = 0.0  # loop time of the latest heartbeat


def new_token(services: Any) -> str:
    """An opaque token shaped like AWS's (base64, ~680 characters), drawn from the run's seeded randomness.

    It ends with a digest of itself, so a token this runtime issued is recognized after its task is gone
    (TaskTimedOut, not InvalidToken) without remembering every token ever issued.
    """
    blob = _TOKEN_HEADER + b"".join(uuid.UUID(services.uuid4()).bytes for _ in range(_TOKEN_UUIDS))
    return base64.b64encode(blob + _digest(blob)).decode("ascii")


def _issued_here(token: str) -> bool:
    try:
        blob = base64.b64decode(token, validate=True)
    except ValueError:
        return False
    body, digest = blob[:-_TOKEN_DIGEST], blob[-_TOKEN_DIGEST:]
    return body.startswith(_TOKEN_HEADER) and digest == _digest(body)


def _digest(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()[:_TOKEN_DIGEST]


class TaskTokens:
    """Issues task tokens and routes the answers to the tasks waiting on them (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, _Waiter] = {}  # the open tasks' tokens

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
        waiter = self._waiter(token)
        try:
            if heartbeat is None:
                return await waiter.future
            loop = asyncio.get_running_loop()
            waiter.last_beat = loop.time()
            while True:
                beat = waiter.last_beat
                try:
                    return await wait_for(asyncio.shield(waiter.future),
                                          max(beat + heartbeat - loop.time(), 0))
                except TimeoutError:
                    if waiter.last_beat == beat:  # no heartbeat within HeartbeatSeconds
                        raise HeartbeatTimedOut() from None
        finally:
            self.release(token)

    async def race(self, token: str, work: Awaitable[Any]) -> Any:
        """The result of ``work`` (a ``.sync`` job), unless a client answers with the token first.

        AWS lets SendTaskSuccess/Failure end a ``.sync`` task early; the job is then left to itself.
        """
        waiter = self._waiter(token)
        job = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({job, waiter.future}, return_when=asyncio.FIRST_COMPLETED)
            return (waiter.future if waiter.future in done else job).result()
        finally:
            job.cancel()
            self.release(token)

    def _waiter(self, token: str) -> _Waiter:
        """The waiter of a task's own token, for the task to wait on (once)."""
        with self._lock:
            return self._tokens[token]

    def release(self, token: str) -> None:
        """Close a token: its task ended (answered, timed out, or failed before waiting)."""
        with self._lock:
            self._tokens.pop(token, None)

    def send_success(self, token: str, output: str) -> None:
        """SendTaskSuccess: ``output`` is JSON text, as in the API.

        AWS checks the token before it parses the output: an unknown token with output that is not JSON
        is InvalidToken (recorded: services/*send_task_outcome_with_no_such_token*); the length
        constraints come first, as for every API parameter.
        """
        _check_output(output)
        self._find(token)
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
        waiter.loop.call_soon_threadsafe(_beat, waiter)

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
        waiter = self._tokens.get(token)
        if waiter is not None and not waiter.answered:
            return waiter
        if waiter is not None or _issued_here(token):
            raise ApiError("TaskTimedOut", TASK_TIMED_OUT)
        raise ApiError("InvalidToken", INVALID_TOKEN)


def _check_output(output: str) -> None:
    """SendTaskSuccess's ``output`` constraints: text of at most 256 KiB (UTF-8)."""
    if not isinstance(output, str):
        raise ApiError("InvalidOutput", "Invalid Output: the output must be JSON text (a str)")
    if len(output.encode("utf-8")) > OUTPUT_LIMIT:
        raise too_long("output", OUTPUT_LIMIT)


def _parse_output(output: str) -> Any:
    """SendTaskSuccess's ``output`` as JSON."""
    try:
        return json.loads(output)
    except ValueError:
        raise ApiError("InvalidOutput", "Invalid Output: 'The provided output is not valid JSON'") from None


def _check_length(name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise too_long(name, limit)


def _beat(waiter: _Waiter) -> None:
    waiter.last_beat = waiter.loop.time()


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
