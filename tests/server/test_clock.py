"""``--virtual-clock``: Waits stand still until POST /_asl/clock/advance, then fire, with history a year on."""

from __future__ import annotations

import json

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, wait_for_end

YEAR = 365 * 86_400


def test_a_year_long_wait_ends_when_the_clock_is_advanced(server, sfn) -> None:
    arn = sfn.create_state_machine(name="year-wait", roleArn=ROLE, definition=definition(
        {"W": {"Type": "Wait", "Seconds": YEAR, "Next": "Done"}, "Done": {"Type": "Succeed"}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}')["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    before = server.advance(0)["epoch"]
    server.advance(YEAR / 2)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    server.advance(YEAR / 2)
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"n": 1}
    events = sfn.get_execution_history(executionArn=execution)["events"]
    waited = (events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds()
    assert YEAR <= waited < YEAR + 60
    assert described["stopDate"].timestamp() >= before + YEAR


def test_a_real_clock_server_refuses_to_advance(tmp_path) -> None:
    server = Server(":memory:", "--no-moto")
    try:
        status, body = server.post("/_asl/clock/advance", b'{"seconds": 5}')
        assert status == 409 and "--virtual-clock" in body["message"]
    finally:
        server.stop()


def test_start_time_sets_the_virtual_now(tmp_path) -> None:
    server = Server(":memory:", "--no-moto", "--virtual-clock", "--start-time", "2030-01-01T00:00:00+00:00")
    try:
        sfn = server.client()
        arn = sfn.create_state_machine(name="dated", roleArn=ROLE, definition=definition(
            {"P": {"Type": "Pass", "Parameters": {"now.$": "$$.Execution.StartTime"}, "End": True}}))
        execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"])["executionArn"]
        assert json.loads(wait_for_end(sfn, execution)["output"])["now"].startswith("2030-01-01T00:00")
    finally:
        server.stop()


def test_to_next_timer_steps_through_an_executions_timers(tmp_path) -> None:
    """The engine's jump-when-idle over HTTP: each step lands on the next Wait, backoff or timeout, no further."""
    server = Server(":memory:", "--no-moto", "--virtual-clock", "--start-time", "2030-01-01T00:00:00+00:00",
                    "--resource", "explode=tests.server.handlers:explode")
    try:
        sfn = server.client()
        arn = sfn.create_state_machine(name="steps", roleArn=ROLE, definition=definition({
            "W": {"Type": "Wait", "Seconds": 3600, "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:explode", "End": True,
                  "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 1}]}}))
        execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"])["executionArn"]
        first = server.get("/_asl/clock?settle=true")
        assert first["settled"] and round(first["nextTimer"] - first["epoch"]) == 3600
        step = _next(server)
        assert round(step["advanced"]) == 3600
        step = _next(server)  # the task failed at once: its retry's backoff is the next timer
        assert round(step["advanced"]) == 10
        described = wait_for_end(sfn, execution)
        assert described["status"] == "FAILED"
        assert _next(server)["advanced"] == 0 and server.get("/_asl/clock")["nextTimer"] is None
        events = sfn.get_execution_history(executionArn=execution)["events"]
        assert round((events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds()) == 3610
    finally:
        server.stop()


def test_until_moves_the_clock_to_an_instant_and_never_back(tmp_path) -> None:
    server = Server(":memory:", "--no-moto", "--virtual-clock", "--start-time", "2030-01-01T00:00:00+00:00")
    try:
        now = server.get("/_asl/clock")["epoch"]
        assert server.get("/_asl/clock")["nextTimer"] is None  # the server's own timers (uvicorn's) never count
        status, body = server.post("/_asl/clock/advance", json.dumps({"until": now + 100}).encode())
        assert status == 200 and 99 < body["advanced"] <= 100 and body["epoch"] >= now + 100
        status, body = server.post("/_asl/clock/advance", json.dumps({"until": now}).encode())
        assert status == 200 and body["advanced"] == 0 and body["epoch"] >= now + 100
        for bad in (b'{"until": "soon"}', b'{"toNextTimer": 1}', b'{"seconds": 1, "until": 5}', b"[]"):
            status, body = server.post("/_asl/clock/advance", bad)
            assert status == 400 and "toNextTimer" in body["message"], bad
    finally:
        server.stop()


def _next(server: Server) -> dict:
    status, body = server.post("/_asl/clock/advance", b'{"toNextTimer": true}')
    assert status == 200, body
    return body
