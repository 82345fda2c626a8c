"""Optimized integrations against moto: AWS's parameter and response shapes, SDK v1 error names, the
``.waitForTaskToken`` and ``.sync`` patterns (polling, failure, timeout and stop) under the virtual clock."""

from __future__ import annotations

import json
import uuid

import pytest
from runtime_helpers import ACCOUNT, REGION, event, run, simple_task, types

from asl_engine import Resources
from asl_engine.integrations.clients import ClientFactory

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"


@pytest.fixture
def clients() -> ClientFactory:
    return ClientFactory(account=ACCOUNT)


def task(resource: str, **params) -> dict:
    return simple_task(f"arn:aws:states:::{resource}", Parameters=params)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class TestSqs:
    def test_send_message_shape(self, clients):
        url = clients.client("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
        ex = run(task("sqs:sendMessage", QueueUrl=url, MessageBody={"hello": "world"}),
                 resources=Resources(clients=clients))
        out = ex.output
        assert set(out) == {"MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}
        body = json.dumps({"MD5OfMessageBody": out["MD5OfMessageBody"], "MessageId": out["MessageId"]},
                          separators=(",", ":"))
        headers = out["SdkHttpMetadata"]["HttpHeaders"]
        assert headers["Content-Length"] == str(len(body))
        assert headers["Content-Type"] == "application/x-amz-json-1.0"
        message = clients.client("sqs").receive_message(QueueUrl=url)["Messages"][0]
        assert message["Body"] == '{"hello":"world"}'  # a JSON value is sent as its JSON text

    def test_errors_are_sdk_v1_named(self, clients):
        url = clients.client("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
        ex = run(task("sqs:sendMessage", QueueUrl=url, MessageBody=None), resources=Resources(clients=clients))
        assert ex.error == "SQS.AmazonSQSException"
        assert ex.cause.startswith("The request must contain the parameter MessageBody. (Service: AmazonSQS; "
                                   "Status Code: 400; Error Code: MissingParameter; Request ID: ")
        ex = run(task("sqs:sendMessage", QueueUrl="http://no-such-host", MessageBody="x"),
                 resources=Resources(clients=clients))
        assert (ex.error, ex.cause) == ("SQS.SdkClientException",
                                        "Unable to execute HTTP request: no-such-host: Name or service not known")

    def test_wait_for_task_token(self, clients):
        url = clients.client("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
        resources = Resources(clients=clients)
        definition = simple_task("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                                 Parameters={"QueueUrl": url, "MessageBody": {"Token.$": "$$.Task.Token"}},
                                 HeartbeatSeconds=60)

        async def worker():
            import asyncio
            sqs = clients.client("sqs")
            while True:
                messages = sqs.receive_message(QueueUrl=url).get("Messages", [])
                if messages:
                    token = json.loads(messages[0]["Body"])["Token"]
                    resources.callbacks.send_success(token, '{"done": true}')
                    return
                await asyncio.sleep(1)

        from runtime_helpers import START, machine

        from asl_engine import Services, VirtualClock
        clock = VirtualClock(START)
        sm = machine(definition)

        async def main():
            import asyncio
            helper = asyncio.ensure_future(worker())
            result = await sm.run_async({}, "exec", clock, resources, services=Services(seed=1))
            await helper
            return result

        ex = clock.run(main())
        assert ex.output == {"done": True}
        assert "MessageId" in event(ex, "TaskSubmitted")["taskSubmittedEventDetails"]["output"]


class TestSnsEventsDynamo:
    def test_sns_publish_xml_content_length(self, clients):
        arn = clients.client("sns").create_topic(Name=unique("t"))["TopicArn"]
        out = run(task("sns:publish", TopicArn=arn, Message="hi"), resources=Resources(clients=clients)).output
        assert out["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "text/xml"
        assert out["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "294"  # AWS's XML with uuids

    def test_events_put_events_and_failed_entry(self, clients):
        ok = run(task("events:putEvents", Entries=[{"Source": "s", "DetailType": "d", "Detail": {"a": 1}}]),
                 resources=Resources(clients=clients))
        assert ok.output["FailedEntryCount"] == 0 and "SdkHttpMetadata" not in ok.output
        failed = run(task("events:putEvents", Entries=[{"DetailType": "d", "Detail": {"a": 1}}]),
                     resources=Resources(clients=clients))
        assert failed.error == "EventBridge.FailedEntry"
        assert json.loads(failed.cause)["Entries"][0]["ErrorCode"] == "InvalidArgument"

    def test_dynamodb_item_lifecycle(self, clients):
        table = unique("tbl")
        clients.client("dynamodb").create_table(
            TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        res = Resources(clients=clients)
        key = {"id": {"S": "1"}}
        put = run(task("dynamodb:putItem", TableName=table, Item={**key, "v": {"S": "a"}}), resources=res)
        assert put.output["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "2"
        assert put.output["SdkHttpMetadata"]["HttpHeaders"]["Server"] == "Server"
        updated = run(task("dynamodb:updateItem", TableName=table, Key=key, UpdateExpression="set v=:v",
                           ExpressionAttributeValues={":v": {"S": "b"}}, ReturnValues="UPDATED_NEW"),
                      resources=res)
        assert updated.output["Attributes"] == {"v": {"S": "b"}}
        got = run(task("dynamodb:getItem", TableName=table, Key=key), resources=res)
        assert got.output["Item"] == {"id": {"S": "1"}, "v": {"S": "b"}}
        assert "ConsumedCapacity" not in got.output
        run(task("dynamodb:deleteItem", TableName=table, Key=key), resources=res)
        assert "Item" not in run(task("dynamodb:getItem", TableName=table, Key=key), resources=res).output
        missing = run(task("dynamodb:getItem", TableName="no-such-table", Key=key), resources=res)
        assert missing.error == "DynamoDB.ResourceNotFoundException"
        assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException;" in \
            missing.cause


class TestSageMakerGlue:
    TRAINING = {"TrainingJobName": "tj", "AlgorithmSpecification": {"TrainingImage": "img",
                                                                    "TrainingInputMode": "File"},
                "RoleArn": ROLE, "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                "StoppingCondition": {"MaxRuntimeInSeconds": 60}}

    def test_create_training_job_sync_returns_the_description(self, clients):
        params = {**self.TRAINING, "TrainingJobName": unique("tj")}
        ex = run(task("sagemaker:createTrainingJob.sync", **params), resources=Resources(clients=clients))
        assert ex.status == "SUCCEEDED", ex.cause
        assert ex.output["TrainingJobStatus"] == "Completed"
        assert ex.output["TrainingJobName"] == params["TrainingJobName"]
        assert isinstance(ex.output["CreationTime"], int)  # epoch milliseconds, as the SDK v1 writes dates
        assert "TaskSubmitted" in types(ex)

    def test_model_endpoint_config_and_endpoint(self, clients):
        res = Resources(clients=clients)
        name = unique("m")
        model = run(task("sagemaker:createModel", ModelName=name, ExecutionRoleArn=ROLE,
                         PrimaryContainer={"Image": "img"}), resources=res)
        assert model.output["ModelArn"].endswith(f"model/{name}")
        config = run(task("sagemaker:createEndpointConfig", EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "v", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]),
            resources=res)
        assert "EndpointConfigArn" in config.output
        endpoint = run(task("sagemaker:createEndpoint", EndpointName=name, EndpointConfigName=name), resources=res)
        assert "EndpointArn" in endpoint.output
        # moto has no UpdateEndpoint: the backend's failure is the service's 500 inside the execution
        updated = run(task("sagemaker:updateEndpoint", EndpointName=name, EndpointConfigName=name), resources=res)
        assert updated.error == "SageMaker.AmazonSageMakerException"
        assert "Error Code: InternalFailure" in updated.cause

    def test_glue_start_job_run_sync(self, clients):
        job = unique("job")
        clients.client("glue").create_job(Name=job, Role=ROLE, Command={"Name": "glueetl",
                                                                        "ScriptLocation": "s3://b/s.py"})
        ex = run(task("glue:startJobRun.sync", JobName=job), resources=Resources(clients=clients))
        assert ex.output["JobRunState"] == "SUCCEEDED"
        assert ex.output["JobName"] == job


class FakeBatch:
    """A Batch whose job runs through the given statuses, one per describe call."""

    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.describes = 0
        self.terminated: list[str] = []

    def client(self, name, region=None, account=None):
        assert name == "batch"
        return self

    def submit_job(self, **kwargs):
        return {"jobArn": "arn:aws:batch:us-east-1:1:job/j-1", "jobId": "j-1", "jobName": kwargs["jobName"]}

    def describe_jobs(self, jobs):
        status = self.statuses[min(self.describes, len(self.statuses) - 1)]
        self.describes += 1
        return {"jobs": [{"jobId": jobs[0], "jobName": "n", "status": status, "createdAt": 1700000000000}]}

    def terminate_job(self, jobId, reason):
        self.terminated.append(jobId)


class TestSyncPolling:
    PARAMS = {"JobName": "n", "JobQueue": "q", "JobDefinition": "d"}

    def test_polls_until_succeeded(self):
        batch = FakeBatch(["SUBMITTED", "RUNNABLE", "RUNNING", "SUCCEEDED"])
        ex = run(task("batch:submitJob.sync", **self.PARAMS), resources=Resources(clients=batch))
        assert ex.output["Status"] == "SUCCEEDED" and batch.describes == 4
        submitted = json.loads(event(ex, "TaskSubmitted")["taskSubmittedEventDetails"]["output"])
        assert submitted["JobId"] == "j-1" and "SdkHttpMetadata" in submitted
        # three polls of 30 s each passed on the virtual clock
        assert (ex.stop_date - ex.start_date).total_seconds() >= 90

    def test_failed_job_is_task_failed_with_the_description(self):
        ex = run(task("batch:submitJob.sync", **self.PARAMS), resources=Resources(clients=FakeBatch(["FAILED"])))
        assert ex.error == "States.TaskFailed"
        assert json.loads(ex.cause)["Status"] == "FAILED"

    def test_timeout_stops_the_job(self):
        batch = FakeBatch(["RUNNING"])
        definition = simple_task("arn:aws:states:::batch:submitJob.sync", Parameters=self.PARAMS,
                                 TimeoutSeconds=300)
        ex = run(definition, resources=Resources(clients=batch))
        assert ex.error == "States.Timeout"
        assert batch.terminated == ["j-1"]

    def test_request_response_does_not_wait(self):
        batch = FakeBatch(["RUNNING"])
        ex = run(task("batch:submitJob", **self.PARAMS), resources=Resources(clients=batch))
        assert ex.output["JobId"] == "j-1" and batch.describes == 0


class TestNestedExecutions:
    CHILD = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}
    FAILING = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "SomeFailure", "Cause": "why"}}}

    def resources(self, clients, definition) -> tuple[Resources, str]:
        from runtime_helpers import machine
        res = Resources(clients=clients)
        child = machine(definition, name="child")
        res.state_machines.add(child)
        return res, child.arn

    def test_request_response(self, clients):
        res, arn = self.resources(clients, self.CHILD)
        ex = run(task("states:startExecution", StateMachineArn=arn, Input={"a": 1}, Name="kid"), resources=res)
        assert ex.output["ExecutionArn"] == arn.replace(":stateMachine:", ":execution:") + ":kid"
        assert isinstance(ex.output["StartDate"], int) and "SdkHttpMetadata" in ex.output

    def test_sync_and_sync2(self, clients):
        res, arn = self.resources(clients, self.CHILD)
        out = run(task("states:startExecution.sync", StateMachineArn=arn, Input={"a": 1}), resources=res).output
        assert (out["Status"], out["Output"], out["Input"]) == ("SUCCEEDED", '{"Arg1":"argument1"}', '{"a":1}')
        assert out["OutputDetails"] == {"Included": True}
        out = run(task("states:startExecution.sync:2", StateMachineArn=arn, Input={"a": 1}, Name="second"),
                  resources=res).output
        assert (out["Output"], out["Input"]) == ({"Arg1": "argument1"}, {"a": 1})

    def test_failed_child_and_missing_state_machine(self, clients):
        res, arn = self.resources(clients, self.FAILING)
        ex = run(task("states:startExecution.sync", StateMachineArn=arn), resources=res)
        assert ex.error == "States.TaskFailed"
        cause = json.loads(ex.cause)
        assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "SomeFailure", "why")
        missing = arn + "x"
        ex = run(task("states:startExecution", StateMachineArn=missing), resources=res)
        assert ex.error == "StepFunctions.StateMachineDoesNotExistException"
        assert ex.cause.startswith(f"State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; "
                                   "Status Code: 400; Error Code: StateMachineDoesNotExist;")

    def test_parent_timeout_stops_the_child(self, clients):
        waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        res, arn = self.resources(clients, waiting)
        definition = simple_task("arn:aws:states:::states:startExecution.sync",
                                 Parameters={"StateMachineArn": arn, "Name": "kid"}, TimeoutSeconds=60)
        ex = run(definition, resources=res)
        assert ex.error == "States.Timeout"
        child = res.state_machines.execution(arn.replace(":stateMachine:", ":execution:") + ":kid")
        assert child.describe()["status"] == "ABORTED"


class TestHttpTask:
    def test_loopback_server(self):
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 200 if self.path.startswith("/ok") else 404
                reply = json.dumps({"path": self.path, "got": json.loads(body)}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            ex = run(task("http:invoke", ApiEndpoint=f"{base}/ok", Method="POST", RequestBody={"a": 1},
                          QueryParameters={"q": "1"}, Authentication={"ConnectionArn": "arn:c"}))
            assert ex.output["StatusCode"] == 200 and ex.output["StatusText"] == "OK"
            assert ex.output["ResponseBody"] == {"path": "/ok?q=1", "got": {"a": 1}}
            ex = run(task("http:invoke", ApiEndpoint=f"{base}/missing", Method="POST", RequestBody={}))
            assert ex.error == "States.Http.StatusCode.404"
        finally:
            server.shutdown()


def test_region_in_the_scheduled_event(clients):
    url = clients.client("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
    ex = run(task("sqs:sendMessage", QueueUrl=url, MessageBody="x"), resources=Resources(clients=clients))
    assert event(ex, "TaskScheduled")["taskScheduledEventDetails"]["region"] == REGION


@pytest.mark.parametrize(("resource", "valid"), [
    ("arn:aws:states:::sqs:sendMessage.sync", False), ("arn:aws:states:::dynamodb:getItem.waitForTaskToken", False),
    ("arn:aws:states:::aws-sdk:s3:getObject.sync", False), ("arn:aws:states:::glue:startJobRun.sync", True),
    ("arn:aws:states:::states:startExecution.sync:2", True), ("arn:aws:states:::athena:startQueryExecution.sync", True),
])
def test_patterns_aws_does_not_have_are_refused_at_creation(resource, valid):
    from asl_engine import StateMachine
    diagnostics = StateMachine.validate(simple_task(resource))
    assert (not diagnostics) == valid
    if not valid:
        assert diagnostics[0].code == "SCHEMA_VALIDATION_FAILED"
        assert diagnostics[0].message == (f"The resource provided {resource} is not recognized. The value is not a "
                                          "valid resource ARN, or the resource is not available in this region.")


class FakeEcs:
    """An ECS task that stops after two polls with the given container exit code."""

    def __init__(self, exit_code: int) -> None:
        self.exit_code, self.polls = exit_code, 0

    def client(self, name, region=None, account=None):
        return self

    def run_task(self, **kwargs):
        return {"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1:task/t-1", "lastStatus": "PROVISIONING"}],
                "failures": []}

    def describe_tasks(self, cluster, tasks):
        self.polls += 1
        stopped = self.polls >= 2
        return {"tasks": [{"taskArn": tasks[0], "lastStatus": "STOPPED" if stopped else "RUNNING",
                           "containers": [{"name": "c", "exitCode": self.exit_code if stopped else None}]}]}


@pytest.mark.parametrize(("exit_code", "status"), [(0, "SUCCEEDED"), (1, "FAILED")])
def test_ecs_run_task_sync_follows_the_container_exit_code(exit_code, status):
    ecs = FakeEcs(exit_code)
    ex = run(task("ecs:runTask.sync", Cluster="c", TaskDefinition="td"), resources=Resources(clients=ecs))
    assert ex.status == status
    if status == "SUCCEEDED":
        assert ex.output["LastStatus"] == "STOPPED" and ecs.polls == 2
    else:
        assert ex.error == "States.TaskFailed" and json.loads(ex.cause)["Containers"][0]["ExitCode"] == 1
