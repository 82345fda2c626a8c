"""What every compiled state shares: its name, transition, data flow and, for Task/Parallel/Map, Retry/Catch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asl_engine.errors import HeartbeatTimedOut, StatesError
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.retry import Catcher, Retrier, matches

Outcome = tuple[str | None, Any]  # (next state name or None when the branch ends, output)


class CompiledState:
    """A state compiled once; ``execute`` runs it for one input and says where to go next."""

    __slots__ = ("entered_type", "exited_type", "io", "name", "next")
    has_exit_event = True

    def __init__(self, name: str, type_name: str, next_name: str | None, io: Any) -> None:
        self.name = name
        self.next = next_name
        self.io = io
        self.entered_type = f"{type_name}StateEntered"
        self.exited_type = f"{type_name}StateExited" if self.has_exit_event else None

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        raise NotImplementedError


class RecoverableState(CompiledState):
    """A state with Retry and Catch (Task, Parallel, Map)."""

    __slots__ = ("catchers", "retriers")

    def __init__(self, name: str, type_name: str, next_name: str | None, io: Any,
                 retriers: tuple[Retrier, ...], catchers: tuple[Catcher, ...]) -> None:
        super().__init__(name, type_name, next_name, io)
        self.retriers = retriers
        self.catchers = catchers

    async def recover(self, frame: Frame, raw: Any, attempt: Callable[[], Awaitable[Outcome]],
                      given_up: Callable[[], None] | None = None) -> Outcome:
        """Run ``attempt`` until it succeeds, a retrier gives up, or a catcher takes the error.

        ``given_up`` is called once an error will not be retried, before a catcher takes it or it is raised
        (Parallel reports its failure only then)."""
        attempts = [0] * len(self.retriers)
        frame.retry_count = 0
        while True:
            try:
                return await attempt()
            except StatesError as failure:
                error = frame.located(failure)
            delay = self._retry_delay(frame, error, attempts)
            if delay is not None:
                frame.retry_count += 1
                if delay > 0:
                    await frame.run.clock.sleep(delay)
                continue
            if given_up is not None:
                given_up()
            heartbeat = isinstance(error, HeartbeatTimedOut)
            for catcher in self.catchers:
                if matches(catcher.error_equals, error.error, heartbeat):
                    error_doc = {"Error": error.error, "Cause": error.cause}
                    return catcher.next, self.io.error_output(frame, raw, error_doc, catcher)
            raise error

    def _retry_delay(self, frame: Frame, error: StatesError, attempts: list[int]) -> float | None:
        """How long to wait before retrying ``error``, or None when it is not retried: the first retrier
        that matches decides, and one whose attempts are used up sends the error on to Catch.
        ``attempts`` counts the retries each retrier has made."""
        heartbeat = isinstance(error, HeartbeatTimedOut)
        for i, retrier in enumerate(self.retriers):
            if matches(retrier.error_equals, error.error, heartbeat):
                if attempts[i] >= retrier.max_attempts:
                    return None
                delay = retrier.delay(attempts[i], frame.run.services.random() if retrier.jitter_full else 0.0)
                attempts[i] += 1
                return delay
        return None
