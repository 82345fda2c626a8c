"""UpdateMapRun reaches a running Distributed Map: more children at once, a changed failure tolerance."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.conftest import Server
from tests.server.helpers import ROLE, WAITING_CHILDREN, definition, eventually, wait_for_end

MAP = {"M": {"Type": "Map", "ItemProcessor": WAITING_CHILDREN, "MaxConcurrency": 1, "End": True}}


def _running_map_run(sfn, name: str) -> tuple[str, str]:
    machine = sfn.create_state_machine(name=name, roleArn=ROLE, definition=definition(MAP))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3, 4]))["executionArn"]
    runs = eventually(lambda: sfn.list_map_runs(executionArn=execution)["mapRuns"])
    return execution, runs[0]["mapRunArn"]


def _code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_more_concurrency_and_a_tolerated_failure_let_the_run_finish_in_one_minute(server: Server, sfn) -> None:
    execution, map_run = _running_map_run(sfn, "update-map-run")
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=4, toleratedFailureCount=1)
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert (described["maxConcurrency"], described["toleratedFailureCount"]) == (4, 1)
    server.advance(61)  # one child at a time would need four minutes; all four now wait side by side
    ended = wait_for_end(sfn, execution)
    assert ended["status"] == "SUCCEEDED", ended  # the failing item is within the updated tolerance
    counts = sfn.describe_map_run(mapRunArn=map_run)["itemCounts"]
    assert (counts["succeeded"], counts["failed"], counts["total"]) == (3, 1, 4)


def test_without_the_update_one_child_runs_at_a_time_and_the_failure_fails_the_map(server: Server, sfn) -> None:
    execution, _ = _running_map_run(sfn, "no-update-map-run")
    server.advance(61)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"  # three children still to run
    for _ in range(3):
        server.advance(61)
    ended = wait_for_end(sfn, execution)
    assert (ended["status"], ended["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_updates_aws_refuses(sfn) -> None:
    execution, map_run = _running_map_run(sfn, "refused-map-run-update")
    assert _code(lambda: sfn.update_map_run(mapRunArn=map_run)) == "ValidationException"
    unknown = map_run.rsplit(":", 1)[0] + ":00000000-0000-4000-8000-000000000000"
    assert _code(lambda: sfn.update_map_run(mapRunArn=unknown, maxConcurrency=2)) == "ResourceNotFound"
    sfn.stop_execution(executionArn=execution)
    wait_for_end(sfn, execution)
    assert _code(lambda: sfn.update_map_run(mapRunArn=map_run, maxConcurrency=2)) == "ValidationException"


def test_a_redrive_runs_the_map_run_with_its_updates(server: Server, sfn) -> None:
    # items 3 and 4 fail; one child at a time is declared, four are set by UpdateMapRun
    processor = json.loads(json.dumps(WAITING_CHILDREN).replace('"NumericEquals": 2', '"NumericGreaterThanEquals": 3'))
    machine = sfn.create_state_machine(name="updated-redriven", roleArn=ROLE, definition=definition(
        {"M": {**MAP["M"], "ItemProcessor": processor}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3, 4]))["executionArn"]
    map_run = eventually(lambda: sfn.list_map_runs(executionArn=execution)["mapRuns"])[0]["mapRunArn"]
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=4)
    server.advance(61)
    assert wait_for_end(sfn, execution)["error"] == "States.ExceedToleratedFailureThreshold"
    assert sfn.describe_map_run(mapRunArn=map_run)["maxConcurrency"] == 4  # kept once the run ended
    succeeded = sorted((c for c in sfn.list_executions(mapRunArn=map_run, statusFilter="SUCCEEDED")["executions"]),
                       key=lambda c: c["name"])

    sfn.redrive_execution(executionArn=execution)

    def both_running() -> list | None:  # one at a time, as declared, would show one
        running = sfn.list_executions(mapRunArn=map_run, statusFilter="RUNNING")["executions"]
        return running if len(running) == 2 else None

    running = eventually(both_running)
    assert all(c["redriveCount"] == 1 and "stopDate" not in c for c in running)
    # the children that succeeded are not run again, and are listed as they were
    assert sorted((c for c in sfn.list_executions(mapRunArn=map_run, statusFilter="SUCCEEDED")["executions"]),
                  key=lambda c: c["name"]) == succeeded
    server.advance(61)
    assert wait_for_end(sfn, execution)["status"] == "FAILED"  # items 3 and 4 fail again
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert (described["maxConcurrency"], described["redriveCount"], described["status"]) == (4, 1, "FAILED")
    failed = sfn.list_executions(mapRunArn=map_run, statusFilter="FAILED")["executions"]
    assert len(failed) == 2 and all(c["redriveCount"] == 1 for c in failed)
