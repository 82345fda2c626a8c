"""Workflow variables: Assign in both query languages, evaluation order, scopes, quotas, history.

Recorded behaviour (../shared/conformance/sfn/assign and query_language) is
pinned by the conformance run; these tests pin each rule on its own.
"""

from __future__ import annotations

from typing import Any

from asl_engine import StateMachine, VirtualClock

FN = "arn:aws:lambda:us-east-1:111111111111:function:f"


def run(definition: dict, input: Any = None, **kwargs: Any):
    return StateMachine(definition).run({} if input is None else input, clock=VirtualClock(), **kwargs)


def chain(*states: dict, language: str = "JSONPath") -> dict:
    """States S0, S1, ... run one after the other."""
    named = {f"S{i}": {**s, **({"Next": f"S{i + 1}"} if i + 1 < len(states) else {"End": True})}
             for i, s in enumerate(states)}
    return {"QueryLanguage": language, "StartAt": "S0", "States": named}


def exited(ex, name: str) -> dict:
    return next(e["stateExitedEventDetails"] for e in ex.history
                if e["type"].endswith("StateExited") and e["stateExitedEventDetails"]["name"] == name)


class TestJsonPathAssign:
    def test_constants_paths_context_and_intrinsics(self):
        ex = run(chain({"Type": "Pass", "Result": {"n": 2}, "Assign": {
            "const": {"keep": "$.literal", "list": ["$x", "{% 1 %}"]}, "fromResult.$": "$.n",
            "ctx.$": "$$.State.Name", "sum.$": "States.MathAdd($.n, 3)"}}))
        assert exited(ex, "S0")["assignedVariables"] == {
            "const": '{"keep":"$.literal","list":["$x","{% 1 %}"]}', "fromResult": "2", "ctx": '"S0"',
            "sum": "5"}
        assert exited(ex, "S0")["assignedVariablesDetails"] == {"truncated": False}

    def test_dollar_is_the_result_after_result_selector(self):
        ex = run(chain({"Type": "Task", "Resource": FN, "ResultSelector": {"picked.$": "$.v"},
                        "ResultPath": "$.r", "Assign": {"seen.$": "$"}},
                       {"Type": "Pass", "Parameters": {"seen.$": "$seen"}}),
                 {"in": 1}, resources={FN: lambda event: {"v": 7}})
        assert ex.output == {"seen": {"picked": 7}}

    def test_every_assign_reads_the_values_from_before_the_state(self):
        ex = run(chain({"Type": "Pass", "Assign": {"a": 1, "b": 2}},
                       {"Type": "Pass", "Assign": {"a.$": "$b", "b.$": "$a"}, "OutputPath": "$a"},
                       {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}}))
        assert exited(ex, "S1")["output"] == "1"  # OutputPath still saw the old a
        assert ex.output == {"a": 2, "b": 1}

    def test_a_state_without_assign_has_no_assigned_variables(self):
        ex = run(chain({"Type": "Pass"}))
        assert "assignedVariables" not in exited(ex, "S0")

    def test_a_choice_rule_assign_joins_the_states(self):
        ex = run({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Assign": {"which": "default", "input.$": "$.v"},
                  "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Assign": {"which": "rule"}, "Next": "D"}],
                  "Default": "D"},
            "D": {"Type": "Pass", "Parameters": {"which.$": "$which", "input.$": "$input"}, "End": True}}},
            {"v": 1})
        assert ex.output == {"which": "rule", "input": 1}

    def test_catch_assign_reads_the_error_output_and_replaces_the_states(self):
        def fail(event):
            raise ValueError("boom")

        ex = run({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": FN, "Assign": {"never": 1}, "End": True,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "D", "Assign": {"err.$": "$.Error"}}]},
            "D": {"Type": "Pass", "Parameters": {"err.$": "$err"}, "End": True}}}, resources={FN: fail})
        assert ex.output == {"err": "ValueError"}
        assert exited(ex, "T")["assignedVariables"] == {"err": '"ValueError"'}

    def test_a_missing_variable_fails_like_a_missing_path(self):
        ex = run(chain({"Type": "Pass", "Parameters": {"x.$": "$nothing"}}))
        assert ex.error == "States.Runtime"


class TestAcrossLanguages:
    def test_jsonpath_assigns_and_jsonata_reads_and_back(self):
        ex = run({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"y": "{% $x + 1 %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y"}, "End": True}}})
        assert ex.output == {"x": 1, "y": 2}


class TestScopes:
    def test_parallel_branches_read_outer_variables_and_assign_only_their_own(self):
        ex = run(chain(
            {"Type": "Pass", "Assign": {"x": "outer"}},
            {"Type": "Parallel", "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Assign": {"x": "inner", "mine": 1},
                                                    "Next": "B2"},
                                             "B2": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}},
                {"StartAt": "C1", "States": {"C1": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}}]},
            {"Type": "Pass", "Parameters": {"branches.$": "$", "x.$": "$x"}}))
        assert ex.output == {"branches": [{"x": "inner"}, {"x": "outer"}], "x": "outer"}

    def test_inner_assignments_are_dropped_when_the_branch_ends(self):
        ex = run(chain(
            {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Assign": {"leaked.$": "$"}, "End": True}}}},
            {"Type": "Pass", "Parameters": {"leaked.$": "$leaked"}}), {"items": [1]})
        assert ex.error == "States.Runtime"

    def test_map_iterations_each_have_their_own_scope(self):
        ex = run(chain(
            {"Type": "Pass", "Assign": {"base": 10}},
            {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "J"},
                "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $mine + $base %}", "End": True}}},
             "Assign": {"results.$": "$"}},
            {"Type": "Pass", "Parameters": {"r.$": "$results"}}), [1, 2, 3])
        assert ex.output == {"r": [11, 12, 13]}

    def test_a_distributed_map_sees_no_outer_variable(self):
        ex = run(chain(
            {"Type": "Pass", "Assign": {"x": 1}},
            {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                              "StartAt": "I", "States": {
                                                  "I": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}}}),
            [1])
        assert ex.error == "States.ExceedToleratedFailureThreshold"


class TestQuotas:
    def test_a_variable_over_256_kib_fails_the_state(self):
        # the input itself is over the quota, so lift the payload limit to reach the variable limit
        ex = run(chain({"Type": "Pass", "Assign": {"big.$": "$.s"}}), {"s": "x" * (256 * 1024)},
                 payload_limit=None)
        assert ex.error == "States.DataLimitExceeded"
        assert "'big'" in ex.cause

    def test_one_assign_over_256_kib_in_all_fails_the_state(self):
        half = "x" * (140 * 1024)
        ex = run(chain({"Type": "Pass", "Assign": {"a.$": "$.s", "b.$": "$.s"}}), {"s": half},
                 payload_limit=None)
        assert ex.error == "States.DataLimitExceeded"
