"""One endpoint for the whole stack: a workflow writes to moto's SQS, the test reads it at the same URL.

The task token travels through the queue and comes back with SendTaskSuccess
over HTTP, completing the ``.waitForTaskToken`` task.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE, definition, wait_for_end


def _callback_machine(sfn, name: str, queue_url: str, heartbeat: int | None = None) -> str:
    task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$$.Task.Token"},
            "End": True}
    if heartbeat:
        task["HeartbeatSeconds"] = heartbeat
    return sfn.create_state_machine(name=name, roleArn=ROLE, definition=definition({"Ask": task}))["stateMachineArn"]


def _token(sqs, queue_url: str) -> str:
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10).get("Messages", [])
    assert messages, "the workflow's message never reached the queue"
    return messages[0]["Body"]


def test_send_task_success_completes_the_task(server, sfn) -> None:
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName="callbacks-ok")["QueueUrl"]
    machine = _callback_machine(sfn, "callback-ok", queue_url)
    execution = sfn.start_execution(stateMachineArn=machine, input='{"job": 7}')["executionArn"]
    token = _token(sqs, queue_url)
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output='{"answer": 42}')
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"answer": 42}
    with pytest.raises(ClientError) as e:  # the task is over
        sfn.send_task_success(taskToken=token, output="{}")
    assert e.value.response["Error"]["Code"] == "TaskTimedOut"


def test_send_task_failure_fails_the_task(server, sfn) -> None:
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName="callbacks-fail")["QueueUrl"]
    execution = sfn.start_execution(stateMachineArn=_callback_machine(sfn, "callback-fail", queue_url),
                                    input='{"job": 1}')["executionArn"]
    sfn.send_task_failure(taskToken=_token(sqs, queue_url), error="Worker.Broke", cause="disk full")
    described = wait_for_end(sfn, execution)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Worker.Broke", "disk full")


def test_heartbeat_timeout_on_the_virtual_clock(server, sfn) -> None:
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName="callbacks-heartbeat")["QueueUrl"]
    execution = sfn.start_execution(stateMachineArn=_callback_machine(sfn, "callback-hb", queue_url, heartbeat=600),
                                    input='{"job": 2}')["executionArn"]
    _token(sqs, queue_url)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"  # nobody waits 10 minutes
    server.advance(601)
    assert wait_for_end(sfn, execution)["status"] == "FAILED"


def test_unknown_tokens_and_bad_output(sfn) -> None:
    with pytest.raises(ClientError) as e:
        sfn.send_task_success(taskToken="no-such-token", output="{}")
    assert e.value.response["Error"]["Code"] == "InvalidToken"
    with pytest.raises(ClientError) as e:
        sfn.send_task_heartbeat(taskToken="no-such-token")
    assert e.value.response["Error"]["Code"] == "InvalidToken"
    # AWS checks the token before the output (recorded: services/*invalid_token* raises Sfn.InvalidTokenException)
    with pytest.raises(ClientError) as e:
        sfn.send_task_success(taskToken="no-such-token", output="{not json")
    assert e.value.response["Error"]["Code"] == "InvalidToken"
