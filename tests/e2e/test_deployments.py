"""Endpoint updates on the local stack: a canary rolled back by its alarm, a linear rollout, and a
DeploymentConfig SageMaker refuses."""

from __future__ import annotations

import json

from asl_engine.local.scenarios import measure_drift
from tests.e2e.conftest import APP, green_shares, outcomes, run

UPDATE = APP.state_machines["EndpointUpdateStateMachine"]
PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2"


def deploy(**extra):
    async def scenario(stack):
        stack.stepfunctions.start_execution(UPDATE.arn, json.dumps(
            {"ModelPackageArn": PACKAGE, "ModelName": "churn-v2", **extra}), "deploy-v2")
        [update] = await stack.finished("EndpointUpdateStateMachine")
        await stack.idle(60)
        return update.result

    return scenario


def test_rollback_alarm_mid_canary_rolls_the_retraining_deployment_back():
    async def scenario(stack):
        measure_drift(stack, 0.31)
        [retraining] = await stack.finished("RetrainingStateMachine")
        [update] = await stack.finished("EndpointUpdateStateMachine")
        await stack.idle(60)
        return retraining.result, update.result

    stack, (retraining, update) = run(scenario, alarm_after_canary=120.0)
    assert (update.status, update.error) == ("FAILED", "DeploymentRolledBack")
    assert retraining.status == "FAILED"
    assert green_shares(stack) == [("blue", 0.0), ("canary", 0.25), ("rollback", 0.0)]
    assert outcomes(stack, "DeploymentNotifierFunction") == ["RolledBack"]
    endpoint = stack.client("sagemaker").describe_endpoint(EndpointName=APP.ref("EndpointName"))
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v1-cfg")


def test_linear_deployment_shifts_traffic_in_steps():
    linear = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 300},
        "TerminationWaitInSeconds": 300, "MaximumExecutionTimeoutInSeconds": 3600}}
    stack, result = run(deploy(DeploymentConfig=linear))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert green_shares(stack) == [("blue", 0.0), ("linear", 0.25), ("linear", 0.5), ("linear", 0.75),
                                   ("full", 1.0), ("complete", 1.0)]
    assert outcomes(stack, "DeploymentNotifierFunction") == ["Deployed"]


def test_invalid_deployment_config_is_refused_with_sagemakers_error():
    bad = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 80}, "WaitIntervalInSeconds": 300}}}
    stack, result = run(deploy(DeploymentConfig=bad))
    assert (result.status, result.error) == ("FAILED", "DeploymentFailed")
    refused = [e for e in result.history if e["type"] == "TaskFailed"]
    assert "CanarySize must be less than or equal to 50%" in refused[0]["taskFailedEventDetails"]["cause"]
    assert green_shares(stack) == []
