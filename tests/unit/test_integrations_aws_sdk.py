"""aws-sdk integrations against moto: service and action names resolved through botocore's models,
PascalCase shapes both ways, and the SDK v2 error names and causes."""

from __future__ import annotations

import json
import uuid

import pytest
from runtime_helpers import ACCOUNT, run, simple_task

from asl_engine import Resources, StateMachine
from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.errors import ServiceFailure, optimized_error, sdk_error, sdk_v2_prefix
from asl_engine.integrations.services import model
from asl_engine.integrations.services.model import client_name, operation


@pytest.fixture
def resources() -> Resources:
    return Resources(clients=ClientFactory(account=ACCOUNT))


def sdk(service_action: str, **params) -> dict:
    return simple_task(f"arn:aws:states:::aws-sdk:{service_action}", Parameters=params)


class TestNames:
    @pytest.mark.parametrize(("sdk_name", "boto3"), [("s3", "s3"), ("sfn", "stepfunctions"),
                                                     ("eventbridge", "events"), ("dynamodb", "dynamodb"),
                                                     ("secretsmanager", "secretsmanager"),
                                                     ("cloudwatchlogs", "logs"), ("lambda", "lambda")])
    def test_service_names(self, sdk_name, boto3):
        assert client_name(sdk_name) == boto3

    def test_the_name_index_is_derived_once_per_set_of_models(self, tmp_path, monkeypatch):
        """Deriving it loads every botocore model (seconds); later processes read it from the cache."""
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        model._java_names.cache_clear()
        try:
            assert client_name("sfn") == "stepfunctions"
            (cached,) = (tmp_path / "asl-engine").glob("sdk-v2-names-*.json")
            cached.write_text(json.dumps({"sfn": "a-client-only-the-cache-knows"}))
            model._java_names.cache_clear()
            assert client_name("sfn") == "a-client-only-the-cache-knows"
            cached.write_text("{not json")  # a damaged cache is derived again
            model._java_names.cache_clear()
            assert client_name("sfn") == "stepfunctions"
        finally:
            model._java_names.cache_clear()

    def test_actions_and_prefixes(self):
        assert operation("s3", "getObject").name == "GetObject"
        assert operation("s3", "noSuchAction") is None
        assert [sdk_v2_prefix(s) for s in ("DynamoDB", "SFN", "Secrets Manager", "S3", "EventBridge")] == [
            "DynamoDb", "Sfn", "SecretsManager", "S3", "EventBridge"]

    def test_error_forms(self):
        failure = ServiceFailure("ValidationException", "bad", 400, "rid")
        v2 = sdk_error("DynamoDb", failure, modeled=False)
        assert (v2.error, v2.cause) == ("DynamoDb.DynamoDbException",
                                        "bad (Service: DynamoDb, Status Code: 400, Request ID: rid) "
                                        "(SDK Attempt Count: 1)")
        v1 = optimized_error("dynamodb", failure, modeled=False)
        assert (v1.error, v1.cause) == ("DynamoDB.AmazonDynamoDBException",
                                        "bad (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: "
                                        "ValidationException; Request ID: rid; Proxy: null)")


class TestS3:
    def test_put_and_get_object(self, resources):
        bucket = f"b-{uuid.uuid4().hex[:8]}"
        resources.clients.client("s3").create_bucket(Bucket=bucket)
        put = run(sdk("s3:putObject", Bucket=bucket, Key="k", Body={"a": 1}), resources=resources)
        assert "ETag" in put.output and "SdkHttpMetadata" not in put.output
        got = run(sdk("s3:getObject", Bucket=bucket, Key="k"), resources=resources).output
        assert got["Body"] == '{"a":1}'  # the JSON value was stored as its JSON text
        assert got["ContentLength"] == 7
        assert got["LastModified"].endswith("Z")  # dates as ISO 8601, as the SDK v2 writes them
        assert "ChecksumCRC32" not in got  # not asked for, as Step Functions' SDK does not

    def test_modeled_errors_keep_their_name(self, resources):
        ex = run(sdk("s3:listObjects", Bucket=f"missing-{uuid.uuid4().hex[:6]}"), resources=resources)
        assert ex.error == "S3.NoSuchBucketException"
        assert ex.cause.startswith("The specified bucket does not exist (Service: S3, Status Code: 404, "
                                   "Request ID: ")
        assert ", Extended Request ID: " in ex.cause


class TestDynamoDbAndSfn:
    def test_unmodeled_error_is_the_service_exception(self, resources):
        ex = run(sdk("dynamodb:putItem", TableName="t", Item=None), resources=resources)
        assert ex.error == "DynamoDb.DynamoDbException"
        assert ex.cause.startswith("1 validation error detected: Value null at 'item' failed to satisfy "
                                   "constraint: Member must not be null (Service: DynamoDb, Status Code: 400")
        missing = run(sdk("dynamodb:getItem", TableName="no-such-table", Key={"id": {"S": "1"}}),
                      resources=resources)
        assert missing.error == "DynamoDb.ResourceNotFoundException"

    def test_sfn_start_execution_runs_in_process(self, resources):
        from runtime_helpers import machine
        child = machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, name="child")
        resources.state_machines.add(child)
        out = run(sdk("sfn:startExecution", StateMachineArn=child.arn, Input={"k": "v"}), resources=resources).output
        assert set(out) == {"ExecutionArn", "StartDate"}
        execution = resources.state_machines.execution(out["ExecutionArn"])
        assert json.loads(execution.describe()["input"]) == {"k": "v"}

    def test_sfn_send_task_success_with_an_unknown_token(self, resources):
        ex = run(sdk("sfn:sendTaskSuccess", TaskToken="NoSuchTaskToken", Output="{}"), resources=resources)
        assert ex.error == "Sfn.InvalidTokenException"

    def test_unknown_action_is_refused_at_validation(self):
        diagnostics = StateMachine.validate(sdk("s3:doesNotExist"))
        assert [(d.code, d.location) for d in diagnostics] == [("SCHEMA_VALIDATION_FAILED", "/States/T/Resource")]
