"""Task states: resources (callables, Lambda ARNs, lambda:invoke, handler specs), data flow, timeouts, events."""

from __future__ import annotations

import asyncio
import json

import pytest
from runtime_helpers import (
    CustomException,
    assert_well_formed,
    at,
    chain,
    details,
    event,
    fn_arn,
    parsed,
    run,
    simple_task,
    types,
)

from asl_engine import Resources, StatesError

SNS = "arn:aws:states:::sns:publish"


def echo(event, context):
    return event


class TestLambdaArnResource:
    def test_success_events(self):
        ex = run(simple_task(fn_arn("f")), {"a": 1}, resources={"f": echo})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"a": 1}
        assert_well_formed(ex)
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"),
                             (3, 2, "LambdaFunctionScheduled"), (4, 3, "LambdaFunctionStarted"),
                             (5, 4, "LambdaFunctionSucceeded"), (6, 5, "TaskStateExited"),
                             (7, 6, "ExecutionSucceeded")]
        assert details(ex.history[2]) == {"resource": fn_arn("f"), "input": '{"a":1}',
                                          "inputDetails": {"truncated": False}}
        assert details(ex.history[3]) == {}
        assert "lambdaFunctionStartedEventDetails" not in ex.history[3]
        assert details(ex.history[4]) == {"output": '{"a":1}', "outputDetails": {"truncated": False}}
        assert details(ex.history[5]) == {"name": "T", "output": '{"a":1}', "outputDetails": {"truncated": False}}

    def test_string_payload_round_trip(self):
        # recorded: services/TestTaskLambda__test_invoke_string_payload
        ex = run(simple_task(fn_arn("f")), '"HelloWorld"', resources={"f": echo})
        assert ex.output == "HelloWorld"
        assert details(event(ex, "LambdaFunctionScheduled"))["input"] == '"HelloWorld"'
        assert details(event(ex, "LambdaFunctionSucceeded"))["output"] == '"HelloWorld"'

    def test_registered_by_full_arn(self):
        ex = run(simple_task(fn_arn("f")), {"a": 1}, resources={fn_arn("f"): lambda e: {"got": e}})
        assert ex.output == {"got": {"a": 1}}

    def test_qualified_function_arn(self):
        qualified = fn_arn("f") + ":prod"
        ex = run(simple_task(qualified), {"a": 1}, resources={"f": echo})
        assert ex.output == {"a": 1}
        assert details(event(ex, "LambdaFunctionScheduled"))["resource"] == qualified

    def test_resources_object(self):
        resources = Resources()
        resources.register("f", echo)
        ex = run(simple_task(fn_arn("f")), [1], resources=resources)
        assert ex.output == [1]

    def test_handler_gets_lambda_context(self):
        from runtime_helpers import echo_handler
        ex = run(simple_task(fn_arn("my-fn")), {"x": 1}, resources={"my-fn": echo_handler})
        assert ex.output == {"event": {"x": 1}, "function": "my-fn", "arn": fn_arn("my-fn")}

    def test_async_handler(self):
        async def handler(event):
            await asyncio.sleep(0)
            return {"async": event}
        ex = run(simple_task(fn_arn("f")), 1, resources={"f": handler})
        assert ex.output == {"async": 1}

    def test_python_exception_becomes_function_error(self):
        # recorded: error_handling/TestTaskLambda__test_raise_exception
        def handler(event, context):
            raise Exception("Some exception was raised.")
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": handler})
        assert ex.status == "FAILED"
        assert ex.error == "Exception"
        cause = json.loads(ex.cause)
        assert list(cause) == ["errorMessage", "errorType", "requestId", "stackTrace"]
        assert cause["errorMessage"] == "Some exception was raised."
        assert cause["errorType"] == "Exception"
        assert len(cause["requestId"]) == 36
        assert len(cause["stackTrace"]) == 1
        assert 'raise Exception("Some exception was raised.")' in cause["stackTrace"][0]
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"),
                             (3, 2, "LambdaFunctionScheduled"), (4, 3, "LambdaFunctionStarted"),
                             (5, 4, "LambdaFunctionFailed"), (6, 5, "ExecutionFailed")]
        assert details(ex.history[4]) == {"error": "Exception", "cause": ex.cause}
        assert details(ex.history[5]) == {"error": "Exception", "cause": ex.cause}

    def test_legacy_lambda_cause_uses_spaced_json(self):
        # recorded: error_handling/TestTaskLambda__test_raise_custom_exception: the cause of a function
        # error for a Lambda-ARN resource is JSON with ", " / ": " separators and an empty errorMessage
        definition = {"StartAt": "InvokeLambda", "States": {
            "InvokeLambda": {"Type": "Task", "Resource": fn_arn("f"), "Next": "ProcessResult",
                             "Catch": [{"ErrorEquals": ["CustomException"], "Next": "ErrorMatched"}]},
            "ProcessResult": {"Type": "Pass", "End": True}, "ErrorMatched": {"Type": "Pass", "End": True}}}
        ex = run(definition, {"FunctionName": "f", "Payload": None},
                 resources={"f": "runtime_helpers:raise_custom_exception_handler"})
        assert ex.status == "SUCCEEDED"
        assert ex.output["Error"] == "CustomException"
        assert ex.output["Cause"].startswith('{"errorMessage": "", "errorType": "CustomException", "requestId": "')
        assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                             "LambdaFunctionStarted", "LambdaFunctionFailed", "TaskStateExited",
                             "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        assert details(ex.history[4])["error"] == "CustomException"
        assert CustomException  # the handler's exception class lives in runtime_helpers

    def test_states_error_from_handler_keeps_name_and_cause(self):
        def handler(event):
            raise StatesError("My.Error", "my cause")
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": handler})
        assert (ex.error, ex.cause) == ("My.Error", "my cause")
        assert details(event(ex, "LambdaFunctionFailed")) == {"error": "My.Error", "cause": "my cause"}

    def test_bytes_result_is_the_json_response_body(self):
        # recorded: services/TestTaskLambda__test_invoke_bytes_payload (handler returns b'"HelloWorld!"')
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": lambda e, c: b'"HelloWorld!"'})
        assert ex.output == "HelloWorld!"
        assert details(event(ex, "LambdaFunctionSucceeded"))["output"] == '"HelloWorld!"'

    def test_tuple_result_is_a_json_array(self):
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": lambda e: {"t": (1, 2)}})
        assert ex.output == {"t": [1, 2]}

    def test_unserializable_result_is_marshal_error(self):
        import datetime
        ex = run(simple_task(fn_arn("f")), {}, resources={"f": lambda e: {"d": datetime.date(2020, 1, 1)}})
        assert ex.status == "FAILED"
        assert ex.error == "Runtime.MarshalError"
        cause = json.loads(ex.cause)
        assert cause["errorMessage"] == "Unable to marshal response: Object of type date is not JSON serializable"
        assert cause["errorType"] == "Runtime.MarshalError"
        assert types(ex)[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]

    def test_unknown_function(self):
        ex = run(simple_task(fn_arn("nope")), {}, resources={})
        assert ex.status == "FAILED"
        assert ex.error == "Lambda.ResourceNotFoundException"
        assert ex.cause.startswith("Function not found: ")
        assert "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException;" in ex.cause
        assert types(ex)[-2] == "LambdaFunctionFailed"


class TestHandlerSpecs:
    def test_module_function(self):
        ex = run(simple_task(fn_arn("f")), {"x": 1}, resources={"f": "runtime_helpers:echo_handler"})
        assert ex.output == {"event": {"x": 1}, "function": "f", "arn": fn_arn("f")}

    def test_stdlib_module_function(self):
        ex = run(simple_task(fn_arn("f")), {"x": [1, 2]}, resources={"f": "json:dumps"})
        assert ex.output == '{"x": [1, 2]}'

    def test_lambda_dotted_spelling(self):
        ex = run(simple_task(fn_arn("f")), {"x": 1}, resources={"f": "runtime_helpers.echo_handler"})
        assert ex.output["event"] == {"x": 1}

    def test_file_path_function(self, tmp_path):
        handler = tmp_path / "app_handler_for_runtime_test.py"
        handler.write_text("def handler(event, context):\n"
                           "    return {'from_file': event, 'rid': len(context.aws_request_id)}\n")
        ex = run(simple_task(fn_arn("f")), {"x": 1}, resources={"f": f"{handler}:handler"})
        assert ex.output == {"from_file": {"x": 1}, "rid": 36}

    def test_file_handler_exception(self, tmp_path):
        handler = tmp_path / "raising_handler_for_runtime_test.py"
        handler.write_text("class Boom(Exception):\n    pass\n\n"
                           "def handler(event, context):\n    raise Boom('bad ' + str(event['n']))\n")
        ex = run(simple_task(fn_arn("f")), {"n": 3}, resources={"f": f"{handler}:handler"})
        assert ex.error == "Boom"
        cause = json.loads(ex.cause)
        assert cause["errorMessage"] == "bad 3"
        assert cause["errorType"] == "Boom"
        assert "raise Boom('bad ' + str(event['n']))" in cause["stackTrace"][-1]

    def test_missing_file_is_rejected(self, tmp_path):
        with pytest.raises(ValueError, match="no file"):
            Resources({"f": f"{tmp_path}/missing.py:handler"})

    def test_missing_attribute_is_rejected(self):
        with pytest.raises(ValueError, match="has no attribute 'nope'"):
            Resources({"f": "runtime_helpers:nope"})


class TestLambdaInvokeIntegration:
    LAMBDA_INVOKE = {"StartAt": "Start", "States": {"Start": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"}, "End": True}}}

    def test_response_shape_and_events(self):
        ex = run(self.LAMBDA_INVOKE, {"FunctionName": "f", "Payload": {"k": "v"}},
                 resources={"f": lambda e: {"got": e}})
        assert ex.status == "SUCCEEDED"
        out = ex.output
        assert out["Payload"] == {"got": {"k": "v"}}
        assert out["StatusCode"] == 200
        assert out["ExecutedVersion"] == "$LATEST"
        meta = out["SdkHttpMetadata"]
        assert meta["HttpStatusCode"] == 200
        assert meta["HttpHeaders"]["Content-Type"] == "application/json"
        assert meta["HttpHeaders"]["X-Amz-Executed-Version"] == "$LATEST"
        assert meta["AllHttpHeaders"]["Connection"] == ["keep-alive"]
        request_id = out["SdkResponseMetadata"]["RequestId"]
        assert meta["HttpHeaders"]["x-amzn-RequestId"] == request_id
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"), (3, 2, "TaskScheduled"),
                             (4, 3, "TaskStarted"), (5, 4, "TaskSucceeded"), (6, 5, "TaskStateExited"),
                             (7, 6, "ExecutionSucceeded")]
        # recorded: services/TestTaskServiceLambda__test_invoke
        assert details(ex.history[2]) == {"resourceType": "lambda", "resource": "invoke", "region": "us-east-1",
                                          "parameters": '{"FunctionName":"f","Payload":{"k":"v"}}'}
        assert details(ex.history[3]) == {"resourceType": "lambda", "resource": "invoke"}
        succeeded = details(ex.history[4])
        assert (succeeded["resourceType"], succeeded["resource"]) == ("lambda", "invoke")
        assert parsed(succeeded["output"]) == out
        assert succeeded["outputDetails"] == {"truncated": False}

    def test_bytes_payload(self):
        # recorded: services/TestTaskServiceLambda__test_invoke_bytes_payload
        ex = run(self.LAMBDA_INVOKE, {"FunctionName": "f", "Payload": "\"'{'Hello':'World'}'\""},
                 resources={"f": lambda e, c: b'"HelloWorld!"'})
        assert ex.output["Payload"] == "HelloWorld!"

    def test_function_name_as_arn(self):
        ex = run(self.LAMBDA_INVOKE, {"FunctionName": fn_arn("f"), "Payload": None}, resources={"f": lambda e: 7})
        assert ex.output["Payload"] == 7

    def test_compact_cause_and_catch_order(self):
        # recorded: error_handling/TestTaskServiceLambda__test_raise_exception_catch
        definition = {"StartAt": "Start", "States": {
            "Start": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"},
                      "Catch": [{"ErrorEquals": ["Lambda.Unknown"], "Next": "Unknown"},
                                {"ErrorEquals": ["States.TaskFailed"], "Next": "TaskFailed"},
                                {"ErrorEquals": ["States.ALL"], "Next": "All"}],
                      "Next": "Final"},
            "Unknown": {"Type": "Pass", "ResultPath": "$.lambda_unknown", "End": True},
            "TaskFailed": {"Type": "Pass", "ResultPath": "$.task_failed_error", "End": True},
            "All": {"Type": "Pass", "ResultPath": "$.all_error", "End": True},
            "Final": {"Type": "Pass", "ResultPath": "$.final", "End": True}}}
        ex = run(definition, {"FunctionName": "f", "Payload": None},
                 resources={"f": "runtime_helpers:raise_exception_handler"})
        assert ex.status == "SUCCEEDED"
        assert list(ex.output) == ["Error", "Cause", "task_failed_error"]
        assert ex.output["Error"] == "Exception"
        assert ex.output["Cause"].startswith('{"errorMessage":"Some exception was raised.","errorType":"Exception",'
                                             '"requestId":"')
        assert ex.output["task_failed_error"] == {"Error": ex.output["Error"], "Cause": ex.output["Cause"]}
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"), (3, 2, "TaskScheduled"),
                             (4, 3, "TaskStarted"), (5, 4, "TaskFailed"), (6, 5, "TaskStateExited"),
                             (7, 6, "PassStateEntered"), (8, 7, "PassStateExited"), (9, 8, "ExecutionSucceeded")]
        failed = details(ex.history[4])
        assert failed == {"resourceType": "lambda", "resource": "invoke", "error": "Exception",
                          "cause": ex.output["Cause"]}

    def test_unknown_function(self):
        ex = run(self.LAMBDA_INVOKE, {"FunctionName": "nope", "Payload": None}, resources={})
        assert ex.error == "Lambda.ResourceNotFoundException"
        assert types(ex)[-2] == "TaskFailed"


class TestServiceCallable:
    def test_callable_for_integration_arn(self):
        calls = []

        def publish(params):
            calls.append(params)
            return {"MessageId": "m-1"}
        ex = run(simple_task(SNS, Parameters={"Message.$": "$.msg", "TopicArn": "t"}), {"msg": "hi"},
                 resources={SNS: publish})
        assert calls == [{"Message": "hi", "TopicArn": "t"}]
        assert ex.output == {"MessageId": "m-1"}
        assert chain(ex)[2:5] == [(3, 2, "TaskScheduled"), (4, 3, "TaskStarted"), (5, 4, "TaskSucceeded")]
        assert details(ex.history[2]) == {"resourceType": "sns", "resource": "publish", "region": "us-east-1",
                                          "parameters": '{"Message":"hi","TopicArn":"t"}'}
        assert details(ex.history[4]) == {"resourceType": "sns", "resource": "publish",
                                          "output": '{"MessageId":"m-1"}', "outputDetails": {"truncated": False}}

    def test_callable_exception(self):
        def boom(params):
            raise KeyError("k")
        ex = run(simple_task(SNS), {}, resources={SNS: boom})
        assert ex.error == "KeyError"
        assert json.loads(ex.cause)["errorType"] == "KeyError"
        failed = event(ex, "TaskFailed")
        assert details(failed)["error"] == "KeyError"
        assert (details(failed)["resourceType"], details(failed)["resource"]) == ("sns", "publish")

    def test_missing_implementation_is_runtime_error(self):
        unknown = "arn:aws:states:::athena:startQueryExecution"  # an integration AWS has and nothing answers here
        ex = run(simple_task(unknown), {}, resources={})
        assert ex.status == "FAILED"
        assert ex.error == "States.Runtime"
        assert unknown in ex.cause


class TestTaskDataFlow:
    def test_parameters_result_selector_result_path_output_path(self):
        seen = []

        def handler(params):
            seen.append(params)
            return {"Payload": {"value": params["n"] * 2}, "Noise": True}
        definition = simple_task(SNS, InputPath="$.in", Parameters={"n.$": "$.n", "const": 1},
                                 ResultSelector={"doubled.$": "$.Payload.value"}, ResultPath="$.in.result",
                                 OutputPath="$.in")
        ex = run(definition, {"in": {"n": 21}, "other": 0}, resources={SNS: handler})
        assert seen == [{"n": 21, "const": 1}]
        assert ex.output == {"n": 21, "result": {"doubled": 42}}
        # the TaskSucceeded event shows the raw result, before ResultSelector
        assert parsed(details(event(ex, "TaskSucceeded"))["output"]) == {"Payload": {"value": 42}, "Noise": True}
        assert parsed(details(event(ex, "TaskStateExited"))["output"]) == ex.output

    def test_result_path_null_keeps_input(self):
        ex = run(simple_task(SNS, ResultPath=None), {"keep": 1}, resources={SNS: lambda p: "ignored"})
        assert ex.output == {"keep": 1}

    def test_result_selector_with_context(self):
        ex = run(simple_task(SNS, ResultSelector={"r.$": "$", "state.$": "$$.State.Name"}), {},
                 resources={SNS: lambda p: [1]})
        assert ex.output == {"r": [1], "state": "T"}

    def test_result_selector_missing_path_fails(self):
        ex = run(simple_task(SNS, ResultSelector={"r.$": "$.nope"}), {}, resources={SNS: lambda p: {"a": 1}})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'T' (entered at the event id #2). "
                            "The JSONPath '$.nope' specified for the field 'r.$' could not be found in the input "
                            "'{\"a\":1}'")
        # the task itself succeeded; the state fails after it
        assert types(ex)[-3:] == ["TaskStarted", "TaskSucceeded", "ExecutionFailed"]

    def test_credentials_field_is_accepted(self):
        definition = simple_task(SNS, Credentials={"RoleArn": "arn:aws:iam::111111111111:role/other"})
        ex = run(definition, {}, resources={SNS: lambda p: 1})
        assert ex.output == 1


async def _sleep_then(seconds, value):
    await asyncio.sleep(seconds)
    return value


class TestTaskTimeouts:
    def test_timeout_seconds_on_lambda_arn(self):
        # recorded: timeouts/TestTimeouts__test_fixed_timeout_lambda
        ex = run(simple_task(fn_arn("f"), TimeoutSeconds=5, Parameters={"Payload.$": "$.Payload"}),
                 {"Payload": None}, resources={"f": lambda e: _sleep_then(60, e)})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.Timeout", None)
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"),
                             (3, 2, "LambdaFunctionScheduled"), (4, 3, "LambdaFunctionStarted"),
                             (5, 4, "LambdaFunctionTimedOut"), (6, 5, "ExecutionFailed")]
        assert details(ex.history[2])["timeoutInSeconds"] == 5
        assert details(ex.history[4]) == {"error": "States.Timeout"}
        assert details(ex.history[5]) == {"error": "States.Timeout"}
        assert ex.history[4]["timestamp"] == at(5)
        assert ex.stop_date == at(5)

    def test_timeout_seconds_on_lambda_invoke(self):
        # recorded: timeouts/TestTimeouts__test_fixed_timeout_service_lambda
        definition = {"StartAt": "Start", "States": {"Start": {
            "Type": "Task", "TimeoutSeconds": 5, "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"}, "End": True}}}
        ex = run(definition, {"FunctionName": "f", "Payload": None, "TimeoutSecondsValue": 5},
                 resources={"f": lambda e: _sleep_then(60, e)})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.Timeout", None)
        assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                             "TaskTimedOut", "ExecutionFailed"]
        assert details(ex.history[2]) == {"resourceType": "lambda", "resource": "invoke", "region": "us-east-1",
                                          "parameters": '{"FunctionName":"f","Payload":null}',
                                          "timeoutInSeconds": 5}
        assert details(ex.history[4]) == {"resourceType": "lambda", "resource": "invoke",
                                          "error": "States.Timeout"}

    def test_finishing_within_timeout_succeeds(self):
        ex = run(simple_task(SNS, TimeoutSeconds=10), {}, resources={SNS: lambda p: _sleep_then(9, "ok")})
        assert ex.output == "ok"
        assert event(ex, "TaskSucceeded")["timestamp"] == at(9)

    def test_timeout_seconds_path(self):
        ex = run(simple_task(SNS, TimeoutSecondsPath="$.t"), {"t": 3},
                 resources={SNS: lambda p: _sleep_then(60, "late")})
        assert ex.error == "States.Timeout"
        assert details(event(ex, "TaskScheduled"))["timeoutInSeconds"] == 3
        assert event(ex, "TaskTimedOut")["timestamp"] == at(3)

    def test_timeout_seconds_path_missing(self):
        ex = run(simple_task(SNS, TimeoutSecondsPath="$.t"), {}, resources={SNS: lambda p: 1})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'T' (entered at the event id #2). "
                            "The TimeoutSecondsPath parameter does not reference an input value: $.t")
        assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]

    @pytest.mark.parametrize("bad", [0, -1, "5", 1.5, True])
    def test_timeout_seconds_path_invalid_value(self, bad):
        ex = run(simple_task(SNS, TimeoutSecondsPath="$.t"), {"t": bad}, resources={SNS: lambda p: 1})
        assert ex.error == "States.Runtime"
        assert "The TimeoutSecondsPath parameter references an invalid value: $.t == " in ex.cause

    def test_timeout_is_caught_by_states_timeout(self):
        definition = {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": SNS, "TimeoutSeconds": 1, "End": True,
                  "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err", "Next": "C"}]},
            "C": {"Type": "Pass", "End": True}}}
        ex = run(definition, {"in": 1}, resources={SNS: lambda p: _sleep_then(2, "late")})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"in": 1, "err": {"Error": "States.Timeout", "Cause": ""}}

    def test_heartbeat_seconds_accepted_and_recorded(self):
        ex = run(simple_task(SNS, TimeoutSeconds=100, HeartbeatSeconds=10), {}, resources={SNS: lambda p: "ok"})
        assert ex.output == "ok"
        scheduled = details(event(ex, "TaskScheduled"))
        assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (100, 10)

    def test_heartbeat_seconds_path(self):
        ex = run(simple_task(SNS, HeartbeatSecondsPath="$.hb"), {"hb": 5}, resources={SNS: lambda p: "ok"})
        assert details(event(ex, "TaskScheduled"))["heartbeatInSeconds"] == 5

    def test_no_timeout_fields_no_timeout_details(self):
        ex = run(simple_task(SNS), {}, resources={SNS: lambda p: _sleep_then(86400 * 30, "slow")})
        assert ex.output == "slow"
        assert "timeoutInSeconds" not in details(event(ex, "TaskScheduled"))
        assert event(ex, "TaskSucceeded")["timestamp"] == at(86400 * 30)

    def test_credentials_role_is_recorded_on_the_scheduled_event(self):
        role = "arn:aws:iam::111111111111:role/cross"
        ex = run(simple_task(SNS, Credentials={"RoleArn.$": "$.role"}), {"role": role}, resources={SNS: lambda p: 1})
        assert details(event(ex, "TaskScheduled"))["taskCredentials"] == {"roleArn": role}
        jsonata = simple_task(SNS, QueryLanguage="JSONata", Credentials={"RoleArn": "{% $states.input.role %}"})
        ex = run(jsonata, {"role": role}, resources={SNS: lambda p: 1})
        assert details(event(ex, "TaskScheduled"))["taskCredentials"] == {"roleArn": role}
        assert "taskCredentials" not in details(event(run(simple_task(SNS), {}, resources={SNS: lambda p: 1}),
                                                       "TaskScheduled"))
