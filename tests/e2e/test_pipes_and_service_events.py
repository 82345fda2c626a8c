"""What the local stack runs besides rules: the template's pipe and schema discoverer, and the events S3 and
CloudWatch emit when something happens to a bucket or an alarm (no event is injected by hand here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from tests.e2e.conftest import APP, run

PREFIX = "scoring/2026-11-27/"
PIPE = APP.resources["ScoringRequestsPipe"].name
QUEUE = APP.resources["ScoringRequestsQueue"].name
REGISTRY = APP.resources["MlopsSchemaRegistry"].name


def test_scoring_request_on_the_queue_starts_a_scoring_through_the_pipe_and_discovery_records_schemas():
    async def scenario(stack):
        s3, sqs = stack.client("s3"), stack.client("sqs")
        for index in range(3):
            s3.put_object(Bucket=APP.ref("DataBucket"), Key=f"{PREFIX}part-{index}.csv", Body=b"id,x\n1,2\n")
        queue = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"prefix": "exports/2026-11-27/"}))  # filtered out
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"prefix": PREFIX}))
        [execution] = await stack.finished("BatchScoringStateMachine")
        await stack.idle(60)
        left = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return execution, left

    stack, (execution, left) = run(scenario)
    assert execution.result.status == "SUCCEEDED", (execution.result.error, execution.result.cause)
    assert execution.result.output["partitions"] == 3
    # Pipes pass a batch as a JSON array, even of one message (BatchSize 1): the state machine takes its first
    assert json.loads(execution.result.history[0]["executionStartedEventDetails"]["input"]) == [{"prefix": PREFIX}]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    assert stack.pipes.describe_pipe(Name=PIPE)["CurrentState"] == "RUNNING"

    declared = stack.schemas.describe_schema(RegistryName=REGISTRY, SchemaName="mlops.deployment@ModelDeploymentResult")
    assert declared["Type"] == "OpenApi3"
    discovered = {s["SchemaName"] for s in stack.schemas.list_schemas(RegistryName="discovered-schemas")["Schemas"]}
    assert "aws.s3@ObjectCreated" in discovered  # the partitions' uploads crossed the mlops bus
    assert "aws.batch@BatchJobStateChange" in discovered


def test_object_put_in_a_bucket_with_eventbridge_notifications_emits_object_created():
    async def scenario(stack):
        stack.client("s3").put_object(Bucket=APP.ref("DataBucket"), Key="incoming/a b.csv", Body=b"12345")
        stack.client("s3").put_object(Bucket=APP.ref("ModelBucket"), Key="no-notifications.json", Body=b"{}")
        await stack.idle(1)

    stack, _ = run(scenario)
    [event] = [e for e in stack.service_events if e["source"] == "aws.s3"]
    assert (event["detail-type"], event["resources"]) == ("Object Created", [f"arn:aws:s3:::{APP.ref('DataBucket')}"])
    detail = event["detail"]
    assert (detail["bucket"], detail["reason"], detail["requester"]) == (
        {"name": APP.ref("DataBucket")}, "PutObject", "123456789012")
    assert (detail["object"]["key"], detail["object"]["size"], detail["object"]["etag"]) == (
        "incoming/a b.csv", 5, "827ccb0eea8a706c4c34a16891f84e7b")
    assert event["time"] == "2026-11-27T01:00:00Z"  # when it was put, on the stack's clock


def test_alarm_state_changes_follow_the_metric_and_are_emitted():
    alarm = APP.ref("RollbackAlarm")  # Sum of Invocation5XXErrors > 5 in 2 periods of 60 s

    async def scenario(stack):
        cloudwatch = stack.client("cloudwatch")
        [config] = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]

        def errors(count: float, ago: float = 0.0) -> None:
            cloudwatch.put_metric_data(Namespace=config["Namespace"], MetricData=[{
                "MetricName": config["MetricName"], "Dimensions": config["Dimensions"], "Value": count,
                "Timestamp": stack.clock.now() - timedelta(seconds=ago)}])

        errors(9, ago=60)  # one breaching minute of two: still OK
        errors(9)
        await stack.idle(180)
        errors(0)
        await stack.idle(1)
        return cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]

    stack, described = run(scenario)
    changes = [e["detail"] for e in stack.service_events if e["detail-type"] == "CloudWatch Alarm State Change"]
    assert [(c["previousState"]["value"], c["state"]["value"]) for c in changes] == [("OK", "ALARM"), ("ALARM", "OK")]
    fired = changes[0]
    assert fired["alarmName"] == alarm
    assert fired["state"]["reason"] == (
        "Threshold Crossed: 2 out of the last 2 datapoints [9.0 (27/11/26 00:59:00), 9.0 (27/11/26 00:58:00)] were "
        "greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).")
    assert fired["state"]["timestamp"] == "2026-11-27T01:00:00.000+0000"
    assert json.loads(fired["state"]["reasonData"])["recentDatapoints"] == [9.0, 9.0]
    assert fired["configuration"]["metrics"][0]["metricStat"] == {
        "metric": {"namespace": "AWS/SageMaker", "name": "Invocation5XXErrors",
                   "dimensions": {"EndpointName": APP.ref("EndpointName"), "VariantName": "AllTraffic"}},
        "period": 60, "stat": "Sum"}
    assert described["StateValue"] == "OK"


def test_alarm_evaluation_counts_datapoints_to_alarm_and_missing_data_as_the_alarm_says():
    from moto import mock_aws
    from moto.backends import get_backend

    from asl_engine.local.service_events import evaluate

    now = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        for name, missing in (("two-of-three", "missing"), ("missing-breaches", "breaching")):
            cloudwatch.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="Errors", Statistic="Sum",
                                        Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1,
                                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                                        TreatMissingData=missing)
        backend = get_backend("cloudwatch")["123456789012"]["us-east-1"]
        assert evaluate(backend, backend.alarms["two-of-three"], now) is None  # no data at all: state kept
        backend.put_metric_data("App", [{"MetricName": "Errors", "Value": 1.0, "Timestamp": now.replace(tzinfo=None)}])
        state, reason, _ = evaluate(backend, backend.alarms["two-of-three"], now)
        assert state == "OK"  # one breaching period of the two needed
        assert "1 out of the last 3 datapoints [1.0 (27/11/26 00:59:00)] was not greater than or equal to the " \
               "threshold (1.0) (minimum 2 datapoints" in reason
        assert evaluate(backend, backend.alarms["missing-breaches"], now)[0] == "ALARM"  # 1 + 2 missing periods
