"""The AWS CLI (``aws stepfunctions ... --endpoint-url``) drives every Step Functions action ``asl serve`` serves.

The CLI is ``$ASL_AWS_CLI`` (``make test`` installs it in a venv of its own: awscli pins a botocore the
package's venv must not get), else ``aws`` on the PATH; without either the module is skipped.  Each CLI
call costs about a second, so one test drives a family of actions, and waits poll through boto3.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests.server.helpers import AWS_CLI, PASS, ROLE, definition, eventually, wait_for_end

pytestmark = pytest.mark.skipif(AWS_CLI is None, reason="the AWS CLI is not installed")
LONG_WAIT = definition({"W": {"Type": "Wait", "Seconds": 86_400, "End": True}})
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


class Cli:
    """``aws stepfunctions <action> ...`` against the server: ``__call__`` returns the JSON answer, ``fails`` stderr."""

    def __init__(self, url: str) -> None:
        self.url = url
        # StartSyncExecution's endpoint is "sync-<host>": an IP address needs the prefix off
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([AWS_CLI, "--endpoint-url", self.url, "--output", "json", "stepfunctions", *args],  # type: ignore[list-item]
                              env=self.env, capture_output=True, text=True, timeout=90)

    def __call__(self, *args: str) -> dict[str, Any]:
        done = self.run(*args)
        assert done.returncode == 0, f"aws {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
        return json.loads(done.stdout or "{}")

    def fails(self, code: str, *args: str) -> str:
        """Run a call AWS refuses with ``code``: the CLI exits on a service error (v2: 254, v1: 255) naming it."""
        done = self.run(*args)
        assert done.returncode in (254, 255) and f"({code})" in done.stderr, (done.returncode, done.stderr)
        return done.stderr


@pytest.fixture(scope="module")
def aws(server) -> Cli:
    return Cli(server.url)


def test_state_machines_versions_and_aliases(aws: Cli) -> None:
    arn = aws("create-state-machine", "--name", "cli-machine", "--definition", PASS,
              "--role-arn", ROLE)["stateMachineArn"]
    aws("create-state-machine", "--name", "cli-machine-2", "--definition", PASS, "--role-arn", ROLE)
    first = aws("list-state-machines", "--max-items", "1", "--page-size", "1")
    second = aws("list-state-machines", "--max-items", "1", "--page-size", "1", "--starting-token", first["NextToken"])
    assert len(first["stateMachines"]) == len(second["stateMachines"]) == 1
    assert first["stateMachines"][0]["stateMachineArn"] != second["stateMachines"][0]["stateMachineArn"]

    described = aws("describe-state-machine", "--state-machine-arn", arn)
    assert (described["name"], described["status"], json.loads(described["definition"])) == \
           ("cli-machine", "ACTIVE", json.loads(PASS))
    updated = aws("update-state-machine", "--state-machine-arn", arn, "--definition", LONG_WAIT, "--publish",
                  "--version-description", "v1")
    v1 = updated["stateMachineVersionArn"]
    assert v1 == f"{arn}:1" and "updateDate" in updated
    aws("update-state-machine", "--state-machine-arn", arn, "--definition", PASS)
    v2 = aws("publish-state-machine-version", "--state-machine-arn", arn)["stateMachineVersionArn"]
    assert v2 == f"{arn}:2"
    versions = aws("list-state-machine-versions", "--state-machine-arn", arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [v2, v1]

    alias = aws("create-state-machine-alias", "--name", "live", "--routing-configuration",
                f"stateMachineVersionArn={v1},weight=100")["stateMachineAliasArn"]
    assert alias == f"{arn}:live"
    aws("update-state-machine-alias", "--state-machine-alias-arn", alias, "--description", "canary",
        "--routing-configuration", json.dumps([{"stateMachineVersionArn": v1, "weight": 90},
                                               {"stateMachineVersionArn": v2, "weight": 10}]))
    shown = aws("describe-state-machine-alias", "--state-machine-alias-arn", alias)
    assert (shown["name"], shown["description"]) == ("live", "canary")
    assert sorted(r["weight"] for r in shown["routingConfiguration"]) == [10, 90]
    assert [a["stateMachineAliasArn"] for a in
            aws("list-state-machine-aliases", "--state-machine-arn", arn)["stateMachineAliases"]] == [alias]
    aws("delete-state-machine-alias", "--state-machine-alias-arn", alias)
    aws("delete-state-machine-version", "--state-machine-version-arn", v1)
    aws.fails("StateMachineDoesNotExist", "describe-state-machine", "--state-machine-arn", v1)
    aws("delete-state-machine", "--state-machine-arn", arn)
    aws.fails("InvalidDefinition", "create-state-machine", "--name", "cli-bad", "--role-arn", ROLE,
              "--definition", definition({"A": {"Type": "Pass", "Next": "Nowhere"}}))


def test_executions_and_history(aws: Cli, sfn) -> None:
    quick = aws("create-state-machine", "--name", "cli-exec", "--definition", PASS,
                "--role-arn", ROLE)["stateMachineArn"]
    done = aws("start-execution", "--state-machine-arn", quick, "--name", "one", "--input", '{"cli": 1}')
    execution = done["executionArn"]
    wait_for_end(sfn, execution)
    described = aws("describe-execution", "--execution-arn", execution)
    assert (described["status"], described["name"], json.loads(described["output"])) == ("SUCCEEDED", "one", {"cli": 1})
    assert aws("describe-state-machine-for-execution", "--execution-arn", execution)["stateMachineArn"] == quick
    aws.fails("ExecutionAlreadyExists", "start-execution", "--state-machine-arn", quick, "--name", "one",
              "--input", '{"cli": 2}')

    events = aws("get-execution-history", "--execution-arn", execution, "--include-execution-data")["events"]
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"cli": 1}
    newest = aws("get-execution-history", "--execution-arn", execution, "--reverse-order", "--max-items", "2",
                 "--no-include-execution-data")
    assert [e["id"] for e in newest["events"]] == [events[-1]["id"], events[-2]["id"]] and "NextToken" in newest
    assert "output" not in newest["events"][0]["executionSucceededEventDetails"]

    waiting = aws("create-state-machine", "--name", "cli-exec-wait", "--definition", LONG_WAIT,
                  "--role-arn", ROLE)["stateMachineArn"]
    running = aws("start-execution", "--state-machine-arn", waiting)["executionArn"]
    listed = aws("list-executions", "--state-machine-arn", waiting, "--status-filter", "RUNNING")["executions"]
    assert [e["executionArn"] for e in listed] == [running]
    stopped = aws("stop-execution", "--execution-arn", running, "--error", "Halt", "--cause", "from the CLI")
    assert "stopDate" in stopped
    aborted = aws("list-executions", "--state-machine-arn", waiting, "--status-filter", "ABORTED")["executions"]
    assert [(e["executionArn"], e["status"]) for e in aborted] == [(running, "ABORTED")]
    aws.fails("InvalidArn", "describe-execution", "--execution-arn", "not-an-arn")


def test_start_sync_execution(aws: Cli) -> None:
    arn = aws("create-state-machine", "--name", "cli-express", "--type", "EXPRESS", "--definition", PASS,
              "--role-arn", ROLE)["stateMachineArn"]
    done = aws("start-sync-execution", "--state-machine-arn", arn, "--input", '{"x": 1}')
    assert (done["status"], done["output"]) == ("SUCCEEDED", '{"x":1}')


def test_task_tokens_from_sqs_and_redrive(aws: Cli, server, sfn) -> None:
    sqs = server.client("sqs")  # moto on the same port; its messages carry the tokens
    queue = sqs.create_queue(QueueName="cli-callbacks")["QueueUrl"]
    machine = aws("create-state-machine", "--name", "cli-callback", "--role-arn", ROLE, "--definition", definition(
        {"Ask": {"Type": "Task", "Resource": CALLBACK, "End": True,
                 "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}}}}))["stateMachineArn"]
    execution = aws("start-execution", "--state-machine-arn", machine)["executionArn"]

    def token() -> str:
        message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)["Messages"][0]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return json.loads(message["Body"])["token"]

    first = token()
    aws("send-task-heartbeat", "--task-token", first)
    aws("send-task-failure", "--task-token", first, "--error", "Worker.Broke", "--cause", "disk full")
    failed = wait_for_end(sfn, execution)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Worker.Broke", "disk full")

    assert "redriveDate" in aws("redrive-execution", "--execution-arn", execution)
    aws("send-task-success", "--task-token", token(), "--task-output", '{"answer": 42}')
    assert eventually(lambda: wait_for_end(sfn, execution)["redriveCount"] == 1)
    again = sfn.describe_execution(executionArn=execution)
    assert (again["status"], json.loads(again["output"])) == ("SUCCEEDED", {"answer": 42})
    aws.fails("TaskTimedOut", "send-task-success", "--task-token", first, "--task-output", "{}")


def test_activities(aws: Cli, sfn) -> None:
    activity = aws("create-activity", "--name", "cli-worker")["activityArn"]
    assert aws("describe-activity", "--activity-arn", activity)["name"] == "cli-worker"
    assert activity in [a["activityArn"] for a in aws("list-activities")["activities"]]
    machine = aws("create-state-machine", "--name", "cli-activity", "--role-arn", ROLE, "--definition",
                  definition({"T": {"Type": "Task", "Resource": activity, "End": True}}))["stateMachineArn"]
    execution = aws("start-execution", "--state-machine-arn", machine, "--input", '{"job": 1}')["executionArn"]
    task = aws("get-activity-task", "--activity-arn", activity, "--worker-name", "cli")
    assert json.loads(task["input"]) == {"job": 1}
    aws("send-task-success", "--task-token", task["taskToken"], "--task-output", '{"done": true}')
    assert json.loads(wait_for_end(sfn, execution)["output"]) == {"done": True}
    aws("delete-activity", "--activity-arn", activity)
    aws.fails("ActivityDoesNotExist", "describe-activity", "--activity-arn", activity)


def test_validate_and_test_state(aws: Cli) -> None:
    assert aws("validate-state-machine-definition", "--definition", PASS) == \
           {"result": "OK", "diagnostics": [], "truncated": False}
    bad = aws("validate-state-machine-definition", "--definition", "{not json")
    assert bad["result"] == "FAIL" and bad["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"
    tested = aws("test-state", "--definition", json.dumps({"Type": "Pass", "Parameters": {"y.$": "$.x"}, "End": True}),
                 "--role-arn", ROLE, "--input", '{"x": 3}', "--inspection-level", "DEBUG")
    assert (tested["status"], json.loads(tested["output"])) == ("SUCCEEDED", {"y": 3})
    assert json.loads(tested["inspectionData"]["afterParameters"]) == {"y": 3}


def test_map_runs(aws: Cli, sfn) -> None:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
                 "States": {"P": {"Type": "Pass", "End": True}}}
    machine = aws("create-state-machine", "--name", "cli-map", "--role-arn", ROLE, "--definition", definition(
        {"M": {"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": 2, "End": True}}))["stateMachineArn"]
    execution = aws("start-execution", "--state-machine-arn", machine, "--input", "[1, 2, 3]")["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    runs = aws("list-map-runs", "--execution-arn", execution)["mapRuns"]
    assert [r["executionArn"] for r in runs] == [execution]
    map_run = runs[0]["mapRunArn"]
    described = aws("describe-map-run", "--map-run-arn", map_run)
    assert (described["status"], described["maxConcurrency"], described["itemCounts"]["succeeded"]) == \
           ("SUCCEEDED", 2, 3)
    assert len(aws("list-executions", "--map-run-arn", map_run)["executions"]) == 3
    # a finished Map Run can't be changed (a running one is, in test_update_map_run.py)
    aws.fails("ValidationException", "update-map-run", "--map-run-arn", map_run, "--max-concurrency", "5")
    aws.fails("ValidationException", "list-executions", "--state-machine-arn", machine, "--map-run-arn", map_run)


def test_tags(aws: Cli) -> None:
    arn = aws("create-state-machine", "--name", "cli-tags", "--definition", PASS, "--role-arn", ROLE,
              "--tags", "key=a,value=1")["stateMachineArn"]
    aws("tag-resource", "--resource-arn", arn, "--tags", "key=b,value=2", "key=c,value=3")
    aws("untag-resource", "--resource-arn", arn, "--tag-keys", "a", "c")
    assert aws("list-tags-for-resource", "--resource-arn", arn)["tags"] == [{"key": "b", "value": "2"}]
