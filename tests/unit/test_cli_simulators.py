"""``asl run`` on moto: a Batch job takes its time on the run's clock instead of Docker's (the simulators)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asl_engine.cli import EXIT_OK, main
from asl_engine.sim import moto_hooks

START = datetime(2026, 11, 27, tzinfo=UTC)


def _sdk(service_action: str, parameters: dict, next_state: str, result_path: str | None = None) -> dict:
    return {"Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:{service_action}", "Parameters": parameters,
            "ResultPath": result_path, "Next": next_state}


BATCH = {"StartAt": "Role", "States": {
    "Role": _sdk("iam:createRole", {"RoleName": "cli-sim-batch", "AssumeRolePolicyDocument": "{}"}, "Environment"),
    "Environment": _sdk("batch:createComputeEnvironment", {
        "ComputeEnvironmentName": "cli-sim", "Type": "UNMANAGED", "State": "ENABLED",
        "ServiceRole": "arn:aws:iam::123456789012:role/cli-sim-batch"}, "Queue", "$.environment"),
    "Queue": _sdk("batch:createJobQueue", {
        "JobQueueName": "cli-sim", "State": "ENABLED", "Priority": 1,
        "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment.$": "$.environment.ComputeEnvironmentArn"}]},
        "Definition"),
    "Definition": _sdk("batch:registerJobDefinition", {
        "JobDefinitionName": "cli-sim", "Type": "container",
        "ContainerProperties": {"Image": "score:1", "Vcpus": 1, "Memory": 1024}}, "Score"),
    "Score": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
              "Parameters": {"JobName": "cli-sim-score", "JobQueue": "cli-sim", "JobDefinition": "cli-sim"},
              "ResultSelector": {"status.$": "$.Status", "startedAt.$": "$.StartedAt", "stoppedAt.$": "$.StoppedAt"},
              "End": True}}}


def test_run_with_a_virtual_clock_waits_for_a_batch_job_on_the_simulator(tmp_path: Path, capsys) -> None:
    definition = tmp_path / "batch.json"
    definition.write_text(json.dumps(BATCH))
    assert main(["run", str(definition), "--virtual-clock", "--start-time", START.isoformat()]) == EXIT_OK
    output = json.loads(capsys.readouterr().out)
    started, stopped = (datetime.fromtimestamp(output[k] / 1000, UTC) for k in ("startedAt", "stoppedAt"))
    assert output["status"] == "SUCCEEDED"
    # SUBMITTED, PENDING, RUNNABLE and STARTING take 60 s of clock time, RUNNING 120 s (the default durations)
    assert (started - START, stopped - started) == (timedelta(seconds=60), timedelta(seconds=120))
    assert moto_hooks.listener_for("batch", "123456789012", "us-east-1") is None  # detached after the run
