"""Definitions and bounded waits shared by the server tests (they fail instead of hanging)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from typing import Any

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
ROLE = "arn:aws:iam::123456789012:role/test-role"
# the AWS CLI: the one `make test` installs (in a venv of its own), else `aws` on the PATH, else None (tests skip)
AWS_CLI = os.environ.get("ASL_AWS_CLI") or shutil.which("aws")


def definition(states: dict[str, Any], start: str | None = None, **extra: Any) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states, **extra})


def queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    """A new SQS queue's URL and ARN (what a target or a pipe names)."""
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


PASS = definition({"P": {"Type": "Pass", "End": True}})
# A Distributed Map's ItemProcessor: each child waits a minute of the server's clock, then item 2 fails
WAITING_CHILDREN = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "C"},
                               "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
                                     "Default": "P"},
                               "P": {"Type": "Pass", "End": True},
                               "F": {"Type": "Fail", "Error": "Item.Bad", "Cause": "item 2"}}}


def eventually(probe: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05,
               failure: Callable[[], str] | None = None) -> Any:
    """``probe()``'s first truthy answer, polled every ``interval`` for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(failure() if failure else f"still {answer!r} after {timeout}s")
        time.sleep(interval)


def wait_for_end(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def ended() -> dict[str, Any] | None:
        last.update(sfn.describe_execution(executionArn=arn))
        return last if last["status"] in TERMINAL else None

    return eventually(ended, timeout, 0.02, lambda: f"{arn} still {last['status']} after {timeout}s")


def history_types(sfn: Any, arn: str) -> list[str]:
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]
