"""ListExecutions(mapRunArn) and DescribeExecution of a Distributed Map's child executions, through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import ROLE, definition, wait_for_end

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
