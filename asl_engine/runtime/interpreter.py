"""The state loop: enter a state, run it, check its output, exit, follow the transition.

Everything common to all state types lives here (entered/exited events, the
payload quota, locating errors); what differs lives in ``states/``.
"""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StatesError
from asl_engine.runtime.frame import Frame, LocatedEvaluationError
from asl_engine.runtime.payload_size import PayloadMeter
from asl_engine.runtime.variables import commit

PAYLOAD_LIMIT = 256 * 1024


def check_size(value: Any, limit: int, state_name: str, meter: PayloadMeter) -> None:
    """AWS's 256 KiB quota on what a state hands on (UTF-8 bytes of its JSON)."""
    if meter.size(value) > limit:
        raise StatesError("States.DataLimitExceeded", f"The state/task '{state_name}' returned a result with a "
                                                      "size exceeding the maximum number of bytes service limit.")


async def run_branch(frame: Frame, plan: Any, data: Any) -> Any:
    """Run a (sub-)state machine from its StartAt to a terminal state; return its output.

    Raises StatesError (with AWS's located cause) when a state fails and
    nothing catches it.
    """
    states = plan.states
    name = plan.start_at
    clock = frame.run.clock
    limit = frame.run.payload_limit
    while True:
        state = states[name]
        frame.state_name = name
        frame.entered_time = clock.now()
        frame.retry_count = None
        frame.task_token = None
        frame.assigned = None
        before_entered = frame.prev
        frame.entered_id = frame.emit(state.entered_type, (name, data))
        try:
            next_name, output = await state.execute(frame, data)
            if limit is not None and output is not data:
                check_size(output, limit, name, frame.run.payload_meter)
            assigned = frame.assigned
            if assigned is not None:
                commit(frame.variables, assigned, frame.run.payload_meter)
        except StatesError as failure:
            located = frame.located(failure)
            if isinstance(located, LocatedEvaluationError):
                _evaluation_failed(frame, before_entered, located)
                located = StatesError(located.error, located.cause)  # written once, not again by outer states
            raise located from None
        if state.exited_type is not None:
            if assigned is None:
                frame.emit(state.exited_type, (name, output))
            else:
                frame.emit(state.exited_type, {"name": name, "output": output, "assignedVariables": assigned})
        if next_name is None:
            return output
        name = next_name
        data = output


def _evaluation_failed(frame: Frame, before_entered: int, failure: LocatedEvaluationError) -> None:
    """AWS's EvaluationFailed event: chained to the event *before* the state was entered (recorded)."""
    details = {"error": failure.error, "cause": failure.cause}
    if failure.location is not None:
        details["location"] = failure.location
    details["state"] = frame.state_name
    frame.prev = before_entered
    frame.emit("EvaluationFailed", details)
