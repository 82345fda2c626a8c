"""``asl serve --template template.yaml``: the MLOps app's batch scoring, one Batch job per S3 partition.

The template names its job queue and job definition as parameters (they live outside the stack), so the test
creates them through the endpoint, as an operator would, before seeding the prefix; every partition's job then
runs on the simulator and succeeds as the virtual clock advances.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.conftest import ROOT, Server
from tests.server.test_simulators import advance_until_end

PREFIX = "scoring/2026-11-27/"
PARTITIONS = 3


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = Server(tmp_path_factory.mktemp("mlops") / "state.db", "--template", str(ROOT / "template.yaml"),
                 "--virtual-clock")
    yield srv
    srv.stop()


def _scoring_machine(sfn: Any) -> dict[str, Any]:
    [arn] = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
             if m["name"].endswith("-batch-scoring")]
    return {"arn": arn, "definition": json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])}


def test_batch_scoring_scores_every_partition(app_server) -> None:
    sfn = app_server.client()
    machine = _scoring_machine(sfn)
    scoring = machine["definition"]["States"]["ScorePartitions"]
    bucket = scoring["ItemReader"]["Parameters"]["Bucket"]
    job = scoring["ItemProcessor"]["States"]["ScorePartition"]["Parameters"]
    queue, job_definition = job["JobQueue"].rsplit("/", 1)[1], job["JobDefinition"].rsplit("/", 1)[1].split(":")[0]

    app_server.client("iam").create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")
    batch = app_server.client("batch")
    environment = batch.create_compute_environment(
        computeEnvironmentName="scoring", type="UNMANAGED", state="ENABLED",
        serviceRole="arn:aws:iam::123456789012:role/batch-service")["computeEnvironmentArn"]
    batch.create_job_queue(jobQueueName=queue, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])
    batch.register_job_definition(jobDefinitionName=job_definition, type="container",
                                  containerProperties={"image": "score:1", "vcpus": 1, "memory": 1024})
    s3 = app_server.client("s3")
    for index in range(PARTITIONS):
        s3.put_object(Bucket=bucket, Key=f"{PREFIX}part-{index}.csv", Body=b"id,x\n1,2\n")

    arn = sfn.start_execution(stateMachineArn=machine["arn"], input=json.dumps({"prefix": PREFIX}))["executionArn"]
    ended = advance_until_end(app_server, sfn, arn)
    assert ended["status"] == "SUCCEEDED", ended
    output = json.loads(ended["output"])
    assert (output["partitions"], output["succeeded"]) == (PARTITIONS, PARTITIONS)
    jobs = batch.list_jobs(jobQueue=queue, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted(j["jobName"] for j in jobs) == [f"score-partition-{i}" for i in range(PARTITIONS)]
