"""Execution-level behaviour: the context object, execution timeout, payload and history quotas,
determinism, bad input and invalid definitions."""

from __future__ import annotations

import json

import pytest
from runtime_helpers import START, at, chain, details, fn_arn, machine, run, seconds_after_start, types

from asl_engine import InvalidDefinition, InvalidExecutionInput, Services, StateMachine, VirtualClock

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
LIMIT = 256 * 1024
DATA_LIMIT_CAUSE = ("The state/task '{}' returned a result with a size exceeding the maximum number of bytes "
                    "service limit.")


class TestContextObject:
    def test_whole_context(self):
        # recorded shape: context_object/TestSnfBase__test_input_path
        ex = run({"StartAt": "TestState", "States": {"TestState": {"Type": "Pass", "InputPath": "$$", "End": True}}},
                 {"input-value": 0}, name="exec-1", sm_name="sm")
        assert ex.output == {
            "Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm:exec-1",
                          "Input": {"input-value": 0}, "StartTime": "2025-01-01T00:00:00.000Z", "Name": "exec-1",
                          "RoleArn": "arn:aws:iam::111111111111:role/StepFunctions-sm-role", "RedriveCount": 0},
            "StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:sm", "Name": "sm"},
            "State": {"Name": "TestState", "EnteredTime": "2025-01-01T00:00:00.000Z"}}
        assert list(ex.output["Execution"]) == ["Id", "Input", "StartTime", "Name", "RoleArn", "RedriveCount"]
        assert list(ex.output) == ["Execution", "StateMachine", "State"]

    def test_output_path_into_context(self):
        # recorded: context_object/TestSnfBase__test_output_path_.Execution.Input
        ex = run({"StartAt": "S", "States": {"S": {"Type": "Pass", "OutputPath": "$$.Execution.Input", "End": True}}},
                 {"input-value": 0})
        assert ex.output == {"input-value": 0}

    def test_entered_time_follows_the_clock(self):
        definition = {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 90, "Next": "P"},
            "P": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime",
                                                 "start.$": "$$.Execution.StartTime"}, "End": True}}}
        ex = run(definition)
        assert ex.output == {"entered": "2025-01-01T00:01:30.000Z", "start": "2025-01-01T00:00:00.000Z"}

    def test_entered_time_keeps_milliseconds(self):
        clock = VirtualClock(START.replace(microsecond=123456))
        ex = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"},
                                                   "End": True}}}, clock=clock)
        assert ex.output == {"t": "2025-01-01T00:00:00.123Z"}

    def test_state_name_and_no_retry_count_outside_retriable_states(self):
        ex = run({"StartAt": "First", "States": {"First": {"Type": "Pass", "Parameters": {"s.$": "$$.State"},
                                                           "End": True}}})
        assert list(ex.output["s"]) == ["Name", "EnteredTime"]
        assert ex.output["s"]["Name"] == "First"

    def test_retry_count_present_in_task(self):
        sns = "arn:aws:states:::sns:publish"
        ex = run({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": sns,
                                                   "Parameters": {"s.$": "$$.State"}, "End": True}}},
                 resources={sns: lambda p: p})
        assert ex.output == {"s": {"Name": "T", "EnteredTime": "2025-01-01T00:00:00.000Z", "RetryCount": 0}}

    def test_map_item_absent_outside_map(self):
        ex = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"c.$": "$$.Map"}, "End": True}}})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"

    def test_generated_execution_name_is_uuid(self):
        sm = machine(PASS, "named")
        ex = sm.run({}, clock=VirtualClock(START), services=Services(seed=3))
        assert len(ex.name) == 36
        assert ex.execution_arn == f"arn:aws:states:us-east-1:111111111111:execution:named:{ex.name}"

    def test_invalid_execution_name(self):
        with pytest.raises(ValueError, match="Invalid Name"):
            run(PASS, {}, name="has space")

    def test_express_execution_arn(self):
        ex = run(PASS, {}, type="EXPRESS", name="e1")
        assert ex.status == "SUCCEEDED"
        assert ex.execution_arn.startswith("arn:aws:states:us-east-1:111111111111:express:m:e1:")

    def test_express_has_no_redrive_count(self):
        ex = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$$.Execution", "End": True}}},
                 type="EXPRESS")
        assert "RedriveCount" not in ex.output


class TestExecutionTimeout:
    def test_timeout_seconds_times_out(self):
        # recorded: timeouts/TestTimeouts__test_global_timeout (DescribeExecution has no error/cause)
        definition = {"StartAt": "State_1", "TimeoutSeconds": 5, "States": {
            "State_1": {"Type": "Wait", "Seconds": 60, "Next": "State_2"},
            "State_2": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}
        ex = run(definition, {})
        assert (ex.status, ex.output, ex.error, ex.cause) == ("TIMED_OUT", None, None, None)
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "WaitStateEntered"), (3, 2, "ExecutionTimedOut")]
        assert seconds_after_start(ex.history[-1]) == 5
        assert ex.stop_date == at(5)

    def test_timeout_during_task(self):
        import asyncio
        sns = "arn:aws:states:::sns:publish"

        async def slow(p):
            await asyncio.sleep(3600)
        definition = {"StartAt": "T", "TimeoutSeconds": 10, "States": {
            "T": {"Type": "Task", "Resource": sns, "End": True}}}
        ex = run(definition, {}, resources={sns: slow})
        assert ex.status == "TIMED_OUT"
        assert types(ex)[-1] == "ExecutionTimedOut"
        assert ex.history[-1]["previousEventId"] == 4  # after TaskStarted
        assert seconds_after_start(ex.history[-1]) == 10

    def test_finishing_in_time(self):
        definition = {"StartAt": "W", "TimeoutSeconds": 5, "States": {"W": {"Type": "Wait", "Seconds": 4,
                                                                            "End": True}}}
        assert run(definition).status == "SUCCEEDED"


class TestPayloadQuota:
    def test_execution_input_over_256_kib_is_refused_before_starting(self):
        sm = machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        with pytest.raises(InvalidExecutionInput, match="less than or equal to 262144"):
            sm.run({"s": "x" * LIMIT}, clock=VirtualClock(START))
        assert sm.run({"s": "x" * LIMIT}, clock=VirtualClock(START), payload_limit=None).status == "SUCCEEDED"

    def test_state_output_over_256_kib(self):
        # recorded: error_handling/TestStatesErrors__test_start_large_input
        definition = {"StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "a" * LIMIT},
                                                                   "End": True}}}
        ex = run(definition, {})
        assert ex.status == "FAILED"
        assert ex.error == "States.DataLimitExceeded"
        assert ex.cause == DATA_LIMIT_CAUSE.format("State_1")
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "PassStateEntered"), (3, 2, "ExecutionFailed")]

    def test_exact_limit_is_allowed(self):
        # JSON text of a string is its characters plus two quotes
        assert run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "a" * (LIMIT - 2), "End": True}}},
                   {}).status == "SUCCEEDED"
        assert run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "a" * (LIMIT - 1), "End": True}}},
                   {}).error == "States.DataLimitExceeded"

    def test_limit_counts_utf8_bytes(self):
        text = "é" * (LIMIT // 2)  # half as many characters as the limit, but 2 bytes each
        ex = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": text, "End": True}}}, {})
        assert ex.error == "States.DataLimitExceeded"

    def test_lifted_with_payload_limit_none(self):
        big = "a" * (LIMIT * 2)
        ex = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": big, "End": True}}}, {},
                 payload_limit=None)
        assert ex.status == "SUCCEEDED"
        assert ex.output == big

    def test_custom_limit(self):
        definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x" * 200, "End": True}}}
        ex = run(definition, {}, payload_limit=100)
        assert ex.cause == DATA_LIMIT_CAUSE.format("P")

    def test_state_inside_map_over_limit(self):
        definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": "a" * LIMIT, "End": True}}}}}}
        ex = run(definition, [1])
        assert ex.error == "States.DataLimitExceeded"
        assert ex.cause == DATA_LIMIT_CAUSE.format("Big")

    def test_parameters_over_limit_fail_the_state(self):
        definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"},
                                                       "End": True}}}
        ex = run(definition, {"s": "x" * (LIMIT // 2 + 10)})
        assert ex.error == "States.DataLimitExceeded"


def counting_loop(iterations: int) -> dict:
    """A Choice loop: 4 events per iteration (Choice entered/exited, Pass entered/exited)."""
    return {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": iterations, "Next": "Inc"}],
                  "Default": "Done"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}}


class TestHistoryQuota:
    def test_standard_fails_at_25000_events(self):
        ex = run(counting_loop(10_000), {"i": 0})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert ex.cause == "The execution reached the maximum number of history events (25000)."
        assert len(ex.history) == 25_000
        last = ex.history[-1]
        assert last["type"] == "ExecutionFailed"
        assert last["previousEventId"] == 24_999
        assert details(last) == {"error": "States.Runtime", "cause": ex.cause}

    def test_just_below_the_quota_succeeds(self):
        # 1 start + 4 per iteration + Choice entered/exited + Succeed entered/exited + end
        iterations = (25_000 - 6) // 4
        ex = run(counting_loop(iterations), {"i": 0})
        assert ex.status == "SUCCEEDED"
        assert len(ex.history) == 6 + 4 * iterations <= 25_000

    def test_history_limit_none_lifts_it(self):
        ex = run(counting_loop(7_000), {"i": 0}, history_limit=None)
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"i": 7_000}
        assert len(ex.history) == 6 + 4 * 7_000

    def test_custom_history_limit(self):
        ex = run(counting_loop(100), {"i": 0}, history_limit=50)
        assert ex.error == "States.Runtime"
        assert len(ex.history) == 50

    def test_quota_reached_inside_a_map(self):
        definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 3,
                                                       "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                                                                         "StartAt": "A", "States": {
                                                                             "A": {"Type": "Pass", "End": True}}}}}}
        ex = run(definition, list(range(10_000)))
        assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
        assert len(ex.history) == 25_000
        assert ex.history[-1]["previousEventId"] == 24_999
        assert [e["id"] for e in ex.history] == list(range(1, 25_001))

    def test_express_has_no_history_quota(self):
        ex = run(counting_loop(7_000), {"i": 0}, type="EXPRESS")
        assert ex.status == "SUCCEEDED"


class TestDeterminism:
    DEFINITION = {"StartAt": "U", "States": {
        "U": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()", "r.$": "States.MathRandom(1, 1000000)"},
              "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
              "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "JitterStrategy": "FULL"}],
              "End": True}}}

    @staticmethod
    def flaky():
        calls = []

        def handler(event, context):
            calls.append(context.aws_request_id)
            if len(calls) < 3:
                raise RuntimeError("again")
            return {"event": event, "request_ids": calls}
        return handler

    def runs(self, seed):
        sm = machine(self.DEFINITION)
        return sm.run({}, clock=VirtualClock(START), resources={"f": self.flaky()}, services=Services(seed=seed))

    def test_same_seed_same_history(self):
        first, second = self.runs(11), self.runs(11)
        assert first.status == "SUCCEEDED"
        assert first.history == second.history
        assert first.output == second.output
        assert first.name == second.name

    def test_other_seed_other_ids_and_timing(self):
        first, other = self.runs(11), self.runs(12)
        assert first.output["event"]["id"] != other.output["event"]["id"]
        assert first.name != other.name
        assert [e["timestamp"] for e in first.history] != [e["timestamp"] for e in other.history]


class TestBadInput:
    def test_invalid_json_text_reports_line_and_column(self):
        with pytest.raises(InvalidExecutionInput) as info:
            run(PASS, '{"a": 1,\n "b": }')
        assert str(info.value) == "Invalid execution input: Expecting value at line 2, column 7"

    def test_invalid_json_first_character(self):
        with pytest.raises(InvalidExecutionInput, match="line 1, column 1"):
            run(PASS, "not json")

    def test_json_text_input_is_parsed(self):
        assert run(PASS, '{"a": [1, 2]}').output == {"a": [1, 2]}

    def test_python_value_input(self):
        assert run(PASS, [1, {"b": None}]).output == [1, {"b": None}]

    def test_input_recorded_in_history_as_json(self):
        ex = run(PASS, {"b": True, "a": "é"})
        assert details(ex.history[0])["input"] == '{"b":true,"a":"é"}'


class TestInvalidDefinitions:
    @pytest.mark.parametrize(("definition", "code", "location"), [
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}, "MISSING_TRANSITION_TARGET",
         "/States/A/Next"),
        ({"StartAt": "X", "States": {"A": {"Type": "Pass", "End": True}}}, "MISSING_TRANSITION_TARGET",
         "/StartAt"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Bogus": 1}}},
         "SCHEMA_VALIDATION_FAILED", "/States/A"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "InputPath": "foo"}}},
         "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}}},
         "MISSING_TRANSITION_TARGET", "/States/B"),
        ('{"StartAt": ', "INVALID_JSON_DESCRIPTION", ""),
    ])
    def test_rejected_with_diagnostics(self, definition, code, location):
        with pytest.raises(InvalidDefinition) as info:
            StateMachine(definition)
        diagnostics = info.value.diagnostics
        assert any(d.code == code and d.location == location and d.severity == "ERROR" for d in diagnostics), \
            diagnostics
        assert str(info.value).startswith("Invalid State Machine Definition: ")

    def test_validate_returns_diagnostics_without_raising(self):
        diagnostics = StateMachine.validate({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}})
        assert diagnostics
        assert diagnostics[0].to_dict() == {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET",
                                            "message": "Missing 'Next' target: B", "location": "/States/A/Next"}

    def test_valid_definition_has_no_errors(self):
        assert [d for d in StateMachine.validate(PASS) if d.severity == "ERROR"] == []

    def test_definition_from_file_and_json_text(self, tmp_path):
        path = tmp_path / "sm.asl.json"
        path.write_text(json.dumps(PASS))
        assert StateMachine(path).run({"a": 1}, clock=VirtualClock(START)).output == {"a": 1}
        assert StateMachine(json.dumps(PASS)).run({"a": 2}, clock=VirtualClock(START)).output == {"a": 2}

    def test_invalid_definition_runs_nothing(self):
        called = []
        with pytest.raises(InvalidDefinition):
            machine({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": fn_arn("f"), "Next": "Nope"}}}) \
                .run({}, resources={"f": lambda e: called.append(e)})
        assert called == []

    def test_bad_type_argument(self):
        with pytest.raises(ValueError, match="STANDARD or EXPRESS"):
            StateMachine(PASS, type="FAST")
