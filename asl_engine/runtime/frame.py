"""A thread of control inside an execution: the top level, a Parallel branch or a Map iteration.

Each frame chains its own history events (``previousEventId``) and knows the
state it is in, which is what the context object and AWS's error causes need.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asl_engine import isotime
from asl_engine.errors import StateFailure, StatesError
from asl_engine.query.jsonata import QueryEvaluationError
from asl_engine.query.scope import Scope
from asl_engine.runtime.context import build_context
from asl_engine.runtime.history import History

if TYPE_CHECKING:
    from asl_engine.runtime.execution import ExecutionRun


class Frame:
    __slots__ = ("assigned", "branch", "entered_id", "entered_time", "execution", "history", "map_item", "prev",
                 "retry_count", "run", "state_name", "task_token", "variables")

    def __init__(self, run: ExecutionRun, prev: int, variables: Mapping[str, Any],
                 map_item: dict | None = None, history: History | None = None,
                 branch: tuple[int, ...] = ()) -> None:
        self.run = run
        # the Parallel branch / Map iteration indexes leading here: stable across runs, however branches
        # interleave, so a replay matches each frame's events to the ones it wrote before
        self.branch = branch
        self.history = history if history is not None else run.history
        self.prev = prev
        self.variables = variables
        self.map_item = map_item
        self.state_name = ""
        self.entered_id = 0
        self.entered_time: datetime | None = None
        self.retry_count: int | None = None
        self.task_token: str | None = None
        self.assigned: dict[str, Any] | None = None  # the running state's evaluated Assign, committed on exit
        # $$.Execution when this frame runs in a child execution (a Distributed Map item), else the run's
        self.execution: dict[str, Any] | None = None

    def child(self, map_item: dict | None = None, history: History | None = None,
              variables: Mapping[str, Any] | None = None, index: int | None = None) -> Frame:
        """A frame for a branch or iteration, chained after this frame's last event.

        It starts in this frame's state, which is what an ItemSelector sees in
        ``$$.State`` before the iteration enters its first state.  ``variables``
        is its scope (default: this frame's, for evaluating the state's own fields);
        ``index`` is its place among its siblings (a Parallel branch's).
        """
        child = Frame(self.run, self.prev, self.variables if variables is None else variables, map_item,
                      history or self.history, self.branch if index is None else (*self.branch, index))
        child.state_name, child.entered_id, child.entered_time = self.state_name, self.entered_id, self.entered_time
        child.execution = self.execution
        return child

    def emit(self, event_type: str, details: dict | tuple | None = None) -> int:
        self.prev = self.history.add(event_type, self.prev, self.run.clock.time(), details, branch=self.branch)
        return self.prev

    def context(self) -> dict:
        """The context object (``$$``) as this frame sees it now.

        ``$$.Execution.RedriveCount`` / ``RedriveTime`` are those of the redrive the state runs in: a state
        replayed from history reads what it read when it first ran.
        """
        run = self.run
        execution = self.execution
        if execution is None:
            execution = run.context_execution
            count, time = run.redrive()
            if count and time is not None:
                execution = {**execution, "RedriveCount": count, "RedriveTime": isotime.millis(time)}
        return build_context(execution, run.context_state_machine, self.state_name,
                             self.entered_time or run.start_time, self.retry_count, self.map_item,
                             self.task_token)

    def scope(self, data: Any) -> Scope:
        return Scope(data, self.context, self.variables)

    def located(self, failure: StatesError) -> StatesError:
        """AWS's cause for an error found while evaluating this state's fields."""
        if not isinstance(failure, StateFailure):
            return failure
        cause = (f"An error occurred while executing the state '{self.state_name}' "
                 f"(entered at the event id #{self.entered_id}). {failure.cause}")
        if isinstance(failure, QueryEvaluationError):
            return LocatedEvaluationError(failure.error, cause, failure.location)
        return StatesError(failure.error, cause)


class LocatedEvaluationError(StatesError):
    """A located States.QueryEvaluationError whose EvaluationFailed event is still to be written."""

    def __init__(self, error: str, cause: str, location: str | None) -> None:
        super().__init__(error, cause)
        self.location = location
