from __future__ import annotations

import pytest


@pytest.fixture
def queue(world):
    batch = world.batch
    iam = __import__("boto3").client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    env = batch.create_compute_environment(computeEnvironmentName="env", type="UNMANAGED", state="ENABLED",
                                           serviceRole=role)["computeEnvironmentArn"]
    batch.create_job_queue(jobQueueName="scoring", state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])
    batch.register_job_definition(jobDefinitionName="score", type="container",
                                  containerProperties={"image": "score:1", "vcpus": 1, "memory": 512})
    return "scoring"


def submit(world, queue, name: str) -> str:
    return world.batch.submit_job(jobName=name, jobQueue=queue, jobDefinition="score")["jobId"]


def describe(world, job_id: str) -> dict:
    return world.batch.describe_jobs(jobs=[job_id])["jobs"][0]


def test_job_walks_batch_statuses_on_the_clock(world, queue):
    job_id = submit(world, queue, "partition-0")
    seen = [describe(world, job_id)["status"]]
    for _ in range(8):
        world.advance(30)
        seen.append(describe(world, job_id)["status"])
    assert list(dict.fromkeys(seen)) == ["SUBMITTED", "RUNNABLE", "RUNNING", "SUCCEEDED"]  # sampled every 30 s
    job = describe(world, job_id)
    assert job["startedAt"] == int(world.at(60).timestamp() * 1000)
    assert job["stoppedAt"] == int(world.at(180).timestamp() * 1000)
    assert job["attempts"][0]["container"]["exitCode"] == 0
    events = [e["detail"]["status"] for e in world.events if e["detail-type"] == "Batch Job State Change"]
    assert events == ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]


def test_failure_injected_by_job_name(world, queue):
    world.failures.add("BatchJob", "partition-3", "Essential container in task exited")
    ok, bad = submit(world, queue, "partition-2"), submit(world, queue, "partition-3")
    world.advance(1000)
    assert describe(world, ok)["status"] == "SUCCEEDED"
    failed = describe(world, bad)
    assert failed["status"] == "FAILED"
    assert failed["statusReason"] == "Essential container in task exited"
    assert failed["attempts"][0]["container"]["exitCode"] == 1
    event = next(e for e in world.events if e["detail"].get("status") == "FAILED")
    assert (event["source"], event["detail-type"]) == ("aws.batch", "Batch Job State Change")
    assert event["resources"] == [failed["jobArn"]]


def test_terminate_job_fails_it_with_the_reason(world, queue):
    job_id = submit(world, queue, "partition-9")
    world.advance(70)
    world.batch.terminate_job(jobId=job_id, reason="Terminated by AWS Step Functions")
    job = describe(world, job_id)
    assert (job["status"], job["statusReason"]) == ("FAILED", "Terminated by AWS Step Functions")
    world.advance(1000)
    assert describe(world, job_id)["status"] == "FAILED"
