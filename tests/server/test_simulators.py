"""SageMaker and Batch on a real ``asl serve``: jobs take time on the virtual clock, deployments shift traffic.

moto alone finishes a training job the instant it is created, runs a Batch job in Docker and has no
UpdateEndpoint; the server attaches the simulators (``asl_engine.sim``) on its clock, so every wait below is
``POST /_asl/clock/advance``, and failures are injected with ``POST /_asl/sim/failures``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE, TERMINAL, definition, eventually, queue

STEP = 60.0  # clock seconds per advance while waiting: a .sync task polls every 30 (Batch) or 60 (SageMaker)


def advance_until_end(server: Any, sfn: Any, arn: str) -> dict[str, Any]:
    """Advances the clock a step at a time until the execution ends (a few hundred advances at most)."""
    def ended() -> dict[str, Any] | None:
        server.advance(STEP)
        described = sfn.describe_execution(executionArn=arn)
        return described if described["status"] in TERMINAL else None

    return eventually(ended, timeout=60.0)


def batch_queue(server: Any, name: str) -> None:
    """A job queue and the ``score`` job definition (moto needs an existing role for the compute environment)."""
    server.client("iam").create_role(RoleName=f"batch-{name}", AssumeRolePolicyDocument="{}")
    batch = server.client("batch")
    environment = batch.create_compute_environment(
        computeEnvironmentName=name, type="UNMANAGED", state="ENABLED",
        serviceRole=f"arn:aws:iam::123456789012:role/batch-{name}")["computeEnvironmentArn"]
    batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])
    batch.register_job_definition(jobDefinitionName="score", type="container",
                                  containerProperties={"image": "score:1", "vcpus": 1, "memory": 1024})


def submit_job_machine(sfn: Any, name: str, queue: str) -> str:
    task = {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
            "Parameters": {"JobName.$": "$.job", "JobQueue": queue, "JobDefinition": "score"},
            "ResultSelector": {"status.$": "$.Status", "reason.$": "$.StatusReason"}, "End": True}
    return sfn.create_state_machine(name=name, roleArn=ROLE, definition=definition({"Score": task}))["stateMachineArn"]


@pytest.fixture(scope="module")
def scoring(server: Any) -> str:
    batch_queue(server, "sim-queue")
    return submit_job_machine(server.client(), "sim-batch", "sim-queue")


def test_batch_submit_job_sync_succeeds_as_the_clock_advances(server, sfn, scoring) -> None:
    sqs, events = server.client("sqs"), server.client("events")
    queue_url, queue_arn = queue(sqs, "sim-batch-events")
    events.put_rule(Name="sim-batch-succeeded", EventPattern=json.dumps({
        "source": ["aws.batch"], "detail-type": ["Batch Job State Change"],
        "detail": {"jobName": ["sim-ok"], "status": ["SUCCEEDED"]}}))
    events.put_targets(Rule="sim-batch-succeeded", Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = sfn.start_execution(stateMachineArn=scoring, input=json.dumps({"job": "sim-ok"}))["executionArn"]
    ended = advance_until_end(server, sfn, arn)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"]) == {"status": "SUCCEEDED", "reason": "Essential container in task exited"}
    # the simulator's event reached the server's default bus, whose rule sent it to the queue
    message = eventually(lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages"))
    event = json.loads(message[0]["Body"])
    assert (event["detail-type"], event["detail"]["jobName"], event["detail"]["status"]) == (
        "Batch Job State Change", "sim-ok", "SUCCEEDED")


def test_an_injected_batch_failure_fails_the_task(server, sfn, scoring) -> None:
    status, body = server.post("/_asl/sim/failures", json.dumps({
        "kind": "BatchJob", "pattern": "sim-doomed-*", "reason": "Essential container in task exited"}).encode())
    assert status == 200 and {"kind": "BatchJob", "pattern": "sim-doomed-*",
                              "reason": "Essential container in task exited"} in body["failures"]
    arn = sfn.start_execution(stateMachineArn=scoring, input=json.dumps({"job": "sim-doomed-1"}))["executionArn"]
    ended = advance_until_end(server, sfn, arn)
    assert (ended["status"], ended["error"]) == ("FAILED", "States.TaskFailed")
    job = json.loads(ended["cause"])
    assert (job["Status"], job["Attempts"][-1]["Container"]["ExitCode"]) == ("FAILED", 1), job


def test_an_unknown_failure_kind_is_refused(server) -> None:
    status, body = server.post("/_asl/sim/failures", b'{"kind": "Nothing", "pattern": "*", "reason": "x"}')
    assert status == 400 and "BatchJob" in body["message"]


def test_create_training_job_sync_completes(server, sfn) -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {
                "TrainingJobName": "sim-train", "RoleArn": ROLE,
                "AlgorithmSpecification": {"TrainingImage": "xgboost:1", "TrainingInputMode": "File"},
                "OutputDataConfig": {"S3OutputPath": "s3://models/out"},
                "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}},
            "ResultSelector": {"status.$": "$.TrainingJobStatus", "model.$": "$.ModelArtifacts.S3ModelArtifacts"},
            "End": True}
    machine = sfn.create_state_machine(name="sim-train", roleArn=ROLE, definition=definition({"Train": task}))
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    ended = advance_until_end(server, sfn, arn)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"]) == {"status": "Completed", "model": "s3://models/out/sim-train/output/model.tar.gz"}
    transitions = server.client("sagemaker").describe_training_job(TrainingJobName="sim-train")[
        "SecondaryStatusTransitions"]
    assert [t["Status"] for t in transitions] == ["Starting", "Downloading", "Training", "Uploading", "Completed"]


def test_update_endpoint_with_a_canary_moves_traffic(server) -> None:
    sm = server.client("sagemaker")
    for model in ("v1", "v2"):
        sm.create_model(ModelName=f"sim-{model}", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": model})
        sm.create_endpoint_config(EndpointConfigName=f"sim-churn-{model}", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": f"sim-{model}", "InitialInstanceCount": 4,
            "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 1.0}])
    sm.create_endpoint(EndpointName="sim-churn", EndpointConfigName="sim-churn-v1")
    assert sm.describe_endpoint(EndpointName="sim-churn")["EndpointStatus"] == "Creating"
    server.advance(300)
    assert sm.describe_endpoint(EndpointName="sim-churn")["EndpointStatus"] == "InService"

    sm.update_endpoint(EndpointName="sim-churn", EndpointConfigName="sim-churn-v2", DeploymentConfig={
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 600,
                                            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25}},
            "TerminationWaitInSeconds": 300, "MaximumExecutionTimeoutInSeconds": 3600}})
    assert sm.describe_endpoint(EndpointName="sim-churn")["EndpointStatus"] == "Updating"
    server.advance(300)  # the green fleet is up: the canary (1 of 4 instances) takes traffic and bakes
    green = sm.describe_endpoint(EndpointName="sim-churn")["PendingDeploymentSummary"]["ProductionVariants"][0]
    assert green["VariantStatus"][0]["Status"] == "Baking"
    assert "canary capacity of 1 instance(s)" in green["VariantStatus"][0]["StatusMessage"]
    server.advance(600)  # baked: all traffic on green, the final bake before blue is terminated
    green = sm.describe_endpoint(EndpointName="sim-churn")["PendingDeploymentSummary"]["ProductionVariants"][0]
    assert "full capacity of 4 instance(s)" in green["VariantStatus"][0]["StatusMessage"]
    server.advance(300 + 60)  # termination wait, then blue's instances are terminated
    endpoint = sm.describe_endpoint(EndpointName="sim-churn")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "sim-churn-v2")
    assert "PendingDeploymentSummary" not in endpoint


def test_an_action_moto_lacks_is_an_aws_error_not_a_raw_500(server) -> None:
    with pytest.raises(ClientError) as refused:
        server.client("sagemaker").list_devices()
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented"
    assert "sagemaker:ListDevices" in error["Error"]["Message"]


@pytest.mark.parametrize(("service", "call", "action"), [
    ("iam", lambda c: c.simulate_custom_policy(PolicyInputList=["{}"], ActionNames=["s3:GetObject"]),
     "iam:SimulateCustomPolicy"),  # the query protocol: an XML ErrorResponse
    ("ec2", lambda c: c.describe_capacity_reservations(), "ec2:DescribeCapacityReservations"),  # EC2's Errors
])
def test_an_action_moto_lacks_is_an_aws_error_in_xml_protocols_too(server, service, call, action) -> None:
    with pytest.raises(ClientError) as refused:
        call(server.client(service))
    error = refused.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (501, "NotImplemented")
    assert action in error["Error"]["Message"]
