"""Parallel: every branch gets the same input; the result is the list of branch outputs."""

from __future__ import annotations

import asyncio
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.runtime.concurrency import run_all
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.interpreter import run_branch
from asl_engine.runtime.states.base import Outcome, RecoverableState
from asl_engine.runtime.variables import inner_scope

_ABORTABLE = frozenset({"Task", "Map", "Parallel", "Wait"})


class ParallelState(RecoverableState):
    __slots__ = ("branches",)

    def __init__(self, name: str, next_name: str | None, io: Any, retriers: tuple, catchers: tuple,
                 branches: list[Any]) -> None:
        super().__init__(name, "Parallel", next_name, io, retriers, catchers)
        self.branches = branches  # compiled Branch plans

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        failed: list[int] = []  # the event a branch failure chains to, while ParallelStateFailed is unwritten

        def report() -> None:
            """ParallelStateFailed, once the failure is final: an attempt that is retried has none, and the
            next ParallelStateStarted chains to the branch's failure (recorded: states_variables/
            TestStateVariablesTemplate__test_parallel_catch_error_PARALLEL_CATCH_ERROR_OUTPUT_WITH_RETRY)."""
            if failed:
                frame.prev = failed.pop()
                frame.emit("ParallelStateFailed")

        return await self.recover(frame, raw, lambda: self._attempt(frame, raw, failed), report)

    async def _attempt(self, frame: Frame, raw: Any, failed: list[int]) -> Outcome:
        failed.clear()
        io = self.io
        branch_input = io.task_input(frame, io.effective_input(frame, raw))
        frame.emit("ParallelStateStarted")
        started = frame.prev
        failed_at = [started]
        failing = [False]

        async def one(i: int) -> Any:
            branch = self.branches[i]
            child = frame.child(variables=inner_scope(frame.variables), index=i)
            try:
                return await run_branch(child, branch, branch_input)
            except StatesError:
                failed_at[0] = child.prev
                failing[0] = True
                _abort(child, branch)
                raise
            except asyncio.CancelledError:
                if failing[0]:  # a sibling branch failed
                    _abort(child, branch)
                raise

        history = frame.run.history
        try:
            results = await run_all(len(self.branches), one, len(self.branches))
        except StatesError:
            frame.prev = failed_at[0]
            failed.append(failed_at[0])
            raise
        last = len(history)
        frame.prev = last
        frame.emit("ParallelStateSucceeded")
        frame.prev = last
        return self.next, io.output(frame, raw, results)


def _abort(frame: Frame, branch: Any) -> None:
    """AWS's ``<Type>StateAborted`` for a branch's state left unfinished when the Parallel fails.

    The failed state itself is aborted too: TaskFailed, then TaskStateAborted, then ParallelStateFailed
    chained to the TaskFailed (recorded: callback/TestCallback__test_sqs_failure_in_wait_for_task_tok_no_error_
    field_SQS_PARALLEL_WAIT_FOR_TASK_TOKEN, states_variables/*parallel_catch_error*).  Only Task, Map,
    Parallel and Wait states have such an event.
    """
    state = branch.states.get(frame.state_name)
    kind = state.entered_type.removesuffix("StateEntered") if state is not None else ""
    if kind in _ABORTABLE:
        frame.emit(f"{kind}StateAborted")
