"""Task results of a resumed execution: answered from its stored history, called again only if in flight.

A wrapper around ``Resources`` (its dispatch is untouched): while the frame
that calls a task still has stored events, the task's outcome event
(``TaskSucceeded`` output, ``TaskFailed`` error and cause, ``TaskTimedOut``,
and the Lambda and activity equivalents) is the answer, and a stored
``TaskSubmitted`` / ``ActivityStarted`` is reported again.  A call with no
stored outcome was in flight when the service died: it is made once more
after the whole stored history is replayed (the runtime's delivery guarantee:
at most one extra invocation per in-flight task call), except a callback
whose message was delivered, which just waits for its (re-issued) token.

Task tokens issued after a redrive are drawn for that redrive (``_RedriveTokens``): a
task that a redrive runs again gets a new token, and the one its failed attempt had
is refused, as on AWS.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from asl_engine.errors import HeartbeatTimedOut, StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.history import details_key
from asl_engine.runtime.replay import ReplayCursor

_SUBMITTED = frozenset({"TaskSubmitted", "ActivityStarted"})
_OUTCOMES = frozenset(f"{kind}{outcome}" for kind in ("Task", "LambdaFunction", "Activity")
                      for outcome in ("Succeeded", "Failed", "TimedOut"))
_SYNC = ("sync", "sync:2")


class ReplayResources(Resources):
    """``Resources`` for one resumed execution; everything but ``invoke`` is the wrapped one's.

    A subclass only so that it is accepted wherever ``Resources`` is; it keeps no state of its own.
    """

    def __init__(self, resources: Resources, cursor: ReplayCursor) -> None:  # no super().__init__: a view
        self._resources = resources
        self._cursor = cursor
        self.callbacks = _RedriveTokens(resources.callbacks, cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resources, name)

    async def invoke(self, call: TaskCall) -> Any:
        cursor = self._cursor
        upcoming = list(cursor.upcoming())[:2]  # after TaskStarted: [TaskSubmitted], outcome
        submitted = upcoming.pop(0) if upcoming and upcoming[0]["type"] in _SUBMITTED else None
        if submitted is not None:
            await cursor.reached(submitted["id"])
            call.submitted(_submitted_output(submitted))
        if upcoming and upcoming[0]["type"] in _OUTCOMES:
            outcome = upcoming[0]
            await cursor.reached(outcome["id"])
            mocks = self._resources.mocks
            if mocks is not None:  # a mocked response read back still counts as its invocation
                mocks.replayed(call)
            return _answer(outcome, call, cursor.position_time())
        await cursor.replayed()
        if submitted is None:  # in flight when the service died: called once more
            return await self._resources.invoke(call)
        mocked = self._resources.mocks is not None and self._resources.mocks.covers(call)
        if call.spec.pattern in _SYNC or mocked:  # started again (a mock answers again); TaskSubmitted is written
            call.on_submitted = None
            return await self._resources.invoke(call)
        return await self._resources.callbacks.wait(call.task_token, call.heartbeat)  # delivered: wait for it


class _RedriveTokens:
    """The service's task tokens, with each token issued after a redrive drawn for that redrive.

    The replay draws the seeded randomness in the original order, so a state that a redrive runs again
    would draw the token its failed attempt had, and a late SendTaskSuccess for that attempt would
    complete the new one.  The draw is the same (the randomness stays in step for what follows); the
    token is made from it and the redrive count, so it is the same again whenever that redrive is replayed.
    """

    def __init__(self, tokens: Any, cursor: ReplayCursor) -> None:
        self._tokens = tokens
        self._cursor = cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokens, name)

    def issue(self, services: Any, execution_arn: str) -> str:
        count = self._cursor.redrive()[0]
        return self._tokens.issue(_Salted(services, count) if count else services, execution_arn)


class _Salted:
    """Draws from ``services`` mixed with a redrive count (only what a task token draws: ``uuid4``)."""

    def __init__(self, services: Any, salt: int) -> None:
        self._services = services
        self._salt = salt

    def uuid4(self) -> str:
        digest = hashlib.sha256(f"{self._services.uuid4()}/{self._salt}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


def _submitted_output(event: dict[str, Any]) -> Any:
    details = event.get(details_key(event["type"]), {})
    if event["type"] == "ActivityStarted":
        return details.get("workerName")
    return json.loads(details["output"]) if "output" in details else None


def _answer(event: dict[str, Any], call: TaskCall, started: float) -> Any:
    """The stored outcome as the resource gave it: a result, or the error it raised."""
    kind, details = event["type"], event.get(details_key(event["type"]), {})
    if kind.endswith("Succeeded"):
        return json.loads(details["output"])
    error, cause = details.get("error"), details.get("cause")
    if kind.endswith("TimedOut") and error == "States.Timeout" and cause is None:
        # AWS records a heartbeat timeout as States.Timeout too; it was one if it came before TimeoutSeconds
        elapsed = event["timestamp"] - started
        if call.heartbeat is not None and (call.timeout is None or elapsed < call.timeout):
            raise HeartbeatTimedOut()
        raise StatesError(error, "")
    raise StatesError(error, cause)
