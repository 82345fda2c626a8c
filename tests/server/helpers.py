"""Definitions and bounded waits shared by the server tests (they fail instead of hanging)."""

from __future__ import annotations

import json
import time
from typing import Any

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
ROLE = "arn:aws:iam::123456789012:role/test-role"


def definition(states: dict[str, Any], start: str | None = None, **extra: Any) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states, **extra})


PASS = definition({"P": {"Type": "Pass", "End": True}})


def wait_for_end(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] in TERMINAL:
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn} still {described['status']} after {timeout}s")
        time.sleep(0.02)


def history_types(sfn: Any, arn: str) -> list[str]:
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]
