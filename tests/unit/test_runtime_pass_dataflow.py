"""JSONPath data flow through Pass, Succeed and Fail: InputPath, Parameters, Result, ResultPath, OutputPath."""

from __future__ import annotations

import pytest
from runtime_helpers import assert_well_formed, chain, details, parsed, run, types


def pass_machine(**fields):
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, **fields}}}


class TestPassResult:
    def test_no_fields_passes_input_through(self):
        ex = run(pass_machine(), {"a": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"a": 1}

    def test_result_replaces_input(self):
        ex = run(pass_machine(Result={"x": [1, 2]}), {"a": 1})
        assert ex.output == {"x": [1, 2]}

    @pytest.mark.parametrize("result", ["text", 0, 1.5, True, None, [], {}])
    def test_result_of_any_json_type(self, result):
        ex = run(pass_machine(Result=result), {"a": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output == result

    def test_result_with_dollar_keys_is_not_evaluated(self):
        # Result is a literal: a "key.$" there is just a key.
        ex = run(pass_machine(Result={"k.$": "$.a"}), {"a": 1})
        assert ex.output == {"k.$": "$.a"}

    def test_result_path_merges_under_field(self):
        ex = run(pass_machine(Result="r", ResultPath="$.res"), {"a": 1})
        assert ex.output == {"a": 1, "res": "r"}

    def test_result_path_creates_nested_objects(self):
        ex = run(pass_machine(Result=7, ResultPath="$.x.y.z"), {"a": 1})
        assert ex.output == {"a": 1, "x": {"y": {"z": 7}}}

    def test_result_path_overwrites_existing_field(self):
        ex = run(pass_machine(Result={"new": True}, ResultPath="$.a"), {"a": {"old": True}, "b": 2})
        assert ex.output == {"a": {"new": True}, "b": 2}

    def test_result_path_into_existing_nested_object_keeps_siblings(self):
        ex = run(pass_machine(Result=1, ResultPath="$.a.c"), {"a": {"b": 0}})
        assert ex.output == {"a": {"b": 0, "c": 1}}

    def test_result_path_null_discards_result(self):
        ex = run(pass_machine(Result={"x": 1}, ResultPath=None), {"a": 1})
        assert ex.output == {"a": 1}

    def test_result_path_dollar_replaces(self):
        ex = run(pass_machine(Result={"x": 1}, ResultPath="$"), {"a": 1})
        assert ex.output == {"x": 1}

    def test_result_path_on_non_object_input_fails(self):
        ex = run(pass_machine(Result=1, ResultPath="$.a"), '"just a string"')
        # AWS names this States.ReferencePathConflict (not the spec's States.ResultPathMatchFailure)
        assert ex.status == "FAILED"
        assert ex.error == "States.ReferencePathConflict"
        assert ex.cause.endswith("Unable to apply ReferencePath $.a to input \"just a string\"")

    def test_input_is_not_mutated_by_result_path(self):
        data = {"a": {"b": 1}}
        ex = run(pass_machine(Result=2, ResultPath="$.a.c"), data)
        assert ex.output == {"a": {"b": 1, "c": 2}}
        assert data == {"a": {"b": 1}}
        assert ex.input == {"a": {"b": 1}}


class TestPassParameters:
    def test_parameters_static_and_paths(self):
        ex = run(pass_machine(Parameters={"static": "s", "fromInput.$": "$.a.b", "nested": {"n.$": "$.c"}}),
                 {"a": {"b": [1, 2]}, "c": "see"})
        assert ex.output == {"static": "s", "fromInput": [1, 2], "nested": {"n": "see"}}

    def test_parameters_context_object(self):
        ex = run(pass_machine(Parameters={"state.$": "$$.State.Name", "sm.$": "$$.StateMachine.Name"}),
                 sm_name="machine1")
        assert ex.output == {"state": "P", "sm": "machine1"}

    def test_parameters_intrinsic(self):
        ex = run(pass_machine(Parameters={"msg.$": "States.Format('Hello, {}!', $.who)"}), {"who": "world"})
        assert ex.output == {"msg": "Hello, world!"}

    def test_parameters_then_result_path(self):
        ex = run(pass_machine(Parameters={"v.$": "$.a"}, ResultPath="$.p"), {"a": 1})
        assert ex.output == {"a": 1, "p": {"v": 1}}

    def test_parameters_apply_after_input_path(self):
        ex = run(pass_machine(InputPath="$.inner", Parameters={"v.$": "$.x"}), {"inner": {"x": 5}, "x": 0})
        assert ex.output == {"v": 5}

    def test_result_path_merges_into_raw_input_not_input_path(self):
        ex = run(pass_machine(InputPath="$.inner", ResultPath="$.copy"), {"inner": {"x": 5}, "y": 1})
        assert ex.output == {"inner": {"x": 5}, "y": 1, "copy": {"x": 5}}

    def test_parameters_missing_path_fails_with_aws_cause(self):
        ex = run(pass_machine(Parameters={"v.$": "$.missing"}), {"a": 1})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'P' (entered at the event id #2). "
                            "The JSONPath '$.missing' specified for the field 'v.$' could not be found in "
                            "the input '{\"a\":1}'")


class TestInputOutputPath:
    def test_input_path_selects(self):
        ex = run(pass_machine(InputPath="$.a"), {"a": {"b": 1}, "c": 2})
        assert ex.output == {"b": 1}

    def test_input_path_null_gives_empty_object(self):
        ex = run(pass_machine(InputPath=None), {"a": 1})
        assert ex.output == {}

    def test_output_path_selects(self):
        ex = run(pass_machine(Result={"x": {"y": 3}, "z": 0}, OutputPath="$.x"), {})
        assert ex.output == {"y": 3}

    def test_output_path_null_gives_empty_object(self):
        ex = run(pass_machine(Result={"x": 1}, OutputPath=None), {"a": 1})
        assert ex.output == {}

    def test_output_path_applies_after_result_path(self):
        ex = run(pass_machine(Result=9, ResultPath="$.r", OutputPath="$.r"), {"a": 1})
        assert ex.output == 9

    def test_input_path_to_array_element(self):
        ex = run(pass_machine(InputPath="$.items[1]"), {"items": ["a", "b", "c"]})
        assert ex.output == "b"

    def test_input_path_missing_fails_with_aws_cause(self):
        ex = run(pass_machine(InputPath="$.missing"), {"a": 1})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'P' (entered at the event id #2). "
                            "Invalid path '$.missing' : No results for path: $['missing']")
        # the failing state never exits
        assert types(ex) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]

    def test_output_path_missing_fails(self):
        ex = run(pass_machine(OutputPath="$.nope"), {"a": 1})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause.endswith("Invalid path '$.nope' : No results for path: $['nope']")

    def test_input_path_context_object(self):
        ex = run(pass_machine(InputPath="$$.Execution.Input"), {"a": 1})
        assert ex.output == {"a": 1}


class TestPassHistory:
    def test_two_pass_states_history(self):
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "End": True}}}
        ex = run(definition, {"in": True})
        assert_well_formed(ex)
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "PassStateEntered"), (3, 2, "PassStateExited"),
                             (4, 3, "PassStateEntered"), (5, 4, "PassStateExited"), (6, 5, "ExecutionSucceeded")]
        h = ex.history
        assert details(h[0])["input"] == '{"in":true}'
        assert details(h[0])["inputDetails"] == {"truncated": False}
        assert details(h[0])["roleArn"] == "arn:aws:iam::111111111111:role/StepFunctions-m-role"
        assert details(h[1]) == {"name": "A", "input": '{"in":true}', "inputDetails": {"truncated": False}}
        assert details(h[2]) == {"name": "A", "output": '{"in":true,"a":{"r":1}}',
                                 "outputDetails": {"truncated": False}}
        assert parsed(details(h[5])["output"]) == {"in": True, "a": {"r": 1}}
        assert details(h[5])["outputDetails"] == {"truncated": False}
        assert ex.output_json == '{"in":true,"a":{"r":1}}'

    def test_history_json_keeps_unicode(self):
        ex = run(pass_machine(Result={"s": "héllo ✓"}))
        assert details(ex.history[-1])["output"] == '{"s":"héllo ✓"}'


class TestSucceed:
    def test_succeed_passes_input_and_events(self):
        ex = run({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}, {"a": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"a": 1}
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "SucceedStateEntered"),
                             (3, 2, "SucceedStateExited"), (4, 3, "ExecutionSucceeded")]

    def test_succeed_input_and_output_path(self):
        ex = run({"StartAt": "S", "States": {"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}},
                 {"a": {"b": 42}})
        assert ex.output == 42


class TestFail:
    def test_error_and_cause(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "MyError", "Cause": "it broke"}}},
                 {"a": 1})
        assert (ex.status, ex.error, ex.cause, ex.output) == ("FAILED", "MyError", "it broke", None)
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "FailStateEntered"), (3, 2, "ExecutionFailed")]
        assert details(ex.history[-1]) == {"error": "MyError", "cause": "it broke"}

    def test_no_error_no_cause(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail"}}})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", None, None)
        assert details(ex.history[-1]) == {}

    def test_error_only(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
        assert (ex.error, ex.cause) == ("E", None)
        assert details(ex.history[-1]) == {"error": "E"}

    def test_error_path_and_cause_path(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c.text"}}},
                 {"e": "Dyn", "c": {"text": "dynamic cause"}})
        assert (ex.error, ex.cause) == ("Dyn", "dynamic cause")

    def test_error_path_from_context(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$$.State.Name",
                                                   "CausePath": "$$.StateMachine.Name"}}}, sm_name="sm1")
        assert (ex.error, ex.cause) == ("F", "sm1")

    def test_states_format_intrinsic(self):
        # recorded: base/TestSnfBase__test_state_fail_intrinsic
        definition = {"StartAt": "FailState", "States": {"FailState": {
            "Type": "Fail", "ErrorPath": "States.Format('{}', $.Error)",
            "CausePath": "States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)"}}}
        ex = run(definition, {"Error": "error string", "Cause": "cause string"})
        assert ex.error == "error string"
        assert ex.cause == "This is a custom error message for error string, caused by cause string."
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "FailStateEntered"), (3, 2, "ExecutionFailed")]

    def test_error_path_missing_is_runtime_error(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.nope"}}}, {"a": 1})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'F' (entered at the event id #2). "
                            "The ErrorPath parameter does not reference a valid JSONPath: $.nope")

    def test_cause_path_not_a_string_is_runtime_error(self):
        ex = run({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "CausePath": "$.n"}}}, {"n": 1})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'F' (entered at the event id #2). "
                            "The CausePath parameter does not reference a valid string: $.n")

    def test_fail_after_other_states_reports_entered_id(self):
        definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "F"},
                                                 "F": {"Type": "Fail", "ErrorPath": "$.missing"}}}
        ex = run(definition)
        assert ex.cause.startswith("An error occurred while executing the state 'F' (entered at the event id #4).")
        assert chain(ex)[-1] == (5, 4, "ExecutionFailed")
