"""State machines, versions, aliases, tags and ValidateStateMachineDefinition through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.server.helpers import PASS, ROLE, definition, wait_for_end

WAIT = definition({"W": {"Type": "Wait", "Seconds": 1, "End": True}})


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_describe_update_delete(sfn) -> None:
    arn = sfn.create_state_machine(name="crud", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:crud"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["type"], described["status"], described["definition"]) == \
           ("crud", "STANDARD", "ACTIVE", PASS)
    assert described["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    # the same request again is idempotent; a different one is refused
    assert sfn.create_state_machine(name="crud", definition=PASS, roleArn=ROLE)["stateMachineArn"] == arn
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="crud", definition=WAIT, roleArn=ROLE)
    assert _code(e) == "StateMachineAlreadyExists"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=WAIT)
    assert updated["revisionId"] != described["revisionId"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == WAIT
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as e:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert _code(e) == "StateMachineDoesNotExist"
    assert e.value.response["Error"]["Message"] == f"State Machine Does Not Exist: '{arn}'"


def test_invalid_definition_and_name(sfn) -> None:
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="bad-def", definition=definition({"P": {"Type": "Pass", "Next": "Nowhere"}}),
                                 roleArn=ROLE)
    assert _code(e) == "InvalidDefinition"
    assert "Nowhere" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="has space", definition=PASS, roleArn=ROLE)
    assert _code(e) == "InvalidName"
    with pytest.raises(ClientError) as e:
        sfn.update_state_machine(stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:none")
    assert _code(e) == "MissingRequiredParameter"


def test_a_definition_is_never_read_as_a_path(sfn) -> None:
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="path-def", definition="/etc/hostname", roleArn=ROLE)
    assert _code(e) == "InvalidDefinition"


def test_list_state_machines_pages(sfn) -> None:
    names = [f"page-{i}" for i in range(5)]
    for name in names:
        sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    seen, token = [], None
    for _ in range(1000):  # the package's server holds other tests' machines too
        kwargs = {"maxResults": 2} | ({"nextToken": token} if token else {})
        out = sfn.list_state_machines(**kwargs)
        assert len(out["stateMachines"]) <= 2
        seen += [m["name"] for m in out["stateMachines"]]
        token = out.get("nextToken")
        if not token:
            break
    assert [n for n in seen if n.startswith("page-")] == names
    paginated = [m["name"] for p in sfn.get_paginator("list_state_machines").paginate() for m in p["stateMachines"]]
    assert paginated == seen


def test_versions(sfn) -> None:
    created = sfn.create_state_machine(name="versioned", definition=PASS, roleArn=ROLE, publish=True,
                                       versionDescription="first")
    arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
    assert v1 == arn + ":1"
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == v1  # no change
    sfn.update_state_machine(stateMachineArn=arn, definition=WAIT)
    with pytest.raises(ClientError) as e:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId="stale")
    assert _code(e) == "ConflictException"
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn, description="second")["stateMachineVersionArn"]
    assert v2 == arn + ":2"
    listed = [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)
              ["stateMachineVersions"]]
    assert listed == [v2, v1]
    described = sfn.describe_state_machine(stateMachineArn=v1)
    assert (described["stateMachineArn"], described["definition"], described["description"]) == (v1, PASS, "first")
    execution = sfn.start_execution(stateMachineArn=v1)["executionArn"]
    done = wait_for_end(sfn, execution)
    assert done["stateMachineVersionArn"] == v1
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    with pytest.raises(ClientError) as e:
        sfn.describe_state_machine(stateMachineArn=v1)
    assert _code(e) == "StateMachineDoesNotExist"
    v3 = sfn.update_state_machine(stateMachineArn=arn, definition=PASS, publish=True)["stateMachineVersionArn"]
    assert v3 == arn + ":3"  # numbers are never reused


def test_aliases_route_by_weight(sfn) -> None:
    arn = sfn.create_state_machine(name="aliased", definition=PASS, roleArn=ROLE, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=WAIT)
    v1, v2 = arn + ":1", sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    routing = [{"stateMachineVersionArn": v1, "weight": 80}, {"stateMachineVersionArn": v2, "weight": 20}]
    alias = sfn.create_state_machine_alias(name="prod", routingConfiguration=routing)["stateMachineAliasArn"]
    assert alias == arn + ":prod"
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["routingConfiguration"] == routing and described["name"] == "prod"
    assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)
            ["stateMachineAliases"]] == [alias]
    used = [sfn.describe_execution(executionArn=sfn.start_execution(stateMachineArn=alias)["executionArn"])
            ["stateMachineVersionArn"] for _ in range(40)]
    assert set(used) == {v1, v2} and used.count(v1) > used.count(v2)
    listed = sfn.list_executions(stateMachineArn=alias, maxResults=1000)["executions"]
    assert len(listed) == 40 and {e["stateMachineAliasArn"] for e in listed} == {alias}
    with pytest.raises(ClientError) as e:
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert _code(e) == "ConflictException"
    sfn.update_state_machine_alias(stateMachineAliasArn=alias,
                                   routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])
    assert sfn.describe_execution(executionArn=sfn.start_execution(stateMachineArn=alias)["executionArn"]
                                  )["stateMachineVersionArn"] == v2
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine_alias(name="half", routingConfiguration=[{"stateMachineVersionArn": v1,
                                                                          "weight": 50}])
    assert _code(e) == "ValidationException"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(ClientError) as e:
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert _code(e) == "ResourceNotFound"


def test_tags(sfn) -> None:
    arn = sfn.create_state_machine(name="tagged", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "team", "value": "a"}])["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}, {"key": "team", "value": "b"}])
    assert sorted((t["key"], t["value"]) for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]) == \
           [("env", "dev"), ("team", "b")]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    with pytest.raises(ClientError) as e:
        sfn.list_tags_for_resource(resourceArn=arn + "-missing")
    assert _code(e) == "ResourceNotFound"


def test_validate_state_machine_definition(sfn) -> None:
    assert sfn.validate_state_machine_definition(definition=PASS) | {"ResponseMetadata": None} == \
           {"result": "OK", "diagnostics": [], "truncated": False, "ResponseMetadata": None}
    bad = definition({"A": {"Type": "Pass", "Next": "X"}, "B": {"Type": "Pass", "Next": "Y"}})
    out = sfn.validate_state_machine_definition(definition=bad, maxResults=1)
    assert out["result"] == "FAIL" and out["truncated"] is True and len(out["diagnostics"]) == 1
    assert out["diagnostics"][0]["severity"] == "ERROR"
    broken = sfn.validate_state_machine_definition(definition="{not json")
    assert broken["result"] == "FAIL" and broken["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_activities(server, sfn) -> None:
    arn = sfn.create_activity(name="worker-queue")["activityArn"]
    assert sfn.describe_activity(activityArn=arn)["name"] == "worker-queue"
    assert arn in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    machine = sfn.create_state_machine(name="uses-activity", roleArn=ROLE, definition=definition(
        {"T": {"Type": "Task", "Resource": arn, "End": True}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"job": 1}))["executionArn"]
    task = sfn.get_activity_task(activityArn=arn, workerName="w1")
    assert json.loads(task["input"]) == {"job": 1}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    assert json.loads(wait_for_end(sfn, execution)["output"]) == {"done": True}
    sfn.delete_activity(activityArn=arn)
    with pytest.raises(ClientError) as e:
        sfn.describe_activity(activityArn=arn)
    assert _code(e) == "ActivityDoesNotExist"
