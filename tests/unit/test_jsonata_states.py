"""JSONata states end to end: every field that takes an expression, ``$states``, and the failure shape.

The expected histories follow recordings in ``../shared/conformance/sfn``
(evaluate_jsonata, outputdecl, assign); the rest pins behaviour the docs give.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from asl_engine import StateMachine, VirtualClock

FN = "arn:aws:lambda:us-east-1:111111111111:function:f"


def run(definition: dict, input: Any = None, **kwargs: Any):
    return StateMachine({"QueryLanguage": "JSONata", **definition}).run(
        {} if input is None else input, clock=VirtualClock(), **kwargs)


def one(state: dict, input: Any = None, **kwargs: Any):
    return run({"StartAt": "S", "States": {"S": {"End": True, **state}}}, input, **kwargs)


def events(ex, event_type: str) -> list[dict]:
    return [e for e in ex.history if e["type"] == event_type]


def details(e: dict) -> dict:
    return next(v for k, v in e.items() if k.endswith("EventDetails"))


class TestOutput:
    def test_templates_at_any_depth_and_literals_as_they_are(self):
        ex = one({"Type": "Pass", "Output": [None, "$.x", "$var", "{% $states.input.a %}",
                                            {"k": ["{% $states.input.a + 1 %}", "{%x%} "]}]}, {"a": 1})
        assert ex.output == [None, "$.x", "$var", 1, {"k": [2, "{%x%} "]}]

    @pytest.mark.parametrize("output", [None, 0, 0.1, "text", [], {}])
    def test_any_json_value_is_a_literal_output(self, output):
        assert one({"Type": "Pass", "Output": output}, {"a": 1}).output == output

    def test_without_output_a_pass_passes_its_input(self):
        assert one({"Type": "Pass"}, {"a": 1}).output == {"a": 1}

    def test_states_context_is_the_context_object(self):
        ex = one({"Type": "Pass", "Output": "{% $states.context.State.Name & ':' & $states.context.Execution.Name %}"},
                 name="run1")
        assert ex.output == "S:run1"


class TestTask:
    def test_arguments_result_and_output(self):
        ex = one({"Type": "Task", "Resource": FN, "Arguments": {"n": "{% $states.input.n * 2 %}"},
                  "TimeoutSeconds": "{% $states.input.n + 9 %}",
                  "Output": {"got": "{% $states.result.n %}", "in": "{% $states.input %}"}},
                 {"n": 1}, resources={FN: lambda event: event})
        assert ex.output == {"got": 2, "in": {"n": 1}}
        assert details(events(ex, "LambdaFunctionScheduled")[0])["timeoutInSeconds"] == 10

    def test_catch_output_sees_error_output_and_catch_assign_replaces_the_states(self):
        def fail(event):
            raise ValueError("boom")

        ex = run({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": FN, "Assign": {"never": 1}, "Next": "Done",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done",
                             "Output": {"error": "{% $states.errorOutput.Error %}", "in": "{% $states.input %}"},
                             "Assign": {"caught": "{% $states.errorOutput.Error %}"}}]},
            "Done": {"Type": "Pass", "Output": {"out": "{% $states.input %}", "var": "{% $caught %}"}, "End": True}}},
            {"a": 1}, resources={FN: fail})
        assert ex.output == {"out": {"error": "ValueError", "in": {"a": 1}}, "var": "ValueError"}
        exited = details(events(ex, "TaskStateExited")[0])
        assert exited["assignedVariables"] == {"caught": '"ValueError"'}

    def test_catch_without_output_passes_the_error_output(self):
        def fail(event):
            raise ValueError("boom")

        ex = run({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": FN, "End": True,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
            "Done": {"Type": "Succeed"}}}, resources={FN: fail})
        assert ex.output["Error"] == "ValueError"


class TestChoice:
    def definition(self) -> dict:
        return {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Assign": {"path": "default", "seen": "{% $states.input.n %}"},
                  "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Done",
                               "Assign": {"path": "rule"}, "Output": {"big": "{% $states.input.n %}"}}],
                  "Default": "Done"},
            "Done": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "path": "{% $path %}",
                                                "seen": "{% $seen %}"}, "End": True}}}

    def test_a_matched_rule_assign_joins_the_states_and_its_output_replaces_it(self):
        assert run(self.definition(), {"n": 2}).output == {"in": {"big": 2}, "path": "rule", "seen": 2}

    def test_default_uses_the_state_level_assign(self):
        assert run(self.definition(), {"n": 0}).output == {"in": {"n": 0}, "path": "default", "seen": 0}

    def test_a_condition_that_is_not_boolean_fails_the_state(self):
        ex = run({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "D"}]},
            "D": {"Type": "Succeed"}}}, {"n": 1})
        assert ex.error == "States.QueryEvaluationError"
        assert ex.cause.endswith("The JSONata expression '$states.input.n' specified for the field 'Condition' "
                                 "returned an unexpected result type. Expected 'boolean', but was 'number' for "
                                 "value: 1")


class TestMap:
    def test_items_item_selector_and_max_concurrency_expressions(self):
        ex = one({"Type": "Map", "Items": "{% $states.input.xs %}", "MaxConcurrency": "{% 1 %}",
                  "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}",
                                   "i": "{% $states.context.Map.Item.Index %}", "k": "{% $states.input.k %}"},
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                  "Output": "{% $states.result.v %}"}, {"xs": ["a", "b"], "k": 7})
        assert ex.output == ["a", "b"]
        assert [json.loads(details(e)["input"]) for e in events(ex, "PassStateEntered")] == [
            {"v": "a", "i": 0, "k": 7}, {"v": "b", "i": 1, "k": 7}]

    def test_literal_items(self):
        ex = one({"Type": "Map", "Items": [1, "{% 1 + 1 %}"],
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}})
        assert ex.output == [1, 2]

    def test_items_that_are_not_an_array_fail(self):
        ex = one({"Type": "Map", "Items": "{% $states.input %}",
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}, {"a": 1})
        assert ex.error == "States.QueryEvaluationError"
        assert "field 'Items' returned an unexpected result type. Expected 'array', but was 'object'" in ex.cause


class TestParallelWaitFail:
    def test_parallel_arguments_and_result(self):
        ex = one({"Type": "Parallel", "Arguments": {"v": "{% $states.input.a %}"},
                  "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass",
                                                                   "Output": "{% $states.input.v + 1 %}",
                                                                   "End": True}}}],
                  "Output": "{% $states.result[0] %}"}, {"a": 1})
        assert ex.output == 2

    def test_wait_seconds_and_timestamp_expressions(self):
        start = datetime(2025, 1, 1, tzinfo=UTC)
        clock = VirtualClock(start)
        ex = StateMachine({"QueryLanguage": "JSONata", "StartAt": "W1", "States": {
            "W1": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "W2"},
            "W2": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": True}}}).run(
            {"s": 5, "t": "2999-01-01T00:00:00Z"}, clock=clock)
        assert ex.status == "SUCCEEDED"
        assert (events(ex, "WaitStateExited")[0]["timestamp"] - start).total_seconds() == 5
        assert ex.stop_date.year == 2999

    def test_fail_error_and_cause_expressions(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "{% 'E.' & $states.input.code %}",
                                                   "Cause": "static cause"}}}, {"code": "X"})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "E.X", "static cause")


class TestEvaluationFailed:
    def test_undefined_output_writes_evaluation_failed_after_the_event_before_the_state(self):
        ex = run({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                             "B": {"Type": "Pass", "Output": {"r": "{% $nope %}"}, "End": True}}})
        cause = ("An error occurred while executing the state 'B' (entered at the event id #4). The JSONata "
                 "expression '$nope' specified for the field 'Output/r' returned nothing (undefined).")
        failed = ex.history[-2]
        assert failed["type"] == "EvaluationFailed"
        assert failed["previousEventId"] == 3
        assert failed["evaluationFailedEventDetails"] == {"error": "States.QueryEvaluationError", "cause": cause,
                                                          "location": "Output/r", "state": "B"}
        assert ex.history[-1]["previousEventId"] == failed["id"]
        assert (ex.error, ex.cause) == ("States.QueryEvaluationError", cause)

    def test_a_function_error_quotes_the_engine(self):
        ex = one({"Type": "Pass", "Output": "{% $notAFunction(1) %}"})
        assert ex.cause.endswith("threw an error during evaluation. T1006: Attempted to invoke a non-function")

    def test_written_once_when_it_ends_a_map_iteration(self):
        ex = one({"Type": "Map", "Items": [1],
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $nope %}",
                                                                     "End": True}}}})
        assert [e["type"] for e in ex.history][-5:] == ["PassStateEntered", "EvaluationFailed",
                                                        "MapIterationFailed", "MapStateFailed", "ExecutionFailed"]
