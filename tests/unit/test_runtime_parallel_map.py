"""Parallel and Map: branch/iteration data flow, ordering, concurrency, failures, Retry/Catch, history."""

from __future__ import annotations

import asyncio

from runtime_helpers import assert_well_formed, chain, details, event, parsed, run, seconds_after_start, types

from asl_engine import StatesError

SNS = "arn:aws:states:::sns:publish"


def branch(*states, **named):
    """A branch from (name, state) pairs chained in order, or from keyword states."""
    if named:
        return {"StartAt": next(iter(named)), "States": named}
    names = [n for n, _ in states]
    built = {}
    for i, (name, state) in enumerate(states):
        state = dict(state)
        if state["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in state and "End" not in state:
            state.update({"Next": names[i + 1]} if i + 1 < len(states) else {"End": True})
        built[name] = state
    return {"StartAt": names[0], "States": built}


def parallel(*branches, **fields):
    return {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": list(branches),
                                             **fields}}}


def inline_map(processor, **fields):
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True,
                                             "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **processor},
                                             **fields}}}


def distributed_map(processor, **fields):
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **processor},
        **fields}}}


PASS = branch(("I", {"Type": "Pass"}))


async def sleep_then(seconds, value):
    await asyncio.sleep(seconds)
    return value


class TestParallel:
    def test_outputs_in_branch_order_and_history(self):
        definition = parallel(branch(("A", {"Type": "Pass", "Result": "a"})),
                              branch(("B", {"Type": "Pass", "Result": "b"}), ("B2", {"Type": "Pass"})))
        ex = run(definition, {"x": 1})
        assert ex.output == ["a", "b"]
        assert_well_formed(ex)
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "ParallelStateEntered"),
                             (3, 2, "ParallelStateStarted"),
                             (4, 3, "PassStateEntered"), (5, 4, "PassStateExited"),
                             (6, 3, "PassStateEntered"), (7, 6, "PassStateExited"),
                             (8, 7, "PassStateEntered"), (9, 8, "PassStateExited"),
                             (10, 9, "ParallelStateSucceeded"), (11, 9, "ParallelStateExited"),
                             (12, 11, "ExecutionSucceeded")]
        assert details(ex.history[2]) == {}
        assert details(ex.history[3])["input"] == '{"x":1}'
        assert details(ex.history[10]) == {"name": "P", "output": '["a","b"]', "outputDetails": {"truncated": False}}

    def test_order_is_branch_order_not_completion_order(self):
        slow, fast = (f"arn:aws:lambda:us-east-1:123456789012:function:{n}" for n in ("slow", "fast"))
        definition = parallel(branch(("S", {"Type": "Task", "Resource": slow})),
                              branch(("F", {"Type": "Task", "Resource": fast})))
        ex = run(definition, {}, resources={slow: lambda p: sleep_then(10, "slow"),
                                            fast: lambda p: sleep_then(1, "fast")})
        assert ex.output == ["slow", "fast"]
        # the branches run side by side: the Parallel ends when the slowest does
        assert seconds_after_start(event(ex, "ParallelStateExited")) == 10

    def test_every_branch_gets_parameters_output(self):
        definition = parallel(branch(("A", {"Type": "Pass", "InputPath": "$.v"})),
                              branch(("B", {"Type": "Pass"})),
                              Parameters={"v.$": "$.in", "state.$": "$$.State.Name"})
        ex = run(definition, {"in": 3})
        assert ex.output == [3, {"v": 3, "state": "P"}]

    def test_result_selector_and_result_path(self):
        definition = parallel(branch(("A", {"Type": "Pass", "Result": 1})),
                              branch(("B", {"Type": "Pass", "Result": 2})),
                              ResultSelector={"first.$": "$[0]", "second.$": "$[1]"}, ResultPath="$.res")
        ex = run(definition, {"keep": True})
        assert ex.output == {"keep": True, "res": {"first": 1, "second": 2}}

    def test_context_inside_branch(self):
        definition = parallel(branch(("Inner", {"Type": "Pass", "Parameters": {"n.$": "$$.State.Name"}})))
        assert run(definition).output == [{"n": "Inner"}]

    def test_branch_failure_propagates_branch_error(self):
        definition = parallel(branch(("A", {"Type": "Pass", "Result": "a"})),
                              branch(("B", {"Type": "Fail", "Error": "BErr", "Cause": "bc"})))
        ex = run(definition, {"x": 1})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "BErr", "bc")
        assert types(ex)[-2:] == ["ParallelStateFailed", "ExecutionFailed"]
        failed = event(ex, "ParallelStateFailed")
        assert failed["previousEventId"] == event(ex, "FailStateEntered")["id"]
        assert details(failed) == {}
        assert details(ex.history[-1]) == {"error": "BErr", "cause": "bc"}

    def test_runtime_error_in_branch_keeps_located_cause(self):
        definition = parallel(branch(("A", {"Type": "Pass", "InputPath": "$.missing"})))
        ex = run(definition, {})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'A' (entered at the event id #4). "
                            "Invalid path '$.missing' : No results for path: $['missing']")

    def test_failure_stops_other_branches(self):
        calls = []

        async def slow(params):
            await asyncio.sleep(100)
            calls.append("finished")
            return "late"
        definition = parallel(branch(("S", {"Type": "Task", "Resource": SNS})),
                              branch(("W", {"Type": "Wait", "Seconds": 1}), ("F", {"Type": "Fail", "Error": "E"})))
        ex = run(definition, {}, resources={SNS: slow})
        assert ex.error == "E"
        assert calls == []
        assert seconds_after_start(ex.history[-1]) == 1

    def test_catch_on_parallel(self):
        definition = {"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Branches": [branch(("F", {"Type": "Fail", "Error": "E", "Cause": "c"}))],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}], "Next": "Done"},
            "H": {"Type": "Pass", "End": True}, "Done": {"Type": "Succeed"}}}
        ex = run(definition, {"in": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"in": 1, "err": {"Error": "E", "Cause": "c"}}
        # recorded pattern (callback/..._SQS_PARALLEL_...): Failed, then Exited chained after it
        assert chain(ex)[3:] == [(4, 3, "FailStateEntered"), (5, 4, "ParallelStateFailed"),
                                 (6, 5, "ParallelStateExited"), (7, 6, "PassStateEntered"),
                                 (8, 7, "PassStateExited"), (9, 8, "ExecutionSucceeded")]

    def test_retry_on_parallel_reruns_all_branches(self):
        calls = {"a": 0, "b": 0}

        def count_a(p):
            calls["a"] += 1
            return "a"

        def flaky_b(p):
            calls["b"] += 1
            if calls["b"] < 3:
                raise StatesError("Flaky", "try again")
            return "b"
        a_arn, b_arn = "arn:aws:states:::athena:startQueryExecution", "arn:aws:states:::codebuild:startBuild"
        definition = parallel(branch(("A", {"Type": "Task", "Resource": a_arn})),
                              branch(("B", {"Type": "Task", "Resource": b_arn})),
                              Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 5, "BackoffRate": 1}])
        ex = run(definition, {}, resources={a_arn: count_a, b_arn: flaky_b})
        assert ex.output == ["a", "b"]
        assert calls == {"a": 3, "b": 3}
        started = [seconds_after_start(e) for e in ex.history if e["type"] == "ParallelStateStarted"]
        assert started == [0, 5, 10]
        # a retried attempt writes no ParallelStateFailed; the next ParallelStateStarted chains to the branch's
        # failure (recorded: states_variables/*PARALLEL_CATCH_ERROR_OUTPUT_WITH_RETRY)
        assert "ParallelStateFailed" not in types(ex)
        restarts = [e for e in ex.history if e["type"] == "ParallelStateStarted"][1:]
        assert [ex.history[e["previousEventId"] - 1]["type"] for e in restarts] == ["TaskFailed", "TaskFailed"]

    def test_nested_parallel(self):
        inner = {"Type": "Parallel", "Branches": [branch(("X", {"Type": "Pass", "Result": "x"})),
                                                  branch(("Y", {"Type": "Pass", "Result": "y"}))]}
        definition = parallel(branch(("Inner", inner)), branch(("Z", {"Type": "Pass", "Result": "z"})))
        ex = run(definition)
        assert ex.output == [["x", "y"], "z"]
        assert_well_formed(ex)


class TestInlineMap:
    def test_items_and_history(self):
        # recorded pattern: assign/TestAssignBase__test_base_cases_BASE_SCOPE_MAP
        ex = run(inline_map(PASS, MaxConcurrency=1), [1, 2, 3])
        assert ex.output == [1, 2, 3]
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 2, "MapStateStarted"),
                             (4, 3, "MapIterationStarted"), (5, 4, "PassStateEntered"), (6, 5, "PassStateExited"),
                             (7, 6, "MapIterationSucceeded"), (8, 6, "MapIterationStarted"),
                             (9, 8, "PassStateEntered"), (10, 9, "PassStateExited"),
                             (11, 10, "MapIterationSucceeded"), (12, 10, "MapIterationStarted"),
                             (13, 12, "PassStateEntered"), (14, 13, "PassStateExited"),
                             (15, 14, "MapIterationSucceeded"), (16, 15, "MapStateSucceeded"),
                             (17, 15, "MapStateExited"), (18, 17, "ExecutionSucceeded")]
        assert details(ex.history[2]) == {"length": 3}
        assert details(ex.history[3]) == {"name": "M", "index": 0}
        assert details(ex.history[4])["input"] == "1"
        assert details(ex.history[14]) == {"name": "M", "index": 2}
        assert details(ex.history[16])["output"] == "[1,2,3]"

    def test_items_path(self):
        ex = run(inline_map(PASS, ItemsPath="$.list"), {"list": ["a", "b"], "other": 1})
        assert ex.output == ["a", "b"]

    def test_items_path_not_an_array(self):
        ex = run(inline_map(PASS, ItemsPath="$.list"), {"list": {"not": "array"}})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause.startswith("An error occurred while executing the state 'M' (entered at the event id #2).")

    def test_empty_array(self):
        ex = run(inline_map(PASS), [])
        assert ex.output == []
        assert types(ex) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapStateSucceeded",
                             "MapStateExited", "ExecutionSucceeded"]
        assert details(event(ex, "MapStateStarted")) == {"length": 0}

    def test_item_selector_with_context(self):
        selector = {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "shared.$": "$.shared",
                    "state.$": "$$.State.Name"}
        ex = run(inline_map(PASS, ItemsPath="$.items", ItemSelector=selector),
                 {"items": ["a", {"b": 1}], "shared": 7})
        assert ex.output == [{"index": 0, "value": "a", "shared": 7, "state": "M"},
                             {"index": 1, "value": {"b": 1}, "shared": 7, "state": "M"}]
        assert parsed(details(event(ex, "PassStateEntered", 1))["input"]) == ex.output[1]

    def test_legacy_iterator_and_parameters(self):
        definition = {"StartAt": "M", "States": {"M": {
            "Type": "Map", "End": True, "ItemsPath": "$.items",
            "Parameters": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
            "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}}
        ex = run(definition, {"items": [10, 20]})
        assert ex.output == [{"i": 0, "v": 10}, {"i": 1, "v": 20}]

    def test_map_item_in_iteration_states(self):
        processor = branch(("I", {"Type": "Pass", "Parameters": {"idx.$": "$$.Map.Item.Index"}}))
        ex = run(inline_map(processor), ["x", "y"])
        assert ex.output == [{"idx": 0}, {"idx": 1}]

    def test_result_selector_result_path_output_path(self):
        ex = run(inline_map(PASS, ItemsPath="$.items", ResultSelector={"all.$": "$", "first.$": "$[0]"},
                            ResultPath="$.out", OutputPath="$.out"), {"items": [4, 5]})
        assert ex.output == {"all": [4, 5], "first": 4}

    def test_order_kept_and_concurrency_limited(self):
        running, peak = [0], [0]

        async def work(item):
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            await asyncio.sleep(10 - item)
            running[0] -= 1
            return item * 10
        processor = branch(("T", {"Type": "Task", "Resource": SNS}))
        ex = run(inline_map(processor, MaxConcurrency=2), [1, 2, 3, 4], resources={SNS: work})
        assert ex.output == [10, 20, 30, 40]
        assert peak[0] == 2
        # items 1+2 start at 0 (end at 9 and 8), 3 starts at 8 (ends 15), 4 starts at 9 (ends 15)
        assert seconds_after_start(event(ex, "MapStateExited")) == 15
        assert_well_formed(ex)

    def test_max_concurrency_zero_runs_all_at_once(self):
        processor = branch(("T", {"Type": "Task", "Resource": SNS}))
        ex = run(inline_map(processor, MaxConcurrency=0), list(range(10)),
                 resources={SNS: lambda i: sleep_then(5, i)})
        assert ex.output == list(range(10))
        assert seconds_after_start(event(ex, "MapStateExited")) == 5

    def test_max_concurrency_path(self):
        processor = branch(("T", {"Type": "Task", "Resource": SNS}))
        ex = run(inline_map(processor, ItemsPath="$.items", MaxConcurrencyPath="$.mc"),
                 {"items": [1, 1, 1, 1], "mc": 1}, resources={SNS: lambda i: sleep_then(5, i)})
        assert seconds_after_start(event(ex, "MapStateExited")) == 20

    def test_iteration_failure(self):
        # recorded pattern: states_variables/..._MAP_CATCH_ERROR_OUTPUT_WITH_RETRY
        processor = branch(("F", {"Type": "Fail", "Error": "E", "Cause": "c"}))
        ex = run(inline_map(processor, MaxConcurrency=1), [1, 2])
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "E", "c")
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 2, "MapStateStarted"),
                             (4, 3, "MapIterationStarted"), (5, 4, "FailStateEntered"),
                             (6, 5, "MapIterationFailed"), (7, 5, "MapStateFailed"), (8, 7, "ExecutionFailed")]
        assert details(ex.history[5]) == {"name": "M", "index": 0}

    def test_catch_on_map(self):
        definition = {"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **branch(
                ("C", {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
                       "Default": "S"}), ("F", {"Type": "Fail", "Error": "Two"}), ("S", {"Type": "Succeed"}))},
                  "ItemsPath": "$.items", "MaxConcurrency": 1,
                  "Catch": [{"ErrorEquals": ["Two"], "ResultPath": "$.error", "Next": "H"}], "End": True},
            "H": {"Type": "Pass", "End": True}}}
        ex = run(definition, {"items": [1, 2, 3]})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"items": [1, 2, 3], "error": {"Error": "Two", "Cause": None}}
        assert "MapIterationSucceeded" in types(ex)
        assert types(ex)[-6:] == ["MapIterationFailed", "MapStateFailed", "MapStateExited", "PassStateEntered",
                                  "PassStateExited", "ExecutionSucceeded"]

    def test_retry_on_map(self):
        calls = []

        def flaky(item):
            calls.append(item)
            if len(calls) == 1:
                raise StatesError("Flaky")
            return item
        processor = branch(("T", {"Type": "Task", "Resource": SNS}))
        ex = run(inline_map(processor, MaxConcurrency=1, Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 3}]),
                 [1, 2], resources={SNS: flaky})
        assert ex.output == [1, 2]
        assert calls == [1, 1, 2]
        assert [seconds_after_start(e) for e in ex.history if e["type"] == "MapStateStarted"] == [0, 3]

    def test_nested_map(self):
        inner = {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **PASS}}
        ex = run(inline_map(branch(("Inner", inner))), [[1, 2], [3]])
        assert ex.output == [[1, 2], [3]]
        assert_well_formed(ex)


class TestDistributedMap:
    CHOOSE = branch(("C", {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 1, "Next": "F"}],
                           "Default": "S"}),
                    ("F", {"Type": "Fail", "Error": "TooBig", "Cause": "item too big"}),
                    ("S", {"Type": "Succeed"}))

    def test_success_history(self):
        # recorded pattern: local_mocking/TestBaseScenarios__test_map_state_lambda
        ex = run(distributed_map(PASS), [1, 2])
        assert ex.output == [1, 2]
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 2, "MapStateStarted"),
                             (4, 3, "MapRunStarted"), (5, 4, "MapRunSucceeded"), (6, 5, "MapStateSucceeded"),
                             (7, 4, "MapStateExited"), (8, 7, "ExecutionSucceeded")]
        arn = details(ex.history[3])["mapRunArn"]
        assert arn.startswith("arn:aws:states:us-east-1:111111111111:mapRun:m/")
        assert len(ex.map_runs) == 1
        assert ex.map_runs[0]["mapRunArn"] == arn
        assert (ex.map_runs[0]["total"], ex.map_runs[0]["failures"]) == (2, 0)

    def test_child_executions_have_own_histories(self):
        ex = run(distributed_map(PASS), [1, 2])
        children = ex.map_runs[0]["executions"]
        assert len(children) == 2
        rendered = children[0].render()
        assert [e["type"] for e in rendered] == ["PassStateEntered", "PassStateExited"]

    def test_failure_without_tolerance(self):
        ex = run(distributed_map(self.CHOOSE), [1, 2, 3])
        assert ex.status == "FAILED"
        assert ex.error == "States.ExceedToleratedFailureThreshold"
        assert ex.cause == "The specified tolerated failure threshold was exceeded"
        assert types(ex) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
                             "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
        assert details(event(ex, "MapRunFailed")) == {"error": "States.ExceedToleratedFailureThreshold",
                                                     "cause": "The specified tolerated failure threshold was exceeded"}

    def test_tolerated_failure_count(self):
        ok = run(distributed_map(self.CHOOSE, ToleratedFailureCount=2), [1, 2, 3])
        assert ok.status == "SUCCEEDED"
        assert ok.output[0] == 1
        assert ok.map_runs[0]["failures"] == 2
        bad = run(distributed_map(self.CHOOSE, ToleratedFailureCount=1), [1, 2, 3])
        assert bad.error == "States.ExceedToleratedFailureThreshold"

    def test_tolerated_failure_percentage(self):
        # 2 of 4 items fail: 50 %
        assert run(distributed_map(self.CHOOSE, ToleratedFailurePercentage=50), [0, 1, 2, 3]).status == "SUCCEEDED"
        bad = run(distributed_map(self.CHOOSE, ToleratedFailurePercentage=49), [0, 1, 2, 3])
        assert bad.error == "States.ExceedToleratedFailureThreshold"

    def test_tolerated_failure_count_path(self):
        definition = distributed_map(self.CHOOSE, ItemsPath="$.items", ToleratedFailureCountPath="$.tolerate")
        assert run(definition, {"items": [1, 2], "tolerate": 1}).status == "SUCCEEDED"
        assert run(definition, {"items": [1, 2, 3], "tolerate": 1}).status == "FAILED"

    def test_threshold_error_is_catchable(self):
        definition = {"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                                       "ExecutionType": "STANDARD"}, **self.CHOOSE},
                  "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "H"}], "End": True},
            "H": {"Type": "Pass", "End": True}}}
        ex = run(definition, [5])
        assert ex.output == {"Error": "States.ExceedToleratedFailureThreshold",
                             "Cause": "The specified tolerated failure threshold was exceeded"}

    def test_item_batcher(self):
        definition = distributed_map(PASS, ItemsPath="$.items",
                                     ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"job.$": "$.job"}})
        ex = run(definition, {"items": [1, 2, 3, 4, 5], "job": "j1"})
        assert ex.output == [{"Items": [1, 2], "BatchInput": {"job": "j1"}},
                             {"Items": [3, 4], "BatchInput": {"job": "j1"}},
                             {"Items": [5], "BatchInput": {"job": "j1"}}]
        assert details(event(ex, "MapStateStarted")) == {"length": 3}

    def test_item_batcher_without_batch_input(self):
        ex = run(distributed_map(PASS, ItemBatcher={"MaxItemsPerBatch": 3}), [1, 2, 3, 4])
        assert ex.output == [{"Items": [1, 2, 3]}, {"Items": [4]}]

    def test_item_selector_in_distributed_mode(self):
        ex = run(distributed_map(PASS, ItemSelector={"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"}),
                 ["a", "b"])
        assert ex.output == [{"i": 0, "v": "a"}, {"i": 1, "v": "b"}]


class TestDistributedChildContext:
    def test_each_item_runs_as_its_own_execution_in_the_context_object(self):
        definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": True, "Parameters": {
                "input.$": "$$.Execution.Input", "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name"}}}}}}}
        ex = run(definition, [{"a": 1}, {"a": 2}])
        assert ex.status == "SUCCEEDED"
        assert [item["input"] for item in ex.output] == [{"a": 1}, {"a": 2}]
        assert len({item["id"] for item in ex.output}) == 2
        for item in ex.output:
            assert ":execution:m/" in item["id"] and item["id"].endswith(":" + item["name"])


class TestConcurrentFailures:
    @staticmethod
    async def work(item):
        if item == 2:
            await asyncio.sleep(1)
            raise StatesError("Two", "item two failed")
        await asyncio.sleep(10)
        return item

    def test_map_iteration_failure_stops_the_others(self):
        processor = branch(("T", {"Type": "Task", "Resource": SNS}))
        ex = run(inline_map(processor), [1, 2, 3], resources={SNS: self.work})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "Two", "item two failed")
        assert ex.stop_date == ex.history[0]["timestamp"].replace(second=1)
        assert_well_formed(ex)
        assert types(ex).count("MapIterationStarted") == 3
        assert "TaskSucceeded" not in types(ex)
        failed = event(ex, "MapIterationFailed")
        assert details(failed) == {"name": "M", "index": 1}
        assert failed["previousEventId"] == event(ex, "TaskFailed")["id"]
        assert types(ex)[-2:] == ["MapStateFailed", "ExecutionFailed"]

    def test_map_catch_after_concurrent_failure(self):
        definition = {"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                                                   **branch(("T", {"Type": "Task", "Resource": SNS}))},
                  "ItemsPath": "$.items",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}], "End": True},
            "H": {"Type": "Pass", "InputPath": "$.err", "End": True}}}
        ex = run(definition, {"items": [1, 2, 3]}, resources={SNS: self.work})
        assert ex.output == {"Error": "Two", "Cause": "item two failed"}
        assert_well_formed(ex)

    def test_execution_timeout_inside_parallel(self):
        definition = {"StartAt": "P", "TimeoutSeconds": 3, "States": {"P": {
            "Type": "Parallel", "End": True, "Branches": [branch(("W", {"Type": "Wait", "Seconds": 10}))]}}}
        ex = run(definition)
        assert (ex.status, ex.error) == ("TIMED_OUT", None)
        assert types(ex) == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "WaitStateEntered",
                             "ExecutionTimedOut"]
        assert seconds_after_start(ex.history[-1]) == 3

    def test_execution_timeout_inside_map(self):
        definition = {"StartAt": "M", "TimeoutSeconds": 30, "States": {"M": {
            "Type": "Map", "End": True, "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                                                          **branch(("W", {"Type": "Wait", "SecondsPath": "$"}))}}}}
        ex = run(definition, [10, 20, 40])
        assert ex.status == "TIMED_OUT"
        assert types(ex).count("MapIterationSucceeded") == 2
        assert seconds_after_start(ex.history[-1]) == 30
