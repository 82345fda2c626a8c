"""Time that passed while the service was down counts: a Wait due meanwhile fires as soon as it is resumed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, history_types, wait_for_end


def test_a_wait_due_during_the_downtime_fires_at_once_and_one_not_due_keeps_its_time(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = Server(db, "--virtual-clock", "--no-moto")
    try:
        sfn = first.client()
        machine = sfn.create_state_machine(name="naps", roleArn=ROLE, definition=definition({
            "Nap": {"Type": "Wait", "SecondsPath": "$.seconds", "End": True}}))["stateMachineArn"]
        short, long = (sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"seconds": s}))
                       ["executionArn"] for name, s in (("short", 3600), ("long", 30 * 86400)))
        entered = {arn: sfn.get_execution_history(executionArn=arn)["events"][-1]["timestamp"]
                   for arn in (short, long)}
        assert history_types(sfn, short) == ["ExecutionStarted", "WaitStateEntered"]
    finally:
        first.crash()
    a_day_later = datetime.now(UTC) + timedelta(days=1)
    second = Server(db, "--virtual-clock", "--no-moto", "--start-time", a_day_later.isoformat())
    try:
        sfn = second.client()
        assert wait_for_end(sfn, short)["status"] == "SUCCEEDED"  # due 23 hours ago: fired on resume
        events = sfn.get_execution_history(executionArn=short)["events"]
        assert [(e["id"], e["previousEventId"], e["type"]) for e in events] == [
            (1, 0, "ExecutionStarted"), (2, 0, "WaitStateEntered"), (3, 2, "WaitStateExited"),
            (4, 3, "ExecutionSucceeded")]
        assert events[2]["timestamp"] >= a_day_later - timedelta(seconds=5)
        assert sfn.describe_execution(executionArn=long)["status"] == "RUNNING"
        second.advance(29 * 86400 - 60)
        assert sfn.describe_execution(executionArn=long)["status"] == "RUNNING"  # still a minute to go
        second.advance(120)
        wait_for_end(sfn, long)
        exited = sfn.get_execution_history(executionArn=long)["events"][2]
        assert exited["type"] == "WaitStateExited"
        # it fired at its original due time (entered + 30 days), not 30 days after the restart
        assert abs((exited["timestamp"] - entered[long]).total_seconds() - 30 * 86400) < 120
    finally:
        second.stop()


def test_a_timestamp_wait_ends_at_its_timestamp_however_long_the_service_was_down(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    now = datetime.now(UTC)
    first = Server(db, "--virtual-clock", "--no-moto", "--start-time", now.isoformat())
    due = now + timedelta(days=2)
    try:
        sfn = first.client()
        machine = sfn.create_state_machine(name="until", roleArn=ROLE, definition=definition({
            "Nap": {"Type": "Wait", "TimestampPath": "$.until", "End": True}}))["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="until",
                                  input=json.dumps({"until": due.isoformat()}))["executionArn"]
        assert history_types(sfn, arn) == ["ExecutionStarted", "WaitStateEntered"]
    finally:
        first.crash()
    # down for a day: a day is left, not two (counted from the restart), and not none (the downtime taken
    # off twice, as when the time left was counted from the entry)
    second = Server(db, "--virtual-clock", "--no-moto", "--start-time", (now + timedelta(days=1)).isoformat())
    try:
        sfn = second.client()
        second.advance(86400 - 60)
        time.sleep(0.2)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"  # still a minute to go
        second.advance(120)
        assert wait_for_end(sfn, arn)["status"] == "SUCCEEDED"
        exited = sfn.get_execution_history(executionArn=arn)["events"][2]
        assert exited["type"] == "WaitStateExited"
        assert abs((exited["timestamp"] - due).total_seconds()) < 120
    finally:
        second.stop()
