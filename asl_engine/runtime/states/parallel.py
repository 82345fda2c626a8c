"""Parallel: every branch gets the same input; the result is the list of branch outputs."""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StatesError
from asl_engine.runtime.concurrency import run_all
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.interpreter import run_branch
from asl_engine.runtime.states.base import Outcome, RecoverableState
from asl_engine.runtime.variables import inner_scope


class ParallelState(RecoverableState):
    __slots__ = ("branches",)

    def __init__(self, name: str, next_name: str | None, io: Any, retriers: tuple, catchers: tuple,
                 branches: list[Any]) -> None:
        super().__init__(name, "Parallel", next_name, io, retriers, catchers)
        self.branches = branches  # compiled Branch plans

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        return await self.recover(frame, raw, lambda: self._attempt(frame, raw))

    async def _attempt(self, frame: Frame, raw: Any) -> Outcome:
        io = self.io
        branch_input = io.task_input(frame, io.effective_input(frame, raw))
        frame.emit("ParallelStateStarted")
        started = frame.prev
        failed_at = [started]

        async def one(i: int) -> Any:
            child = frame.child(variables=inner_scope(frame.variables))
            try:
                return await run_branch(child, self.branches[i], branch_input)
            except StatesError:
                failed_at[0] = child.prev
                raise

        history = frame.run.history
        try:
            results = await run_all(len(self.branches), one, len(self.branches))
        except StatesError:
            frame.prev = failed_at[0]
            frame.emit("ParallelStateFailed")
            raise
        last = len(history)
        frame.prev = last
        frame.emit("ParallelStateSucceeded")
        frame.prev = last
        return self.next, io.output(frame, raw, results)
