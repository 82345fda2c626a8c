"""Resuming an execution from a stored history: cut the history of a run anywhere, replay, go on.

Replaying a whole history must reproduce it exactly (ids, previousEventId
chains, details, the seeded random draws), whatever order Map iterations and
Parallel branches finished in.  A run cut after any event and resumed must
keep what was stored and end like the uninterrupted run: same output, each
branch's events the same, ids contiguous (the order of events written after
the cut may differ: calls in flight start over).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from runtime_helpers import START, machine

from asl_engine import Resources, Services, VirtualClock
from asl_engine.runtime.replay import ReplayCursor, ReplayHistory, ReplayMismatch
from asl_engine.runtime.replay_clock import ReplayClock
from asl_engine.runtime.replay_tasks import ReplayResources

SNS = "arn:aws:states:::sns:publish"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


class Work:
    """An async task handler that takes a while (virtual seconds, varying by item) and counts its calls."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def __call__(self, payload: dict) -> dict:
        self.calls.append(payload)
        await asyncio.sleep((payload["n"] * 7) % 5 + 0.5)
        return {"n": payload["n"], "squared": payload["n"] ** 2}


def flaky(payload: dict) -> dict:
    """Fails the first two attempts (it is told which attempt it is), then answers."""
    if payload["attempt"] < 2:
        raise ValueError(f"attempt {payload['attempt']}")
    return {"ok": payload["n"]}


def stored(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the service's store keeps it (epoch timestamp, JSON round trip)."""
    return json.loads(json.dumps({**event, "timestamp": event["timestamp"].timestamp()}))


def run(definition: dict, input: Any, targets: dict, *, history: list[dict] | None = None,
        downtime: float = 0.0, client: Any = None, run_for: float | None = None) -> tuple[Any, list[dict]]:
    """Run once, from the start or resuming ``history``; returns the result and the full stored history."""
    events = [dict(e) for e in history or []]
    resume_at = START + timedelta(seconds=(events[-1]["timestamp"] - START.timestamp() if events else 0) + downtime)
    base = VirtualClock(resume_at)
    resources = Resources(targets)
    kwargs: dict[str, Any] = {}
    clock: Any = base
    if history is not None:
        cursor = ReplayCursor("arn:exec", events, START.timestamp())
        clock, resources = ReplayClock(base, cursor), ReplayResources(resources, cursor)
        kwargs["history_factory"] = ReplayHistory.factory(cursor)
    written: list[dict] = []

    async def main() -> Any:
        helper = asyncio.ensure_future(client(resources)) if client else None
        result = await machine(definition).run_async(input, "exec", clock, resources, services=Services(seed=3),
                                                     history_sink=lambda e: written.append(stored(e)), run_for=run_for,
                                                     **kwargs)
        if helper is not None:
            helper.cancel()
        return result

    result = base.run(main())
    return result, events + written


def comparable(events: list[dict]) -> list[tuple]:
    return [(e["id"], e["previousEventId"], e["type"],
             {k: v for k, v in e.items() if k.endswith("EventDetails")}, e.get("_branch")) for e in events]


def per_branch(events: list[dict]) -> dict[tuple, list[tuple]]:
    out: dict[tuple, list[tuple]] = {}
    for e in events:
        out.setdefault(tuple(e.get("_branch", ())), []).append(
            (e["type"], {k: v for k, v in e.items() if k.endswith("EventDetails")}))
    return out


def assert_resumes_anywhere(definition: dict, input: Any, make_targets, step: int = 1,
                            same_events: bool = True) -> list[dict]:
    """Replaying the whole history reproduces it; cut after every ``step``-th event, each resume ends the same.

    ``same_events=False`` when how far siblings get before a failure stops them depends on timing (calls in
    flight at the cut start over), so the resumed run may write fewer or more of their events.
    """
    full_result, full = run(definition, input, make_targets())
    _, again = run(definition, input, make_targets(), history=full)
    assert again == full
    for cut in range(1, len(full), step):
        result, events = run(definition, input, make_targets(), history=full[:cut])
        assert (result.status, result.output) == (full_result.status, full_result.output), cut
        assert events[:cut] == full[:cut]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert all(0 <= e["previousEventId"] < e["id"] for e in events)
        if same_events:
            assert per_branch(events) == per_branch(full), f"resumed after event {cut}"
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps)
    return full


MAP_WITH_TASK_AND_WAIT = {
    "StartAt": "M",
    "States": {"M": {"Type": "Map", "MaxConcurrency": 4, "End": True,
                     "ResultSelector": {"n.$": "States.ArrayLength($)"}, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": SNS, "Next": "Nap"},
                   "Nap": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
                   "Done": {"Type": "Pass", "Parameters": {"v.$": "$.squared"}, "End": True}}}}},
}


def test_map_resumes_from_any_event_whatever_order_iterations_finished_in():
    full = assert_resumes_anywhere(MAP_WITH_TASK_AND_WAIT, [{"n": n} for n in range(12)], lambda: {SNS: Work()},
                                   step=3)
    # the original run really interleaved: iteration 5 started before iteration 1 ended
    started = [e["id"] for e in full if e["type"] == "MapIterationStarted"]
    ended = [e["id"] for e in full if e["type"] == "MapIterationSucceeded"]
    assert started[4] < ended[1]


PARALLEL_WITH_RETRY_AND_MAP = {
    "StartAt": "P",
    "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Flaky", "States": {"Flaky": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
            "Parameters": {"n": 1, "attempt.$": "$$.State.RetryCount"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "BackoffRate": 2,
                       "JitterStrategy": "FULL"}]}}},
        {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 4, "Next": "Inner"},
                                       "Inner": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                                                 "ItemProcessor": {"StartAt": "W", "States": {
                                                     "W": {"Type": "Task", "Resource": SNS, "End": True}}}}}},
    ]}},
}


def test_a_whole_history_replays_exactly_with_random_draws_in_interleaved_iterations():
    definition = json.loads(json.dumps(MAP_WITH_TASK_AND_WAIT))
    definition["States"]["M"]["ItemProcessor"]["States"]["Done"]["Parameters"]["id.$"] = "States.UUID()"
    result, full = run(definition, [{"n": n} for n in range(20)], {SNS: Work()})
    work = Work()
    again, events = run(definition, [{"n": n} for n in range(20)], {SNS: work}, history=full)
    assert events == full and again.output == result.output and work.calls == []


def test_parallel_with_retries_and_a_nested_map_resumes_from_any_event():
    def targets() -> dict:
        return {SNS: Work(), "arn:aws:states:::lambda:invoke": flaky}

    assert_resumes_anywhere(PARALLEL_WITH_RETRY_AND_MAP, {"items": [{"n": n} for n in range(5)]}, targets)


PARALLEL_FAILING_BRANCH_CAUGHT = {
    "StartAt": "P",
    "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": SNS, "Next": "Boom"},
                                           "Boom": {"Type": "Fail", "Error": "Broke", "Cause": "on purpose"}}},
            {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 10, "Next": "Late"},
                                          "Late": {"Type": "Task", "Resource": SNS, "End": True}}}],
              "Catch": [{"ErrorEquals": ["Broke"], "ResultPath": "$.error", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}},
}


def test_a_failing_branch_aborts_its_sibling_at_the_same_place_after_a_resume():
    full = assert_resumes_anywhere(PARALLEL_FAILING_BRANCH_CAUGHT, {"n": 3}, lambda: {SNS: Work()})
    assert "WaitStateAborted" in [e["type"] for e in full]


MAP_FAILING_ITERATION_CAUGHT = {
    "StartAt": "M",
    "States": {
        "M": {"Type": "Map", "MaxConcurrency": 3, "Next": "Done", "ItemProcessor": {"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": SNS, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 4, "Next": "Boom"}],
                      "Default": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 5, "End": True},
            "Boom": {"Type": "Fail", "Error": "Broke"}}},
              "Catch": [{"ErrorEquals": ["Broke"], "ResultPath": "$.error", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}},
}


def test_a_failing_iteration_resumes_from_any_event_and_is_caught():
    full = assert_resumes_anywhere(MAP_FAILING_ITERATION_CAUGHT, [{"n": n} for n in range(8)], lambda: {SNS: Work()},
                                   same_events=False)
    assert "MapStateFailed" in [e["type"] for e in full]


def test_stored_outcomes_are_not_called_again_and_in_flight_calls_once():
    items = [{"n": n} for n in range(6)]
    _, full = run(MAP_WITH_TASK_AND_WAIT, items, {SNS: Work()})
    cut = next(i for i, e in enumerate(full) if e["type"] == "TaskSucceeded") + 1  # the first outcome is stored
    done = json.loads(full[cut - 1]["taskSucceededEventDetails"]["output"])["n"]
    in_flight = [json.loads(e["taskScheduledEventDetails"]["parameters"])["n"] for e in full[:cut]
                 if e["type"] == "TaskScheduled"]
    work = Work()
    run(MAP_WITH_TASK_AND_WAIT, items, {SNS: work}, history=full[:cut])
    called = sorted(p["n"] for p in work.calls)
    assert done not in called and len(in_flight) > 1
    assert called == sorted(set(range(6)) - {done})  # each in-flight call (and each not begun) made once


WAIT_100 = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "Next": "P"},
                                       "P": {"Type": "Pass", "End": True}}}


@pytest.mark.parametrize(("downtime", "exits_at"), [(30, 100), (500, 500)])
def test_a_wait_waits_only_what_is_left_of_its_due_time(downtime, exits_at):
    _, full = run(WAIT_100, {}, {})
    cut = [e["type"] for e in full].index("WaitStateEntered") + 1
    result, events = run(WAIT_100, {}, {}, history=full[:cut], downtime=downtime)
    assert result.status == "SUCCEEDED"
    exited = next(e for e in events if e["type"] == "WaitStateExited")
    assert exited["timestamp"] - START.timestamp() == pytest.approx(exits_at)
    assert comparable(events) == comparable(full)


RETRY_BACKOFF = {"StartAt": "T", "States": {"T": {
    "Type": "Task", "Resource": SNS, "End": True, "Parameters": {"n": 1, "attempt.$": "$$.State.RetryCount"},
    "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60, "BackoffRate": 1}]}}}


def test_a_retry_resumes_its_backoff():
    _, full = run(RETRY_BACKOFF, {}, {SNS: flaky})
    cut = [e["type"] for e in full].index("TaskFailed") + 1  # first failure stored; the backoff was running
    result, events = run(RETRY_BACKOFF, {}, {SNS: flaky}, history=full[:cut], downtime=20)
    assert result.output == {"ok": 1}
    assert comparable(events) == comparable(full)
    rescheduled = [e for e in events if e["type"] == "TaskScheduled"][1]
    assert rescheduled["timestamp"] - full[cut - 1]["timestamp"] == pytest.approx(60)  # not 60 after the restart


CALLBACK_TASK = {"StartAt": "T", "States": {"T": {
    "Type": "Task", "Resource": CALLBACK, "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
    "End": True}}}


def test_a_delivered_callback_is_not_sent_again_and_its_token_still_completes_it():
    sent: list[str] = []

    def send(payload: dict) -> dict:
        sent.append(payload["MessageBody"]["token"])
        return {"MessageId": "m-1"}

    first, full = run(CALLBACK_TASK, {}, {CALLBACK: send}, run_for=60)
    assert first.status == "RUNNING" and full[-1]["type"] == "TaskSubmitted"
    token = sent[0]

    async def answer(resources: Resources) -> None:
        resources.callbacks.send_success(token, '{"answer": 42}')

    result, events = run(CALLBACK_TASK, {}, {CALLBACK: send}, history=full, client=answer)
    assert result.output == {"answer": 42}
    assert sent == [token]  # the message is not sent again
    assert comparable(events)[:len(full)] == comparable(full)
    assert [e["type"] for e in events[len(full):]] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_changed_definition_fails_loudly():
    _, full = run(MAP_WITH_TASK_AND_WAIT, [{"n": 1}, {"n": 2}], {SNS: Work()})
    changed = json.loads(json.dumps(MAP_WITH_TASK_AND_WAIT))
    changed["States"]["M"]["ItemProcessor"]["States"]["Nap"]["Seconds"] = 3
    changed["States"]["M"]["ItemProcessor"]["States"]["Done"]["Parameters"]["extra"] = 1
    with pytest.raises(ReplayMismatch, match=r"at event #\d+ \(PassStateExited, branch \[\d\]\): its details"):
        run(changed, [{"n": 1}, {"n": 2}], {SNS: Work()}, history=full[:-2])


def test_a_history_that_ended_replays_to_the_same_end_without_new_events():
    result, full = run(MAP_WITH_TASK_AND_WAIT, [{"n": 1}], {SNS: Work()})
    work = Work()
    again, events = run(MAP_WITH_TASK_AND_WAIT, [{"n": 1}], {SNS: work}, history=full)
    assert (again.status, again.output) == (result.status, result.output)
    assert events == full and work.calls == []
