"""EventBridge Pipes on asl serve: the restJson1 API, and SQS -> filter -> enrichment -> state machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, eventually, wait_for_end
from tests.server.helpers import queue as new_queue  # the tests name their queue ARNs `queue`
from tests.server.test_events_api import refused, unique

ECHO = definition({"P": {"Type": "Pass", "End": True}})


@pytest.fixture
def pipes(server: Server) -> Iterator[Any]:
    client = server.client("pipes")
    yield client
    for pipe in client.list_pipes()["Pipes"]:  # no pipe keeps polling after its test
        client.delete_pipe(Name=pipe["Name"])


@pytest.fixture
def sqs(server: Server) -> Any:
    return server.client("sqs")


def make_queue(sqs: Any, **attributes: str) -> tuple[str, str]:
    return new_queue(sqs, unique("source"), **attributes)


def machine(sfn: Any, states: str = ECHO, kind: str = "STANDARD") -> str:
    return sfn.create_state_machine(name=unique("pipe"), roleArn=ROLE, definition=states,
                                    type=kind)["stateMachineArn"]


def in_queue(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def polls(server: Server, pipe: str) -> int:
    """The pipe's finished polls, as the server counts them."""
    return server.get("/_asl/pipes/polls").get(pipe, 0)


def polled_again(server: Server, pipe: str) -> None:
    """Returns once a whole poll of ``pipe`` has begun and finished after the call."""
    seen = polls(server, pipe)
    eventually(lambda: polls(server, pipe) >= seen + 2)


def test_pipe_lifecycle(pipes, sqs, sfn) -> None:
    _, queue = make_queue(sqs)
    target, name = machine(sfn), unique("life")
    created = pipes.create_pipe(Name=name, Source=queue, Target=target, RoleArn=ROLE, DesiredState="STOPPED",
                                Tags={"team": "a"})
    assert (created["CurrentState"], created["DesiredState"]) == ("CREATING", "STOPPED")
    assert created["Arn"] == f"arn:aws:pipes:us-east-1:123456789012:pipe/{name}"
    assert pipes.describe_pipe(Name=name)["CurrentState"] == "STOPPED"
    assert pipes.start_pipe(Name=name)["CurrentState"] == "STARTING"
    assert pipes.describe_pipe(Name=name)["CurrentState"] == "RUNNING"
    pipes.update_pipe(Name=name, RoleArn=ROLE, Description="now described",
                      SourceParameters={"SqsQueueParameters": {"BatchSize": 5}})
    described = pipes.describe_pipe(Name=name)
    assert (described["Description"], described["Target"]) == ("now described", target)  # the rest kept
    assert described["SourceParameters"]["SqsQueueParameters"] == {"BatchSize": 5}
    assert pipes.stop_pipe(Name=name)["CurrentState"] == "STOPPING"
    assert [p["CurrentState"] for p in pipes.list_pipes(NamePrefix=name)["Pipes"]] == ["STOPPED"]
    assert pipes.list_tags_for_resource(resourceArn=created["Arn"])["tags"] == {"team": "a"}
    assert pipes.delete_pipe(Name=name)["CurrentState"] == "DELETING"
    refused(lambda: pipes.describe_pipe(Name=name), "NotFoundException", 404)


def test_pipe_refusals_change_nothing(pipes, sqs, sfn) -> None:
    _, queue = make_queue(sqs)
    target, name = machine(sfn), unique("refused")
    pipes.create_pipe(Name=name, Source=queue, Target=target, RoleArn=ROLE, DesiredState="STOPPED")
    refused(lambda: pipes.create_pipe(Name=name, Source=queue, Target=target, RoleArn=ROLE), "ConflictException", 409)
    bad_filter = {"FilterCriteria": {"Filters": [{"Pattern": '{"body": "not-a-list"}'}]}}
    message = refused(lambda: pipes.update_pipe(Name=name, RoleArn=ROLE, SourceParameters=bad_filter),
                      "ValidationException")
    assert "FilterCriteria" in message
    refused(lambda: pipes.update_pipe(Name=name, RoleArn=ROLE,
                                      SourceParameters={"SqsQueueParameters": {"BatchSize": 100}}),
            "ValidationException")
    refused(lambda: pipes.update_pipe(Name=name, RoleArn=ROLE,
                                      TargetParameters={"InputTemplate": '{"x": <nope>}'}), "ValidationException")
    assert "SourceParameters" not in pipes.describe_pipe(Name=name)
    refused(lambda: pipes.start_pipe(Name=unique("missing")), "NotFoundException", 404)
    refused(lambda: pipes.create_pipe(Name="bad name", Source=queue, Target=target, RoleArn=ROLE),
            "ValidationException")


def test_sqs_to_filter_to_state_machine(server: Server, pipes, sqs, sfn) -> None:
    url, queue = make_queue(sqs)
    target = machine(sfn)
    pipe = pipes.create_pipe(Name=unique("orders"), Source=queue, Target=target, RoleArn=ROLE, SourceParameters={
        "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]}})
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "order", "id": 1}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "noise"}))
    [execution] = eventually(lambda: sfn.list_executions(stateMachineArn=target)["executions"])
    described = wait_for_end(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    [record] = json.loads(described["input"])  # a batch is an array, even of one record
    assert json.loads(record["body"]) == {"kind": "order", "id": 1}
    assert (record["eventSource"], record["eventSourceARN"]) == ("aws:sqs", queue)
    eventually(lambda: in_queue(sqs, url) == 0)  # delivered and filtered-out messages are both deleted
    polled_again(server, pipe["Arn"])
    assert len(sfn.list_executions(stateMachineArn=target)["executions"]) == 1


def test_batching_window_closes_on_the_clock(server: Server, pipes, sqs, sfn) -> None:
    url, queue = make_queue(sqs)
    target = machine(sfn)
    pipe = pipes.create_pipe(Name=unique("window"), Source=queue, Target=target, RoleArn=ROLE, SourceParameters={
        "SqsQueueParameters": {"BatchSize": 5, "MaximumBatchingWindowInSeconds": 60}})
    for n in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    for _ in range(2):  # several polls: the two records wait for the window, which only the clock's advance ends
        polled_again(server, pipe["Arn"])
    assert sfn.list_executions(stateMachineArn=target)["executions"] == []
    server.advance(61)
    [execution] = eventually(lambda: sfn.list_executions(stateMachineArn=target)["executions"])
    assert sorted(r["body"] for r in json.loads(wait_for_end(sfn, execution["executionArn"])["input"])) == ["0", "1"]


def test_enrichment_and_target_input_template(pipes, sqs, sfn) -> None:
    url, queue = make_queue(sqs)
    enrich = machine(sfn, definition({"E": {"Type": "Pass", "Parameters": {"order.$": "$[0].body"}, "End": True}}),
                     "EXPRESS")
    target, name = machine(sfn), unique("enriched")
    pipes.create_pipe(Name=name, Source=queue, Enrichment=enrich, Target=target, RoleArn=ROLE,
                      EnrichmentParameters={"InputTemplate": '{"body": <$.body.id>}'},
                      TargetParameters={"InputTemplate": '{"got": <$.order>, "via": "<aws.pipes.pipe-name>"}'})
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 42}))
    [execution] = eventually(lambda: sfn.list_executions(stateMachineArn=target)["executions"])
    assert json.loads(wait_for_end(sfn, execution["executionArn"])["input"]) == [{"got": 42, "via": name}]


def test_a_failing_target_leaves_the_batch_in_the_queue(server: Server, pipes, sqs) -> None:
    url, queue = make_queue(sqs, VisibilityTimeout="30")
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:does-not-exist"
    pipe = pipes.create_pipe(Name=unique("failing"), Source=queue, Target=missing, RoleArn=ROLE)
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    eventually(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
               ["ApproximateNumberOfMessagesNotVisible"] == "1")  # received, not deleted: back after 30 s
    polled_again(server, pipe["Arn"])
    assert in_queue(sqs, url) == 1


def test_kinesis_stream_to_state_machine(server: Server, pipes, sfn) -> None:
    kinesis, stream = server.client("kinesis"), unique("stream")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    target = machine(sfn)
    kinesis.put_record(StreamName=stream, Data=json.dumps({"n": 1}).encode(), PartitionKey="k")
    pipes.create_pipe(Name=unique("stream"), Source=arn, Target=target, RoleArn=ROLE, SourceParameters={
        "KinesisStreamParameters": {"StartingPosition": "TRIM_HORIZON", "BatchSize": 10}})
    [execution] = eventually(lambda: sfn.list_executions(stateMachineArn=target)["executions"])
    [record] = json.loads(wait_for_end(sfn, execution["executionArn"])["input"])
    assert (record["eventSource"], record["partitionKey"]) == ("aws:kinesis", "k")


def test_dynamodb_stream_to_state_machine(server: Server, pipes, sfn) -> None:
    dynamodb, table = server.client("dynamodb"), unique("table")
    created = dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    stream = created["TableDescription"]["LatestStreamArn"]
    target = machine(sfn)
    pipes.create_pipe(Name=unique("table"), Source=stream, Target=target, RoleArn=ROLE, SourceParameters={
        "DynamoDBStreamParameters": {"StartingPosition": "TRIM_HORIZON"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "o-1"}})
    [execution] = eventually(lambda: sfn.list_executions(stateMachineArn=target)["executions"])
    [record] = json.loads(wait_for_end(sfn, execution["executionArn"])["input"])
    assert (record["eventName"], record["dynamodb"]["Keys"]) == ("INSERT", {"id": {"S": "o-1"}})
