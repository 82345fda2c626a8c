"""Malformed requests get AWS's error code and a 4xx, and leave every table of the store as it was."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from tests.server.helpers import PASS, ROLE

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def _dump(db: Any) -> dict[str, list]:
    """Every row of every table, read through a separate read-only connection (the server holds the writer)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    finally:
        conn.close()


def _call(server, action: str, body: bytes | str | dict) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    return server.post("/", data, {"X-Amz-Target": f"AWSStepFunctions.{action}",
                                   "Content-Type": "application/x-amz-json-1.0"})


CASES = [
    ("malformed JSON", "CreateStateMachine", '{"name": "x", ', 400, "SerializationException"),
    ("not an object", "ListStateMachines", "[1, 2]", 400, "SerializationException"),
    ("unknown action", "DoMagic", {}, 400, "UnknownOperationException"),
    ("wrong type", "CreateStateMachine", {"name": 5, "definition": PASS, "roleArn": ROLE}, 400,
     "SerializationException"),
    ("wrong nested type", "TagResource", {"resourceArn": SM + "bad-input", "tags": [{"key": ["k"]}]}, 400,
     "SerializationException"),
    ("missing member", "CreateStateMachine", {"name": "no-role", "definition": PASS}, 400, "ValidationException"),
    ("name too long", "CreateStateMachine", {"name": "n" * 81, "definition": PASS, "roleArn": ROLE}, 400,
     "ValidationException"),
    ("bad enum", "ListExecutions", {"stateMachineArn": SM + "bad-input", "statusFilter": "DONE"}, 400,
     "ValidationException"),
    ("out of range", "ListStateMachines", {"maxResults": 5000}, 400, "ValidationException"),
    ("bad ARN", "DescribeStateMachine", {"stateMachineArn": "not-an-arn"}, 400, "InvalidArn"),
    ("bad execution ARN", "StopExecution", {"executionArn": SM + "bad-input"}, 400, "InvalidArn"),
    ("oversized input", "StartExecution", {"stateMachineArn": SM + "bad-input", "input": json.dumps("x" * 300_000)},
     400, "ValidationException"),
    ("bad input JSON", "StartExecution", {"stateMachineArn": SM + "bad-input", "input": "{nope"}, 400,
     "InvalidExecutionInput"),
    ("bad definition", "UpdateStateMachine", {"stateMachineArn": SM + "bad-input", "definition": "{}"}, 400,
     "InvalidDefinition"),
    ("bad token", "ListExecutions", {"stateMachineArn": SM + "bad-input", "nextToken": "forged"}, 400,
     "InvalidToken"),
]


@pytest.mark.parametrize(("why", "action", "body", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_refused_with_aws_error_and_store_unchanged(server, sfn, why: str, action: str, body: Any, status: int,
                                                    code: str) -> None:
    sfn.create_state_machine(name="bad-input", definition=PASS, roleArn=ROLE)
    before = _dump(server.db)
    got_status, got = _call(server, action, body)
    assert (got_status, got.get("__type")) == (status, code), got
    assert got.get("message")
    assert _dump(server.db) == before


def test_validation_message_is_aws_shaped(server) -> None:
    status, body = _call(server, "CreateStateMachine", {"name": "n" * 81, "definition": PASS})
    assert status == 400
    assert body["message"] == (
        "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be "
        f"null; Value '{'n' * 81}' at 'name' failed to satisfy constraint: Member must have length less than or "
        "equal to 80")


def test_oversized_body_is_refused_before_parsing(server) -> None:
    status, body = _call(server, "StartExecution", b"{" + b" " * (5 * 1024 * 1024) + b"}")
    assert (status, body["__type"]) == (413, "RequestEntityTooLargeException")


def test_non_step_functions_paths_go_to_moto(server) -> None:
    sqs = server.client("sqs")
    assert sqs.create_queue(QueueName="routing-check")["QueueUrl"].endswith("/routing-check")
    status, body = server.post("/_asl/clock/advance", b'{"seconds": -1}')
    assert status == 400 and "seconds" in body["message"]
