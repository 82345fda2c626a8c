"""The MLOps functions as Lambda would run them: Powertools configured by environment, AWS served by moto.

Every function lives in its own ``functions/<name>/app.py``, so each test
loads the module afresh under a unique name, inside the moto mock, the way
Lambda imports the handler in a new execution environment.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count()


@dataclass
class LambdaContext:
    function_name: str = "mlops-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:mlops-function"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def sample_event(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


class Account:
    """The AWS resources the template declares, created in moto."""

    def __init__(self) -> None:
        ddb = boto3.client("dynamodb")
        ddb.create_table(TableName="idempotency", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        ddb.create_table(TableName="approvals", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "ModelPackageArn", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "ModelPackageArn", "KeyType": "HASH"}])
        self.approvals = boto3.resource("dynamodb").Table("approvals")
        sns = boto3.client("sns")
        self.topic = sns.create_topic(Name="mlops")["TopicArn"]
        self.queue = boto3.client("sqs").create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        self.s3 = boto3.client("s3")
        self.s3.create_bucket(Bucket="mlops-models")
        self.retraining = boto3.client("stepfunctions").create_state_machine(
            name="retraining", roleArn="arn:aws:iam::123456789012:role/sfn",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))["stateMachineArn"]

    def notifications(self) -> list[str]:
        messages = boto3.client("sqs").receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"])["Message"] for m in messages]


@pytest.fixture
def account(monkeypatch):
    env = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_SERVICE_NAME": "mlops",
           "POWERTOOLS_METRICS_NAMESPACE": "MLOps", "IDEMPOTENCY_TABLE": "idempotency",
           "APPROVALS_TABLE": "approvals"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with mock_aws() as mock:
        mock.reset()  # fresh backends even when another test left a process-wide moto running
        acc = Account()
        monkeypatch.setenv("NOTIFICATION_TOPIC_ARN", acc.topic)
        monkeypatch.setenv("RETRAINING_STATE_MACHINE_ARN", acc.retraining)
        yield acc


def load_function(name: str) -> ModuleType:
    """``functions/<name>/app.py`` freshly imported, as a new Lambda execution environment would."""
    spec = importlib.util.spec_from_file_location(f"mlops_{name}_{next(_ids)}", ROOT / "functions" / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
