"""Pipes without a server: the API object, templates, and batches from a moto SQS queue through a fake environment."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from asl_engine.eventbridge.errors import ValidationError
from asl_engine.eventbridge.pipes.environment import PipeFailure
from asl_engine.eventbridge.pipes.poller import PipePoller
from asl_engine.eventbridge.pipes.processing import PipeProcessor, compile_pipe
from asl_engine.eventbridge.pipes.service import ConflictError, NotFoundError, Pipes
from asl_engine.eventbridge.pipes.sources import open_source
from asl_engine.eventbridge.pipes.sqs import SqsSource
from asl_engine.eventbridge.pipes.template import PipeTemplate

ROLE = "arn:aws:iam::123456789012:role/pipe"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:target"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:target"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeEnvironment:
    """Records every call out of the pipe; functions and state machines answer ``answer``."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, Any, bool]] = []

    def client(self, service: str) -> Any:
        # moto answers DynamoDB Streams at the regional endpoint only
        return boto3.client(service, region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled"))

    async def invoke_function(self, arn: str, payload: str, wait: bool) -> str | None:
        self.calls.append(("lambda", arn, json.loads(payload), wait))
        return json.dumps(self.answer) if wait else None

    async def run_state_machine(self, arn: str, payload: str, wait: bool) -> str | None:
        self.calls.append(("states", arn, json.loads(payload), wait))
        return json.dumps(self.answer) if wait else None

    def put_events(self, entries: list) -> dict:
        self.calls.append(("events", "", entries, False))
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"} for _ in entries]}


@pytest.fixture
def queue() -> Any:
    with mock_aws() as mock:
        mock.reset()  # fresh backends even when another test left a process-wide moto running
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="source")["QueueUrl"]
        yield sqs, url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def pipe_spec(source: str, **extra: Any) -> dict[str, Any]:
    return {"Name": "p", "Arn": "arn:aws:pipes:us-east-1:123456789012:pipe/p", "Source": source,
            "Target": MACHINE, "RoleArn": ROLE, **extra}


def poller(spec: dict[str, Any], env: FakeEnvironment, time: list[float] | None = None) -> PipePoller:
    clock = time if time is not None else [0.0]
    processor = PipeProcessor(spec, compile_pipe(spec), env)
    return PipePoller(processor, open_source(spec, env, lambda: clock[0]), lambda: clock[0])


def left(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_filtered_records_are_deleted_and_a_batch_is_one_array(queue) -> None:
    sqs, url, arn = queue
    spec = pipe_spec(arn, SourceParameters={"FilterCriteria": {"Filters": [
        {"Pattern": json.dumps({"body": {"n": [{"numeric": [">", 1]}]}})}]}})
    env = FakeEnvironment()
    for n in (1, 2, 3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    assert asyncio.run(poller(spec, env).poll_once()) == 2
    [(kind, target, batch, wait)] = env.calls
    assert (kind, target, wait) == ("states", MACHINE, False)
    assert sorted(json.loads(r["body"])["n"] for r in batch) == [2, 3]
    assert left(sqs, url) == 0


def test_batch_size_splits_and_the_window_holds_records(queue) -> None:
    sqs, url, arn = queue
    spec = pipe_spec(arn, SourceParameters={"SqsQueueParameters": {"BatchSize": 2,
                                                                   "MaximumBatchingWindowInSeconds": 30}})
    env, time = FakeEnvironment(), [100.0]
    pipe = poller(spec, env, time)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    assert asyncio.run(pipe.poll_once()) == 0  # one record waits for the window or a second record
    time[0] += 31
    assert asyncio.run(pipe.poll_once()) == 1
    for body in "bcd":
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert asyncio.run(pipe.poll_once()) == 2  # full: sent without waiting
    assert [len(call[2]) for call in env.calls] == [1, 2]


def test_batch_item_failures_keep_only_those_records(queue) -> None:
    sqs, url, arn = queue
    for body in ("keep", "retry"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    records = SqsSource(sqs, arn).receive(10)
    for record in records:  # make them visible again for the pipe
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0)
    retry_id = next(r["messageId"] for r in records if r["body"] == "retry")
    env = FakeEnvironment({"batchItemFailures": [{"itemIdentifier": retry_id}]})
    spec = pipe_spec(arn, Target=FUNCTION)
    assert asyncio.run(poller(spec, env).poll_once()) == 1
    assert env.calls[0][3] is True  # Lambda targets are invoked REQUEST_RESPONSE by default
    assert left(sqs, url) == 1


def test_enrichment_output_is_the_target_batch_and_templates_apply_per_record(queue) -> None:
    sqs, url, arn = queue
    spec = pipe_spec(arn, Enrichment=FUNCTION, EnrichmentParameters={"InputTemplate": '{"id": <$.body.id>}'},
                     TargetParameters={"InputTemplate": '{"v": <$.v>, "pipe": "<aws.pipes.pipe-name>"}'})
    env = FakeEnvironment([{"v": 1}, {"v": 2}])
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "x"}))
    asyncio.run(poller(spec, env).poll_once())
    (_, _, enrichment_input, wait), (_, _, target_input, _) = env.calls
    assert (enrichment_input, wait) == ([{"id": "x"}], True)
    assert target_input == [{"v": 1, "pipe": "p"}, {"v": 2, "pipe": "p"}]


def test_a_failed_enrichment_fails_the_batch(queue) -> None:
    sqs, url, arn = queue

    class Failing(FakeEnvironment):
        async def invoke_function(self, arn: str, payload: str, wait: bool) -> str | None:
            raise PipeFailure("boom")

    sqs.send_message(QueueUrl=url, MessageBody="{}")
    env = Failing()
    assert asyncio.run(poller(pipe_spec(arn, Enrichment=FUNCTION), env).poll_once()) == 0
    assert env.calls == [] and left(sqs, url) == 1


def test_sqs_and_bus_targets_use_batch_apis(queue) -> None:
    sqs, url, arn = queue
    target_url = sqs.create_queue(QueueName="target")["QueueUrl"]
    target = sqs.get_queue_attributes(QueueUrl=target_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    env = FakeEnvironment()
    assert asyncio.run(poller(pipe_spec(arn, Target=target, TargetParameters={"InputTemplate": "<$.body>"}),
                              env).poll_once()) == 3
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=target_url, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(json.loads(b) for b in bodies) == ["0", "1", "2"]  # a string placed as JSON keeps its quotes
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"k": 1}))
    asyncio.run(poller(pipe_spec(arn, Target=bus), env).poll_once())
    [entry] = env.calls[-1][2]
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == ("Pipe p", "Event from aws:sqs", bus)
    assert json.loads(json.loads(entry["Detail"])["body"]) == {"k": 1}


def test_templates_place_values_as_rule_transformers_do() -> None:
    template = PipeTemplate('{"id": <$.body.id>, "text": "id <$.body.id>", "arn": "<aws.pipes.pipe-arn>"}', "T")
    rendered = template.render({"body": {"id": "a"}}, {"pipe-arn": "arn:p"})
    assert json.loads(rendered) == {"id": "a", "text": "id a", "arn": "arn:p"}
    with pytest.raises(ValidationError, match="invalid placeholder nope"):
        PipeTemplate("<nope>", "T")


def test_configuration_refused_at_create() -> None:
    source = "arn:aws:sqs:us-east-1:123456789012:q"
    with pytest.raises(ValidationError, match="FilterCriteria"):
        compile_pipe(pipe_spec(source, SourceParameters={"FilterCriteria": {"Filters": [{"Pattern": "[1]"}]}}))
    with pytest.raises(ValidationError, match="MaximumBatchingWindowInSeconds"):
        compile_pipe(pipe_spec(source, SourceParameters={"SqsQueueParameters": {"BatchSize": 11}}))


def test_pipes_api_states_and_changes() -> None:
    changes: list[tuple[str, str]] = []
    pipes = Pipes(account="123456789012", region="us-east-1", now=lambda: NOW,
                  on_change=lambda pipe: changes.append((pipe.name, pipe.current_state)))
    source = "arn:aws:sqs:us-east-1:123456789012:q"
    assert pipes.create_pipe(Name="a", Source=source, Target=MACHINE, RoleArn=ROLE)["CurrentState"] == "CREATING"
    with pytest.raises(ConflictError):
        pipes.create_pipe(Name="a", Source=source, Target=MACHINE, RoleArn=ROLE)
    pipes.stop_pipe(Name="a")
    broker = "arn:aws:mq:us-east-1:123456789012:broker:b:b-1"
    pipes.create_pipe(Name="k", Source=broker, Target=MACHINE, RoleArn=ROLE)
    described = pipes.describe_pipe(Name="k")
    assert described["CurrentState"] == "CREATE_FAILED" and "'mq'" in described["StateReason"]
    pipes.delete_pipe(Name="a")
    assert changes == [("a", "RUNNING"), ("a", "STOPPED"), ("k", "CREATE_FAILED"), ("a", "DELETING")]
    with pytest.raises(NotFoundError):
        pipes.describe_pipe(Name="a")
    with pytest.raises(ValidationError):  # botocore's model: a name with a space
        pipes.create_pipe(Name="bad name", Source=source, Target=MACHINE, RoleArn=ROLE)


@pytest.fixture
def stream() -> Any:
    with mock_aws() as mock:
        mock.reset()  # fresh backends even when another test left a process-wide moto running
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName="events", ShardCount=1)
        yield kinesis, kinesis.describe_stream(StreamName="events")["StreamDescription"]["StreamARN"]


def kinesis_spec(arn: str, **parameters: Any) -> dict[str, Any]:
    return pipe_spec(arn, SourceParameters={"KinesisStreamParameters": {"StartingPosition": "TRIM_HORIZON",
                                                                        **parameters}})


def test_kinesis_records_are_filtered_on_their_json_data(stream) -> None:
    kinesis, arn = stream
    for n in (1, 2):
        kinesis.put_record(StreamName="events", Data=json.dumps({"n": n}).encode(), PartitionKey="k")
    spec = kinesis_spec(arn)
    spec["SourceParameters"]["FilterCriteria"] = {"Filters": [{"Pattern": json.dumps({"data": {"n": [2]}})}]}
    env = FakeEnvironment()
    assert asyncio.run(poller(spec, env).poll_once()) == 1
    [record] = env.calls[0][2]
    assert json.loads(base64.b64decode(record["data"])) == {"n": 2}
    assert (record["eventSource"], record["eventSourceARN"], record["invokeIdentityArn"]) == ("aws:kinesis", arn,
                                                                                              ROLE)
    assert record["eventID"] == f"shardId-000000000000:{record['sequenceNumber']}"


def test_a_failing_stream_batch_is_retried_in_order_then_dead_lettered(stream) -> None:
    kinesis, arn = stream
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    kinesis.put_record(StreamName="events", Data=b"first", PartitionKey="k")
    spec = kinesis_spec(arn, MaximumRetryAttempts=2, DeadLetterConfig={"Arn": dlq})
    spec["Enrichment"] = FUNCTION

    class Failing(FakeEnvironment):
        async def invoke_function(self, arn: str, payload: str, wait: bool) -> str | None:
            self.calls.append(("lambda", arn, json.loads(payload), wait))
            raise PipeFailure("boom")

    env = Failing()
    pipe = poller(spec, env)
    kinesis.put_record(StreamName="events", Data=b"second", PartitionKey="k")
    for _ in range(3):  # the first try and two retries, always the same batch
        asyncio.run(pipe.poll_once())
    assert [len(call[2]) for call in env.calls] == [2, 2, 2]
    [message] = sqs.receive_message(QueueUrl=dlq_url)["Messages"]
    info = json.loads(message["Body"])
    assert info["context"]["condition"] == "RetryAttemptsExhausted"
    assert (info["KinesisBatchInfo"]["batchSize"], info["KinesisBatchInfo"]["streamArn"]) == (2, arn)
    kinesis.put_record(StreamName="events", Data=b"third", PartitionKey="k")
    asyncio.run(pipe.poll_once())
    assert [base64.b64decode(r["data"]) for r in env.calls[-1][2]] == [b"third"]  # the pipe moved on


def test_a_kinesis_source_needs_a_starting_position() -> None:
    with pytest.raises(ValidationError, match="StartingPosition"):
        compile_pipe(pipe_spec("arn:aws:kinesis:us-east-1:123456789012:stream/s"))


def test_dynamodb_stream_records_reach_the_target(queue) -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = dynamodb.create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    arn = table["TableDescription"]["LatestStreamArn"]
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "o-1"}})
    spec = pipe_spec(arn, SourceParameters={"DynamoDBStreamParameters": {"StartingPosition": "TRIM_HORIZON"},
                                            "FilterCriteria": {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]}})
    env = FakeEnvironment()
    assert asyncio.run(poller(spec, env).poll_once()) == 1
    [record] = env.calls[0][2]
    assert (record["eventSource"], record["eventName"]) == ("aws:dynamodb", "INSERT")
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "o-1"}}


@pytest.mark.parametrize("turns", range(6))
def test_cancelling_a_poller_as_a_wake_ends_its_wait_ends_it(turns) -> None:
    """The poller is cancelled (its pipe stopped) in the loop turns ``wake`` ends its wait between polls: the
    cancellation must not be lost (Python 3.11's ``asyncio.wait_for`` lost it, CPython gh-86296)."""
    from types import SimpleNamespace

    from asl_engine.runtime.clock import VirtualClock

    processor = SimpleNamespace(compiled=SimpleNamespace(batch_size=10), spec={"Name": "p"}, matches=lambda r: True)
    source = SimpleNamespace(arn="arn:aws:sqs:us-east-1:123456789012:q", receive=lambda n: [], done=lambda rs: None)
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    loop = clock.new_loop()

    async def scenario() -> tuple[bool, int]:
        polling = PipePoller(processor, source, clock.time, interval=1000)  # type: ignore[arg-type]
        task = asyncio.ensure_future(polling.run())
        for _ in range(3):
            await asyncio.sleep(0)
        polling.wake()
        for _ in range(turns):
            await asyncio.sleep(0)
        polls = polling.polls
        task.cancel()
        await asyncio.wait({task}, timeout=5000)  # a timer, so a lost cancellation fails instead of hanging
        return task.cancelled(), polling.polls - polls

    try:
        assert loop.run_until_complete(scenario()) == (True, 0)
    finally:
        loop.close()
