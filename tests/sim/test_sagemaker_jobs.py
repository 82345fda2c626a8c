from __future__ import annotations

import pytest

from tests.sim.conftest import ROLE


def create_training_job(world, name: str = "churn-train") -> None:
    world.sagemaker.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "xgboost:1", "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://models/out"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})


def describe(world, name: str = "churn-train") -> dict:
    return world.sagemaker.describe_training_job(TrainingJobName=name)


def test_training_job_walks_the_secondary_statuses_with_their_times(world):
    create_training_job(world)
    job = describe(world)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("InProgress", "Starting")
    assert "TrainingStartTime" not in job and "ModelArtifacts" not in job
    world.advance(200)
    job = describe(world)
    assert job["SecondaryStatus"] == "Training"
    assert job["TrainingStartTime"] == world.at(120)
    world.advance(3600)
    job = describe(world)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Completed", "Completed")
    assert job["TrainingEndTime"] == world.at(810)
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == "s3://models/out/churn-train/output/model.tar.gz"
    assert [(t["Status"], t["StatusMessage"]) for t in job["SecondaryStatusTransitions"]] == [
        ("Starting", "Preparing the instances for training"), ("Downloading", "Downloading input data"),
        ("Training", "Training image download completed. Training in progress."),
        ("Uploading", "Uploading generated training model"), ("Completed", "Training job completed")]
    assert all("EndTime" in t for t in job["SecondaryStatusTransitions"])


def test_timestamps_are_the_due_times_however_coarse_the_ticks(world):
    create_training_job(world)
    world.advance(10_000)
    transitions = describe(world)["SecondaryStatusTransitions"]
    assert [t["StartTime"] for t in transitions] == [world.at(s) for s in (0, 120, 180, 780, 810)]


def test_injected_failure_ends_the_training_phase_with_the_reason(world):
    world.failures.add("TrainingJob", "churn-*", "AlgorithmError: out of memory")
    create_training_job(world)
    world.advance(10_000)
    job = describe(world)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Failed", "Failed")
    assert job["FailureReason"] == "AlgorithmError: out of memory"
    assert job["TrainingEndTime"] == world.at(780)
    assert "ModelArtifacts" not in job


def test_stop_training_job_goes_through_stopping(world):
    create_training_job(world)
    world.advance(200)
    world.sagemaker.stop_training_job(TrainingJobName="churn-train")
    assert (describe(world)["TrainingJobStatus"], describe(world)["SecondaryStatus"]) == ("Stopping", "Stopping")
    world.advance(60)
    assert (describe(world)["TrainingJobStatus"], describe(world)["SecondaryStatus"]) == ("Stopped", "Stopped")
    world.advance(10_000)  # well past the 810 s the job would have taken: it stays Stopped
    job = describe(world)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert job["TrainingEndTime"] == world.at(230)
    assert "ModelArtifacts" not in job
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Stopping", "Stopped"]
    assert world.sim.timeline.states_of("training-job/churn-train") == [
        "Starting", "Downloading", "Training", "Stopping", "Stopped"]


def test_state_change_events_carry_the_description(world):
    create_training_job(world)
    world.advance(10_000)
    events = [e for e in world.events if e["detail-type"] == "SageMaker Training Job State Change"]
    assert [e["detail"]["SecondaryStatus"] for e in events] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    last = events[-1]
    assert last["source"] == "aws.sagemaker"
    assert last["resources"] == ["arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train"]
    assert last["detail"]["TrainingJobStatus"] == "Completed"
    assert isinstance(last["detail"]["TrainingEndTime"], int)  # epoch milliseconds, as SageMaker's events


def create_processing_job(world, name: str) -> None:
    world.sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE,
        AppSpecification={"ImageUri": "sklearn:1"},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 10}})


@pytest.mark.parametrize("fail", [False, True])
def test_processing_job_completes_or_fails_after_its_duration(world, fail):
    if fail:
        world.failures.add("ProcessingJob", "prep-*", "ClientError: no input")
    create_processing_job(world, "prep-1")
    assert world.sagemaker.describe_processing_job(ProcessingJobName="prep-1")["ProcessingJobStatus"] == "InProgress"
    world.advance(299)
    assert world.sagemaker.describe_processing_job(ProcessingJobName="prep-1")["ProcessingJobStatus"] == "InProgress"
    world.advance(1)
    job = world.sagemaker.describe_processing_job(ProcessingJobName="prep-1")
    assert job["ProcessingJobStatus"] == ("Failed" if fail else "Completed")
    assert job["ProcessingEndTime"] == world.at(300)
    assert job.get("FailureReason") == ("ClientError: no input" if fail else None)


def test_transform_and_tuning_jobs_progress(world):
    create_transform_job(world, "score")
    create_tuning_job(world, "tune")
    tune = world.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune")
    assert tune["HyperParameterTuningJobStatus"] == "InProgress"
    assert tune["TrainingJobStatusCounters"]["InProgress"] == 1
    world.advance(300)
    assert world.sagemaker.describe_transform_job(TransformJobName="score")["TransformJobStatus"] == "Completed"
    world.advance(1500)
    tune = world.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune")
    assert tune["HyperParameterTuningJobStatus"] == "Completed"
    assert tune["TrainingJobStatusCounters"]["Completed"] == 1


def create_transform_job(world, name: str) -> None:
    world.sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    world.sagemaker.create_transform_job(
        TransformJobName=name, ModelName=f"{name}-model",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://in/"}}},
        TransformOutput={"S3OutputPath": "s3://out/"},
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1})


def create_tuning_job(world, name: str) -> None:
    world.sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={"Strategy": "Bayesian",
                                       "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1}},
        TrainingJobDefinition={"AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
                               "RoleArn": ROLE, "OutputDataConfig": {"S3OutputPath": "s3://o/"},
                               "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 10},
                               "StoppingCondition": {"MaxRuntimeInSeconds": 60}})


# kind, create, natural duration (s), the end-time member
STOPPABLE = {
    "ProcessingJob": (create_processing_job, 300, "ProcessingEndTime"),
    "TransformJob": (create_transform_job, 300, "TransformEndTime"),
    "HyperParameterTuningJob": (create_tuning_job, 1800, "HyperParameterTuningEndTime"),
}


def _snake(kind: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")


@pytest.mark.parametrize("kind", list(STOPPABLE))
def test_stopped_jobs_go_through_stopping_and_stay_stopped(world, kind):
    """StopXxxJob: InProgress -> Stopping -> Stopped, and the job never completes afterwards (moto's own
    StopProcessingJob would set Stopped at once and the phase still running would later complete the job)."""
    create, duration, end_member = STOPPABLE[kind]
    name = f"stop-{_snake(kind).replace('_', '-')}"
    create(world, name)

    def status() -> dict:
        return getattr(world.sagemaker, f"describe_{_snake(kind)}")(**{f"{kind}Name": name})

    world.advance(100)
    getattr(world.sagemaker, f"stop_{_snake(kind)}")(**{f"{kind}Name": name})
    assert status()[f"{kind}Status"] == "Stopping"
    assert end_member not in status()
    world.advance(29)
    assert status()[f"{kind}Status"] == "Stopping"
    world.advance(1)
    assert status()[f"{kind}Status"] == "Stopped"
    world.advance(duration * 10)  # far past the job's natural end
    job = status()
    assert job[f"{kind}Status"] == "Stopped"
    assert job[end_member] == world.at(130)
    resource = f"{_snake(kind).replace('_', '-')}/{name}"
    assert world.sim.timeline.states_of(resource) == ["InProgress", "Stopping", "Stopped"]
    events = [e["detail"][f"{kind}Status"] for e in world.events if e["resources"][0].endswith(f"/{name}")]
    assert events == ["InProgress", "Stopping", "Stopped"]
    if kind == "HyperParameterTuningJob":
        assert job["TrainingJobStatusCounters"]["Stopped"] == 1
        assert job["TrainingJobStatusCounters"]["Completed"] == 0


@pytest.mark.parametrize("kind", ["TrainingJob", *STOPPABLE])
def test_stopping_a_job_twice_or_after_it_ended_changes_nothing(world, kind):
    create = create_training_job if kind == "TrainingJob" else STOPPABLE[kind][0]
    name = f"again-{_snake(kind).replace('_', '-')}"
    create(world, name)
    stop = getattr(world.sagemaker, f"stop_{_snake(kind)}")
    world.advance(100)
    stop(**{f"{kind}Name": name})
    world.advance(10)
    stop(**{f"{kind}Name": name})  # still Stopping: the stop already under way is not restarted or cut short
    world.advance(19)
    status = getattr(world.sagemaker, f"describe_{_snake(kind)}")(**{f"{kind}Name": name})
    assert status[f"{kind}Status"] == "Stopping"
    world.advance(10_000)
    stop(**{f"{kind}Name": name})
    status = getattr(world.sagemaker, f"describe_{_snake(kind)}")(**{f"{kind}Name": name})
    assert status[f"{kind}Status"] == "Stopped"


@pytest.mark.parametrize("kind", ["TrainingJob", "ProcessingJob", "TransformJob"])
def test_stopping_an_unknown_job_is_the_not_found_error(world, kind):
    with pytest.raises(world.sagemaker.exceptions.ClientError, match=r"ValidationException.*Could not find"):
        getattr(world.sagemaker, f"stop_{_snake(kind)}")(**{f"{kind}Name": "nope"})


def test_without_the_simulator_moto_behaves_as_before(world):
    world.sim.detach()
    create_training_job(world, "plain")
    assert describe(world, "plain")["TrainingJobStatus"] == "Completed"
    create_processing_job(world, "plain-prep")
    world.sagemaker.stop_processing_job(ProcessingJobName="plain-prep")  # moto's own StopProcessingJob
    assert world.sagemaker.describe_processing_job(ProcessingJobName="plain-prep")["ProcessingJobStatus"] == "Stopped"
    world.sim.attach()


def test_model_package_approval_emits_the_state_change_event(world):
    world.sagemaker.create_model_package_group(ModelPackageGroupName="churn")
    arn = world.sagemaker.create_model_package(
        ModelPackageGroupName="churn", ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": "xgboost"}], "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    world.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved",
                                         ApprovalDescription="beats production")
    events = [e for e in world.events if e["detail-type"] == "SageMaker Model Package State Change"]
    assert [e["detail"]["ModelApprovalStatus"] for e in events] == ["PendingManualApproval", "Approved"]
    assert events[-1]["resources"] == [arn]
    assert events[-1]["detail"]["ModelPackageGroupName"] == "churn"
    assert events[-1]["detail"]["ApprovalDescription"] == "beats production"
