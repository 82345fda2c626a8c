"""The moto backend answers as AWS where moto alone does not (``asl_engine.integrations.services.moto_gaps``), and
``events:putEvents`` goes to the in-process EventBridge, which validates each entry as AWS does."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from runtime_helpers import ACCOUNT, run, simple_task

from asl_engine import Resources
from asl_engine.integrations.clients import ClientFactory


@pytest.fixture
def clients() -> ClientFactory:
    return ClientFactory(account=ACCOUNT)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_s3_objects_are_encrypted_by_default_and_uploads_name_their_checksum_type(clients):
    s3 = clients.client("s3")
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert (put["ServerSideEncryption"], put["ChecksumType"]) == ("AES256", "FULL_OBJECT")
    assert s3.get_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"


def test_sns_fifo_publish_needs_a_group_and_answers_with_increasing_sequence_numbers(clients):
    sns = clients.client("sns")
    arn = sns.create_topic(Name=unique("t") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=arn, Message="m")
    assert e.value.response["Error"] == {
        "Code": "InvalidParameter",
        "Message": "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"}
    numbers = [sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId=d)["SequenceNumber"]
               for d in ("a", "b")]
    assert all(len(n) == 20 for n in numbers) and int(numbers[0]) < int(numbers[1])
    standard = sns.create_topic(Name=unique("t"))["TopicArn"]
    assert "SequenceNumber" not in sns.publish(TopicArn=standard, Message="m")


def test_secret_names_outside_the_allowed_characters_are_refused(clients):
    secrets = clients.client("secretsmanager")
    with pytest.raises(ClientError) as e:
        secrets.create_secret(Name="Invalid Name", SecretString="s")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert secrets.create_secret(Name=unique("ok/_+=.@!-"), SecretString="s")["ARN"]


def test_put_events_fails_a_malformed_detail_as_aws_does(clients):
    entries = [{"Detail": {"ok": 1}, "DetailType": "t", "Source": "s"},
               {"Detail": '"text"', "DetailType": "t", "Source": "s"}]
    definition = simple_task("arn:aws:states:::events:putEvents", Parameters={"Entries": entries})
    ex = run(definition, resources=Resources(clients=clients))
    assert ex.error == "EventBridge.FailedEntry"
    assert '{"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."}' in ex.cause
    assert clients.event_bus() is clients.event_bus(clients.region)  # one EventBridge per account and region
