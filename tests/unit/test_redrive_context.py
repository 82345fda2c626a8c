"""What a redrive changes inside the execution: ``$$.Execution.RedriveCount`` / ``RedriveTime``, task tokens,
and the Distributed Map items that run again.

In process, like ``test_redrive.py``: each run keeps its history in a ``RecordedHistory`` and, for the
Distributed Map, its items' outcomes in a ``MemoryMapRunItems``, as the service's store does.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from runtime_helpers import START, fn_arn, machine
from test_redrive import SEED, Work, assert_continuous, resume, task

from asl_engine import Resources, Services, VirtualClock, isotime
from asl_engine.integrations.api_errors import ApiError
from asl_engine.runtime.map_run_items import MemoryMapRunItems
from asl_engine.runtime.redrive import RecordedHistory, redrive
from asl_engine.runtime.replay import ReplayCursor, ReplayHistory
from asl_engine.runtime.replay_clock import ReplayClock
from asl_engine.runtime.replay_tasks import ReplayResources

ASK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


class Run:
    """One execution on a virtual clock at START, then redriven ``after`` seconds after it ended."""

    def __init__(self, definition: dict, resources: Resources, input: Any = None) -> None:
        self.machine = machine(definition)
        self.resources = resources
        self.input = {} if input is None else input
        self.history = RecordedHistory()
        self.items = MemoryMapRunItems()
        clock = VirtualClock(START)
        self.result = clock.run(self.machine.run_async(self.input, "exec", clock, resources, services=Services(SEED),
                                                       history_sink=self.history, map_items=self.items))

    def redrive(self, after: float = 60.0) -> Any:
        clock = VirtualClock(START + timedelta(seconds=self.history[-1]["timestamp"] - START.timestamp() + after))
        self.result = redrive(self.machine, list(self.history), self.input, "exec", seed=SEED, clock=clock,
                              resources=self.resources, history_sink=self.history, map_items=self.items)
        return self.result


def seen(key: str) -> dict:
    """A Pass state that records the context object's Execution node under ``$.<key>``."""
    return {"Type": "Pass", "Parameters": {"execution.$": "$$.Execution"}, "ResultPath": f"$.{key}"}


def test_redrive_count_and_time_are_those_of_the_attempt_the_state_ran_in() -> None:
    work = Work("b")
    definition = {"StartAt": "Before", "States": {
        "Before": {**seen("before"), "Next": "B"},
        "B": {**task("b"), "Parameters": {"key": "b", "count.$": "$$.Execution.RedriveCount"}, "Next": "After"},
        "After": {**seen("after"), "End": True}}}
    run = Run(definition, Resources({fn_arn("work"): work}))
    assert run.result.status == "FAILED"
    work.broken.clear()
    result = run.redrive(after=3600)
    assert result.status == "SUCCEEDED"
    redriven = next(e for e in run.history if e["type"] == "ExecutionRedriven")
    # Before was replayed from history: it saw no redrive, as when it first ran (AWS: RedriveCount 0, no time)
    assert result.output["before"]["execution"]["RedriveCount"] == 0
    assert "RedriveTime" not in result.output["before"]["execution"]
    # B ran again after the redrive and After ran for the first time after it: both see it
    scheduled = [e for e in run.history if e["type"] == "LambdaFunctionScheduled"]
    assert ['"count":0' in e["lambdaFunctionScheduledEventDetails"]["input"] for e in scheduled] == [True, False]
    assert '"count":1' in scheduled[1]["lambdaFunctionScheduledEventDetails"]["input"]
    after = result.output["after"]["execution"]
    assert after["RedriveCount"] == 1
    assert after["RedriveTime"] == isotime.millis(START.fromtimestamp(redriven["timestamp"], START.tzinfo))
    # a restart replays what each state saw: the redriven run cut anywhere resumes to the same end
    full = list(run.history)
    for cut in range(redriven["id"], len(full) + 1):
        resumed, events = resume(run, full[:cut])  # type: ignore[arg-type]
        assert resumed.status == "SUCCEEDED" and resumed.output == result.output
        assert_continuous(events, 1)


def test_a_redriven_callback_task_gets_a_new_token_and_the_old_one_is_refused() -> None:
    tokens: list[str] = []
    resources = Resources({ASK: lambda payload: tokens.append(payload["token"]) or {}})
    definition = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": ASK, "TimeoutSeconds": 10, "Parameters": {"token.$": "$$.Task.Token"},
        "End": True}}}
    run = Run(definition, resources)
    assert run.result.status == "FAILED" and len(tokens) == 1  # States.Timeout: nobody answered

    answers: dict[str, Any] = {}

    def answer_new_token_only(payload: dict) -> dict:
        tokens.append(payload["token"])
        with pytest.raises(ApiError) as refused:  # the first attempt's token: its task is gone
            resources.callbacks.send_success(tokens[0], "{}")
        answers["old"] = refused.value.code
        resources.callbacks.send_success(payload["token"], '{"answered": true}')
        return {}

    resources.register(ASK, answer_new_token_only)
    result = run.redrive()
    assert result.status == "SUCCEEDED" and result.output == {"answered": True}
    assert tokens[1] != tokens[0]  # AWS issues a new token to the redriven task
    assert answers["old"] == "TaskTimedOut"
    assert_continuous(run.history, 1)


def test_a_redriven_distributed_map_runs_only_its_unsuccessful_items() -> None:
    work = Work("item1", "item3")
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True, "MaxConcurrency": 2,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "W", "States": {"W": {
                              "Type": "Task", "Resource": fn_arn("work"),
                              "Parameters": {"key.$": "$.key", "count.$": "$$.Execution.RedriveCount"},
                              "End": True}}}}}}
    run = Run(definition, Resources({fn_arn("work"): work}), {"items": [{"key": f"item{n}"} for n in range(5)]})
    assert run.result.status == "FAILED"
    assert work.calls == Counter({f"item{n}": 1 for n in range(5)})
    assert run.redrive().status == "FAILED"  # still broken: only the two failures ran again
    assert work.calls == Counter({"item0": 1, "item1": 2, "item2": 1, "item3": 2, "item4": 1})
    work.broken.clear()
    result = run.redrive()
    assert result.status == "SUCCEEDED" and result.output == [{"done": f"item{n}"} for n in range(5)]
    assert work.calls == Counter({"item0": 1, "item1": 3, "item2": 1, "item3": 3, "item4": 1})
    arn = next(e for e in run.history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    outcomes = run.items.done(arn)
    assert all(o.succeeded for o in outcomes.values()) and len(outcomes) == 5
    # each child counts its own redrives: the ones run again were redriven twice
    assert [outcomes[n].redrives for n in range(5)] == [0, 2, 0, 2, 0]
    assert_continuous(run.history, 2)


def test_a_redriven_wait_interrupted_by_a_restart_ends_its_seconds_after_the_redrive() -> None:
    work = Work("b")
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 50, "End": True}}},
        {"StartAt": "B", "States": {"B": task("b", End=True)}}]}}}
    run = Run(definition, Resources({fn_arn("work"): work}))
    assert run.result.status == "FAILED"  # B failed at once, the Wait was aborted
    work.broken.clear()
    assert run.redrive(after=3600).status == "SUCCEEDED"
    redriven = next(e for e in run.history if e["type"] == "ExecutionRedriven")
    exited = next(e for e in run.history if e["type"] == "WaitStateExited")
    assert exited["timestamp"] == redriven["timestamp"] + 50
    # the service dies right after the redrive and comes back 30 s later: 20 s are left, not 50
    stored = [e for e in run.history if e["id"] <= redriven["id"]]
    clock = VirtualClock(START + timedelta(seconds=redriven["timestamp"] + 30 - START.timestamp()))
    cursor = ReplayCursor("exec", stored, START.timestamp())
    written = RecordedHistory()
    result = clock.run(run.machine.run_async(run.input, "exec", ReplayClock(clock, cursor),
                                             ReplayResources(run.resources, cursor), services=Services(SEED),
                                             history_sink=written, history_factory=ReplayHistory.factory(cursor),
                                             map_items=run.items))
    assert result.status == "SUCCEEDED"
    assert next(e for e in written if e["type"] == "WaitStateExited")["timestamp"] == redriven["timestamp"] + 50
