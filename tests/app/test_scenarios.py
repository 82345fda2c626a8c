"""The workflows end to end on the engine: moto for AWS, the simulator for time-taking SageMaker and Batch,
one VirtualClock.  EventBridge delivery is not wired yet (see tests/app/local_stack.py)."""

from __future__ import annotations

import time

import boto3
import pytest
from moto import mock_aws

pytest.importorskip("aws_lambda_powertools", reason="the MLOps functions need aws-lambda-powertools")

from tests.app.local_stack import LocalStack


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws() as mock:
        mock.reset()  # fresh backends even when another test left a process-wide moto running
        yield monkeypatch


@pytest.fixture
def stack(aws):
    local = LocalStack(aws)
    yield local
    local.sim.detach()


def green_shares(stack) -> list[tuple[str, float]]:
    return [(phase, shares["green/AllTraffic"]) for _, phase, shares in stack.sim.timeline.traffic_of("endpoint/churn")]


def notifications(stack) -> list[str]:
    """What the deployment notifier reported for the events the bus delivers to it."""
    return [result["outcome"] for function, result in stack.deliver()
            if function == "DeploymentNotifierFunction" and "outcome" in result]


def deploy(stack, **extra):
    return stack.run("EndpointUpdateStateMachine", {
        "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2", "ModelName": "churn-v2",
        **extra})


def test_canary_deployment_completes_and_registers_autoscaling(stack):
    started = time.monotonic()
    execution = deploy(stack)
    assert time.monotonic() - started < 30
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output == {"status": "DEPLOYED", "ModelName": "churn-v2", "EndpointName": "churn"}
    outcomes = notifications(stack)
    assert outcomes == ["Deployed"]
    assert green_shares(stack) == [("blue", 0.0), ("canary", 0.25), ("full", 1.0), ("complete", 1.0)]
    endpoint = stack.sagemaker.describe_endpoint(EndpointName="churn")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v2-cfg")
    scaling = boto3.client("application-autoscaling")
    target = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (
        "endpoint/churn/variant/AllTraffic", 4, 8)
    policy = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"][0]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70


def test_rollback_alarm_mid_canary_ends_in_rollback(stack):
    from moto.backends import get_backend

    alarms = get_backend("cloudwatch")["123456789012"]["us-east-1"]
    stack.sim.at(stack.clock.now().replace(minute=15), lambda: alarms.set_alarm_state(
        "churn-5xx", "5xx errors above threshold", "{}", "ALARM"))
    execution = deploy(stack)
    assert (execution.status, execution.error) == ("FAILED", "DeploymentRolledBack")
    assert green_shares(stack) == [("blue", 0.0), ("canary", 0.25), ("rollback", 0.0)]
    endpoint = stack.sagemaker.describe_endpoint(EndpointName="churn")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v1-cfg")
    outcomes = notifications(stack)
    assert outcomes == ["RolledBack"]


def test_linear_deployment_from_the_input(stack):
    linear = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 300},
        "TerminationWaitInSeconds": 300, "MaximumExecutionTimeoutInSeconds": 3600}}
    execution = deploy(stack, DeploymentConfig=linear)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert green_shares(stack) == [("blue", 0.0), ("linear", 0.25), ("linear", 0.5), ("linear", 0.75),
                                   ("full", 1.0), ("complete", 1.0)]


def test_invalid_deployment_config_is_refused_with_sagemakers_error(stack):
    bad = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 80}, "WaitIntervalInSeconds": 300}}}
    execution = deploy(stack, DeploymentConfig=bad)
    assert (execution.status, execution.error) == ("FAILED", "DeploymentFailed")
    refused = [e for e in execution.history if e["type"] == "TaskFailed"]
    assert "CanarySize must be less than or equal to 50%" in refused[0]["taskFailedEventDetails"]["cause"]


def test_retraining_from_drift_to_canary_deployment(stack):
    execution = stack.run("RetrainingStateMachine", {"trigger": "drift", "alarm": "churn-feature-drift"})
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    states = [e["stateEnteredEventDetails"]["name"] for e in execution.history if e["type"].endswith("StateEntered")]
    assert states == ["Defaults", "Request", "PrepareData", "Train", "Evaluate", "BeatsProduction", "RegisterModel",
                      "WaitForApproval", "Deploy", "NotifyDeployed"]
    assert stack.sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "InService"
    assert ("canary", 0.25) in green_shares(stack)


def test_retraining_keeps_production_when_the_candidate_is_worse(aws):
    stack = LocalStack(aws, auc=0.80)
    try:
        execution = stack.run("RetrainingStateMachine", {"trigger": "schedule"})
    finally:
        stack.sim.detach()
    assert execution.status == "SUCCEEDED"
    assert execution.history[-2]["stateExitedEventDetails"]["name"] == "KeptProduction"


def test_rejected_model_is_not_deployed(aws):
    stack = LocalStack(aws, approve=False)
    try:
        execution = stack.run("RetrainingStateMachine", {"trigger": "new-data", "dataset": "s3://mlops-databucket/x"})
    finally:
        stack.sim.detach()
    assert execution.status == "SUCCEEDED"
    exited = [e["stateExitedEventDetails"]["name"] for e in execution.history if e["type"].endswith("StateExited")]
    assert "Rejected" in exited and "Deploy" not in exited


def put_partitions(stack, count: int) -> None:
    s3 = boto3.client("s3")
    for index in range(count):
        s3.put_object(Bucket="mlops-databucket", Key=f"scoring/2026-11-27/part-{index}.csv", Body=b"id,x\n1,2\n")


def test_batch_scoring_tolerates_one_failed_partition(stack):
    put_partitions(stack, 10)
    stack.sim.failures.add("BatchJob", "score-partition-3", "Essential container in task exited")
    execution = stack.run("BatchScoringStateMachine", {"prefix": "scoring/2026-11-27/"})
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert (execution.output["partitions"], execution.output["succeeded"]) == (10, 9)
    failed = {e["detail"]["jobName"] for e in stack.events
              if e["detail-type"] == "Batch Job State Change" and e["detail"]["status"] == "FAILED"}
    assert failed == {"score-partition-3"}


def test_batch_scoring_fails_past_the_tolerated_failures(stack):
    put_partitions(stack, 10)
    stack.sim.failures.add("BatchJob", "score-partition-[37]", "Essential container in task exited")
    execution = stack.run("BatchScoringStateMachine", {"prefix": "scoring/2026-11-27/"})
    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
