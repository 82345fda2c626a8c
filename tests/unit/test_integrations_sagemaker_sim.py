"""SageMaker and Batch ``.sync`` tasks against moto with the simulator attached (jobs take time on the virtual
clock, fail by injection, go through Stopping when stopped): the task waits for the terminal status and returns
the describe call's shape, fails with States.TaskFailed and the description as its cause, and stops its job when
the execution is stopped."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from runtime_helpers import ACCOUNT, REGION, START, event, machine, simple_task

from asl_engine import Resources, Services, VirtualClock
from asl_engine.integrations.clients import ClientFactory
from asl_engine.sim import Simulator

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"


class Stack:
    """moto through the engine's ClientFactory, with the simulator following one VirtualClock."""

    def __init__(self) -> None:
        self.clock = VirtualClock(START)
        self.clients = ClientFactory(account=ACCOUNT)
        self.sim = Simulator(self.clock, account=ACCOUNT, region=REGION)
        self.resources = Resources(clients=self.clients)

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    def run(self, definition: dict[str, Any], stop_after: float | None = None) -> Any:
        """Runs ``definition`` with the simulator following the clock; ``stop_after``: StopExecution then."""
        sm = machine(definition, name=f"sm-{uuid.uuid4().hex[:6]}")
        self.resources.state_machines.add(sm)

        async def main() -> Any:
            follower = asyncio.ensure_future(self.sim.follow())
            try:
                sfn = self.resources.state_machines.client(self.resources, self.clock, Services(seed=1))
                arn = sfn.start_execution(stateMachineArn=sm.arn, input="{}", name="exec")["executionArn"]
                if stop_after is not None:
                    await asyncio.sleep(stop_after)
                    sfn.stop_execution(executionArn=arn)
                described = await sfn.wait(arn)
                return self.resources.state_machines.execution(arn), described
            finally:
                follower.cancel()
                await asyncio.gather(follower, return_exceptions=True)

        return self.clock.run(main())


@pytest.fixture
def stack() -> Iterator[Stack]:
    stack = Stack()
    with stack.sim:
        yield stack


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def sync_task(action: str, **params: Any) -> dict[str, Any]:
    return simple_task(f"arn:aws:states:::sagemaker:{action}.sync", Parameters=params)


def processing(name: str) -> dict[str, Any]:
    return {"ProcessingJobName": name, "RoleArn": ROLE, "AppSpecification": {"ImageUri": "sklearn:1"},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                      "VolumeSizeInGB": 10}},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}


def transform(name: str, model: str) -> dict[str, Any]:
    return {"TransformJobName": name, "ModelName": model,
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://in/"}}},
            "TransformOutput": {"S3OutputPath": "s3://out/"},
            "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}}


def tuning(name: str) -> dict[str, Any]:
    return {"HyperParameterTuningJobName": name,
            "HyperParameterTuningJobConfig": {
                "Strategy": "Bayesian",
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1}},
            "TrainingJobDefinition": {
                "AlgorithmSpecification": {"TrainingImage": "xgboost:1", "TrainingInputMode": "File"},
                "RoleArn": ROLE, "OutputDataConfig": {"S3OutputPath": "s3://o/"},
                "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}}


def training(name: str) -> dict[str, Any]:
    return {"TrainingJobName": name, "RoleArn": ROLE,
            "AlgorithmSpecification": {"TrainingImage": "xgboost:1", "TrainingInputMode": "File"},
            "OutputDataConfig": {"S3OutputPath": "s3://models/out"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}


def elapsed(ex: Any) -> float:
    return (ex.stop_date - ex.start_date).total_seconds()


class TestSageMakerSync:
    def test_processing_job_waits_for_completed_and_returns_the_description(self, stack: Stack) -> None:
        name = unique("prep")
        execution, described = stack.run(sync_task("createProcessingJob", **processing(name)))
        ex = execution.task.result()
        assert ex.status == "SUCCEEDED", ex.cause
        out = ex.output
        assert (out["ProcessingJobName"], out["ProcessingJobStatus"]) == (name, "Completed")
        assert out["ProcessingJobArn"].endswith(f":processing-job/{name}")
        assert isinstance(out["ProcessingEndTime"], int) and isinstance(out["CreationTime"], int)  # epoch ms
        assert "SdkHttpMetadata" not in out and "ResponseMetadata" not in out
        submitted = json.loads(event(ex, "TaskSubmitted")["taskSubmittedEventDetails"]["output"])
        assert set(submitted) == {"ProcessingJobArn", "SdkHttpMetadata", "SdkResponseMetadata"}
        assert elapsed(ex) >= 300  # the simulator's processing time, on the virtual clock
        assert described["status"] == "SUCCEEDED"

    def test_transform_job(self, stack: Stack) -> None:
        model, name = unique("m"), unique("score")
        stack.client("sagemaker").create_model(ModelName=model, ExecutionRoleArn=ROLE,
                                               PrimaryContainer={"Image": "img"})
        execution, _ = stack.run(sync_task("createTransformJob", **transform(name, model)))
        ex = execution.task.result()
        assert ex.status == "SUCCEEDED", ex.cause
        assert (ex.output["TransformJobName"], ex.output["TransformJobStatus"]) == (name, "Completed")
        assert ex.output["ModelName"] == model
        assert ex.output["TransformOutput"] == {"S3OutputPath": "s3://out/"}
        assert isinstance(ex.output["TransformEndTime"], int)

    def test_hyper_parameter_tuning_job(self, stack: Stack) -> None:
        name = unique("tune")
        execution, _ = stack.run(sync_task("createHyperParameterTuningJob", **tuning(name)))
        ex = execution.task.result()
        assert ex.status == "SUCCEEDED", ex.cause
        out = ex.output
        assert (out["HyperParameterTuningJobName"], out["HyperParameterTuningJobStatus"]) == (name, "Completed")
        assert out["TrainingJobStatusCounters"]["Completed"] >= 1
        assert out["HyperParameterTuningJobConfig"]["Strategy"] == "Bayesian"
        assert elapsed(ex) >= 1500

    def test_an_injected_failure_is_task_failed_with_the_description_as_cause(self, stack: Stack) -> None:
        name = unique("prep-bad")
        stack.sim.failures.add("ProcessingJob", "prep-bad-*", "ClientError: no input")
        definition = sync_task("createProcessingJob", **processing(name))
        definition["States"]["T"].update(Next="Caught", Catch=[
            {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}])
        definition["States"]["T"].pop("End")
        definition["States"]["Caught"] = {"Type": "Pass", "End": True}
        execution, _ = stack.run(definition)
        ex = execution.task.result()
        assert ex.status == "SUCCEEDED"
        assert ex.output["error"]["Error"] == "States.TaskFailed"
        cause = json.loads(ex.output["error"]["Cause"])
        assert (cause["ProcessingJobName"], cause["ProcessingJobStatus"]) == (name, "Failed")
        assert cause["FailureReason"] == "ClientError: no input"
        failed = event(ex, "TaskFailed")["taskFailedEventDetails"]
        assert (failed["resourceType"], failed["resource"], failed["error"]) == (
            "sagemaker", "createProcessingJob.sync", "States.TaskFailed")

    @pytest.mark.parametrize(("kind", "natural_end"), [
        ("ProcessingJob", 300), ("TrainingJob", 810), ("TransformJob", 300), ("HyperParameterTuningJob", 1800)])
    def test_stopping_the_execution_stops_the_job(self, stack: Stack, kind: str, natural_end: float) -> None:
        name = unique("stopped")
        if kind == "TransformJob":
            stack.client("sagemaker").create_model(ModelName=f"{name}-m", ExecutionRoleArn=ROLE,
                                                   PrimaryContainer={"Image": "img"})
        params = {"ProcessingJob": processing, "TrainingJob": training, "HyperParameterTuningJob": tuning,
                  "TransformJob": lambda n: transform(n, f"{n}-m")}[kind](name)
        execution, described = stack.run(sync_task(f"create{kind}", **params), stop_after=200)
        assert described["status"] == "ABORTED" and execution.task.cancelled()
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")
        describe = getattr(stack.client("sagemaker"), f"describe_{snake}")
        # StopXxxJob was called at 200 s, while the job was still InProgress
        assert describe(**{f"{kind}Name": name})[f"{kind}Status"] == "Stopping"
        stack.clock.advance(natural_end * 2)  # past the job's natural end: it went Stopped and stays Stopped
        assert describe(**{f"{kind}Name": name})[f"{kind}Status"] == "Stopped"
        resource = f"{snake.replace('_', '-')}/{name}"
        assert stack.sim.timeline.states_of(resource)[-2:] == ["Stopping", "Stopped"]
        assert "Completed" not in stack.sim.timeline.states_of(resource)
        assert stack.sim.timeline.entries[-1].time == START + timedelta(seconds=230)


class TestBatchSync:
    """batch:submitJob.sync against moto's Batch with the simulator (not a fake): SUBMITTED..SUCCEEDED or FAILED."""

    def queue(self, stack: Stack) -> str:
        role = stack.client("iam").create_role(RoleName=unique("batch"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        batch = stack.client("batch")
        env = batch.create_compute_environment(computeEnvironmentName=unique("env"), type="UNMANAGED", state="ENABLED",
                                               serviceRole=role)["computeEnvironmentArn"]
        queue = unique("scoring")
        batch.create_job_queue(jobQueueName=queue, state="ENABLED", priority=1,
                               computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])
        batch.register_job_definition(jobDefinitionName="score", type="container",
                                      containerProperties={"image": "score:1", "vcpus": 1, "memory": 512})
        return queue

    @pytest.mark.parametrize("fail", [False, True])
    def test_submit_job_sync_follows_the_simulated_job(self, stack: Stack, fail: bool) -> None:
        queue = self.queue(stack)
        if fail:
            stack.sim.failures.add("BatchJob", "partition-*", "Essential container in task exited")
        definition = simple_task("arn:aws:states:::batch:submitJob.sync", Parameters={
            "JobName": "partition-1", "JobQueue": queue, "JobDefinition": "score"})
        execution, _ = stack.run(definition)
        ex = execution.task.result()
        if fail:
            assert (ex.status, ex.error) == ("FAILED", "States.TaskFailed")
            cause = json.loads(ex.cause)
            assert (cause["Status"], cause["StatusReason"]) == ("FAILED", "Essential container in task exited")
            assert cause["Attempts"][0]["Container"]["ExitCode"] == 1
        else:
            assert ex.status == "SUCCEEDED", ex.cause
            assert (ex.output["JobName"], ex.output["Status"]) == ("partition-1", "SUCCEEDED")
            assert ex.output["Attempts"][0]["Container"]["ExitCode"] == 0
            assert elapsed(ex) >= 180  # SUBMITTED -> RUNNABLE -> RUNNING -> SUCCEEDED on the simulator's clock
