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
