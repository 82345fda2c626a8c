from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sim.conftest import ROLE

ALARM = "churn-5xx"


def blue_green(kind: str, wait: int = 600, termination: int = 300, timeout: int | None = 3600, **routing) -> dict:
    policy = {"TrafficRoutingConfiguration": {"Type": kind, "WaitIntervalInSeconds": wait, **routing},
              "TerminationWaitInSeconds": termination}
    if timeout is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = timeout
    return {"BlueGreenUpdatePolicy": policy, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]}}


def setup_endpoint(world, instances: int = 4) -> None:
    sm = world.sagemaker
    for model in ("v1", "v2"):
        sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": model})
        sm.create_endpoint_config(EndpointConfigName=f"churn-{model}", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": instances,
            "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 1.0}])
    sm.create_endpoint(EndpointName="churn", EndpointConfigName="churn-v1")
    world.cloudwatch.put_metric_alarm(AlarmName=ALARM, MetricName="Invocation5XXErrors", Namespace="AWS/SageMaker",
                                      Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                      ComparisonOperator="GreaterThanThreshold")
    world.advance(300)


def describe(world) -> dict:
    return world.sagemaker.describe_endpoint(EndpointName="churn")


def green_share(world) -> list[tuple[int, str, float]]:
    start = world.sim.timeline.traffic_of("endpoint/churn")[0][0]
    return [(int((t - start).total_seconds()), phase, shares["green/AllTraffic"])
            for t, phase, shares in world.sim.timeline.traffic_of("endpoint/churn")]


def test_create_endpoint_is_creating_until_the_fleet_launched(world):
    world.sagemaker.create_model(ModelName="v1", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "v1"})
    world.sagemaker.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "v1", "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])
    world.sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="c",
                                    DeploymentConfig=blue_green("ALL_AT_ONCE", wait=0))
    endpoint = describe(world)
    assert endpoint["EndpointStatus"] == "Creating"
    assert endpoint["ProductionVariants"][0]["VariantStatus"][0]["StatusMessage"] == "Launching 1 instance(s)."
    world.advance(300)
    endpoint = describe(world)
    assert endpoint["EndpointStatus"] == "InService"
    assert "VariantStatus" not in endpoint["ProductionVariants"][0]
    assert endpoint["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == (
        "ALL_AT_ONCE")


def test_canary_shifts_the_canary_then_everything_and_terminates_blue(world):
    setup_endpoint(world)
    config = blue_green("CANARY", CanarySize={"Type": "CAPACITY_PERCENT", "Value": 25})
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=config)
    endpoint = describe(world)
    assert endpoint["EndpointStatus"] == "Updating"
    assert endpoint["EndpointConfigName"] == "churn-v1"
    pending = endpoint["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "churn-v2"
    assert pending["StartTime"] == world.at(300)
    variant = pending["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (0, 4)
    assert variant["VariantStatus"][0]["Status"] == "Creating"
    world.advance(300)
    status = describe(world)["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]
    assert (status["Status"], status["StatusMessage"]) == (
        "Baking", "Baking for 600 seconds (WaitIntervalInSeconds) with traffic enabled on canary capacity of "
                  "1 instance(s).")
    world.advance(600)
    status = describe(world)["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]
    assert status["StatusMessage"] == ("Baking for 300 seconds (TerminationWaitInSeconds) with traffic enabled on "
                                       "full capacity of 4 instance(s).")
    world.advance(300)
    assert describe(world)["ProductionVariants"][0]["VariantStatus"][0]["StatusMessage"] == (
        "Terminating 4 instance(s).")
    world.advance(60)
    endpoint = describe(world)
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v2")
    assert "PendingDeploymentSummary" not in endpoint and "FailureReason" not in endpoint
    assert endpoint["LastDeploymentConfig"] == config
    assert green_share(world) == [(0, "blue", 0.0), (300, "canary", 0.25), (900, "full", 1.0),
                                  (1260, "complete", 1.0)]


def test_linear_moves_equal_steps_each_baked(world):
    setup_endpoint(world, instances=5)
    config = blue_green("LINEAR", wait=300, termination=0, LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 40})
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=config)
    world.advance(5000)
    assert describe(world)["EndpointConfigName"] == "churn-v2"
    assert green_share(world) == [(0, "blue", 0.0), (300, "linear", 0.4), (600, "linear", 0.8), (900, "full", 1.0),
                                  (960, "complete", 1.0)]


def test_all_at_once_bakes_once_then_waits_for_termination(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2",
                                    DeploymentConfig=blue_green("ALL_AT_ONCE", wait=120, termination=60))
    world.advance(5000)
    assert green_share(world) == [(0, "blue", 0.0), (300, "full", 1.0), (540, "complete", 1.0)]


def test_alarm_during_the_canary_bake_rolls_everything_back(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=blue_green(
        "CANARY", CanarySize={"Type": "INSTANCE_COUNT", "Value": 1}))
    world.advance(400)  # 100 s into the canary's baking period
    world.cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx above threshold")
    world.advance(60)  # the next alarm check
    endpoint = describe(world)
    assert endpoint["EndpointStatus"] == "RollingBack"
    world.advance(60)
    endpoint = describe(world)
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v1")
    assert ALARM in endpoint["FailureReason"]
    assert "PendingDeploymentSummary" not in endpoint
    assert green_share(world) == [(0, "blue", 0.0), (300, "canary", 0.25), (420, "rollback", 0.0)]
    states = world.sim.timeline.states_of("endpoint/churn")
    assert states[-2:] == ["RollingBack", "InService"]


def test_an_alarm_already_firing_stops_the_first_bake_at_once(world):
    setup_endpoint(world)
    world.cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="x")
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=blue_green(
        "LINEAR", LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 50}))
    world.advance(300)
    assert describe(world)["EndpointStatus"] == "RollingBack"


def test_alarm_after_the_deployment_changes_nothing(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2",
                                    DeploymentConfig=blue_green("ALL_AT_ONCE", wait=60, termination=0))
    world.advance(1000)
    world.cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="x")
    world.advance(1000)
    assert describe(world)["EndpointConfigName"] == "churn-v2"


def test_failed_rollback_is_update_rollback_failed(world):
    world.failures.add("EndpointDeployment", "churn", "Failed to launch instances: capacity")
    world.failures.add("EndpointRollback", "churn", "Rollback failed: instance terminated")
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    world.advance(300)
    assert describe(world)["EndpointStatus"] == "RollingBack"
    world.advance(60)
    endpoint = describe(world)
    assert endpoint["EndpointStatus"] == "UpdateRollbackFailed"
    assert endpoint["FailureReason"] == "Rollback failed: instance terminated"


def test_deployment_past_its_timeout_rolls_back(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=blue_green(
        "LINEAR", wait=400, termination=0, timeout=1300, LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 25}))
    world.advance(1300)
    endpoint = describe(world)
    assert endpoint["EndpointStatus"] == "RollingBack"
    assert "MaximumExecutionTimeoutInSeconds" in world.sim.timeline.entries[-1].data["reason"]


def test_rolling_update_replaces_capacity_in_batches(world):
    setup_endpoint(world)
    config = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2},
                                      "WaitIntervalInSeconds": 120,
                                      "RollbackMaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 4}}}
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=config)
    world.advance(5000)
    assert green_share(world) == [(0, "blue", 0.0), (300, "rolling", 0.5), (420, "full", 1.0),
                                  (600, "complete", 1.0)]


def test_retain_deployment_config_reuses_the_last_one(world):
    setup_endpoint(world)
    config = blue_green("CANARY", CanarySize={"Type": "INSTANCE_COUNT", "Value": 2})
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=config)
    world.advance(5000)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v1", RetainDeploymentConfig=True)
    world.advance(300)
    assert "canary capacity of 2" in (
        describe(world)["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["StatusMessage"])


def test_deployment_events_follow_each_phase(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=blue_green(
        "CANARY", CanarySize={"Type": "INSTANCE_COUNT", "Value": 1}))
    world.advance(5000)
    events = [e for e in world.events if e["detail-type"] == "SageMaker Endpoint Deployment State Change"]
    assert {e["source"] for e in events} == {"aws.sagemaker"}
    assert events[0]["detail"]["EndpointStatus"] == "UPDATING"
    assert events[-1]["detail"]["EndpointStatus"] == "IN_SERVICE"
    phases = [e["detail"].get("PendingDeploymentSummary", {}).get("ProductionVariants", [{}])[0].get(
        "VariantStatus", [{}])[0].get("Status") for e in events]
    # the last Baking is the blue fleet terminating (its own variants show Deleting); then InService
    assert phases == ["Creating", "ActivatingTraffic", "Baking", "ActivatingTraffic", "Baking", "Baking", None]
    assert isinstance(events[0]["detail"]["PendingDeploymentSummary"]["StartTime"], int)


def error_of(world, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", **kwargs)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(("config", "message"), [
    (blue_green("CANARY", wait=4000, termination=4000, timeout=None, CanarySize={"Type": "INSTANCE_COUNT", "Value": 1}),
     "2 validation errors detected: Value '4000' at "
     "'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds' failed to satisfy "
     "constraint: Member must have value less than or equal to 3600; Value '4000' at "
     "'deploymentConfig.blueGreenUpdatePolicy.terminationWaitInSeconds' failed to satisfy constraint: Member must "
     "have value less than or equal to 3600"),
    (blue_green("CANARY", timeout=30000, CanarySize={"Type": "INSTANCE_COUNT", "Value": 1}),
     "1 validation error detected: Value '30000' at 'deploymentConfig.blueGreenUpdatePolicy."
     "maximumExecutionTimeoutInSeconds' failed to satisfy constraint: Member must have value less than or equal to "
     "28800"),
    (blue_green("CANARY"), "CanarySize must be specified when TrafficRoutingConfiguration Type is CANARY."),
    (blue_green("CANARY", CanarySize={"Type": "CAPACITY_PERCENT", "Value": 75}),
     "CanarySize must be less than or equal to 50% of the new fleet's capacity (4 instance(s))."),
    (blue_green("CANARY", CanarySize={"Type": "INSTANCE_COUNT", "Value": 3}),
     "CanarySize must be less than or equal to 50% of the new fleet's capacity (4 instance(s))."),
    (blue_green("LINEAR", LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 5}),
     "LinearStepSize must be between 10% and 50% of the new fleet's capacity (4 instance(s))."),
    (blue_green("LINEAR", wait=600, timeout=1200, LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 25}),
     "MaximumExecutionTimeoutInSeconds (1200) must be larger than the total waiting time of the deployment "
     "(2100 seconds)."),
    ({"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 4},
                              "WaitIntervalInSeconds": 0}},
     "MaximumBatchSize must be between 5% and 50% of the variant's total instance count (4 instance(s))."),
    ({"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 3}, "WaitIntervalInSeconds": 0}},
     "MaximumBatchSize must be between 5% and 50% of the variant's total instance count (4 instance(s))."),
    ({**blue_green("ALL_AT_ONCE"), "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                                                           "WaitIntervalInSeconds": 0}},
     "Only one update policy can be specified in the DeploymentConfig: BlueGreenUpdatePolicy or "
     "RollingUpdatePolicy."),
])
def test_invalid_deployment_config_is_refused_with_sagemaker_text(world, config, message):
    setup_endpoint(world)
    assert error_of(world, DeploymentConfig=config) == message
    assert describe(world)["EndpointStatus"] == "InService"


def test_enum_violation_text(world):
    setup_endpoint(world)
    config = blue_green("ALL_AT_ONCE")
    config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] = "SOMETIMES"
    assert error_of(world, DeploymentConfig=config) == (
        "1 validation error detected: Value 'SOMETIMES' at 'deploymentConfig.blueGreenUpdatePolicy."
        "trafficRoutingConfiguration.type' failed to satisfy constraint: Member must satisfy enum value set: "
        "[ALL_AT_ONCE, CANARY, LINEAR]")


def test_update_while_updating_is_refused(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    assert error_of(world) == (
        'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn".')


def test_create_endpoint_refuses_an_invalid_config_before_creating(world):
    world.sagemaker.create_model(ModelName="v1", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "v1"})
    world.sagemaker.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "v1", "InitialInstanceCount": 2, "InstanceType": "ml.m5.xlarge"}])
    with pytest.raises(ClientError, match="CanarySize must be specified"):
        world.sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="c",
                                        DeploymentConfig=blue_green("CANARY"))
    assert world.sagemaker.list_endpoints()["Endpoints"] == []


def test_shadow_variants_are_kept_and_deployed(world):
    setup_endpoint(world)
    world.sagemaker.create_endpoint_config(
        EndpointConfigName="churn-shadow",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "v1", "InitialInstanceCount": 4,
                             "InstanceType": "ml.m5.xlarge"}],
        ShadowProductionVariants=[{"VariantName": "Shadow", "ModelName": "v2", "InitialInstanceCount": 1,
                                   "InstanceType": "ml.m5.xlarge"}])
    shadow = world.sagemaker.describe_endpoint_config(EndpointConfigName="churn-shadow")["ShadowProductionVariants"]
    assert shadow[0]["VariantName"] == "Shadow"
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-shadow")
    world.advance(1000)
    assert describe(world)["ShadowProductionVariants"][0]["VariantName"] == "Shadow"


def test_deleting_the_endpoint_mid_deployment_ends_it_quietly(world):
    setup_endpoint(world)
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    world.sagemaker.delete_endpoint(EndpointName="churn")
    world.advance(5000)
    assert world.sagemaker.list_endpoints()["Endpoints"] == []


def test_rolling_update_rolls_back_in_batches(world):
    setup_endpoint(world, instances=6)
    config = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 3},
                                      "WaitIntervalInSeconds": 600,
                                      "RollbackMaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1}},
              "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]}}
    world.sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=config)
    world.advance(400)
    world.cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="x")
    world.advance(5000)
    # the alarm is read every 60 s of the bake (300, 360, 420...): seen at 420, then one instance a minute
    assert green_share(world) == [(0, "blue", 0.0), (300, "rolling", 0.5), (420, "rollback", round(2 / 6, 4)),
                                  (480, "rollback", round(1 / 6, 4)), (540, "rollback", 0.0)]
    assert describe(world)["EndpointConfigName"] == "churn-v1"
