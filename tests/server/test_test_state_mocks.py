"""TestState's ``mock`` through boto3 against ``asl serve``: mocked results and errors, their validation against
the API models (fieldValidationMode), Map and Parallel on mocked results, and an HTTP Task's TRACE.

Expectations are AWS's recorded answers where they exist (LocalStack's TestState snapshot tests, recorded
against AWS in 2025-11/12 and 2026-02), named per case.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.server.test_test_state import LAMBDA, VALUES, refused, run

PUT_EVENTS = {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
              "Parameters": {"Entries.$": "$.Entries"}, "End": True}
START_EXECUTION = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                   "Parameters": {"StateMachineArn.$": "$.stateMachineArn", "Input.$": "$.targetInput",
                                  "Name.$": "$.name"}, "ResultPath": "$.targetExecutionResult",
                   "OutputPath": "$.targetExecutionResult", "End": True}
LAMBDA_TASK = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName.$": "$.FunctionName",
                                                                   "Payload.$": "$.Payload"}, "End": True}
PUT_ITEM = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName.$": "$.TableName", "Item.$": "$.Item"}, "End": True}
GET_OBJECT = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
              "Parameters": {"Bucket": "bucket_name", "Key": "file_key"}, "End": True}
ENCRYPT = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:kms:encrypt",
           "Parameters": {"KeyId": "key_id", "Plaintext": "plain_text"}, "End": True}
TARGET = {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:TargetStateMachine",
          "targetInput": None, "name": "TestStartTarget"}


def mocked(sfn: Any, state: dict, result: Any, mode: str | None = None, input: Any = None) -> dict:
    input = {"FunctionName": "f", "Payload": None} if input is None else input
    mock = {"result": json.dumps(result), **({"fieldValidationMode": mode} if mode else {})}
    return run(sfn, state, input, mock=mock)


# Recorded: test_test_state_mock_scenarios::test_*_success
def test_mocked_results_flow_through_the_state(sfn) -> None:
    lambda_result = {"Payload": "function output", "SdkHttpMetadata": {"HttpStatusCode": 200}}
    assert mocked(sfn, LAMBDA_TASK, lambda_result) == {"output": lambda_result, "status": "SUCCEEDED"}
    item = {"TableName": "t", "Item": {"data": {"S": "HelloWorld"}, "id": {"S": "id1"}}}
    put = {**PUT_ITEM, "ResultPath": "$.putItemOutput"}
    assert mocked(sfn, put, {"SdkHttpMetadata": {"HttpStatusCode": 200}}, input=item)["output"] == \
           {**item, "putItemOutput": {"SdkHttpMetadata": {"HttpStatusCode": 200}}}
    entries = {"Entries": [{"EventId": "e-1"}]}
    assert mocked(sfn, PUT_EVENTS, entries, input={"Entries": []})["output"] == entries
    started = {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:TargetStateMachine:TestStartTarget",
               "StartDate": "2025-11-25T00:48:49.000"}
    assert mocked(sfn, START_EXECUTION, started, input=TARGET)["output"] == started


# Recorded: test_field_validation_mode::*, test_field_validation_mode_present::* (STRICT is the default)
@pytest.mark.parametrize("mode", [None, "STRICT", "PRESENT"])
@pytest.mark.parametrize(("state", "result", "problem"), [
    (PUT_EVENTS, {"Entries": "not a list"}, "Field 'Entries' must be an array"),
    (PUT_EVENTS, {"Entries": [{"EventId": ["a list"]}]}, "Field 'EventId' must be a string"),
    (PUT_EVENTS, {"Entries": [{"EventId": "fine"}, {"EventId": ["a list"]}]}, "Field 'EventId' must be a string"),
    (START_EXECUTION, {"ExecutionArn": "arn", "StartDate": True}, "Field 'StartDate' must be a string"),
    (START_EXECUTION, {"ExecutionArn": "arn", "StartDate": 1764103483}, "Field 'StartDate' must be a string"),
    (LAMBDA_TASK, {"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
    (PUT_ITEM, {"ConsumedCapacity": {"CapacityUnits": "123.45"}}, "Field 'CapacityUnits' must be a number"),
    (GET_OBJECT, {"ContentLength": "9000"}, "Field 'ContentLength' must be a number"),
    (GET_OBJECT, {"StorageClass": "Papyrus"}, "Field 'StorageClass' is not an expected value"),
    (ENCRYPT, {"CiphertextBlob": 123}, "Field 'CiphertextBlob' must be a string"),
    (ENCRYPT, {"CiphertextBlob": ""}, "Field 'CiphertextBlob' is smaller than the minimum length")])
def test_a_mocked_result_that_breaks_the_api_model_is_refused(sfn, mode: str | None, state: dict, result: Any,
                                                              problem: str) -> None:
    mock = {"result": json.dumps(result), **({"fieldValidationMode": mode} if mode else {})}
    value = {**TARGET, "FunctionName": "f", "Payload": None, "TableName": "t", "Item": {}, "Entries": []}
    assert refused(sfn, state, input=json.dumps(value), mock=mock) == \
           ("ValidationException", f"Mock result schema validation error: {problem}")


def test_strict_requires_the_required_members_present_does_not(sfn) -> None:
    missing = ("ValidationException", "Mock result schema validation error: Required field 'ExecutionArn' is missing")
    for result in ({}, {"executionArn": "x", "startDate": "y"}):  # Step Functions names members in PascalCase
        assert refused(sfn, START_EXECUTION, input=json.dumps(TARGET), mock={"result": json.dumps(result)}) == missing
        assert mocked(sfn, START_EXECUTION, result, "PRESENT", TARGET) == {"output": result, "status": "SUCCEEDED"}
    assert refused(sfn, START_EXECUTION, input=json.dumps(TARGET),
                   mock={"result": json.dumps({"ExecutionArn": 1764103483}), "fieldValidationMode": "PRESENT"}) == \
           ("ValidationException", "Mock result schema validation error: Field 'ExecutionArn' must be a string")


def test_members_outside_the_model_and_mode_none_pass(sfn) -> None:
    for mode in (None, "STRICT", "PRESENT", "NONE"):
        for result in ({"random": "json"}, {}):
            assert mocked(sfn, PUT_EVENTS, result, mode, {"Entries": []}) == {"output": result, "status": "SUCCEEDED"}
    assert mocked(sfn, LAMBDA_TASK, {"StatusCode": "200"}, "NONE")["output"] == {"StatusCode": "200"}
    # a .sync task's mock is checked against the API Step Functions polls: DescribeExecution for startExecution
    sync = {**START_EXECUTION, "Resource": "arn:aws:states:::states:startExecution.sync:2"}
    assert refused(sfn, sync, input=json.dumps(TARGET), mock={"result": json.dumps({"ExecutionArn": "a"})})[1] == \
           "Mock result schema validation error: Required field 'StateMachineArn' is missing"


# Recorded: test_state_mock_validation::*, test_test_state_mock_scenarios::test_..._mock_is_not_json_string
def test_mocks_aws_refuses(sfn) -> None:
    for state in ({"Type": "Pass", "End": True}, {"Type": "Fail", "Error": "E"}, {"Type": "Succeed"}):
        for mock in ({"result": json.dumps({"mock": "the unmockable"})},
                     {"errorOutput": {"error": "Error", "cause": "Cause"}}):
            assert refused(sfn, state, mock=mock, inspectionLevel="TRACE") == \
                   ("ValidationException", f"State type '{state['Type']}' is not supported when a mock is specified")
    assert refused(sfn, LAMBDA_TASK, mock={"result": "{}", "errorOutput": {"error": "E"}}) == \
           ("ValidationException", "A test mock should have only one of the following fields: [result, errorOutput].")
    assert refused(sfn, LAMBDA_TASK, mock={"result": "{}"}, revealSecrets=True) == \
           ("ValidationException", "TestState does not support RevealSecrets when a mock is specified.")
    assert refused(sfn, LAMBDA_TASK, mock={"result": "not JSON string", "fieldValidationMode": "NONE"})[0] == \
        "ValidationException"


def test_a_mock_makes_the_role_optional_and_answers_activities_and_callbacks(sfn) -> None:
    activity = {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:nobody-polls",
                "End": True}
    assert run(sfn, activity, roleArn=None, mock={"result": json.dumps({"done": True})}) == \
           {"output": {"done": True}, "status": "SUCCEEDED"}
    callback = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": True}
    assert run(sfn, callback, roleArn=None, mock={"errorOutput": {"error": "Rejected", "cause": "no"}}) == \
           {"error": "Rejected", "cause": "no", "status": "FAILED"}


MAP_PROCESSOR = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "TestState",
                 "States": {"TestState": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": LAMBDA,
                                          "Arguments": {"FunctionName": "foo", "Payload": "bar"}, "End": True}}}
JSONATA_MAP = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.Values %}",
               "ItemProcessor": MAP_PROCESSOR, "End": True}
THRESHOLD = {"error": "States.ExceedToleratedFailureThreshold",
             "cause": "The specified tolerated failure threshold was exceeded"}


# Recorded: test_test_state_scenarios::test_base_map_state_inspect[...]
@pytest.mark.parametrize(("field", "shown"), [("MaxConcurrency", {"maxConcurrency": 1}),
                                              ("ToleratedFailurePercentage", {"maxConcurrency": 0,
                                                                              "toleratedFailurePercentage": 1.0}),
                                              ("ToleratedFailureCount", {"maxConcurrency": 0,
                                                                         "toleratedFailureCount": 1})])
def test_a_map_is_tested_on_its_mocked_result(sfn, field: str, shown: dict) -> None:
    state = {**JSONATA_MAP, "Output": "{% $states %}", field: "{% 1 %}"}
    value = {"Values": [1, 2, 3]}
    out = run(sfn, state, value, inspectionLevel="DEBUG", mock={"result": json.dumps([1, 1, 1])})
    states = out.pop("output")
    assert out == {"status": "SUCCEEDED", "inspectionData": {"input": value, **shown}}
    assert states["input"] == value and states["result"] == [1, 1, 1]
    assert states["context"]["State"] == {"Name": "StateName", "EnteredTime": states["context"]["State"][
        "EnteredTime"], "RetryCount": 0}


# Recorded: test_state_configuration::test_map_state_failure_count[*-BASE_MAP_STATE*|MAP_TASK_STATE]
def test_map_iteration_failures_against_the_tolerated_threshold(sfn) -> None:
    def attempt(state: dict, failures: int, result: list, level: str = "DEBUG") -> dict:
        return run(sfn, state, VALUES, inspectionLevel=level, mock={"result": json.dumps(result)},
                   stateConfiguration={"mapIterationFailureCount": failures})

    untolerant = {**JSONATA_MAP, "Output": "{% $states.result %}"}
    assert attempt(untolerant, 2, [0, 0, 1])["output"] == [0, 0, 1]  # no threshold set: nothing to exceed
    catching = {**JSONATA_MAP, "ToleratedFailureCount": 1, "Catch": [
        {"ErrorEquals": ["MockException"], "Next": "HandleMockException"},
        {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Output": "{% $states.errorOutput %}",
         "Next": "HandleThreshold"}]}
    below = attempt(catching, 0, [1, 1, 1])
    assert below == {"output": [1, 1, 1], "status": "SUCCEEDED",
                     "inspectionData": {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1}}
    over = attempt(catching, 2, [0, 0, 1])
    assert over == {**THRESHOLD, "status": "CAUGHT_ERROR", "nextState": "HandleThreshold",
                    "output": {"Error": THRESHOLD["error"], "Cause": THRESHOLD["cause"]},
                    "inspectionData": {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1,
                                       "errorDetails": {"catchIndex": 1}}}
    retrying = {**JSONATA_MAP, "ToleratedFailureCount": 1, "Retry": [
        {"ErrorEquals": ["MockException"], "MaxAttempts": 3},
        {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 2}]}
    assert attempt(retrying, 2, [0, 0, 1], "TRACE") == \
           {**THRESHOLD, "status": "RETRIABLE",
            "inspectionData": {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1,
                               "errorDetails": {"retryBackoffIntervalSeconds": 1, "retryIndex": 1}}}
    assert attempt(retrying, 2, [0, 0, 1], "INFO") == {**THRESHOLD, "status": "RETRIABLE"}


# Recorded: test_state_configuration::test_map_state_error_caused_by_state, test_state_machine_with_state_error
def test_an_error_mocked_for_a_map_comes_from_the_state_named(sfn) -> None:
    mock = {"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}}
    config = {"errorCausedByState": "TestState", "mapIterationFailureCount": 2}
    assert run(sfn, JSONATA_MAP, VALUES, inspectionLevel="DEBUG", mock=mock, stateConfiguration=config) == \
           {"error": "MockException", "cause": "Mock the error cause.", "status": "FAILED",
            "inspectionData": {"input": VALUES, "maxConcurrency": 0}}
    machine = {"StartAt": "State0", "States": {"State0": {
        "Type": "Map", "ItemsPath": "$.Values", "ToleratedFailureCount": 2, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}}}}}
    out = run(sfn, machine, VALUES, stateName="State0", inspectionLevel="DEBUG", mock=mock,
              stateConfiguration={"errorCausedByState": "HandleItem", "mapIterationFailureCount": 2})
    assert out == {"error": "MockException", "cause": "Mock the error cause.", "status": "FAILED",
                   "inspectionData": {"input": VALUES, "afterInputPath": VALUES,
                                      "afterItemsPath": VALUES["Values"], "maxConcurrency": 0,
                                      "toleratedFailureCount": 2}}


def test_a_jsonpath_map_shows_its_item_stages(sfn) -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
             "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
             "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                               "States": {"P": {"Type": "Pass", "End": True}}},
             "ResultPath": "$.results", "Next": "After"}
    out = run(sfn, state, {"items": ["a", "b"]}, inspectionLevel="DEBUG", mock={"result": json.dumps([10, 20])})
    assert out == {"output": {"items": ["a", "b"], "results": [10, 20]}, "nextState": "After", "status": "SUCCEEDED",
                   "inspectionData": {"input": {"items": ["a", "b"]}, "afterInputPath": {"items": ["a", "b"]},
                                      "afterItemsPath": ["a", "b"],
                                      "afterItemSelector": [{"value": "a", "index": 0}, {"value": "b", "index": 1}],
                                      "maxConcurrency": 1, "afterResultSelector": [10, 20],
                                      "afterResultPath": {"items": ["a", "b"], "results": [10, 20]}}}
    # Recorded: test_state_machine_configuration_map_iteration_item_reader[*]
    reader = {**state, "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                      "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}}}
    del reader["ItemsPath"]
    out = run(sfn, reader, {"Bucket": "test-bucket", "Key": "test-key"}, mock={"result": json.dumps([1, 4, 9])},
              stateConfiguration={"mapItemReaderData": json.dumps([1, 2, 3])})
    assert out["output"] == {"Bucket": "test-bucket", "Key": "test-key", "results": [1, 4, 9]}


# Recorded: test_state_mock_validation::test_mock_result_*
def test_map_and_parallel_mock_shapes(sfn) -> None:
    parallel = {"Type": "Parallel", "Branches": [{"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}
                                                 for name in ("P1", "P2")], "ResultSelector": {"first.$": "$[0]"},
                "End": True}
    assert refused(sfn, parallel, mock={"result": "{}"}) == ("ValidationException", "Mocked result must be an array.")
    assert refused(sfn, parallel, mock={"result": "[1]"}) == \
           ("ValidationException",
            "Mocked result must contain the same number of items as number of Parallel branches.")
    assert refused(sfn, JSONATA_MAP, input=json.dumps(VALUES), mock={"result": "{}"}) == \
           ("ValidationException", "Mocked result must be an array.")
    writer = {**JSONATA_MAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                              "Arguments": {"Bucket": "b", "Prefix": "p"}}}
    assert refused(sfn, writer, input=json.dumps(VALUES), mock={"result": "[1]"}) == \
           ("ValidationException", "Mocked result must be a JSON object.")
    out = run(sfn, parallel, {"a": 1}, inspectionLevel="DEBUG", mock={"result": json.dumps(["x", "y"])})
    assert out == {"output": {"first": "x"}, "status": "SUCCEEDED",
                   "inspectionData": {"input": {"a": 1}, "afterInputPath": {"a": 1}, "afterParameters": {"a": 1},
                                      "afterResultSelector": {"first": "x"}, "afterResultPath": {"first": "x"}}}


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received, and 418 for the path /teapot."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = json.dumps({"path": self.path, "body": json.loads(body or b"null")}).encode()
        self.send_response(418 if self.path.startswith("/teapot") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_trace_shows_an_http_tasks_request_and_response(sfn, echo: str) -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
            "Parameters": {"ApiEndpoint": f"{echo}/approval", "Method": "POST", "QueryParameters": {"q": "1"},
                           "Headers": {"Authorization": "Bearer secret", "x-custom": "h1"},
                           "RequestBody": {"cost": 10},
                           "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c"}}}
    out = run(sfn, task, inspectionLevel="TRACE")
    assert out["status"] == "SUCCEEDED" and out["output"]["ResponseBody"] == {"path": "/approval?q=1",
                                                                              "body": {"cost": 10}}
    request, response = out["inspectionData"]["request"], out["inspectionData"]["response"]
    assert request["method"] == "POST" and request["url"] == f"{echo}/approval?q=1" and request["protocol"] == "http"
    assert json.loads(request["body"]) == {"cost": 10}
    assert json.loads(request["headers"]) == {"x-custom": "h1", "Content-Type": "application/json"}
    assert response["statusCode"] == "200" and response["statusMessage"] == "OK"
    assert json.loads(response["body"]) == {"path": "/approval?q=1", "body": {"cost": 10}}
    revealed = run(sfn, task, inspectionLevel="TRACE", revealSecrets=True)["inspectionData"]["request"]
    assert json.loads(revealed["headers"])["Authorization"] == "Bearer secret"
    assert "request" not in run(sfn, task, inspectionLevel="DEBUG")["inspectionData"]
    teapot = {**task, "Parameters": {**task["Parameters"], "ApiEndpoint": f"{echo}/teapot"}}
    failed = run(sfn, teapot, inspectionLevel="TRACE")
    assert failed["status"] == "FAILED" and failed["error"] == "States.Http.StatusCode.418"
    assert failed["inspectionData"]["response"]["statusCode"] == "418"


# Recorded: test_test_state_scenarios::test_localstack_blogpost_scenario (a mocked HTTP Task shows no exchange)
def test_a_mocked_http_task_at_trace(sfn) -> None:
    task = {"QueryLanguage": "JSONata", "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
            "Arguments": {"Method": "POST", "ApiEndpoint": "example.execute-api.us-east-1.amazonaws.com",
                          "Path": "/approval", "RequestBody": {"cost": "{% $states.input.cost %}"},
                          "AuthType": "NO_AUTH"},
            "Output": "{% $merge([$states.result, {'approval_code': '2387462', 'approved_by': 'Mary'}]) %}",
            "Next": "Check Approval"}
    out = run(sfn, task, {"cost": 10}, roleArn=None, inspectionLevel="TRACE",
              mock={"result": '{"approval": true }'})
    assert out == {"output": {"approval": True, "approval_code": "2387462", "approved_by": "Mary"},
                   "nextState": "Check Approval", "status": "SUCCEEDED",
                   "inspectionData": {"input": {"cost": 10}, "result": {"approval": True},
                                      "afterArguments": {"Method": "POST",
                                                         "ApiEndpoint": "example.execute-api.us-east-1.amazonaws.com",
                                                         "Path": "/approval", "RequestBody": {"cost": 10},
                                                         "AuthType": "NO_AUTH"}}}


def test_an_unmocked_lambda_task_runs_the_function(sfn) -> None:
    """Without a mock the Task calls the function as an execution would (here: not deployed, a task failure)."""
    task = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "no-such-function"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": True}
    out = run(sfn, task, inspectionLevel="DEBUG")
    assert out["status"] == "CAUGHT_ERROR" and out["nextState"] == "Handled"
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0}

