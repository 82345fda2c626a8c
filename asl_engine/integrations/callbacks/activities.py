"""Activities: tasks that wait for a worker outside the engine to ask for them.

An activity Task puts its input on the activity's queue; a worker's
GetActivityTask long poll takes it (the history then reads ActivityStarted
with the worker's name) and answers through the task token like a callback.
The queue is shared by every execution of a runtime and by threads, so the
engine's loop and a worker thread meet through thread-safe futures: an
in-loop worker polls on the execution's clock, a thread polls in wall time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asl_engine.definition.names import valid_resource_name
from asl_engine.errors import StateFailure
from asl_engine.integrations.api_errors import ApiError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.callbacks.tokens import TaskTokens
from asl_engine.runtime.history import dumps
from asl_engine.runtime.timeouts import wait_for

POLL_SECONDS = 60  # GetActivityTask's long poll


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Activity:
    arn: str
    name: str
    creation_date: datetime

    def describe(self) -> dict[str, Any]:
        """DescribeActivity's (and ListActivities' item) shape."""
        return {"activityArn": self.arn, "name": self.name, "creationDate": self.creation_date}


@dataclass
class _Scheduled:
    """An activity task waiting for a worker; ``started`` gets the worker's name when one takes it."""

    token: str
    input: str
    started: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)
    by_thread: bool = False


class Activities:
    """CreateActivity, DescribeActivity, ListActivities, DeleteActivity and GetActivityTask, thread-safe.

    Answers go through ``callbacks`` (SendTaskSuccess / Failure / Heartbeat with the task token).
    """

    def __init__(self, callbacks: TaskTokens | None = None, *, region: str = "us-east-1",
                 account: str = "123456789012", now: Callable[[], datetime] | None = None) -> None:
        """``now`` tells CreateActivity's creationDate: the clock the runtime's executions run on (the
        wall clock when none is given)."""
        self.callbacks = callbacks or TaskTokens()
        self.region = region
        self.account = account
        self._now = now or _wall_clock
        self._lock = threading.Lock()
        self._activities: dict[str, Activity] = {}
        self._queues: dict[str, deque[_Scheduled]] = {}
        self._pollers: dict[str, deque[tuple[concurrent.futures.Future, str | None, bool]]] = {}

    # -- the API ------------------------------------------------------------------------------------

    def create_activity(self, name: str, region: str | None = None, account: str | None = None) -> dict[str, Any]:
        """CreateActivity (in ``region`` and ``account``, by default these activities'): idempotent on the
        name (AWS returns the existing activity's ARN and date)."""
        if not isinstance(name, str) or not valid_resource_name(name):
            raise ApiError("InvalidName", f"Invalid Name: '{name}'")
        arn = f"arn:aws:states:{region or self.region}:{account or self.account}:activity:{name}"
        with self._lock:
            activity = self._activities.get(arn)
            if activity is None:
                activity = self._activities[arn] = Activity(arn, name, self._now())
                self._queues[arn] = deque()
                self._pollers[arn] = deque()
        return {"activityArn": arn, "creationDate": activity.creation_date}

    def delete_activity(self, activity_arn: str) -> None:
        """DeleteActivity: deleting an unknown activity succeeds, as on AWS."""
        _check_arn(activity_arn)
        with self._lock:
            self._activities.pop(activity_arn, None)

    def describe_activity(self, activity_arn: str) -> dict[str, Any]:
        with self._lock:
            return self._get(activity_arn).describe()

    def list_activities(self, max_results: int = 100, next_token: str | None = None, region: str | None = None,
                        account: str | None = None) -> dict[str, Any]:
        """ListActivities of a region and account (by default these activities') in creation order;
        ``nextToken`` continues a listing cut at ``max_results``."""
        prefix = f"arn:aws:states:{region or self.region}:{account or self.account}:activity:"
        with self._lock:
            items = [a.describe() for arn, a in self._activities.items() if arn.startswith(prefix)]
        start = int(next_token) if next_token else 0
        page = {"activities": items[start:start + max_results]}
        if start + max_results < len(items):
            page["nextToken"] = str(start + max_results)
        return page

    def get_activity_task(self, activity_arn: str, worker_name: str | None = None,
                          timeout: float = POLL_SECONDS) -> dict[str, Any]:
        """GetActivityTask from any thread but an execution's loop: blocks up to ``timeout`` wall seconds.

        Returns ``{"taskToken", "input"}``, or ``{}`` when no task came in time.  Virtual time stands
        still while a thread works on the task (it is real work, like a Lambda handler in a thread).
        """
        poll = self._poll(activity_arn, worker_name, by_thread=True)
        try:
            return _task(poll.result(timeout))
        except concurrent.futures.TimeoutError:
            return {} if poll.cancel() else _task(poll.result())

    async def get_activity_task_async(self, activity_arn: str, worker_name: str | None = None,
                                      timeout: float = POLL_SECONDS) -> dict[str, Any]:
        """GetActivityTask for a worker on an execution's loop: the long poll runs on that loop's clock."""
        poll = self._poll(activity_arn, worker_name, by_thread=False)
        try:
            return _task(await wait_for(asyncio.shield(asyncio.wrap_future(poll)), timeout))
        except TimeoutError:
            return {} if poll.cancel() else _task(poll.result())
        except asyncio.CancelledError:  # the worker went away: no task is handed to it any more
            poll.cancel()
            raise

    # -- the engine's side --------------------------------------------------------------------------

    def require(self, activity_arn: str) -> None:
        """Fail the state as AWS does when its activity does not exist (before ActivityScheduled)."""
        with self._lock:
            if activity_arn not in self._activities:
                raise StateFailure("States.Runtime", f"The activity {activity_arn} does not exist.")

    async def run(self, call: TaskCall) -> Any:
        """Queue the task, report the worker that takes it (``call.submitted``), then wait for its answer."""
        token = call.task_token
        assert token is not None, "activity tasks are issued a token"
        scheduled = _Scheduled(token, dumps(call.payload))
        self._enqueue(call.spec.arn, scheduled)
        # cancelling the wrapper (TimeoutSeconds) cancels ``started``: no worker gets a task that ended
        worker_name = await asyncio.wrap_future(scheduled.started)
        call.submitted(worker_name)
        if not scheduled.by_thread:
            return await self.callbacks.wait(token, call.heartbeat)
        with call.clock.busy():
            return await self.callbacks.wait(token, call.heartbeat)

    # -- the queue ----------------------------------------------------------------------------------

    def _get(self, activity_arn: str) -> Activity:
        _check_arn(activity_arn)
        activity = self._activities.get(activity_arn)
        if activity is None:
            raise ApiError("ActivityDoesNotExist", f"Activity Does Not Exist: '{activity_arn}'")
        return activity

    def _enqueue(self, activity_arn: str, scheduled: _Scheduled) -> None:
        with self._lock:
            pollers = self._pollers.setdefault(activity_arn, deque())
            while pollers:
                poll, worker_name, by_thread = pollers.popleft()
                if poll.set_running_or_notify_cancel():  # else the poll timed out meanwhile
                    scheduled.started.set_running_or_notify_cancel()
                    _deliver(scheduled, poll, worker_name, by_thread)
                    return
            self._queues.setdefault(activity_arn, deque()).append(scheduled)

    def _poll(self, activity_arn: str, worker_name: str | None, by_thread: bool) -> concurrent.futures.Future:
        """A future that gets the next task of the activity: at once if one is queued."""
        poll: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._get(activity_arn)
            queue = self._queues[activity_arn]
            while queue:
                scheduled = queue.popleft()
                if scheduled.started.set_running_or_notify_cancel():  # else its task ended meanwhile
                    poll.set_running_or_notify_cancel()
                    _deliver(scheduled, poll, worker_name, by_thread)
                    return poll
            pollers = self._pollers[activity_arn]
            while pollers and pollers[0][0].cancelled():  # polls that timed out, oldest first
                pollers.popleft()
            pollers.append((poll, worker_name, by_thread))
        return poll


def _deliver(scheduled: _Scheduled, poll: concurrent.futures.Future, worker_name: str | None,
             by_thread: bool) -> None:
    """Give a task to a poller (both futures are running: neither side can cancel any more)."""
    scheduled.by_thread = by_thread
    scheduled.started.set_result(worker_name)
    poll.set_result(scheduled)


def _task(scheduled: _Scheduled) -> dict[str, Any]:
    return {"taskToken": scheduled.token, "input": scheduled.input}


def _check_arn(arn: str) -> None:
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 7 or parts[:3] != ["arn", "aws", "states"] or parts[5] != "activity":
        raise ApiError("InvalidArn", f"Invalid Arn: '{arn}'")
