"""Redriving in process: a failed, timed-out or aborted run continues from the states that did not finish.

Each test runs an execution with a ``RecordedHistory`` (what a store keeps),
changes what its tasks do, redrives it and checks what ran again (the calls
the handlers saw) and the history (kept as it was, continued after one
``ExecutionRedriven`` per redrive with contiguous ids).  A redriven run cut
after any event must also resume like any other run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from runtime_helpers import START, fn_arn, machine

from asl_engine import Resources, Services, VirtualClock
from asl_engine.runtime.redrive import ExecutionNotRedrivable, RecordedHistory, not_redrivable_reason, redrive
from asl_engine.runtime.replay import ReplayCursor, ReplayHistory
from asl_engine.runtime.replay_clock import ReplayClock
from asl_engine.runtime.replay_tasks import ReplayResources

WORK = fn_arn("work")
SEED = 4


class Work:
    """A Lambda handler that counts its calls per key and fails for the keys in ``broken``."""

    def __init__(self, *broken: str) -> None:
        self.broken = set(broken)
        self.calls: Counter = Counter()

    def __call__(self, payload: dict) -> dict:
        key = payload["key"]
        self.calls[key] += 1
        if key in self.broken:
            raise RuntimeError(f"{key} is broken")
        return {"done": key}


def task(key: str, **fields: Any) -> dict:
    return {"Type": "Task", "Resource": WORK, "Parameters": {"key": key}, "ResultPath": f"$.{key}", **fields}


class Run:
    """One execution of a definition, first run then redriven, on a virtual clock at START."""

    def __init__(self, definition: dict, work: Work, input: Any = None, type: str = "STANDARD") -> None:
        self.machine = machine(definition, type=type)
        self.work = work
        self.input = {} if input is None else input
        self.history = RecordedHistory()
        self.resources = Resources({WORK: work})
        clock = VirtualClock(START)
        self.result = clock.run(self.machine.run_async(self.input, "exec", clock, self.resources,
                                                       services=Services(SEED), history_sink=self.history))

    def redrive(self, after: float = 60.0) -> Any:
        clock = VirtualClock(START + timedelta(seconds=self.history[-1]["timestamp"] - START.timestamp() + after))
        self.result = redrive(self.machine, list(self.history), self.input, "exec", seed=SEED, clock=clock,
                              resources=self.resources, history_sink=self.history)
        return self.result

    def types(self, start: int = 0) -> list[str]:
        return [e["type"] for e in self.history[start:]]

    def entered(self) -> Counter:
        return Counter(e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e)


def assert_continuous(events: list[dict], redrives: int) -> None:
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(0 <= e["previousEventId"] < e["id"] for e in events)
    redriven = [e for e in events if e["type"] == "ExecutionRedriven"]
    assert [e["executionRedrivenEventDetails"]["redriveCount"] for e in redriven] == list(range(1, redrives + 1))
    assert all(e["previousEventId"] == e["id"] - 1 for e in redriven)


def test_a_failed_task_is_scheduled_again_after_the_states_that_succeeded():
    work = Work("b")
    run = Run({"StartAt": "A", "States": {"A": task("a", Next="B"), "B": task("b", Next="C"),
                                          "C": {"Type": "Pass", "End": True}}}, work)
    assert run.result.status == "FAILED"
    first = len(run.history)
    work.broken.clear()
    result = run.redrive()
    assert result.status == "SUCCEEDED" and result.output == {"a": {"done": "a"}, "b": {"done": "b"}}
    assert work.calls == {"a": 1, "b": 2}
    assert run.types(first) == ["ExecutionRedriven", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                                "LambdaFunctionSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited",
                                "ExecutionSucceeded"]
    assert run.history[first + 1]["previousEventId"] == run.history[first]["id"]  # chained to the redrive
    assert_continuous(run.history, 1)
    assert [e["id"] for e in result.history] == [e["id"] for e in run.history]  # the result renders it all


def test_retries_start_over_and_each_redrive_continues_the_last():
    work = Work("b")
    run = Run({"StartAt": "A", "States": {"A": task("a", Next="B"), "B": task("b", End=True, Retry=[
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}])}}, work)
    assert run.result.status == "FAILED" and work.calls["b"] == 3
    assert run.redrive().status == "FAILED"
    assert work.calls == {"a": 1, "b": 6}  # the retry count is reset to 0 on redrive
    work.broken.clear()
    assert run.redrive().status == "SUCCEEDED"
    assert work.calls == {"a": 1, "b": 7}
    assert run.entered() == {"A": 1, "B": 1}
    assert_continuous(run.history, 2)


def test_a_fail_state_is_entered_again_and_fails_again():
    run = Run({"StartAt": "A", "States": {"A": task("a", Next="Stop"),
                                          "Stop": {"Type": "Fail", "Error": "Nope", "Cause": "on purpose"}}}, Work())
    assert run.result.status == "FAILED"
    result = run.redrive()
    assert (result.status, result.error, result.cause) == ("FAILED", "Nope", "on purpose")
    assert run.entered() == {"A": 1, "Stop": 2}
    assert run.work.calls == {"a": 1}
    assert_continuous(run.history, 1)


def test_only_failed_branches_and_iterations_run_again_in_nested_parallel_and_map():
    work = Work("item3", "item5")
    run = Run({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "One", "States": {"One": task("one", End=True)}},
        {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": True,
            "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": WORK, "End": True}}}}}}]}}},
        work, {"items": [{"key": f"item{n}"} for n in range(2, 8)]})
    assert run.result.status == "FAILED"
    ran_before = dict(work.calls)
    work.broken.discard("item3")
    assert run.redrive().status == "FAILED"  # item5 still fails
    work.broken.clear()
    result = run.redrive()
    assert result.status == "SUCCEEDED"
    assert result.output[0]["one"] == {"done": "one"}
    assert result.output[1] == [{"done": f"item{n}"} for n in range(2, 8)]
    succeeded_first = {k for k in ran_before if k not in ("item3", "item5")}
    assert all(work.calls[k] == 1 for k in succeeded_first)
    assert work.calls["one"] == 1 and work.calls["item5"] == 3
    assert_continuous(run.history, 2)


def test_a_retried_parallel_keeps_the_branches_of_its_last_attempt():
    work = Work("right")
    run = Run({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel", "End": True, "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
        "Branches": [{"StartAt": "Left", "States": {"Left": task("left", End=True)}},
                     {"StartAt": "Right", "States": {"Right": task("right", End=True)}}]}}}, work)
    assert run.result.status == "FAILED" and work.calls["right"] == 2
    work.broken.clear()
    assert run.redrive().status == "SUCCEEDED"
    assert work.calls == {"left": 2, "right": 3}  # left ran in both attempts, and not on redrive
    assert_continuous(run.history, 1)


class Slow(Work):
    """``Work`` whose call of ``slow_key`` takes ``seconds`` of clock time, the first time only."""

    def __init__(self, slow_key: str, seconds: float) -> None:
        super().__init__()
        self.slow_key, self.seconds = slow_key, seconds

    async def __call__(self, payload: dict) -> dict:
        if payload["key"] == self.slow_key and not self.calls[self.slow_key]:
            self.calls[self.slow_key] += 1
            await asyncio.sleep(self.seconds)
            return {"late": True}
        return super().__call__(payload)


def test_a_timed_out_task_runs_again_and_the_execution_timeout_starts_over():
    run = Run({"StartAt": "A", "TimeoutSeconds": 100, "States": {"A": task("a", Next="B"), "B": task("b", End=True)}},
              Slow("b", 200))
    assert run.result.status == "TIMED_OUT"
    assert run.redrive(after=3600).status == "SUCCEEDED"  # the 100 s count from the redrive, not the start
    assert run.work.calls == {"a": 1, "b": 2}
    assert run.entered() == {"A": 1, "B": 1}
    assert_continuous(run.history, 1)


def test_a_redriven_wait_is_evaluated_again():
    seconds = Run({"StartAt": "Nap", "TimeoutSeconds": 100, "States": {
        "Nap": {"Type": "Wait", "Seconds": 150, "End": True}}}, Work())
    assert seconds.result.status == "TIMED_OUT"
    assert seconds.redrive(after=3600).status == "TIMED_OUT"  # it waits its 150 s again: longer than 100 s
    redriven, timed_out = (e for e in seconds.history if e["type"] in ("ExecutionRedriven", "ExecutionTimedOut")
                           and e["id"] > 3)
    assert timed_out["timestamp"] - redriven["timestamp"] == pytest.approx(100)
    until = (START + timedelta(seconds=150)).isoformat()
    timestamp = Run({"StartAt": "Nap", "TimeoutSeconds": 100, "States": {
        "Nap": {"Type": "Wait", "Timestamp": until, "End": True}}}, Work())
    assert timestamp.result.status == "TIMED_OUT"
    assert timestamp.redrive(after=30).status == "SUCCEEDED"  # due 20 s after the redrive
    exited = next(e for e in timestamp.history if e["type"] == "WaitStateExited")
    assert exited["timestamp"] == pytest.approx(START.timestamp() + 150)


def test_a_distributed_map_run_is_run_again():
    work = Work("item1")
    run = Run({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "W", "States": {"W": {"Type": "Task", "Resource": WORK, "End": True}}}}}},
        work, {"items": [{"key": f"item{n}"} for n in range(3)]})
    assert run.result.status == "FAILED"
    assert run.redrive().status == "FAILED"
    work.broken.clear()
    result = run.redrive()
    assert result.status == "SUCCEEDED" and result.output == [{"done": f"item{n}"} for n in range(3)]
    assert run.types().count("MapRunStarted") == 1  # the same Map Run goes on
    started = next(e for e in run.history if e["type"] == "MapRunStarted")
    redriven = [e for e in run.history if e["type"] == "MapRunRedriven"]
    assert [e["mapRunRedrivenEventDetails"] for e in redriven] == [
        {"mapRunArn": started["mapRunStartedEventDetails"]["mapRunArn"], "redriveCount": n} for n in (1, 2)]
    assert all(e["previousEventId"] == started["id"] for e in redriven)
    assert_continuous(run.history, 2)


def resume(run: Run, stored: list[dict]) -> tuple[Any, list[dict]]:
    """Resume ``run`` from the first ``stored`` events of its history, as a restarted service does."""
    clock = VirtualClock(START + timedelta(seconds=stored[-1]["timestamp"] - START.timestamp()))
    cursor = ReplayCursor("exec", stored, START.timestamp())
    written = RecordedHistory()
    result = clock.run(run.machine.run_async(run.input, "exec", ReplayClock(clock, cursor),
                                             ReplayResources(run.resources, cursor), services=Services(SEED),
                                             history_sink=written, history_factory=ReplayHistory.factory(cursor)))
    return result, stored + written


@pytest.mark.parametrize("definition", [
    {"StartAt": "A", "States": {"A": task("a", Next="Both"), "Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "B", "States": {"B": task("b", Next="Nap"), "Nap": {"Type": "Wait", "Seconds": 5, "End": True}}},
        {"StartAt": "C", "States": {"C": task("c", End=True)}}]}}},
    {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": True,
                                            "ItemProcessor": {"StartAt": "W", "States": {"W": {
                                                "Type": "Task", "Resource": WORK, "End": True}}}}}},
], ids=["parallel", "map"])
def test_a_redriven_run_cut_anywhere_resumes_to_the_same_end(definition: dict):
    work = Work("b", "c", "item1", "item3")
    run = Run(definition, work, {"items": [{"key": f"item{n}"} for n in range(5)]})
    redriven_at = len(run.history) + 1
    work.broken.clear()
    run.redrive()
    full = list(run.history)
    assert run.result.status == "SUCCEEDED"
    for cut in range(redriven_at, len(full) + 1):
        result, events = resume(run, full[:cut])
        assert result.status == "SUCCEEDED" and result.output == run.result.output
        assert_continuous(events, 1)
        assert sorted(e["type"] for e in events) == sorted(e["type"] for e in full)


def test_what_cannot_be_redriven():
    done = Run({"StartAt": "A", "States": {"A": task("a", End=True)}}, Work())
    with pytest.raises(ExecutionNotRedrivable, match=r"^Execution is SUCCEEDED and cannot be redriven$"):
        done.redrive()
    express = Run({"StartAt": "A", "States": {"A": task("a", End=True)}}, Work("a"), type="EXPRESS")
    with pytest.raises(ExecutionNotRedrivable, match="EXPRESS"):
        express.redrive()
    old = Run({"StartAt": "A", "States": {"A": task("a", End=True)}}, Work("a"))
    with pytest.raises(ExecutionNotRedrivable, match=r"^Execution redrivable period exceeded$"):
        old.redrive(after=14 * 86_400 + 1)
    assert old.redrive(after=14 * 86_400 - 1).status == "FAILED"


@pytest.mark.parametrize(("status", "start", "stop", "events", "redrives", "reason"), [
    ("FAILED", 0, 10, 100, 0, None),
    ("ABORTED", 0, 10, 24_998, 999, None),
    ("RUNNING", 0, None, 100, 0, "Execution is RUNNING and cannot be redriven"),
    ("SUCCEEDED", 0, 10, 100, 0, "Execution is SUCCEEDED and cannot be redriven"),
    ("TIMED_OUT", 0, 10, 24_999, 0, "Execution history event limit exceeded"),
    ("FAILED", 0, 10, 100, 1000, "Execution redrive count limit exceeded"),
    ("FAILED", -366 * 86_400, -86_400, 100, 0, "Execution has exceeded the max execution time"),
    ("FAILED", -20 * 86_400, -14 * 86_400 - 1, 100, 0, "Execution redrivable period exceeded"),
])
def test_the_reasons_an_execution_cannot_be_redriven(status, start, stop, events, redrives, reason):
    assert not_redrivable_reason(status, start, stop, events, redrives, now=0) == reason


def test_a_parallel_that_failed_on_its_result_size_runs_again_whole():
    class Big(Work):
        def __call__(self, payload: dict) -> dict:
            super().__call__(payload)
            return {"blob": "x" * 150_000}

    run = Run({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "L", "States": {"L": {"Type": "Task", "Resource": WORK, "Parameters": {"key": "l"}, "End": True}}},
        {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": WORK, "Parameters": {"key": "r"},
                                          "End": True}}}]}}}, Big())
    assert (run.result.status, run.result.error) == ("FAILED", "States.DataLimitExceeded")
    assert run.redrive().error == "States.DataLimitExceeded"
    assert run.work.calls == {"l": 2, "r": 2}  # AWS reruns the branches that had succeeded too
    assert run.types().count("ParallelStateStarted") == 2
    assert_continuous(run.history, 1)
