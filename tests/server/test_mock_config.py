"""Step Functions Local's mocked service integrations on ``asl serve``: ``--mock-config`` / ``SFN_MOCK_CONFIG`` /
``POST /_asl/mock-config``, and executions started as ``<state machine ARN>#<TestCase>``.

What Step Functions Local does, from AWS's guide ("Using mocked service integrations for testing in Step
Functions Local", step 3): StartExecution of ``...:stateMachine:LambdaSQSIntegration#HappyPath`` named
``executionWithHappyPathMockedServices`` answers the execution ARN
``...:execution:LambdaSQSIntegration:executionWithHappyPathMockedServices`` (the machine's own, no test case),
and the execution is read back with DescribeExecution, ListExecutions and GetExecutionHistory as any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, eventually, wait_for_end

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:HelloWorldFunction"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue"
LAMBDA_SQS = definition({  # AWS's LambdaSQSIntegration example
    "LambdaState": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"Payload.$": "$", "FunctionName": FUNCTION}, "Next": "SQSState",
                    "Catch": [{"ErrorEquals": ["Lambda.ResourceNotReadyException"], "ResultPath": "$.error",
                               "Next": "NotReady"}]},
    "SQSState": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": QUEUE, "MessageBody.$": "$"}, "End": True},
    "NotReady": {"Type": "Pass", "Parameters": {"caught.$": "$.error.Error"}, "End": True}})
EACH = definition({  # one Task state invoked once per item, in order: invocation numbers 0, 1, 2...
    "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True, "ItemProcessor": {
        "StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"}, "OutputPath": "$.Payload",
                     "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}}})
LAMBDA_OK = {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}
SQS_OK = {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e", "MessageId": "3bcb6e8e-8b51"}}}
CONFIG = {
    "StateMachines": {
        "LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
            "NotReadyPath": {"LambdaState": "LambdaMockedResourceNotReady"}}},
        "Each": {"TestCases": {"Ranges": {"Call": "FirstTwoThenLast"}}}},
    "MockedResponses": {
        "MockedLambdaSuccess": LAMBDA_OK,
        "MockedSQSSuccess": SQS_OK,
        "LambdaMockedResourceNotReady": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException",
                                                         "Cause": "Lambda resource is not ready."}}},
        "FirstTwoThenLast": {"0-1": {"Return": {"Payload": "early"}}, "2": {"Return": {"Payload": "last"}}}}}


@pytest.fixture(scope="module")
def mocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server started with ``--mock-config`` (and moto off: a mocked Task never reaches a service)."""
    root = tmp_path_factory.mktemp("mocks")
    (root / "MockConfigFile.json").write_text(json.dumps(CONFIG))
    srv = Server(root / "state.db", "--virtual-clock", "--no-moto", "--mock-config",
                 str(root / "MockConfigFile.json"))
    yield srv
    srv.stop()


def machine(sfn: Any, name: str, text: str = LAMBDA_SQS) -> str:
    return sfn.create_state_machine(name=name, definition=text, roleArn=ROLE)["stateMachineArn"]


def refused(call: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]


def load(server: Server, document: Any) -> tuple[int, dict]:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return server.post("/_asl/mock-config", body, {"Content-Type": "application/json"})


def test_a_test_case_answers_its_task_states_and_the_execution_is_the_machines(mocked: Server) -> None:
    sfn = mocked.client()
    arn = machine(sfn, "LambdaSQSIntegration")
    started = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", name="executionWithHappyPathMockedServices")
    assert started["executionArn"] == \
           "arn:aws:states:us-east-1:123456789012:execution:LambdaSQSIntegration:executionWithHappyPathMockedServices"
    ended = wait_for_end(sfn, started["executionArn"])
    assert (ended["status"], ended["stateMachineArn"]) == ("SUCCEEDED", arn)
    assert json.loads(ended["output"]) == SQS_OK["0"]["Return"]
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    outputs = [json.loads(e["taskSucceededEventDetails"]["output"]) for e in events if e["type"] == "TaskSucceeded"]
    assert outputs == [LAMBDA_OK["0"]["Return"], SQS_OK["0"]["Return"]]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == \
           [started["executionArn"]]


def test_a_mocked_throw_is_the_tasks_error_for_catch(mocked: Server) -> None:
    sfn = mocked.client()
    arn = machine(sfn, "LambdaSQSIntegration")
    started = sfn.start_execution(stateMachineArn=f"{arn}#NotReadyPath")
    ended = wait_for_end(sfn, started["executionArn"])
    assert json.loads(ended["output"]) == {"caught": "Lambda.ResourceNotReadyException"}


def test_invocation_ranges_count_the_states_invocations(mocked: Server) -> None:
    sfn = mocked.client()
    arn = machine(sfn, "Each", EACH)
    started = sfn.start_execution(stateMachineArn=f"{arn}#Ranges", input=json.dumps({"items": [1, 2, 3]}))
    for _ in range(3):  # each item waits an hour on the virtual clock
        eventually(lambda: _waiting(sfn, started["executionArn"]))
        mocked.advance(3600)
    ended = wait_for_end(sfn, started["executionArn"])
    assert json.loads(ended["output"]) == ["early", "early", "last"]


def test_an_unknown_test_case_or_machine_is_refused_and_nothing_is_stored(mocked: Server) -> None:
    sfn = mocked.client()
    arn = machine(sfn, "LambdaSQSIntegration")
    before = sfn.list_executions(stateMachineArn=arn)["executions"]
    error = refused(lambda: sfn.start_execution(stateMachineArn=f"{arn}#Unknown", name="unknown-case"))
    assert error["Code"] == "ValidationException"
    assert "'Unknown'" in error["Message"] and "'LambdaSQSIntegration'" in error["Message"]
    other = machine(sfn, "NotInTheConfig")
    error = refused(lambda: sfn.start_execution(stateMachineArn=f"{other}#HappyPath"))
    assert error["Code"] == "ValidationException" and "'NotInTheConfig'" in error["Message"]
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == before
    assert sfn.list_executions(stateMachineArn=other)["executions"] == []
    # the name was not taken
    started = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", name="unknown-case")
    assert wait_for_end(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    # a machine that does not exist is still that, test case or not
    assert refused(lambda: sfn.start_execution(stateMachineArn=arn + "Gone#HappyPath"))["Code"] == \
           "StateMachineDoesNotExist"


def test_start_sync_execution_runs_a_test_case_too(mocked: Server) -> None:
    sfn = mocked.client()
    arn = sfn.create_state_machine(name="LambdaSQSIntegration-express", definition=LAMBDA_SQS, roleArn=ROLE,
                                   type="EXPRESS")["stateMachineArn"]
    assert refused(lambda: sfn.start_sync_execution(stateMachineArn=f"{arn}#HappyPath"))["Code"] == \
           "ValidationException"  # the configuration lists no machine of that name
    status, body = load(mocked, {**CONFIG, "StateMachines": {
        **CONFIG["StateMachines"], "LambdaSQSIntegration-express": CONFIG["StateMachines"]["LambdaSQSIntegration"]}})
    assert status == 200, body
    result = sfn.start_sync_execution(stateMachineArn=f"{arn}#HappyPath")
    assert (result["status"], json.loads(result["output"])) == ("SUCCEEDED", SQS_OK["0"]["Return"])


def test_the_admin_endpoint_replaces_the_config_and_refuses_a_bad_one(mocked: Server) -> None:
    sfn = mocked.client()
    arn = machine(sfn, "LambdaSQSIntegration")
    replaced = {"StateMachines": {"LambdaSQSIntegration": {"TestCases": {"OnlyLambda": {
        "LambdaState": "Other"}}}}, "MockedResponses": {"Other": {"0": {"Return": {"Payload": "other"}}}}}
    try:
        assert load(mocked, replaced) == (200, {"stateMachines": ["LambdaSQSIntegration"]})
        assert refused(lambda: sfn.start_execution(stateMachineArn=f"{arn}#HappyPath"))["Code"] == \
               "ValidationException"  # gone with the old configuration
        status, body = load(mocked, b'{"StateMachines": ')
        assert status == 400 and body["__type"] == "ValidationException" and "not JSON" in body["message"]
        bad_throw = {**replaced, "MockedResponses": {"Other": {"0": {"Throw": {"Cause": "no error"}}}}}
        status, body = load(mocked, bad_throw)
        assert (status, body["__type"], body["pointer"]) == (400, "ValidationException",
                                                             "/MockedResponses/Other/0/Throw/Error")
        # the refused documents changed nothing: OnlyLambda still runs (SQSState is not mocked: "hybrid")
        started = sfn.start_execution(stateMachineArn=f"{arn}#OnlyLambda")
        events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
        assert any(e["type"] == "TaskSucceeded" and json.loads(e["taskSucceededEventDetails"]["output"]) ==
                   {"Payload": "other"} for e in events)
    finally:
        assert load(mocked, CONFIG)[0] == 200


def test_without_a_config_a_test_case_is_refused(server: Server, sfn: Any) -> None:
    arn = machine(sfn, "mock-config-not-loaded", definition({"P": {"Type": "Pass", "End": True}}))
    error = refused(lambda: sfn.start_execution(stateMachineArn=f"{arn}#HappyPath"))
    assert error["Code"] == "ValidationException" and "no mock configuration is loaded" in error["Message"]
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


def test_sfn_mock_config_is_read_when_the_flag_is_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mocks.json").write_text(json.dumps(CONFIG))
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(tmp_path / "mocks.json"))
    srv = Server(tmp_path / "state.db", "--no-moto")
    try:
        sfn = srv.client()
        arn = machine(sfn, "LambdaSQSIntegration")
        started = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath")
        assert wait_for_end(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    finally:
        srv.stop()


def test_a_bad_mock_config_file_stops_asl_serve(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"StateMachines": {}}')
    with pytest.raises(RuntimeError, match="MockedResponses is required"):
        Server(tmp_path / "state.db", "--no-moto", "--mock-config", str(tmp_path / "bad.json"))


def test_a_resumed_test_case_execution_keeps_its_mocks_and_their_count(tmp_path: Path) -> None:
    """kill -9 while an item waits; restarted WITHOUT the config, the execution still answers from its test case
    (kept with its record), and the invocation read back from its history still counts."""
    (tmp_path / "mocks.json").write_text(json.dumps(CONFIG))
    srv = Server(tmp_path / "state.db", "--virtual-clock", "--no-moto", "--mock-config", str(tmp_path / "mocks.json"))
    try:
        sfn = srv.client()
        arn = machine(sfn, "Each", EACH)
        started = sfn.start_execution(stateMachineArn=f"{arn}#Ranges", input=json.dumps({"items": [1, 2, 3]}))
        eventually(lambda: _waiting(sfn, started["executionArn"]))
        srv.advance(3600)
        eventually(lambda: _waiting(sfn, started["executionArn"], 2))  # two invocations made and stored
    finally:
        srv.crash()
    srv = Server(tmp_path / "state.db", "--virtual-clock", "--no-moto")
    try:
        sfn = srv.client()
        for _ in range(2):
            srv.advance(3600)
            if sfn.describe_execution(executionArn=started["executionArn"])["status"] != "RUNNING":
                break
            eventually(lambda: _waiting(sfn, started["executionArn"], 3))
        ended = wait_for_end(sfn, started["executionArn"])
        assert (ended["status"], json.loads(ended["output"])) == ("SUCCEEDED", ["early", "early", "last"])
        events = sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)["events"]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert sum(e["type"] == "TaskSucceeded" for e in events) == 3
    finally:
        srv.stop()


def _waiting(sfn: Any, arn: str, waits: int = 1) -> bool:
    """Whether the execution has entered its ``waits``-th Wait state."""
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(e["type"] == "WaitStateEntered" for e in events) >= waits
