"""Mocked Task results: the MockConfigFile format, its validation, invocation numbering and Python overrides."""

from __future__ import annotations

import json

import pytest

from asl_engine import Resources
from asl_engine.integrations.mocks import MockConfig, MockConfigError, MockedResponse, Mocks, Return, Throw
from tests.unit.runtime_helpers import fn_arn, run, types

LAMBDA = "arn:aws:states:::lambda:invoke"


def task(resource: str = LAMBDA, **fields) -> dict:
    return {"Type": "Task", "Resource": resource, "Parameters": {"FunctionName": "f", "Payload.$": "$"}, **fields}


def one_task(**fields) -> dict:
    return {"StartAt": "T", "States": {"T": {**task(**fields), "End": True}}}


def config(responses: dict, states: dict | None = None) -> MockConfig:
    return MockConfig({"StateMachines": {"m": {"TestCases": {"Case": states or {"T": "R"}}}},
                       "MockedResponses": {"R": responses}})


def mocked(definition: dict, responses: dict, input=None, **kwargs):
    return run(definition, input, resources=Resources(mocks=Mocks(config(responses), "Case")), **kwargs)


# --- the file format and its validation -------------------------------------------------------------------------


def test_the_aws_documentation_example_loads():
    cfg = MockConfig({
        "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
            "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
            "HybridPath": {"LambdaState": "MockedLambdaSuccess"}}}},
        "MockedResponses": {
            "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "hi"}}}},
            "MockedSQSSuccess": {"0": {"Return": {"MessageId": "m"}}},
            "MockedLambdaRetry": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "c"}},
                                  "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "t"}},
                                  "3": {"Return": {"StatusCode": 200}}}}})
    assert cfg.state_machines == ("LambdaSQSIntegration",)
    retry = cfg.test_case("LambdaSQSIntegration", "RetryPath")["LambdaState"]
    assert [retry.answer_for(n) for n in range(5)] == [
        Throw("Lambda.ResourceNotReadyException", "c"), Throw("Lambda.TimeoutException", "t"),
        Throw("Lambda.TimeoutException", "t"), Return({"StatusCode": 200}), None]


@pytest.mark.parametrize(("document", "pointer"), [
    ([], ""),
    ({"StateMachines": {}, "MockedResponses": {}, "MockedResponse": {}}, "/MockedResponse"),
    ({"MockedResponses": {}}, "/StateMachines"),
    ({"StateMachines": {"m": {"TestCase": {}}}, "MockedResponses": {}}, "/StateMachines/m/TestCase"),
    ({"StateMachines": {"m": {"TestCases": {"c": {"T": "Missing"}}}}, "MockedResponses": {}},
     "/StateMachines/m/TestCases/c/T"),
    ({"StateMachines": {}, "MockedResponses": {"R": {}}}, "/MockedResponses/R"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"first": {"Return": 1}}}}, "/MockedResponses/R/first"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"2-1": {"Return": 1}}}}, "/MockedResponses/R/2-1"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"1": {"Return": 1}}}}, "/MockedResponses/R/1"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1}, "2": {"Return": 2}}}},
     "/MockedResponses/R/2"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}, "/MockedResponses/R/0"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"0": {"Throw": {"Error": "E"}}}}},
     "/MockedResponses/R/0/Throw/Cause"),
    ({"StateMachines": {}, "MockedResponses": {"R": {"0": {"Throw": {"Error": "E", "Cause": "c", "X": 1}}}}},
     "/MockedResponses/R/0/Throw/X"),
    ({"StateMachines": {}, "MockedResponses": {"a/b~c": {}}}, "/MockedResponses/a~1b~0c"),
])
def test_a_bad_file_is_refused_with_the_json_pointer_of_the_bad_part(document, pointer):
    with pytest.raises(MockConfigError) as caught:
        MockConfig(document)
    assert caught.value.pointer == pointer


def test_load_reads_a_file_and_reports_broken_json(tmp_path):
    good = tmp_path / "MockConfigFile.json"
    good.write_text(json.dumps({"StateMachines": {}, "MockedResponses": {}}))
    assert MockConfig.load(good).state_machines == ()
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(MockConfigError, match="is not JSON"):
        MockConfig.load(bad)


def test_an_unknown_state_machine_or_test_case_is_named():
    cfg = config({"0": {"Return": 1}})
    with pytest.raises(MockConfigError) as caught:
        cfg.test_case("other", "Case")
    assert caught.value.pointer == "/StateMachines/other"
    with pytest.raises(MockConfigError) as caught:
        Mocks(cfg, "Nope").check("m")
    assert caught.value.pointer == "/StateMachines/m/TestCases/Nope"


def test_config_and_test_case_go_together():
    with pytest.raises(ValueError):
        Mocks(config({"0": {"Return": 1}}))


# --- running with mocks -----------------------------------------------------------------------------------------


def test_a_mocked_return_is_the_result_and_the_task_events_are_written():
    ex = mocked(one_task(), {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": True}}}}, {"x": 1})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"StatusCode": 200, "Payload": {"ok": True}}
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                         "TaskStateExited", "ExecutionSucceeded"]
    assert json.loads(ex.history[2]["taskScheduledEventDetails"]["parameters"]) == {"FunctionName": "f",
                                                                                   "Payload": {"x": 1}}


def test_retries_are_invocations():
    retry = [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    ex = mocked(one_task(Retry=retry), {
        "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
        "2": {"Return": {"StatusCode": 200, "Payload": 3}}})
    assert ex.status == "SUCCEEDED"
    assert types(ex).count("TaskFailed") == 2
    assert ex.history[4]["taskFailedEventDetails"] == {"error": "Lambda.TooManyRequestsException",
                                                       "cause": "slow down", "resource": "invoke",
                                                       "resourceType": "lambda"}


def test_a_state_entered_again_takes_the_next_response():
    loop = {"StartAt": "T", "States": {
        "T": {**task(), "ResultSelector": {"n.$": "$.Payload"}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "Done"}], "Default": "T"},
        "Done": {"Type": "Succeed"}}}
    ex = mocked(loop, {"0": {"Return": {"Payload": 1}}, "1": {"Return": {"Payload": 2}}})
    assert ex.output == {"n": 2}


def test_an_invocation_without_a_response_fails_the_execution_uncaught():
    catch_all = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    definition = {"StartAt": "T", "States": {"T": {**task(), "Catch": catch_all, "Retry": [
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}], "End": True}, "Caught": {"Type": "Succeed"}}}
    ex = mocked(definition, {"0": {"Throw": {"Error": "E", "Cause": "c"}}})
    assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
    assert "No mocked response for invocation 1 of the state 'T'" in ex.cause


def test_a_mocked_throw_is_caught():
    definition = {"StartAt": "T", "States": {
        "T": {**task(), "Catch": [{"ErrorEquals": ["Custom"], "ResultPath": "$.err", "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}}
    ex = mocked(definition, {"0": {"Throw": {"Error": "Custom", "Cause": "why"}}}, {"a": 1})
    assert ex.output == {"a": 1, "err": {"Error": "Custom", "Cause": "why"}}


def test_states_the_test_case_does_not_name_call_their_resource():
    definition = {"StartAt": "T", "States": {"T": {**task(), "Next": "U"},
                                             "U": {"Type": "Task", "Resource": fn_arn("real"), "End": True}}}
    resources = Resources({fn_arn("real"): lambda event: {"real": event["StatusCode"]}},
                          mocks=Mocks(config({"0": {"Return": {"StatusCode": 7}}}), "Case"))
    assert run(definition, resources=resources).output == {"real": 7}


def test_a_state_machine_the_config_does_not_know_is_an_error():
    with pytest.raises(MockConfigError):
        run(one_task(), sm_name="other", resources=Resources(mocks=Mocks(config({"0": {"Return": 1}}), "Case")))


def test_a_legacy_lambda_arn_gets_the_mocked_payload():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": fn_arn("f"), "End": True}}}
    ex = mocked(definition, {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "b"}}}})
    assert ex.output == {"body": "b"}
    assert "LambdaFunctionSucceeded" in types(ex)


def test_a_mocked_function_error_fails_with_the_payloads_error_type():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": fn_arn("f"), "End": True}}}
    payload = {"errorType": "ValueError", "errorMessage": "bad"}
    ex = mocked(definition, {"0": {"Return": {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": payload}}})
    assert (ex.error, json.loads(ex.cause)) == ("ValueError", payload)


def test_wait_for_task_token_takes_the_mocked_return_as_the_callback():
    definition = one_task(resource="arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                          Parameters={"QueueUrl": "q", "MessageBody": {"Token.$": "$$.Task.Token"}})
    ex = mocked(definition, {"0": {"Return": "done"}})
    assert ex.output == "done"
    assert types(ex)[3:6] == ["TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    scheduled = json.loads(ex.history[2]["taskScheduledEventDetails"]["parameters"])
    assert scheduled["MessageBody"]["Token"]  # a task token was issued as for a real call


def test_a_mocked_throw_on_a_sync_task_is_the_jobs_failure():
    definition = one_task(resource="arn:aws:states:::states:startExecution.sync:2",
                          Parameters={"StateMachineArn": "arn"})
    ex = mocked(definition, {"0": {"Throw": {"Error": "States.TaskFailed", "Cause": "child failed"}}})
    assert types(ex)[3:6] == ["TaskStarted", "TaskSubmitted", "TaskFailed"]
    assert (ex.error, ex.cause) == ("States.TaskFailed", "child failed")


def test_map_iterations_count_across_the_execution():
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {
        "StartAt": "T", "States": {"T": {**task(), "OutputPath": "$.Payload", "End": True}}}, "End": True}}}
    ex = mocked(definition, {"0": {"Return": {"Payload": "a"}}, "1-2": {"Return": {"Payload": "b"}}}, [1, 2, 3])
    assert ex.output == ["a", "b", "b"]


# --- Python overrides -------------------------------------------------------------------------------------------


def test_overrides_a_value_an_error_a_callable_and_a_response_sequence():
    definition = {"StartAt": "A", "States": {
        "A": {**task(), "ResultPath": "$.a", "Next": "B"},
        "B": {**task(), "ResultPath": "$.b", "Next": "C"},
        "C": {**task(), "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.c", "Next": "D"}], "End": True},
        "D": {**task(), "ResultPath": "$.d", "Retry": [{"ErrorEquals": ["States.ALL"]}], "End": True}}}
    seen = []

    def b(payload):
        seen.append(payload)
        return {"from": "b"}

    overrides = {"A": 1, "B": b, "C": Throw("Boom", "c"),
                 "D": MockedResponse.parse({"0": {"Throw": {"Error": "X", "Cause": ""}}, "1": {"Return": "d"}})}
    ex = run(definition, {"in": 0}, resources=Resources(mocks=Mocks(overrides=overrides)))
    assert ex.output == {"in": 0, "a": 1, "b": {"from": "b"}, "c": {"Error": "Boom", "Cause": "c"}, "d": "d"}
    assert seen == [{"FunctionName": "f", "Payload": {"in": 0, "a": 1}}]


def test_an_override_wins_over_the_test_case():
    mocks = Mocks(config({"0": {"Return": "from the file"}}), "Case", overrides={"T": "from python"})
    assert run(one_task(), resources=Resources(mocks=mocks)).output == "from python"


def test_a_callable_that_raises_fails_the_task_with_the_exception_class_name():
    def broken(payload):
        raise KeyError("missing")

    async def later(payload):
        return "async ok"

    ex = run(one_task(), resources=Resources(mocks=Mocks(overrides={"T": broken})))
    assert (ex.error, ex.cause) == ("KeyError", "'missing'")
    assert run(one_task(), resources=Resources(mocks=Mocks(overrides={"T": later}))).output == "async ok"


def test_each_execution_counts_its_own_invocations():
    mocks = Mocks(config({"0": {"Return": "first"}}), "Case")
    assert [run(one_task(), name=f"e{i}", resources=Resources(mocks=mocks)).output for i in range(2)] == [
        "first", "first"]
