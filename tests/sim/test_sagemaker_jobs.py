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
    assert describe(world)["TrainingJobStatus"] == "Stopping"
    world.advance(60)
    assert (describe(world)["TrainingJobStatus"], describe(world)["SecondaryStatus"]) == ("Stopped", "Stopped")


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
    world.sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    world.sagemaker.create_transform_job(
        TransformJobName="score", ModelName="m",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://in/"}}},
        TransformOutput={"S3OutputPath": "s3://out/"},
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1})
    world.sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="tune",
        HyperParameterTuningJobConfig={"Strategy": "Bayesian",
                                       "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1}},
        TrainingJobDefinition={"AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
                               "RoleArn": ROLE, "OutputDataConfig": {"S3OutputPath": "s3://o/"},
                               "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 10},
                               "StoppingCondition": {"MaxRuntimeInSeconds": 60}})
    tune = world.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune")
    assert tune["HyperParameterTuningJobStatus"] == "InProgress"
    assert tune["TrainingJobStatusCounters"]["InProgress"] == 1
    world.advance(300)
    assert world.sagemaker.describe_transform_job(TransformJobName="score")["TransformJobStatus"] == "Completed"
    world.advance(1500)
    tune = world.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune")
    assert tune["HyperParameterTuningJobStatus"] == "Completed"
    assert tune["TrainingJobStatusCounters"]["Completed"] == 1


def test_without_the_simulator_moto_behaves_as_before(world):
    world.sim.detach()
    create_training_job(world, "plain")
    assert describe(world, "plain")["TrainingJobStatus"] == "Completed"
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
