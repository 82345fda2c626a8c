"""Retry (timing on the virtual clock, jitter, per-retrier counts) and Catch (matching rules, ResultPath)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from runtime_helpers import (
    at,
    chain,
    details,
    event,
    fn_arn,
    parsed,
    run,
    seconds_after_start,
    simple_task,
    types,
)

from asl_engine import StatesError
from asl_engine.runtime.retry import matches

SNS = "arn:aws:states:::sns:publish"


class Flaky:
    """Fails with the given errors, one per call, then returns ``result``."""

    def __init__(self, *errors, result="ok"):
        self.errors = list(errors)
        self.calls = []
        self.result = result

    def __call__(self, params):
        self.calls.append(params)
        if self.errors:
            error = self.errors.pop(0)
            raise StatesError(error, f"cause of {error}")
        return self.result


def scheduled_times(ex, event_type="TaskScheduled"):
    return [seconds_after_start(e) for e in ex.history if e["type"] == event_type]


def task_with(retry=None, catch=None, **fields):
    state = {"Type": "Task", "Resource": SNS, "End": True, **fields}
    if retry is not None:
        state["Retry"] = retry
    if catch is not None:
        state["Catch"] = catch
        state.pop("End")
        state["Next"] = "Done"
    states = {"T": state}
    if catch is not None:
        states["Done"] = {"Type": "Pass", "End": True}
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "T", "States": states}


class TestRetryTiming:
    def test_backoff_on_virtual_clock(self):
        flaky = Flaky("E", "E", "E")
        ex = run(task_with([{"ErrorEquals": ["E"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}]),
                 {}, resources={SNS: flaky})
        assert ex.status == "SUCCEEDED"
        assert len(flaky.calls) == 4
        # 2, 2*3, 2*3*3 seconds between attempts
        assert scheduled_times(ex) == [0, 2, 8, 26]
        assert ex.stop_date == at(26)

    def test_retry_events_chain_directly(self):
        # recorded (states_variables/..._WITH_RETRY): no extra event for a retry; the next TaskScheduled
        # follows the TaskFailed
        ex = run(task_with([{"ErrorEquals": ["E"], "MaxAttempts": 1}]), {}, resources={SNS: Flaky("E")})
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"), (3, 2, "TaskScheduled"),
                             (4, 3, "TaskStarted"), (5, 4, "TaskFailed"), (6, 5, "TaskScheduled"),
                             (7, 6, "TaskStarted"), (8, 7, "TaskSucceeded"), (9, 8, "TaskStateExited"),
                             (10, 9, "ExecutionSucceeded")]
        assert details(ex.history[4]) == {"resourceType": "sns", "resource": "publish", "error": "E",
                                          "cause": "cause of E"}

    def test_defaults_interval_1_rate_2_attempts_3(self):
        flaky = Flaky("E", "E", "E", "E")
        ex = run(task_with([{"ErrorEquals": ["E"]}]), {}, resources={SNS: flaky})
        assert ex.status == "FAILED"
        assert (ex.error, ex.cause) == ("E", "cause of E")
        assert scheduled_times(ex) == [0, 1, 3, 7]
        assert types(ex)[-2:] == ["TaskFailed", "ExecutionFailed"]

    def test_fractional_backoff_rate(self):
        ex = run(task_with([{"ErrorEquals": ["E"], "IntervalSeconds": 4, "BackoffRate": 1.5, "MaxAttempts": 2}]),
                 {}, resources={SNS: Flaky("E", "E")})
        assert scheduled_times(ex) == [0, 4, 10]

    def test_max_delay_seconds_caps_backoff(self):
        ex = run(task_with([{"ErrorEquals": ["E"], "IntervalSeconds": 10, "BackoffRate": 10, "MaxAttempts": 4,
                             "MaxDelaySeconds": 50}]), {}, resources={SNS: Flaky("E", "E", "E", "E")})
        assert scheduled_times(ex) == [0, 10, 60, 110, 160]

    def test_hour_long_backoff_is_instant(self):
        ex = run(task_with([{"ErrorEquals": ["E"], "IntervalSeconds": 3600, "MaxAttempts": 1}]), {},
                 resources={SNS: Flaky("E")})
        assert scheduled_times(ex) == [0, 3600]

    def test_max_attempts_zero_never_retries(self):
        flaky = Flaky("E")
        ex = run(task_with([{"ErrorEquals": ["E"], "MaxAttempts": 0}]), {}, resources={SNS: flaky})
        assert ex.error == "E"
        assert len(flaky.calls) == 1

    def test_lambda_arn_retry_events(self):
        calls = []

        def handler(event):
            calls.append(event)
            if len(calls) == 1:
                raise StatesError("Lambda.TooManyRequestsException", "slow down")
            return "done"
        definition = simple_task(fn_arn("f"), Retry=[{"ErrorEquals": ["Lambda.TooManyRequestsException"],
                                                      "IntervalSeconds": 5}])
        ex = run(definition, {}, resources={"f": handler})
        assert ex.output == "done"
        assert [t for _, _, t in chain(ex)][2:8] == ["LambdaFunctionScheduled", "LambdaFunctionStarted",
                                                    "LambdaFunctionFailed", "LambdaFunctionScheduled",
                                                    "LambdaFunctionStarted", "LambdaFunctionSucceeded"]
        assert scheduled_times(ex, "LambdaFunctionScheduled") == [0, 5]


class TestJitter:
    RETRY = [{"ErrorEquals": ["E"], "IntervalSeconds": 100, "BackoffRate": 2, "MaxAttempts": 3,
              "JitterStrategy": "FULL"}]

    def delays(self, seed):
        ex = run(task_with(self.RETRY), {}, resources={SNS: Flaky("E", "E", "E")}, seed=seed)
        times = scheduled_times(ex)
        return [b - a for a, b in pairwise(times)]

    def test_full_jitter_is_within_backoff_and_reproducible(self):
        first = self.delays(seed=7)
        assert len(first) == 3
        for delay, ceiling in zip(first, [100, 200, 400], strict=True):
            assert 0 <= delay < ceiling
        assert first != [100, 200, 400]
        assert self.delays(seed=7) == first
        assert self.delays(seed=8) != first

    def test_none_jitter_is_exact(self):
        retry = [{**self.RETRY[0], "JitterStrategy": "NONE"}]
        ex = run(task_with(retry), {}, resources={SNS: Flaky("E", "E", "E")})
        assert scheduled_times(ex) == [0, 100, 300, 700]


class TestRetriers:
    def test_each_retrier_counts_its_own_attempts(self):
        flaky = Flaky("A", "B", "A", "B", "A")
        retry = [{"ErrorEquals": ["A"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 1},
                 {"ErrorEquals": ["B"], "MaxAttempts": 5, "IntervalSeconds": 10, "BackoffRate": 1}]
        ex = run(task_with(retry), {}, resources={SNS: flaky})
        # A, B, A are retried; the third A exceeds its retrier's two attempts
        assert ex.status == "FAILED"
        assert ex.error == "A"
        assert len(flaky.calls) == 5
        assert scheduled_times(ex) == [0, 1, 11, 12, 22]

    def test_first_matching_retrier_wins_even_when_exhausted(self):
        flaky = Flaky("E", "E")
        retry = [{"ErrorEquals": ["E"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]
        ex = run(task_with(retry), {}, resources={SNS: flaky})
        assert ex.error == "E"
        assert len(flaky.calls) == 2

    def test_non_matching_error_is_not_retried(self):
        flaky = Flaky("Other")
        ex = run(task_with([{"ErrorEquals": ["E"]}]), {}, resources={SNS: flaky})
        assert ex.error == "Other"
        assert len(flaky.calls) == 1

    def test_error_names_are_case_sensitive(self):
        flaky = Flaky("e")
        ex = run(task_with([{"ErrorEquals": ["E"]}]), {}, resources={SNS: flaky})
        assert ex.error == "e"
        assert len(flaky.calls) == 1

    def test_retry_then_catch(self):
        flaky = Flaky("E", "E", "E")
        ex = run(task_with([{"ErrorEquals": ["E"], "MaxAttempts": 2}],
                           [{"ErrorEquals": ["E"], "Next": "Caught"}]), {"in": 1}, resources={SNS: flaky})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"Error": "E", "Cause": "cause of E"}
        assert len(flaky.calls) == 3
        assert types(ex)[-5:] == ["TaskFailed", "TaskStateExited", "PassStateEntered", "PassStateExited",
                                  "ExecutionSucceeded"]
        assert parsed(details(event(ex, "PassStateEntered"))["input"]) == ex.output
        assert details(event(ex, "PassStateEntered"))["name"] == "Caught"

    def test_retry_count_and_entered_time_in_context(self):
        seen = []

        def handler(params):
            seen.append(params)
            if len(seen) < 3:
                raise StatesError("E", "again")
            return "ok"
        definition = task_with([{"ErrorEquals": ["E"], "IntervalSeconds": 30}],
                               Parameters={"n.$": "$$.State.RetryCount", "t.$": "$$.State.EnteredTime",
                                           "s.$": "$$.State.Name"})
        ex = run(definition, {}, resources={SNS: handler})
        assert ex.output == "ok"
        assert [p["n"] for p in seen] == [0, 1, 2]
        # EnteredTime is the state's, not the attempt's
        assert {p["t"] for p in seen} == {"2025-01-01T00:00:00.000Z"}
        assert {p["s"] for p in seen} == {"T"}
        assert scheduled_times(ex) == [0, 30, 90]

    def test_retry_count_resets_for_next_state(self):
        seen = []

        def handler(params):
            seen.append(params)
            if len(seen) == 1:
                raise StatesError("E")
            return params
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": SNS, "Parameters": {"n.$": "$$.State.RetryCount"},
                  "Retry": [{"ErrorEquals": ["E"]}], "Next": "B"},
            "B": {"Type": "Task", "Resource": SNS, "Parameters": {"n.$": "$$.State.RetryCount"}, "End": True}}}
        ex = run(definition, {}, resources={SNS: handler})
        assert [p["n"] for p in seen] == [0, 1, 0]
        assert ex.output == {"n": 0}


class TestCatch:
    def test_default_result_path_replaces_input(self):
        ex = run(task_with(catch=[{"ErrorEquals": ["E"], "Next": "Caught"}]), {"in": 1},
                 resources={SNS: Flaky("E")})
        assert ex.output == {"Error": "E", "Cause": "cause of E"}

    def test_result_path_merges_error(self):
        ex = run(task_with(catch=[{"ErrorEquals": ["E"], "ResultPath": "$.error", "Next": "Caught"}]),
                 {"in": 1}, resources={SNS: Flaky("E")})
        assert ex.output == {"in": 1, "error": {"Error": "E", "Cause": "cause of E"}}
        assert parsed(details(event(ex, "TaskStateExited"))["output"]) == ex.output

    def test_result_path_null_keeps_input(self):
        ex = run(task_with(catch=[{"ErrorEquals": ["E"], "ResultPath": None, "Next": "Caught"}]), {"in": 1},
                 resources={SNS: Flaky("E")})
        assert ex.output == {"in": 1}

    def test_catch_uses_raw_input_not_input_path(self):
        ex = run(task_with(catch=[{"ErrorEquals": ["E"], "ResultPath": "$.e", "Next": "Caught"}],
                           InputPath="$.sub"), {"sub": {"x": 1}, "top": 2}, resources={SNS: Flaky("E")})
        assert ex.output == {"sub": {"x": 1}, "top": 2, "e": {"Error": "E", "Cause": "cause of E"}}

    def test_catch_ignores_output_path(self):
        ex = run(task_with(catch=[{"ErrorEquals": ["E"], "Next": "Caught"}], OutputPath="$.nothing"), {},
                 resources={SNS: Flaky("E")})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"Error": "E", "Cause": "cause of E"}

    def test_first_matching_catcher_wins(self):
        definition = task_with(catch=[{"ErrorEquals": ["Other"], "Next": "Done"},
                                      {"ErrorEquals": ["E"], "ResultPath": "$.by", "Next": "Caught"},
                                      {"ErrorEquals": ["States.ALL"], "Next": "Done"}])
        ex = run(definition, {}, resources={SNS: Flaky("E")})
        assert details(event(ex, "PassStateEntered"))["name"] == "Caught"

    def test_error_without_cause(self):
        def fail(params):
            raise StatesError("NoCause")
        ex = run(task_with(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]), {}, resources={SNS: fail})
        assert ex.output == {"Error": "NoCause", "Cause": None}
        assert details(event(ex, "TaskFailed")) == {"resourceType": "sns", "resource": "publish",
                                                   "error": "NoCause"}

    def test_runtime_error_is_never_caught(self):
        definition = task_with(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                               Parameters={"x.$": "$.missing"})
        ex = run(definition, {}, resources={SNS: Flaky()})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]

    def test_runtime_error_named_explicitly_is_not_caught(self):
        definition = task_with(catch=[{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}],
                               Parameters={"x.$": "$.missing"})
        ex = run(definition, {}, resources={SNS: Flaky()})
        assert ex.error == "States.Runtime"

    def test_runtime_error_is_never_retried(self):
        flaky = Flaky()
        definition = task_with([{"ErrorEquals": ["States.ALL"]}], ResultSelector={"x.$": "$.missing"})
        ex = run(definition, {}, resources={SNS: flaky})
        assert ex.error == "States.Runtime"
        assert len(flaky.calls) == 1

    def test_task_failed_does_not_match_timeout(self):
        import asyncio

        async def slow(params):
            await asyncio.sleep(10)
        definition = task_with(catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], TimeoutSeconds=1)
        ex = run(definition, {}, resources={SNS: slow})
        assert (ex.status, ex.error) == ("FAILED", "States.Timeout")

    def test_all_matches_timeout(self):
        import asyncio

        async def slow(params):
            await asyncio.sleep(10)
        definition = task_with(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], TimeoutSeconds=1)
        ex = run(definition, {}, resources={SNS: slow})
        assert ex.status == "SUCCEEDED"
        # recorded: error_handling/TestTaskServiceLambda__test_invoke_timeout (an empty cause)
        assert ex.output == {"Error": "States.Timeout", "Cause": ""}

    def test_task_failed_matches_function_errors(self):
        ex = run(task_with(catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]), {},
                 resources={SNS: Flaky("Anything.Custom")})
        assert ex.output["Error"] == "Anything.Custom"

    def test_retry_on_timeout_with_task_failed_does_not_retry(self):
        import asyncio
        calls = []

        async def slow(params):
            calls.append(1)
            await asyncio.sleep(10)
        ex = run(task_with([{"ErrorEquals": ["States.TaskFailed"]}], TimeoutSeconds=1), {}, resources={SNS: slow})
        assert ex.error == "States.Timeout"
        assert len(calls) == 1


class TestDataLimitOnTaskResult:
    """A task result over 256 KiB fails the task (recorded: error_handling/TestStatesErrors__*)."""

    BIG = "a" * (257 * 1024)

    def test_lambda_arn_result_caught_by_name(self):
        definition = {"StartAt": "InvokeLambda", "States": {
            "InvokeLambda": {"Type": "Task", "Resource": fn_arn("f"), "Next": "ProcessResult",
                             "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Handle"},
                                       {"ErrorEquals": ["States.ALL"], "Next": "General"}]},
            "ProcessResult": {"Type": "Pass", "End": True}, "Handle": {"Type": "Pass", "End": True},
            "General": {"Type": "Pass", "End": True}}}
        ex = run(definition, {}, resources={"f": lambda e: self.BIG})
        cause = (f"The state/task '{fn_arn('f')}' returned a result with a size exceeding the maximum number of "
                 "bytes service limit.")
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"Error": "States.DataLimitExceeded", "Cause": cause}
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"),
                             (3, 2, "LambdaFunctionScheduled"), (4, 3, "LambdaFunctionStarted"),
                             (5, 4, "LambdaFunctionFailed"), (6, 5, "TaskStateExited"), (7, 6, "PassStateEntered"),
                             (8, 7, "PassStateExited"), (9, 8, "ExecutionSucceeded")]
        assert details(ex.history[4]) == {"error": "States.DataLimitExceeded", "cause": cause}
        assert details(ex.history[6])["name"] == "Handle"

    def test_lambda_invoke_result_caught_by_states_all(self):
        definition = {"StartAt": "InvokeLambda", "States": {
            "InvokeLambda": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                             "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"},
                             "Next": "ProcessResult", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "General"}]},
            "ProcessResult": {"Type": "Pass", "End": True}, "General": {"Type": "Pass", "End": True}}}
        ex = run(definition, {"FunctionName": "f", "Payload": None}, resources={"f": lambda e: self.BIG})
        cause = ("The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes "
                 "service limit.")
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"Error": "States.DataLimitExceeded", "Cause": cause}
        assert types(ex)[2:6] == ["TaskScheduled", "TaskStarted", "TaskFailed", "TaskStateExited"]
        assert details(ex.history[4]) == {"resourceType": "lambda", "resource": "invoke",
                                          "error": "States.DataLimitExceeded", "cause": cause}

    def test_uncaught_fails_execution(self):
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": lambda e: self.BIG})
        assert ex.error == "States.DataLimitExceeded"
        assert types(ex)[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]

    def test_lifted_with_payload_limit_none(self):
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": lambda e: self.BIG}, payload_limit=None)
        assert ex.status == "SUCCEEDED"
        assert ex.output == self.BIG


class TestMatchingRules:
    @pytest.mark.parametrize(("equals", "error", "expected"), [
        (("States.ALL",), "Custom", True),
        (("States.ALL",), "States.Timeout", True),
        (("States.ALL",), "States.TaskFailed", True),
        (("States.ALL",), "States.Runtime", False),
        (("States.Runtime",), "States.Runtime", False),
        (("States.TaskFailed",), "Custom", True),
        (("States.TaskFailed",), "States.Timeout", False),
        (("States.TaskFailed",), "States.HeartbeatTimeout", True),
        (("States.TaskFailed",), "States.Runtime", False),
        (("States.Timeout",), "States.Timeout", True),
        (("A", "B"), "B", True),
        (("A", "B"), "C", False),
        (("Custom",), "custom", False),
    ])
    def test_matches(self, equals, error, expected):
        assert matches(equals, error) is expected
