"""One execution: its identity, services, history, and the driver that runs it to an end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asl_engine import isotime
from asl_engine.errors import StatesError
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.history import History, HistoryLimitExceeded, dumps
from asl_engine.runtime.interpreter import check_size, run_branch
from asl_engine.runtime.map_run_items import MapRunItems
from asl_engine.runtime.payload_size import PayloadMeter
from asl_engine.runtime.replay import ReplayCursor, ReplayHistory
from asl_engine.runtime.services import Services
from asl_engine.runtime.timeouts import wait_for


@dataclass
class ExecutionResult:
    """What DescribeExecution would say, plus the history."""

    execution_arn: str
    name: str
    status: str
    start_date: datetime
    stop_date: datetime
    input: Any
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history_log: History | None = field(default=None, repr=False)
    map_runs: list = field(default_factory=list, repr=False)

    @property
    def history(self) -> list[dict[str, Any]]:
        """GetExecutionHistory's events.

        Recorded for EXPRESS executions too, for tests; AWS itself keeps no
        history for them (only CloudWatch Logs).
        """
        return self.history_log.render() if self.history_log is not None else []

    @property
    def output_json(self) -> str | None:
        return None if self.status != "SUCCEEDED" else dumps(self.output)


class ExecutionRun:
    """The mutable state of one running execution; the plan it runs is shared and immutable."""

    def __init__(self, plan: Any, *, state_machine_arn: str, state_machine_name: str, execution_arn: str,
                 execution_name: str, role_arn: str, region: str, express: bool, input: Any, clock: Clock,
                 services: Services, resources: Any, payload_limit: int | None,
                 history_limit: int | None, history_sink: Callable[[dict], None] | None = None,
                 history_factory: Callable[[int | None, Callable[[dict], None] | None], History] = History,
                 map_items: MapRunItems | None = None) -> None:
        self.plan = plan
        self.state_machine_arn = state_machine_arn
        self.state_machine_name = state_machine_name
        self.execution_arn = execution_arn
        self.execution_name = execution_name
        self.region = region
        self.input = input
        self.clock = clock
        self.services = services
        self.resources = resources
        self.payload_limit = payload_limit
        self.payload_meter = PayloadMeter()
        self.history = history_factory(history_limit, history_sink)  # a ReplayHistory when resuming
        # the stored history being replayed (a resume or a redrive), None for a first run
        self.replay: ReplayCursor | None = self.history.cursor if isinstance(self.history, ReplayHistory) else None
        self.map_runs: list[dict] = []
        self.map_items = map_items or MapRunItems()
        self.role_arn = role_arn
        self.start_time = clock.now()
        execution = {"Id": execution_arn, "Input": input, "StartTime": isotime.millis(self.start_time),
                     "Name": execution_name, "RoleArn": role_arn}
        if not express:
            execution["RedriveCount"] = 0
        self.context_execution = execution
        self.context_state_machine = {"Id": state_machine_arn, "Name": state_machine_name}

    def redrive(self) -> tuple[int, datetime | None]:
        """``$$.Execution.RedriveCount`` and ``RedriveTime`` where the current task stands.

        A state replayed from history sees what it saw when it first ran (the redrives before it), a
        state that runs after the latest redrive sees that one: what AWS's context object shows.
        """
        if self.replay is None:
            return 0, None
        count, time = self.replay.redrive()
        return count, None if time is None else datetime.fromtimestamp(time, UTC)

    def child_execution(self, services: Services, history: History) -> ExecutionRun:
        """This run with randomness and a history of its own: what a Distributed Map's child execution runs in.

        A child's draws (task tokens, jitter, UUIDs) then depend only on its item and attempt, not on how
        the children interleaved, so a resumed or redriven Map Run draws the same for the same child; and
        what reads "the latest event" (Parallel) reads the child's.
        """
        child = object.__new__(ExecutionRun)  # a shallow copy (copy.copy costs thrice as much per child)
        child.__dict__.update(self.__dict__)
        child.services, child.history = services, history
        return child

    async def run(self, run_for: float | None = None) -> ExecutionResult:
        """Run to the end, or for ``run_for`` seconds of clock time and return a RUNNING snapshot."""
        if run_for is None:
            return await self._run()
        try:
            return await wait_for(self._run(), run_for)
        except TimeoutError:
            return ExecutionResult(self.execution_arn, self.execution_name, "RUNNING", self.start_time,
                                   self.clock.now(), self.input, history_log=self.history, map_runs=self.map_runs)

    async def _run(self) -> ExecutionResult:
        history, clock = self.history, self.clock
        history.add("ExecutionStarted", 0, self.start_time.timestamp(), {"input": self.input, "roleArn": self.role_arn})
        frame = Frame(self, 0, {})
        status, output, error, cause = "SUCCEEDED", None, None, None
        try:
            coro = run_branch(frame, self.plan, self.input)
            timeout = self.plan.timeout_seconds
            output = await wait_for(coro, timeout or None)  # 0 is no timeout
            if self.payload_limit is not None:
                check_size(output, self.payload_limit, frame.state_name, self.payload_meter)
        except TimeoutError:
            status, error = "TIMED_OUT", "States.Timeout"
            frame.prev = len(history)  # the timeout cuts in after whatever happened last, in any branch
        except StatesError as failure:
            if isinstance(failure, HistoryLimitExceeded):
                frame.prev = len(history)
            # an empty cause (a task's States.Timeout) is absent from ExecutionFailed and DescribeExecution
            status, error, cause = "FAILED", failure.error, failure.cause or None
        end = clock.now()
        if status == "SUCCEEDED":
            history.add("ExecutionSucceeded", frame.prev, end.timestamp(), {"output": output}, final=True)
        else:
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            kind = "ExecutionTimedOut" if status == "TIMED_OUT" else "ExecutionFailed"
            history.add(kind, frame.prev, end.timestamp(), details, final=True)
            if status == "TIMED_OUT":  # DescribeExecution reports no error for a timed-out execution
                error = None
        return ExecutionResult(self.execution_arn, self.execution_name, status, self.start_time, end, self.input,
                               output, error, cause, history, self.map_runs)
