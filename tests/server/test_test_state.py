"""TestState through boto3 against ``asl serve``: inspection levels, statuses, retry/catch judgement, contexts.

The expectations are AWS's own answers, recorded (LocalStack's TestState
snapshot tests, recorded against AWS in 2025-11/12 and 2026-02): each case
names the recording it reproduces.  Mocks and their validation are in
``test_test_state_mocks.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE, definition, wait_for_end

HELLO = {"Value": "HelloWorld"}
NESTED = {"initialData": {"fieldFromInput": "value from input", "otherField": "other"},
          "unrelatedData": {"someOtherField": 1234}}
LAMBDA = "arn:aws:states:::lambda:invoke"


def run(sfn: Any, state: dict, input: Any = None, **kwargs: Any) -> dict:
    """TestState's response with its JSON strings (output, inspectionData values) parsed; ``roleArn=None``
    sends no role."""
    kwargs.setdefault("roleArn", ROLE)
    if kwargs["roleArn"] is None:
        del kwargs["roleArn"]
    out = sfn.test_state(definition=json.dumps(state), input=json.dumps({} if input is None else input), **kwargs)
    out.pop("ResponseMetadata")
    if "output" in out:
        out["output"] = json.loads(out["output"])
    inspection = out.get("inspectionData", {})
    for key, value in inspection.items():
        if isinstance(value, str):
            inspection[key] = json.loads(value)
    return out


def refused(sfn: Any, state: dict | str, **kwargs: Any) -> tuple[str, str]:
    """The error code and message of a request TestState refuses."""
    definition = state if isinstance(state, str) else json.dumps(state)
    with pytest.raises(ClientError) as e:
        sfn.test_state(definition=definition, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# Recorded: test_test_state_scenarios::test_base_inspection_level_{info,debug,trace}[...]
IO_PASS = {"Type": "Pass", "InputPath": "$.initialData",
           "Parameters": {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"},
           "ResultPath": "$.modifiedData", "End": True}
LEVEL_CASES = {
    "BASE_PASS_STATE": ({"Type": "Pass", "End": True}, HELLO,
                        {"output": HELLO, "status": "SUCCEEDED"},
                        {"input": HELLO, "afterInputPath": HELLO, "afterParameters": HELLO,
                         "afterResultSelector": HELLO, "afterResultPath": HELLO}),
    "BASE_RESULT_PASS_STATE": ({"Type": "Pass", "Result": {"resultKey": "result value"}, "End": True}, HELLO,
                               {"output": {"resultKey": "result value"}, "status": "SUCCEEDED"},
                               {"input": HELLO, "result": {"resultKey": "result value"},
                                "afterResultSelector": {"resultKey": "result value"},
                                "afterResultPath": {"resultKey": "result value"}}),
    "IO_PASS_STATE": (IO_PASS, NESTED,
                      {"output": {**NESTED, "modifiedData": {"staticValue": "some value",
                                                              "inputValue": "value from input"}},
                       "status": "SUCCEEDED"},
                      {"input": NESTED, "afterInputPath": NESTED["initialData"],
                       "afterParameters": {"staticValue": "some value", "inputValue": "value from input"},
                       "afterResultSelector": {"staticValue": "some value", "inputValue": "value from input"},
                       "afterResultPath": {**NESTED, "modifiedData": {"staticValue": "some value",
                                                                       "inputValue": "value from input"}}}),
    "IO_RESULT_PASS_STATE": ({**IO_PASS, "Result": {"resultKey": "result value"}}, NESTED,
                             {"output": {**NESTED, "modifiedData": {"resultKey": "result value"}},
                              "status": "SUCCEEDED"},
                             {"input": NESTED, "result": {"resultKey": "result value"},
                              "afterResultSelector": {"resultKey": "result value"},
                              "afterResultPath": {**NESTED, "modifiedData": {"resultKey": "result value"}}}),
    "BASE_FAIL_STATE": ({"Type": "Fail", "Error": "SomeFailure",
                         "Cause": "This state machines raises a 'SomeFailure' failure."}, HELLO,
                        {"error": "SomeFailure", "cause": "This state machines raises a 'SomeFailure' failure.",
                         "status": "FAILED"},
                        {"input": HELLO, "afterInputPath": HELLO}),
    "BASE_SUCCEED_STATE": ({"Type": "Succeed"}, HELLO, {"output": HELLO, "status": "SUCCEEDED"},
                           {"input": HELLO, "afterInputPath": HELLO}),
    "BASE_CHOICE_STATE": ({"Type": "Choice", "Choices": [
        {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                 {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}],
        "Default": "DefaultState"}, {"type": "Private", "value": 22},
        {"nextState": "ValueInTwenties", "output": {"type": "Private", "value": 22}, "status": "SUCCEEDED"},
        {"input": {"type": "Private", "value": 22}, "afterInputPath": {"type": "Private", "value": 22}}),
}


@pytest.mark.parametrize("case", list(LEVEL_CASES))
def test_each_inspection_level_shows_what_aws_shows(sfn, case: str) -> None:
    state, value, info, inspection = LEVEL_CASES[case]
    assert run(sfn, state, value) == info
    assert run(sfn, state, value, inspectionLevel="INFO") == info
    for level in ("DEBUG", "TRACE"):  # TRACE adds only an HTTP Task's request and response
        assert run(sfn, state, value, inspectionLevel=level) == {**info, "inspectionData": inspection}


def test_wait_returns_at_once_with_its_next_state(sfn) -> None:
    out = run(sfn, {"Type": "Wait", "Seconds": 31_536_000, "Next": "Later"}, HELLO, inspectionLevel="DEBUG")
    assert out == {"output": HELLO, "nextState": "Later", "status": "SUCCEEDED",
                   "inspectionData": {"input": HELLO, "afterInputPath": HELLO}}


# Recorded: test_test_state_scenarios::test_state_task_catch_error[INFO|DEBUG|TRACE]
CATCHING_TASK = {"QueryLanguage": "JSONata", "Type": "Task", "Resource": LAMBDA,
                 "Arguments": {"FunctionName": "foo", "Payload": "bar"},
                 "Catch": [{"ErrorEquals": ["MockException"], "Output": "{% $states %}", "Next": "HandleMockError"},
                           {"ErrorEquals": ["States.TaskFailed"], "Output": "{% $states %}",
                            "Next": "HandleThreshold"}],
                 "End": True}


@pytest.mark.parametrize(("error", "catch_index", "next_state"), [("MockException", 0, "HandleMockError"),
                                                                   ("States.TaskFailed", 1, "HandleThreshold")])
def test_a_caught_error_names_its_catcher_and_the_output_sees_states(sfn, error: str, catch_index: int,
                                                                      next_state: str) -> None:
    mock = {"errorOutput": {"error": error, "cause": "Mock the cause."}}
    out = run(sfn, CATCHING_TASK, HELLO, inspectionLevel="DEBUG", mock=mock)
    states = out.pop("output")
    assert out == {"cause": "Mock the cause.", "error": error, "nextState": next_state, "status": "CAUGHT_ERROR",
                   "inspectionData": {"afterArguments": {"FunctionName": "foo", "Payload": "bar"},
                                      "errorDetails": {"catchIndex": catch_index}, "input": HELLO}}
    assert states["input"] == HELLO
    assert states["errorOutput"] == {"Error": error, "Cause": "Mock the cause."}
    context = states["context"]
    assert re.fullmatch(r"arn:aws:states:us-east-1:\d{12}:express:[^:]+:[^:]+", context["Execution"]["Id"])
    assert context["Execution"]["Input"] == HELLO and context["Execution"]["RoleArn"] == ROLE
    assert set(context["Execution"]) == {"Id", "Input", "Name", "RoleArn", "StartTime"}
    assert context["State"]["Name"] == "StateName" and context["State"]["RetryCount"] == 0
    assert set(context["StateMachine"]) == {"Id", "Name"}


# Recorded: test_state_configuration::test_state_configuration_retrier_retry_count[DEBUG|TRACE]
RETRYING_TASK = {"QueryLanguage": "JSONata", "Type": "Task", "Resource": LAMBDA,
                 "Arguments": {"FunctionName": "foo", "Payload": "bar"},
                 "Retry": [{"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5,
                            "BackoffRate": 2.0}], "End": True}
VALUES = {"Values": ["first", "second", "third"]}
MOCK_ERROR = {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}}


def test_retrier_retry_count_decides_retriable_or_failed(sfn) -> None:
    arguments = {"FunctionName": "foo", "Payload": "bar"}
    retriable = run(sfn, RETRYING_TASK, VALUES, inspectionLevel="TRACE", mock=MOCK_ERROR,
                    stateConfiguration={"retrierRetryCount": 4})
    assert retriable == {"cause": "Mock the cause of the error.", "error": "MockException", "status": "RETRIABLE",
                         "inspectionData": {"afterArguments": arguments, "input": VALUES,
                                            "errorDetails": {"retryBackoffIntervalSeconds": 16, "retryIndex": 0}}}
    spent = run(sfn, RETRYING_TASK, VALUES, inspectionLevel="DEBUG", mock=MOCK_ERROR,
                stateConfiguration={"retrierRetryCount": 5})
    assert spent == {"cause": "Mock the cause of the error.", "error": "MockException", "status": "FAILED",
                     "inspectionData": {"afterArguments": arguments, "input": VALUES,
                                        "errorDetails": {"retryIndex": 0}}}


def test_spent_retries_fall_through_to_catch(sfn) -> None:
    task = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"},
            "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}], "Next": "Done"}
    flaky = {"errorOutput": {"error": "Flaky", "cause": "try again"}}
    assert run(sfn, task, mock=flaky)["status"] == "RETRIABLE"
    caught = run(sfn, task, {"a": 1}, mock=flaky, stateConfiguration={"retrierRetryCount": 2},
                 inspectionLevel="DEBUG")
    assert caught == {"output": {"a": 1, "error": {"Error": "Flaky", "Cause": "try again"}}, "nextState": "Recover",
                      "error": "Flaky", "cause": "try again", "status": "CAUGHT_ERROR",
                      "inspectionData": {"input": {"a": 1}, "afterInputPath": {"a": 1},
                                         "afterParameters": {"FunctionName": "f"},
                                         "errorDetails": {"retryIndex": 0, "catchIndex": 0}}}
    done = {"Payload": "done"}
    ok = run(sfn, task, {"a": 1}, mock={"result": json.dumps(done)}, inspectionLevel="DEBUG")
    assert ok == {"output": done, "nextState": "Done", "status": "SUCCEEDED",
                  "inspectionData": {"input": {"a": 1}, "afterInputPath": {"a": 1},
                                     "afterParameters": {"FunctionName": "f"}, "result": done,
                                     "afterResultSelector": done, "afterResultPath": done}}


def test_a_runtime_error_of_the_state_fails_it_with_the_located_cause(sfn) -> None:
    out = run(sfn, {"Type": "Pass", "InputPath": "$.missing", "End": True}, HELLO, inspectionLevel="DEBUG")
    assert out["status"] == "FAILED" and out["error"] == "States.Runtime"
    assert out["cause"].startswith("An error occurred while executing the state 'StateName'")
    assert out["inspectionData"] == {"input": HELLO}


# Recorded: test_test_state_machine_scenarios::test_base_state_name*[...]
MULTI = {"QueryLanguage": "JSONata", "StartAt": "State0", "States": {
    "State0": {"Type": "Pass", "Next": "State1"},
    "State1": {"Type": "Fail", "Error": "SomeFailure", "Cause": "This state machines raises a 'SomeFailure' failure."}}}
MAP_MACHINE = {"StartAt": "State0", "States": {"State0": {
    "Type": "Map", "ItemsPath": "$.Values",
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}},
    "ToleratedFailureCount": 2, "End": True}}}


def test_a_state_of_a_whole_state_machine_by_name(sfn) -> None:
    assert run(sfn, MULTI, HELLO, stateName="State0", inspectionLevel="DEBUG") == \
           {"inspectionData": {"input": HELLO}, "nextState": "State1", "output": HELLO, "status": "SUCCEEDED"}
    assert run(sfn, MULTI, HELLO, stateName="State1", inspectionLevel="TRACE") == \
           {"cause": "This state machines raises a 'SomeFailure' failure.", "error": "SomeFailure",
            "inspectionData": {"input": HELLO}, "status": "FAILED"}
    nested = run(sfn, MAP_MACHINE, HELLO, stateName="HandleItem", inspectionLevel="DEBUG")
    assert nested == {"output": HELLO, "status": "SUCCEEDED",
                      "inspectionData": {"input": HELLO, "afterInputPath": HELLO, "afterParameters": HELLO,
                                         "afterResultSelector": HELLO, "afterResultPath": HELLO}}


def test_a_state_inside_a_map_sees_the_first_item_in_its_context(sfn) -> None:
    machine = json.loads(json.dumps(MAP_MACHINE))
    machine["States"]["State0"]["ItemProcessor"]["States"]["HandleItem"]["Parameters"] = {"item.$": "$$.Map.Item"}
    out = run(sfn, machine, HELLO, stateName="HandleItem")
    assert out["output"] == {"item": {"Index": 0, "Value": HELLO}}


# Recorded: test_test_state_scenarios::test_state_with_variables[base_expressions] (AWS's context shows
# RoleArn null without a roleArn, and State.Name "StateName" whatever stateName says)
def test_variables_are_in_scope_and_shown(sfn) -> None:
    machine = {"QueryLanguage": "JSONata", "StartAt": "State0", "States": {"State0": {
        "Type": "Pass", "Output": {"ja_states_context": "{% $states.context %}",
                                   "ja_var_access": "{% $var_input_value %}",
                                   "ja_expr": "{% $sum($states.input.input_values) + $var_constant_1 %}"},
        "End": True}}}
    variables = {"var_input_value": "test_value", "var_constant_1": 10}
    out = run(sfn, machine, {"input_values": [1, 2, 3]}, stateName="State0", variables=json.dumps(variables),
              inspectionLevel="TRACE", roleArn=None)
    context = out["output"].pop("ja_states_context")
    assert out == {"output": {"ja_var_access": "test_value", "ja_expr": 16}, "status": "SUCCEEDED",
                   "inspectionData": {"input": {"input_values": [1, 2, 3]}, "variables": variables}}
    assert context["Execution"]["RoleArn"] is None
    assert set(context["State"]) == {"Name", "EnteredTime"} and context["State"]["Name"] == "StateName"


def test_assigned_variables_join_the_given_ones(sfn) -> None:
    state = {"Type": "Pass", "Assign": {"total.$": "$.n"}, "Next": "After"}
    out = run(sfn, state, {"n": 3}, variables=json.dumps({"given": True}), inspectionLevel="DEBUG")
    assert out["inspectionData"]["variables"] == {"given": True, "total": 3}
    assert "variables" not in run(sfn, {"Type": "Pass", "End": True}, inspectionLevel="DEBUG")["inspectionData"]


# Recorded: test_state_context_object::test_state_task_context_object[ALL|EXECUTION_INPUT],
# test_state_wait_task_context_object, test_state_context_object_edge_cases[EMPTY_OBJECTS]
CONTEXT = {"Execution": {"Id": "arn:aws:states:::execution:MyStateMachine:execution-name-12345",
                         "Input": {"values": ["charizard", "pikachu", "bulbasaur"]}, "Name": "execution-name-12345",
                         "RoleArn": "arn:aws:iam:::role/StepFunctionsRole", "StartTime": "2025-01-15T10:30:00.000Z"},
           "State": {"EnteredTime": "2025-01-15T10:30:01.500Z", "Name": "MyTaskState", "RetryCount": 0},
           "StateMachine": {"Id": "arn:aws:states:::stateMachine:MyStateMachine", "Name": "MyStateMachine"}}


@pytest.mark.parametrize(("path", "expected"), [("$$", CONTEXT), ("$$.Execution.Input", CONTEXT["Execution"]["Input"]),
                                                ("$$.Execution.Input.values", ["charizard", "pikachu", "bulbasaur"])])
def test_the_given_context_object_is_the_one_the_state_sees(sfn, path: str, expected: Any) -> None:
    task = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName.$": "$.FunctionName", "Payload": {
        "Input.$": "$"}}, "ResultSelector": {"ContextObjectValue.$": path, "LambdaOutput.$": "$"}, "End": True}
    value = {"FunctionName": "lambda_function_name", "Payload": {"input-value": 0}}
    out = run(sfn, task, value, inspectionLevel="TRACE", context=json.dumps(CONTEXT),
              mock={"result": json.dumps({"pokemon": ["charizard"]})})
    assert out["output"] == {"ContextObjectValue": expected, "LambdaOutput": {"pokemon": ["charizard"]}}
    assert out["inspectionData"]["afterParameters"] == {"FunctionName": "lambda_function_name",
                                                         "Payload": {"Input": value}}


def test_a_context_with_a_task_token_for_a_callback_task(sfn) -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-2.amazonaws.com/123456789012/myQueue",
                           "MessageBody": {"Message": "Hello from Step Functions!", "TaskToken.$": "$$.Task.Token"}},
            "ResultPath": "$.SQS", "Next": "NEXT_STATE"}
    out = run(sfn, task, inspectionLevel="TRACE", context=json.dumps({**CONTEXT, "Task": {"Token": "abcd123"}}),
              mock={"result": json.dumps({"pokemon": ["charizard"]})})
    assert out["output"] == {"SQS": {"pokemon": ["charizard"]}} and out["nextState"] == "NEXT_STATE"
    assert out["inspectionData"]["afterParameters"]["MessageBody"]["TaskToken"] == "abcd123"


# Recorded: test_state_context_object::test_state_context_object_validation_failures[...] and
# test_state_context_object_invalid_states[TOKEN_TASK_NOT_SYNC]
@pytest.mark.parametrize(("context", "reason"), [
    ({"Execution": {"Id": 1}}, "Execution.Id must be a string"),
    ({"Map": {}}, "'Map' field is not supported when mocking a Context object"),
    ({"Execution": {"pokemon": "squirtle"}}, "Field 'pokemon' is not allowed"),
    ({"Pokedex": {}}, "Field 'Pokedex' is not allowed"),
    ({**CONTEXT, "Task": {"Token": "abcd123"}}, "Context object contains 'Task' when state is not a Task state with a "
                                                "'.sync' or '.waitForTaskToken' service integration pattern")])
def test_an_invalid_context_object_is_refused(sfn, context: dict, reason: str) -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": "arn"}, "End": True}
    mock = {"result": json.dumps({"ExecutionArn": "exec_arn", "StartDate": "2025-01-01T00:00:00"})}
    assert refused(sfn, task, context=json.dumps(context), mock=mock) == \
           ("ValidationException", f"Invalid Context object provided: {reason}")


# Recorded: test_test_state_scenarios::test_base_lambda_service_task_state_no_role_arn_validation,
# test_test_state_machine_scenarios::test_base_state_name_validation_failures[dne|invalid],
# test_state_mock_validation::test_state_type_requires_mock[MapState|ParallelState]
def test_requests_aws_refuses(sfn) -> None:
    task = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"}, "End": True}
    assert refused(sfn, task, input="{}") == ("ValidationException",
                                              "RoleArn must be specified when testing a Task state")
    for name in ("dne", '"invalid"'):
        assert refused(sfn, MULTI, stateName=name) == ("ValidationException", "State not found in definition")
    not_supported = ("InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state "
                                          "types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
    assert refused(sfn, MAP_MACHINE, stateName="State0", roleArn=ROLE) == not_supported
    parallel = {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}],
                "End": True}
    assert refused(sfn, parallel, roleArn=ROLE) == not_supported


def test_bad_definitions_and_input(sfn) -> None:
    code, message = refused(sfn, {"Type": "Pass", "Next": 5})
    assert code == "InvalidDefinition" and message.startswith("Invalid State Machine Definition")
    assert refused(sfn, "{not json")[0] == "InvalidDefinition"
    code, message = refused(sfn, {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}},
                            stateName="A")
    assert code == "InvalidDefinition" and "Nowhere" in message
    assert refused(sfn, {"Type": "Pass", "End": True}, input="{oops")[0] == "InvalidExecutionInput"
    assert refused(sfn, {"Type": "Bogus", "End": True})[0] == "InvalidDefinition"
    callback = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "End": True}
    assert refused(sfn, callback, roleArn=ROLE)[0] == "ValidationException"


# Recorded: test_test_state_scenarios::test_localstack_blogpost_scenario (a JSONata machine, no roleArn, TRACE)
APPROVAL = {"QueryLanguage": "JSONata", "StartAt": "Approval Required", "States": {
    "Approval Required": {"Type": "Choice", "Default": "Ask for Approval",
                          "Choices": [{"Condition": "{% $states.input.cost < 10 %}", "Next": "Purchase Approved"}]},
    "Purchase Approved": {"Type": "Succeed"},
    "Ask for Approval": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Next": "Check Approval",
        "Arguments": {"Method": "POST", "ApiEndpoint": "example.execute-api.us-east-1.amazonaws.com",
                      "Path": "/approval", "RequestBody": {"cost": "{% $states.input.cost %}", "dept_id": "12345678"},
                      "AuthType": "NO_AUTH"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "BackoffRate": 2, "IntervalSeconds": 1, "MaxAttempts": 3,
                   "JitterStrategy": "FULL"}],
        "Output": {"approval": "{% $states.result.approval %}", "approval_code": "2387462", "approved_by": "Mary"}},
    "Check Approval": {"Type": "Choice", "Default": "Not Approved",
                       "Choices": [{"Next": "Purchase Approved", "Condition": "{% $states.input.approval %}"}]},
    "Not Approved": {"Type": "Fail"}}}


def test_stepping_through_a_workflow_state_by_state(sfn) -> None:
    def step(name: str, value: dict, **kwargs: Any) -> dict:
        return run(sfn, APPROVAL, value, stateName=name, inspectionLevel="TRACE", roleArn=None, **kwargs)

    for cost, next_state in ((9, "Purchase Approved"), (10, "Ask for Approval")):
        assert step("Approval Required", {"cost": cost}) == {"inspectionData": {"input": {"cost": cost}},
                                                             "nextState": next_state, "output": {"cost": cost},
                                                             "status": "SUCCEEDED"}
    approved = {"approval": True, "approval_code": "2387462", "approved_by": "Mary"}
    assert step("Ask for Approval", {"cost": 10}, mock={"result": '{"approval": true }'}) == {
        "inspectionData": {"afterArguments": {"Method": "POST",
                                              "ApiEndpoint": "example.execute-api.us-east-1.amazonaws.com",
                                              "Path": "/approval", "RequestBody": {"cost": 10, "dept_id": "12345678"},
                                              "AuthType": "NO_AUTH"},
                           "input": {"cost": 10}, "result": {"approval": True}},
        "nextState": "Check Approval", "output": approved, "status": "SUCCEEDED"}
    assert step("Check Approval", approved)["nextState"] == "Purchase Approved"
    assert step("Check Approval", {"approval": False}) == {"inspectionData": {"input": {"approval": False}},
                                                           "nextState": "Not Approved",
                                                           "output": {"approval": False}, "status": "SUCCEEDED"}


def test_an_unmocked_start_execution_starts_one_of_the_services_machines(sfn) -> None:
    """TestState runs the state on a thread of its own; the child still lands in the service's store."""
    child = sfn.create_state_machine(name="test-state-child", roleArn=ROLE,
                                     definition=definition({"Done": {"Type": "Pass", "End": True}}))
    state = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "End": True,
             "Parameters": {"StateMachineArn": child["stateMachineArn"], "Input.$": "$"}}
    out = run(sfn, state, {"hello": "child"})
    assert out["status"] == "SUCCEEDED"
    started = wait_for_end(sfn, out["output"]["ExecutionArn"])
    assert (started["status"], json.loads(started["output"])) == ("SUCCEEDED", {"hello": "child"})
