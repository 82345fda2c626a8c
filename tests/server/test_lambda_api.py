"""Functions created through Lambda's API on ``asl serve`` (a zip of Python code) run in-process, unchanged
clients and workflows alike, and survive a restart on the same --db."""

from __future__ import annotations

import base64
import io
import json
import textwrap
import zipfile

import pytest
from botocore.exceptions import ClientError

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, wait_for_end

LAMBDA_ROLE = "arn:aws:iam::123456789012:role/lambda-exec"
APP = '''
import os
import time

import helper


def handler(event, context):
    if event.get("fail"):
        raise ValueError("bad input")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"greeting": helper.greet(os.environ["GREETING"]), "n": event.get("n"),
            "memory": context.memory_limit_in_mb, "remaining": context.get_remaining_time_in_millis()}
'''


def package(app: str = APP, greeting: str = "hello") -> bytes:
    """A deployment package in memory: the handler and a module of its own beside it."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", textwrap.dedent(app))
        zipped.writestr("helper.py", f"def greet(name):\n    return '{greeting} ' + name\n")
    return archive.getvalue()


def create(lam, name: str, code: dict | None = None, **config) -> dict:
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=LAMBDA_ROLE, Handler="app.handler",
                               Code=code or {"ZipFile": package()}, Timeout=config.pop("Timeout", 2),
                               MemorySize=256, Environment={"Variables": {"GREETING": "world"}}, **config)


def invoke(lam, name: str, event: dict, **params) -> tuple[dict, dict]:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **params)
    return answer, json.loads(answer["Payload"].read() or b"null")


@pytest.fixture(scope="module")
def lam(server: Server):
    server.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument="{}")
    return server.client("lambda")


def test_create_and_invoke(lam) -> None:
    created = create(lam, "api-hello")
    assert created["FunctionArn"].endswith(":function:api-hello") and created["Handler"] == "app.handler"
    answer, body = invoke(lam, "api-hello", {"n": 1}, LogType="Tail")
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "START RequestId" in base64.b64decode(answer["LogResult"]).decode()
    assert body["greeting"] == "hello world" and body["n"] == 1 and body["memory"] == 256
    assert 0 < body["remaining"] <= 2000
    assert lam.get_function(FunctionName="api-hello")["Configuration"]["Timeout"] == 2
    assert "api-hello" in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert lam.invoke(FunctionName="api-hello", Payload=b"{}", InvocationType="Event")["StatusCode"] == 202
    assert lam.invoke(FunctionName="api-hello", Payload=b"{}", InvocationType="DryRun")["StatusCode"] == 204


def test_a_handled_error_and_a_timeout(lam) -> None:
    create(lam, "api-errors", Timeout=1)
    answer, body = invoke(lam, "api-errors", {"fail": True})
    assert answer["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "bad input")
    assert any("/var/task/app.py" in frame for frame in body["stackTrace"])
    answer, body = invoke(lam, "api-errors", {"sleep": 3})
    assert answer["FunctionError"] == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_a_workflow_task_calls_a_created_function(server: Server, lam) -> None:
    create(lam, "api-flow")
    sfn = server.client()
    arn = sfn.create_state_machine(name="calls-created", roleArn=ROLE, definition=definition({"L": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "api-flow", "Payload.$": "$"},
        "ResultSelector": {"out.$": "$.Payload.greeting"}, "End": True}}))["stateMachineArn"]
    described = wait_for_end(sfn, sfn.start_execution(stateMachineArn=arn, input='{"n": 5}')["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"out": "hello world"}


def test_update_code_and_configuration_then_delete(lam) -> None:
    create(lam, "api-update")
    lam.update_function_code(FunctionName="api-update", ZipFile=package(greeting="goodbye"))
    assert invoke(lam, "api-update", {})[1]["greeting"] == "goodbye world"
    lam.update_function_configuration(FunctionName="api-update", Environment={"Variables": {"GREETING": "moon"}})
    assert invoke(lam, "api-update", {})[1]["greeting"] == "goodbye moon"
    lam.delete_function(FunctionName="api-update")
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="api-update", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_code_from_s3(server: Server, lam) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="api-code")
    s3.put_object(Bucket="api-code", Key="fn.zip", Body=package(greeting="hi"))
    create(lam, "api-s3", code={"S3Bucket": "api-code", "S3Key": "fn.zip"})
    assert invoke(lam, "api-s3", {})[1]["greeting"] == "hi world"


def test_code_that_cannot_be_imported_and_another_runtime(lam) -> None:
    lam.create_function(FunctionName="api-broken", Runtime="python3.12", Role=LAMBDA_ROLE, Handler="nope.handler",
                        Code={"ZipFile": package()})
    answer, body = invoke(lam, "api-broken", {})
    assert answer["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
    lam.create_function(FunctionName="api-node", Runtime="nodejs20.x", Role=LAMBDA_ROLE, Handler="index.handler",
                        Code={"ZipFile": package()})
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="api-node", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "InvalidRuntimeException"
    assert "nodejs20.x" in e.value.response["Error"]["Message"]


def test_functions_survive_a_restart(tmp_path) -> None:
    db = tmp_path / "state.db"
    first = Server(db)
    try:
        first.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument="{}")
        create(first.client("lambda"), "api-kept")
    finally:
        first.stop()
    second = Server(db)
    try:
        lam = second.client("lambda")
        assert invoke(lam, "api-kept", {"n": 2})[1]["greeting"] == "hello world"
        assert lam.get_function(FunctionName="api-kept")["Configuration"]["MemorySize"] == 256
    finally:
        second.stop()
