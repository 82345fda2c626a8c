"""The AWS CLI drives the same endpoint (skipped where ``aws`` is not installed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.server.helpers import PASS, ROLE, wait_for_end

AWS = shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")


def _aws(server, *args: str) -> subprocess.CompletedProcess:
    # StartSyncExecution's endpoint is "sync-<host>": an IP address needs the prefix off
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
    return subprocess.run([AWS, "--endpoint-url", server.url, "--output", "json", *args],  # type: ignore[list-item]
                          env=env, capture_output=True, text=True, timeout=60)


def test_aws_cli_round_trip(server, sfn) -> None:
    created = _aws(server, "stepfunctions", "create-state-machine", "--name", "from-cli", "--definition", PASS,
                   "--role-arn", ROLE)
    assert created.returncode == 0, created.stderr
    arn = json.loads(created.stdout)["stateMachineArn"]
    listed = _aws(server, "stepfunctions", "list-state-machines")
    assert listed.returncode == 0, listed.stderr
    assert arn in [m["stateMachineArn"] for m in json.loads(listed.stdout)["stateMachines"]]
    started = _aws(server, "stepfunctions", "start-execution", "--state-machine-arn", arn, "--input", '{"cli": 1}')
    assert started.returncode == 0, started.stderr
    execution = json.loads(started.stdout)["executionArn"]
    wait_for_end(sfn, execution)
    described = _aws(server, "stepfunctions", "describe-execution", "--execution-arn", execution)
    assert json.loads(described.stdout)["status"] == "SUCCEEDED"
    refused = _aws(server, "stepfunctions", "describe-execution", "--execution-arn", "not-an-arn")
    assert refused.returncode != 0 and "(InvalidArn)" in refused.stderr


def test_aws_cli_start_sync_execution(server) -> None:
    created = _aws(server, "stepfunctions", "create-state-machine", "--name", "cli-express", "--type", "EXPRESS",
                   "--definition", PASS, "--role-arn", ROLE)
    arn = json.loads(created.stdout)["stateMachineArn"]
    done = _aws(server, "stepfunctions", "start-sync-execution", "--state-machine-arn", arn, "--input", '{"x": 1}')
    assert done.returncode == 0, done.stderr
    assert (json.loads(done.stdout)["status"], json.loads(done.stdout)["output"]) == ("SUCCEEDED", '{"x":1}')
