"""ListExecutions(mapRunArn) and DescribeExecution of a Distributed Map's child executions, through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE, definition, eventually, wait_for_end

# an item {"fail": true} fails its child; the Map tolerates one failure, so the execution succeeds
PROCESSOR = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "C",
             "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True,
                                                              "Next": "F"}], "Default": "P"},
                        "P": {"Type": "Pass", "End": True},
                        "F": {"Type": "Fail", "Error": "Item.Bad", "Cause": "on purpose"}}}


def _run(sfn, name: str) -> tuple[str, str]:
    """A finished execution of a Map over four items, one failing; returns its machine and Map Run ARNs."""
    machine = sfn.create_state_machine(name=name, roleArn=ROLE, definition=definition(
        {"M": {"Type": "Map", "ItemProcessor": PROCESSOR, "ToleratedFailureCount": 1, "End": True}}))["stateMachineArn"]
    items = [{"n": n, "fail": n == 2} for n in range(1, 5)]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    return machine, sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]


def _code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_lists_and_describes_the_children(sfn) -> None:
    machine, map_run = _run(sfn, "map-children")
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert len(children) == 4
    label = map_run.split(":mapRun:")[1].split(":")[0]  # <machine>/<label>
    for child in children:
        assert child["executionArn"] == f"arn:aws:states:us-east-1:123456789012:execution:{label}:{child['name']}"
        assert child["stateMachineArn"] == f"arn:aws:states:us-east-1:123456789012:stateMachine:{label}"
        assert (child["mapRunArn"], child["itemCount"], child["redriveCount"]) == (map_run, 1, 0)
        assert child["startDate"] <= child["stopDate"]
    assert sorted(c["status"] for c in children) == ["FAILED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
    assert [c["startDate"] for c in children] == sorted((c["startDate"] for c in children), reverse=True)

    failed = sfn.list_executions(mapRunArn=map_run, statusFilter="FAILED")["executions"]
    described = sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert (described["status"], described["error"], described["cause"], described["mapRunArn"]) == \
           ("FAILED", "Item.Bad", "on purpose", map_run)
    succeeded = sfn.list_executions(mapRunArn=map_run, statusFilter="SUCCEEDED")["executions"]
    outputs = [json.loads(sfn.describe_execution(executionArn=c["executionArn"])["output"]) for c in succeeded]
    assert sorted(o["n"] for o in outputs) == [1, 3, 4]
    assert sfn.list_executions(mapRunArn=map_run, redriveFilter="REDRIVEN")["executions"] == []
    assert len(sfn.list_executions(mapRunArn=map_run, redriveFilter="NOT_REDRIVEN")["executions"]) == 4
    # the machine's own listing is unchanged: the parent execution only
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def test_pages(sfn) -> None:
    _, map_run = _run(sfn, "map-children-pages")
    first = sfn.list_executions(mapRunArn=map_run, maxResults=3)
    second = sfn.list_executions(mapRunArn=map_run, maxResults=3, nextToken=first["nextToken"])
    assert len(first["executions"]) == 3 and len(second["executions"]) == 1 and "nextToken" not in second
    names = {c["name"] for c in first["executions"] + second["executions"]}
    assert names == {c["name"] for c in sfn.list_executions(mapRunArn=map_run)["executions"]}
    assert _code(lambda: sfn.list_executions(mapRunArn=map_run, statusFilter="FAILED",
                                             nextToken=first["nextToken"])) == "InvalidToken"


def test_errors(sfn) -> None:
    machine, map_run = _run(sfn, "map-children-errors")
    assert _code(lambda: sfn.list_executions(stateMachineArn=machine, mapRunArn=map_run)) == "ValidationException"
    assert _code(lambda: sfn.list_executions(mapRunArn=map_run[:-1] + "x")) == "ResourceNotFound"
    assert _code(lambda: sfn.list_executions(mapRunArn=machine)) == "InvalidArn"
    child = sfn.list_executions(mapRunArn=map_run)["executions"][0]["executionArn"]
    assert _code(lambda: sfn.describe_execution(executionArn=child[:-1] + "x")) == "ExecutionDoesNotExist"


# each child waits a minute of the server's clock: long enough to be seen running
WAITING = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "W",
           "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": True}}}


def _waiting(sfn, name: str, items: list) -> tuple[str, str]:
    """A running execution of a Map over ``items``, two children at a time; its ARN and its Map Run's."""
    machine = sfn.create_state_machine(name=name, roleArn=ROLE, definition=definition(
        {"M": {"Type": "Map", "ItemProcessor": WAITING, "MaxConcurrency": 2, "End": True}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    runs = eventually(lambda: sfn.list_map_runs(executionArn=execution)["mapRuns"])
    return execution, runs[0]["mapRunArn"]


def _statuses(sfn, map_run: str, expected: list[str]) -> list[dict]:
    """The run's children once their statuses are ``expected`` (sorted)."""
    def listed() -> list[dict] | None:
        children = sfn.list_executions(mapRunArn=map_run)["executions"]
        return children if sorted(c["status"] for c in children) == expected else None

    return eventually(listed)


def test_running_children_are_listed_and_described_with_their_input(server, sfn) -> None:
    items = [{"n": 1}, {"n": 2, "text": "é"}, {"n": 3}]
    execution, map_run = _waiting(sfn, "map-children-running", items)
    running = _statuses(sfn, map_run, ["RUNNING", "RUNNING"])  # the third has not started: not listed yet
    assert all("stopDate" not in c and c["redriveCount"] == 0 and c["mapRunArn"] == map_run for c in running)
    assert len(sfn.list_executions(mapRunArn=map_run, statusFilter="RUNNING")["executions"]) == 2
    inputs = []
    for child in running:
        described = sfn.describe_execution(executionArn=child["executionArn"])
        assert described["status"] == "RUNNING" and described["inputDetails"] == {"included": True}
        assert "stopDate" not in described and "output" not in described
        inputs.append(json.loads(described["input"]))
    assert sorted(inputs, key=lambda i: i["n"]) == items[:2]

    server.advance(61)
    after = _statuses(sfn, map_run, ["RUNNING", "SUCCEEDED", "SUCCEEDED"])
    last = next(c for c in after if c["status"] == "RUNNING")
    assert json.loads(sfn.describe_execution(executionArn=last["executionArn"])["input"]) == items[2]
    server.advance(61)
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    for child in sfn.list_executions(mapRunArn=map_run)["executions"]:
        described = sfn.describe_execution(executionArn=child["executionArn"])
        assert described["status"] == "SUCCEEDED" and described["startDate"] < described["stopDate"]
        assert json.loads(described["input"]) == json.loads(described["output"])  # a Wait and a Pass
    assert sorted((json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"]) for c in
                   sfn.list_executions(mapRunArn=map_run)["executions"]), key=lambda i: i["n"]) == items


def test_the_running_children_of_a_stopped_execution_are_aborted(server, sfn) -> None:
    execution, map_run = _waiting(sfn, "map-children-aborted", [1, 2, 3])
    _statuses(sfn, map_run, ["RUNNING", "RUNNING"])
    stopped = sfn.stop_execution(executionArn=execution)["stopDate"]
    aborted = _statuses(sfn, map_run, ["ABORTED", "ABORTED"])
    assert all(c["stopDate"] == stopped for c in aborted)
    assert len(sfn.list_executions(mapRunArn=map_run, statusFilter="ABORTED")["executions"]) == 2
    described = sfn.describe_execution(executionArn=aborted[0]["executionArn"])
    assert described["status"] == "ABORTED" and json.loads(described["input"]) in (1, 2, 3)


def test_a_redrive_runs_again_only_the_failed_children_listed_as_they_go(server, sfn) -> None:
    processor = {**WAITING, "States": {
        "W": {"Type": "Wait", "Seconds": 60, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "F"}],
              "Default": "P"},
        "P": {"Type": "Pass", "End": True}, "F": {"Type": "Fail", "Error": "Item.Bad", "Cause": "on purpose"}}}
    machine = sfn.create_state_machine(name="map-children-redriven", roleArn=ROLE, definition=definition(
        {"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}))["stateMachineArn"]
    items = [{"n": 1, "fail": False}, {"n": 2, "fail": True}]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    map_run = eventually(lambda: sfn.list_map_runs(executionArn=execution)["mapRuns"])[0]["mapRunArn"]
    _statuses(sfn, map_run, ["RUNNING", "RUNNING"])
    server.advance(61)
    assert wait_for_end(sfn, execution)["status"] == "FAILED"
    first = {c["name"]: sfn.describe_execution(executionArn=c["executionArn"])
             for c in _statuses(sfn, map_run, ["FAILED", "SUCCEEDED"])}

    sfn.redrive_execution(executionArn=execution)
    children = _statuses(sfn, map_run, ["RUNNING", "SUCCEEDED"])
    again = next(c for c in children if c["status"] == "RUNNING")
    assert again["redriveCount"] == 1 and again["redriveDate"] == again["startDate"]
    assert again["startDate"] > first[again["name"]]["stopDate"]
    described = sfn.describe_execution(executionArn=again["executionArn"])
    assert json.loads(described["input"]) == items[1] and "error" not in described and "stopDate" not in described
    kept = next(c for c in children if c["status"] == "SUCCEEDED")
    assert {k: v for k, v in sfn.describe_execution(executionArn=kept["executionArn"]).items()
            if k != "ResponseMetadata"} == {k: v for k, v in first[kept["name"]].items() if k != "ResponseMetadata"}
    server.advance(61)
    assert wait_for_end(sfn, execution)["status"] == "FAILED"
    ended = sfn.describe_execution(executionArn=again["executionArn"])
    assert (ended["status"], ended["redriveCount"], ended["error"]) == ("FAILED", 1, "Item.Bad")
    assert json.loads(ended["input"]) == items[1]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_stores_keep_the_children_starts(kind: str, tmp_path) -> None:
    from asl_engine.store.memory import MemoryStore
    from asl_engine.store.sqlite import SqliteStore

    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "state.db")
    arn = "arn:aws:states:us-east-1:123456789012:mapRun:m/a:b"
    store.put_map_run_starts(arn, [(0, 1.5, 0, '{"n":0}'), (1, 1.5, 0, '{"n":1}')])
    store.put_map_run_starts(arn, [(1, 2.5, 1, '{"n":1}')])  # started again by a redrive
    assert store.map_run_starts(arn) == {0: (1.5, 0), 1: (2.5, 1)}
    assert (store.map_run_input(arn, 1), store.map_run_input(arn, 2)) == ('{"n":1}', None)
    store.put_map_run_item(arn, 0, {"status": "SUCCEEDED", "start": 1.5, "stop": 2.0, "output": 0})
    assert (store.map_run_item(arn, 0)["output"], store.map_run_item(arn, 1)) == (0, None)
    store.drop_map_run_starts(arn, [1])
    assert store.map_run_starts(arn) == {0: (1.5, 0)}
    store.close()
