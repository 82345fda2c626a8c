"""Drift, new data and the weekly schedule each start a retraining through the template's wiring, and the
retraining ends as designed: approved -> canary deployment, rejected -> production kept."""

from __future__ import annotations

from asl_engine.local.scenarios import measure_drift
from tests.e2e.conftest import APP, green_shares, outcomes, run, states


async def _first_retraining(stack):
    [retraining] = await stack.finished("RetrainingStateMachine")
    updates = stack.stepfunctions.of(APP.state_machines["EndpointUpdateStateMachine"].name)
    if updates:
        await stack.finished("EndpointUpdateStateMachine")
    # the last deployment events reach the notifier, and the functions still running (the approval callback
    # answers the task token before it returns) finish: virtual time stands still while a handler runs
    await stack.idle(60)
    return retraining


def test_drift_alarm_retrains_and_deploys_through_approval_and_canary():
    async def scenario(stack):
        measure_drift(stack, 0.31)  # the drift alarm (Maximum > 0.2) goes into ALARM
        return await _first_retraining(stack)

    stack, retraining = run(scenario)
    assert retraining.result.status == "SUCCEEDED", (retraining.result.error, retraining.result.cause)
    assert retraining.name.startswith("drift-")  # started by the drift adapter, named after the event
    [alarm_event] = [e for e in stack.service_events if e["detail-type"] == "CloudWatch Alarm State Change"]
    assert retraining.name == f"drift-{alarm_event['id']}"
    assert (alarm_event["detail"]["previousState"]["value"], alarm_event["detail"]["state"]["value"]) == ("OK", "ALARM")
    assert states(retraining) == ["Defaults", "Request", "PrepareData", "Train", "Evaluate", "BeatsProduction",
                                  "RegisterModel", "WaitForApproval", "Deploy", "NotifyDeployed"]
    assert retraining.result.output["approval"]["approved"] is True
    assert outcomes(stack, "ApprovalCallbackFunction") == ["approved"]
    assert outcomes(stack, "DeploymentNotifierFunction") == ["Deployed"]
    assert green_shares(stack) == [("blue", 0.0), ("canary", 0.25), ("full", 1.0), ("complete", 1.0)]
    endpoint = APP.ref("EndpointName")
    described = stack.client("sagemaker").describe_endpoint(EndpointName=endpoint)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
        "InService", f"{retraining.result.output['deployment']['Output']['ModelName']}-cfg")
    scaling = stack.client("application-autoscaling")
    [target] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (
        f"endpoint/{endpoint}/variant/AllTraffic", 4, 8)
    [policy] = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70
    published = [e.data["reason"] for e in stack.timeline.entries
                 if e.resource == f"bus/{APP.ref('MlopsBus')}" and e.state == "Model Deployment Result"]
    assert published == ["mlops.deployment"]  # the endpoint update's result event reached the mlops bus


def test_new_training_data_retrains_with_the_transformed_input():
    async def scenario(stack):
        stack.client("s3").put_object(Bucket=APP.ref("DataBucket"), Key="incoming/2026-11-27/churn.csv",
                                      Body=b"id,churned\n1,0\n")  # S3 sends "Object Created" to EventBridge
        return await _first_retraining(stack)

    _, retraining = run(scenario)
    assert retraining.result.status == "SUCCEEDED", (retraining.result.error, retraining.result.cause)
    request = retraining.result.output["request"]
    assert (request["trigger"], request["dataset"]) == (
        "new-data", f"s3://{APP.ref('DataBucket')}/incoming/2026-11-27/churn.csv")


def test_weekly_schedule_retrains_on_monday_morning():
    async def scenario(stack):
        return await _first_retraining(stack)

    _, retraining = run(scenario)
    assert retraining.result.status == "SUCCEEDED", (retraining.result.error, retraining.result.cause)
    assert retraining.result.output["request"]["trigger"] == "schedule"
    started = retraining.result.history[0]["timestamp"]
    assert (started.weekday(), started.hour, started.minute) == (0, 3, 0)


def test_rejected_model_is_not_deployed():
    async def scenario(stack):
        measure_drift(stack, 0.31)  # the drift alarm (Maximum > 0.2) goes into ALARM
        return await _first_retraining(stack)

    stack, retraining = run(scenario, decision="Rejected")
    assert retraining.result.status == "SUCCEEDED"
    assert states(retraining)[-2:] == ["NotifyRejected", "Rejected"]
    assert outcomes(stack, "ApprovalCallbackFunction") == ["rejected"]
    assert stack.stepfunctions.of(APP.state_machines["EndpointUpdateStateMachine"].name) == []


def test_worse_candidate_keeps_production():
    async def scenario(stack):
        measure_drift(stack, 0.31)  # the drift alarm (Maximum > 0.2) goes into ALARM
        return await _first_retraining(stack)

    _, retraining = run(scenario, auc=0.80)
    assert retraining.result.status == "SUCCEEDED"
    assert states(retraining)[-2:] == ["NotifyKeptProduction", "KeptProduction"]
