"""One endpoint, several accounts: a 12-digit access key id (or moto's ``x-moto-account-id``) is the caller's
account, so each account has its own state machines and executions, and a workflow of one account starts a
state machine of another (cross-account, as AWS does with ``Credentials.RoleArn``) where that one lives."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

from tests.server.conftest import Server
from tests.server.helpers import PASS, ROLE, definition, wait_for_end

A, B = "111111111111", "222222222222"


def client(server: Server, key: str, service: str = "stepfunctions", account_header: str | None = None) -> Any:
    made = boto3.session.Session().client(
        service, endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}, read_timeout=30))
    if account_header is not None:
        def add_header(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account_header

        made.meta.events.register("before-sign", add_header)
    return made


def names(sfn: Any) -> set[str]:
    return {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}


def test_each_access_key_account_has_its_own_state_machines(server: Server) -> None:
    in_a, in_b, default = client(server, A), client(server, B), server.client()
    arn_a = in_a.create_state_machine(name="accounts-same-name", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    arn_b = in_b.create_state_machine(name="accounts-same-name", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert arn_a == f"arn:aws:states:us-east-1:{A}:stateMachine:accounts-same-name"
    assert arn_b == f"arn:aws:states:us-east-1:{B}:stateMachine:accounts-same-name"
    assert arn_a in names(in_a) and arn_b not in names(in_a)
    assert arn_b in names(in_b) and arn_a not in names(in_b)
    assert not {arn_a, arn_b} & names(default)  # "test" is no account id: the default account's list
    started = in_b.start_execution(stateMachineArn=arn_b, name="in-b")
    assert started["executionArn"] == f"arn:aws:states:us-east-1:{B}:execution:accounts-same-name:in-b"
    assert wait_for_end(in_b, started["executionArn"])["status"] == "SUCCEEDED"
    assert [e["executionArn"] for e in in_b.list_executions(stateMachineArn=arn_b)["executions"]] == \
           [started["executionArn"]]
    assert in_a.list_executions(stateMachineArn=arn_a)["executions"] == []


def test_moto_account_header_names_the_account(server: Server) -> None:
    sfn = client(server, "test", account_header="333333333333")
    arn = sfn.create_state_machine(name="accounts-header", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:333333333333:stateMachine:accounts-header"
    assert arn in names(client(server, "333333333333"))


def test_a_workflow_starts_a_state_machine_of_another_account(server: Server) -> None:
    in_a, in_b = client(server, A), client(server, B)
    child = in_b.create_state_machine(name="accounts-child", roleArn=ROLE, definition=definition(
        {"Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.who", "account.$": "$$.Execution.Id"},
                   "End": True}}))["stateMachineArn"]
    parent = in_a.create_state_machine(name="accounts-parent", roleArn=ROLE, definition=definition({"Start": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Credentials": {"RoleArn": f"arn:aws:iam::{B}:role/cross-account"},
        "Parameters": {"StateMachineArn": child, "Name": "from-a", "Input": {"who": "a"}}, "End": True}}))[
        "stateMachineArn"]
    started = in_a.start_execution(stateMachineArn=parent, name="cross")
    assert started["executionArn"].startswith(f"arn:aws:states:us-east-1:{A}:execution:")
    ended = wait_for_end(in_a, started["executionArn"])
    assert ended["status"] == "SUCCEEDED", ended
    output = json.loads(ended["output"])
    child_execution = f"arn:aws:states:us-east-1:{B}:execution:accounts-child:from-a"
    assert output["ExecutionArn"] == child_execution
    assert output["Output"] == {"hello": "a", "account": child_execution}
    assert [e["executionArn"] for e in in_b.list_executions(stateMachineArn=child)["executions"]] == \
           [child_execution]
    assert in_b.describe_execution(executionArn=child_execution)["stateMachineArn"] == child


def test_moto_answers_requests_signed_with_an_account_id_key(server: Server) -> None:
    """Forwarded unchanged: moto picks its account itself (its MOTO_ACCOUNT_ID, x-moto-account-id, or an
    access key its IAM issued; else its default), so a 12-digit key alone keeps moto's default account."""
    sqs = client(server, B, "sqs")
    url = sqs.create_queue(QueueName="accounts-queue")["QueueUrl"]
    assert url in sqs.list_queues(QueueNamePrefix="accounts-")["QueueUrls"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == \
           "arn:aws:sqs:us-east-1:123456789012:accounts-queue"


def test_each_account_has_its_own_activities(server: Server) -> None:
    in_a, in_b = client(server, A), client(server, B)
    arn_a = in_a.create_activity(name="accounts-worker")["activityArn"]
    assert arn_a == f"arn:aws:states:us-east-1:{A}:activity:accounts-worker"
    activities_b = [a["activityArn"] for a in in_b.list_activities()["activities"]]
    assert arn_a not in activities_b and arn_a in [a["activityArn"] for a in in_a.list_activities()["activities"]]


def test_a_workflows_service_calls_act_in_its_account(server: Server) -> None:
    """As on AWS, where a workflow's role belongs to its account: the queue it writes to is its account's."""
    in_b = client(server, B, account_header=B)
    sqs_b = client(server, B, "sqs", account_header=B)
    url = sqs_b.create_queue(QueueName="accounts-own-queue")["QueueUrl"]
    machine = in_b.create_state_machine(name="accounts-sender", roleArn=ROLE, definition=definition({"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": url, "MessageBody": "from b"}, "End": True}}))["stateMachineArn"]
    ended = wait_for_end(in_b, in_b.start_execution(stateMachineArn=machine)["executionArn"])
    assert ended["status"] == "SUCCEEDED", ended
    assert [m["Body"] for m in sqs_b.receive_message(QueueUrl=url)["Messages"]] == ["from b"]
