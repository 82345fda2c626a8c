"""Activity workers written in Python: poll an activity, run a function on the input, answer with the token.

``handler(input)`` returns the task's output (any JSON value); an exception
fails the task with the exception's class name as the error and its message
as the cause.  A ``handler(input, heartbeat)`` also gets a function that
sends SendTaskHeartbeat, for work longer than the state's HeartbeatSeconds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from asl_engine.integrations.api_errors import ApiError
from asl_engine.integrations.callbacks.activities import POLL_SECONDS, Activities
from asl_engine.integrations.lambda_.handlers import takes_context

log = logging.getLogger(__name__)


class ActivityWorker:
    """One worker of one activity: ``run_once`` / ``run_once_async`` take one task; ``start`` runs a thread."""

    def __init__(self, activities: Activities, activity_arn: str, handler: Callable[..., Any],
                 worker_name: str | None = None) -> None:
        self.activities = activities
        self.activity_arn = activity_arn
        self.handler = handler
        self.worker_name = worker_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, timeout: float = POLL_SECONDS) -> bool:
        """Poll (blocking, wall time) and handle one task; False when none came within ``timeout``."""
        task = self.activities.get_activity_task(self.activity_arn, self.worker_name, timeout)
        if task:
            self._handle(task)
        return bool(task)

    async def run_once_async(self, timeout: float = POLL_SECONDS) -> bool:
        """The same on an execution's loop: the poll runs on its clock (virtual time stays exact)."""
        task = await self.activities.get_activity_task_async(self.activity_arn, self.worker_name, timeout)
        if task:
            self._handle(task)
        return bool(task)

    def start(self, poll_seconds: float = POLL_SECONDS) -> None:
        """Work in a daemon thread until ``stop``; ``poll_seconds`` bounds how long ``stop`` may wait."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(poll_seconds,), daemon=True,
                                        name=f"activity-worker-{self.activity_arn.rsplit(':', 1)[-1]}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self, poll_seconds: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_once(poll_seconds)
            except ApiError as exc:  # the task ended before the answer (TaskTimedOut), the activity was deleted...
                log.warning("activity worker %s: %s", self.activity_arn, exc)
                self._stop.wait(poll_seconds)

    def _handle(self, task: dict[str, Any]) -> None:
        callbacks, token = self.activities.callbacks, task["taskToken"]
        data = json.loads(task["input"])
        try:
            if takes_context(self.handler):
                output = self.handler(data, lambda: callbacks.send_heartbeat(token))
            else:
                output = self.handler(data)
        except Exception as exc:  # the worker's failure is the task's, as a worker on AWS reports it
            callbacks.send_failure(token, type(exc).__name__, str(exc))
            return
        callbacks.send_success(token, json.dumps(output))
