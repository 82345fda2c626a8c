"""Choice: every comparison operator and its Path variant, Is*, And/Or/Not, StringMatches, Default, errors."""

from __future__ import annotations

import pytest
from runtime_helpers import chain, details, run


def choose(rule: dict, input, default: bool = True):
    """Runs a Choice with one rule; returns "T" (rule held), "F" (Default) or the failed execution."""
    states = {"C": {"Type": "Choice", "Choices": [{**rule, "Next": "T"}]},
              "T": {"Type": "Pass", "Result": "T", "End": True},
              "F": {"Type": "Pass", "Result": "F", "End": True}}
    if default:
        states["C"]["Default"] = "F"
    else:
        del states["F"]
    ex = run({"StartAt": "C", "States": states}, input)
    return ex.output if ex.status == "SUCCEEDED" else ex


def var(op: str, value, operand):
    return choose({"Variable": "$.v", op: operand}, {"v": value})


def var_path(op: str, value, other):
    return choose({"Variable": "$.v", op: "$.o"}, {"v": value, "o": other})


CASES = [
    # operator, variable value, operand, expected
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "abd", False),
    ("StringEquals", 1, "1", False),
    ("StringLessThan", "abc", "abd", True),
    ("StringLessThan", "abd", "abc", False),
    ("StringLessThan", "abc", "abc", False),
    ("StringGreaterThan", "b", "a", True),
    ("StringGreaterThan", "a", "a", False),
    ("StringLessThanEquals", "a", "a", True),
    ("StringLessThanEquals", "b", "a", False),
    ("StringGreaterThanEquals", "a", "a", True),
    ("StringGreaterThanEquals", "a", "b", False),
    ("NumericEquals", 1, 1, True),
    ("NumericEquals", 1.0, 1, True),
    ("NumericEquals", 1, 2, False),
    ("NumericEquals", "1", 1, False),
    ("NumericEquals", True, 1, False),
    ("NumericEquals", None, 0, False),
    ("NumericLessThan", 1, 2, True),
    ("NumericLessThan", 2, 2, False),
    ("NumericLessThan", -1.5, -1, True),
    ("NumericGreaterThan", 3, 2.5, True),
    ("NumericGreaterThan", 2, 2, False),
    ("NumericLessThanEquals", 2, 2, True),
    ("NumericLessThanEquals", 3, 2, False),
    ("NumericGreaterThanEquals", 2, 2, True),
    ("NumericGreaterThanEquals", 1, 2, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", False, True, False),
    ("BooleanEquals", False, False, True),
    ("BooleanEquals", 1, True, False),
    ("BooleanEquals", "true", True, False),
    ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
    ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", False),
    ("TimestampEquals", "2012-10-09T21:00:55+02:00", "2012-10-09T19:00:55Z", True),
    ("TimestampEquals", "2012-10-09T19:00:55.000Z", "2012-10-09T19:00:55Z", True),
    ("TimestampEquals", "not a time", "2012-10-09T19:00:55Z", False),
    ("TimestampEquals", 1349809255, "2012-10-09T19:00:55Z", False),
    ("TimestampLessThan", "2012-10-09T19:00:54Z", "2012-10-09T19:00:55Z", True),
    ("TimestampLessThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", False),
    ("TimestampGreaterThan", "2013-01-01T00:00:00Z", "2012-10-09T19:00:55Z", True),
    ("TimestampGreaterThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", False),
    ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
    ("TimestampLessThanEquals", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", False),
    ("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
    ("TimestampGreaterThanEquals", "2012-10-09T19:00:54Z", "2012-10-09T19:00:55Z", False),
]


class TestComparisons:
    @pytest.mark.parametrize(("op", "value", "operand", "expected"), CASES)
    def test_literal_operand(self, op, value, operand, expected):
        assert var(op, value, operand) == ("T" if expected else "F")

    @pytest.mark.parametrize(("op", "value", "operand", "expected"), CASES)
    def test_path_operand(self, op, value, operand, expected):
        assert var_path(op + "Path", value, operand) == ("T" if expected else "F")

    @pytest.mark.parametrize("op", ["StringEqualsPath", "NumericLessThanPath", "BooleanEqualsPath",
                                    "TimestampEqualsPath"])
    def test_path_operand_of_wrong_type_is_false(self, op):
        assert var_path(op, "2012-10-09T19:00:55Z", {"an": "object"}) == "F"

    def test_path_operand_missing_is_runtime_error(self):
        ex = choose({"Variable": "$.v", "StringEqualsPath": "$.missing"}, {"v": "a"})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'C' (entered at the event id #2). "
                            "Invalid path '$.missing' : No results for path: $['missing']")

    def test_path_operand_from_context(self):
        assert choose({"Variable": "$.v", "StringEqualsPath": "$$.State.Name"}, {"v": "C"}) == "T"

    def test_variable_from_context(self):
        # recorded: context_object/TestSnfBase__test_variable
        assert choose({"Variable": "$$.Execution.Input.input-value", "NumericLessThanEquals": 0},
                      {"input-value": 0}) == "T"

    def test_variable_is_whole_input(self):
        assert choose({"Variable": "$", "StringEquals": "x"}, "\"x\"") == "T"


class TestStringMatches:
    @pytest.mark.parametrize(("pattern", "value", "expected"), [
        ("*.log", "app.log", True),
        ("*.log", "app.txt", False),
        ("log-*-2024", "log-abc-2024", True),
        ("log-*-2024", "log--2024", True),
        ("*", "", True),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "aXXcYYb", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
        ("\\*", "*", True),
        ("\\*", "x", False),
        ("a\\*b", "a*b", True),
        ("a\\*b", "aXb", False),
        ("a\\\\b", "a\\b", True),
        ("a\\\\*", "a\\anything", True),
        ("multi*line", "multi\nline", True),
        ("a.c", "abc", False),
        ("(x)", "(x)", True),
    ])
    def test_pattern(self, pattern, value, expected):
        assert var("StringMatches", value, pattern) == ("T" if expected else "F")

    def test_non_string_never_matches(self):
        assert var("StringMatches", 5, "*") == "F"


class TestIsOperators:
    @pytest.mark.parametrize(("op", "value", "expected"), [
        ("IsNull", None, True),
        ("IsNull", 0, False),
        ("IsNull", "", False),
        ("IsNumeric", 1, True),
        ("IsNumeric", 1.5, True),
        ("IsNumeric", "1", False),
        ("IsNumeric", True, False),
        ("IsString", "", True),
        ("IsString", 1, False),
        ("IsString", None, False),
        ("IsBoolean", False, True),
        ("IsBoolean", 0, False),
        ("IsBoolean", "true", False),
        ("IsTimestamp", "2016-03-14T01:59:00Z", True),
        ("IsTimestamp", "2016-03-14T01:59:00.123+05:30", True),
        ("IsTimestamp", "2016-03-14", False),
        ("IsTimestamp", "2016-03-14T01:59:00", False),
        ("IsTimestamp", 1457920740, False),
    ])
    def test_true_and_false_operand(self, op, value, expected):
        assert var(op, value, True) == ("T" if expected else "F")
        assert var(op, value, False) == ("F" if expected else "T")

    @pytest.mark.parametrize(("value", "expected"), [(None, True), ("", True), (0, True), ({}, True)])
    def test_is_present_on_present_values(self, value, expected):
        assert var("IsPresent", value, True) == "T"
        assert var("IsPresent", value, False) == "F"

    def test_is_present_on_missing_field(self):
        assert choose({"Variable": "$.missing", "IsPresent": True}, {}) == "F"
        assert choose({"Variable": "$.missing", "IsPresent": False}, {}) == "T"

    def test_is_null_on_missing_field_is_runtime_error(self):
        ex = choose({"Variable": "$.missing", "IsNull": True}, {})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"


class TestBooleanCombinators:
    def test_and(self):
        rule = {"And": [{"Variable": "$.a", "NumericGreaterThan": 1}, {"Variable": "$.b", "StringEquals": "x"}]}
        assert choose(rule, {"a": 2, "b": "x"}) == "T"
        assert choose(rule, {"a": 2, "b": "y"}) == "F"
        assert choose(rule, {"a": 0, "b": "x"}) == "F"

    def test_or(self):
        rule = {"Or": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.a", "NumericEquals": 2}]}
        assert choose(rule, {"a": 2}) == "T"
        assert choose(rule, {"a": 3}) == "F"

    def test_not(self):
        rule = {"Not": {"Variable": "$.a", "StringEquals": "x"}}
        assert choose(rule, {"a": "y"}) == "T"
        assert choose(rule, {"a": "x"}) == "F"

    def test_nested(self):
        rule = {"And": [{"Not": {"Variable": "$.a", "IsNull": True}},
                        {"Or": [{"Variable": "$.a", "NumericLessThan": 0},
                                {"And": [{"Variable": "$.a", "NumericGreaterThan": 10},
                                         {"Variable": "$.flag", "BooleanEquals": True}]}]}]}
        assert choose(rule, {"a": -1, "flag": False}) == "T"
        assert choose(rule, {"a": 11, "flag": True}) == "T"
        assert choose(rule, {"a": 11, "flag": False}) == "F"
        assert choose(rule, {"a": None, "flag": True}) == "F"

    def test_and_short_circuits_before_missing_variable(self):
        rule = {"And": [{"Variable": "$.a", "IsPresent": True}, {"Variable": "$.a", "NumericEquals": 1}]}
        assert choose(rule, {}) == "F"

    def test_or_short_circuits(self):
        rule = {"Or": [{"Variable": "$.a", "IsPresent": False}, {"Variable": "$.a", "NumericEquals": 1}]}
        assert choose(rule, {}) == "T"


class TestChoiceFlow:
    def test_first_matching_rule_wins(self):
        definition = {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"},
                {"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Small"}], "Default": "Other"},
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
            "Other": {"Type": "Pass", "Result": "other", "End": True}}}
        assert run(definition, {"n": 10}).output == "big"
        assert run(definition, {"n": 3}).output == "small"
        assert run(definition, {"n": -3}).output == "other"

    def test_history_and_passthrough(self):
        definition = {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "P"}],
                  "InputPath": "$.in", "OutputPath": "$.keep"},
            "P": {"Type": "Pass", "End": True}}}
        ex = run(definition, {"in": {"x": 1, "keep": {"k": True}}})
        assert ex.output == {"k": True}
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "ChoiceStateEntered"), (3, 2, "ChoiceStateExited"),
                             (4, 3, "PassStateEntered"), (5, 4, "PassStateExited"), (6, 5, "ExecutionSucceeded")]
        assert details(ex.history[2]) == {"name": "C", "output": '{"k":true}', "outputDetails": {"truncated": False}}

    def test_no_choice_matched(self):
        ex = choose({"Variable": "$.v", "StringEquals": "x"}, {"v": "y"}, default=False)
        assert ex.status == "FAILED"
        assert ex.error == "States.NoChoiceMatched"
        assert ex.cause == "No Matches!"
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "ChoiceStateEntered"), (3, 2, "ExecutionFailed")]

    def test_missing_variable_is_runtime_error(self):
        ex = choose({"Variable": "$.missing", "StringEquals": "x"}, {"v": "y"})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'C' (entered at the event id #2). "
                            "Invalid path '$.missing' : No results for path: $['missing']")
        assert [t for _, _, t in chain(ex)] == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]

    def test_loop_through_choice(self):
        definition = {"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Result": {"i": 3}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThan": 0, "Next": "Dec"}],
                      "Default": "Done"},
            "Dec": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, -1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}}}
        ex = run(definition)
        assert ex.output == {"i": 0}
        assert len(ex.history) == 1 + 2 + 4 * 2 + 3 * 2 + 2 + 1
