"""The Events API on asl serve (awsJson1_1): every action the EventBridge service implements, over boto3.

Bad input answers AWS's code with a 4xx and changes nothing stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.server.conftest import Server


def refused(call: Callable[[], Any], code: str, status: int = 400) -> str:
    """Asserts the call fails with AWS error ``code`` and HTTP ``status``; returns the message."""
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), error
    return error["Error"]["Message"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def events(server: Server) -> Any:
    return server.client("events")


def test_event_bus_crud(events) -> None:
    name = unique("bus")
    arn = events.create_event_bus(Name=name, Description="orders")["EventBusArn"]
    assert arn == f"arn:aws:events:us-east-1:123456789012:event-bus/{name}"
    described = events.describe_event_bus(Name=name)
    assert (described["Name"], described["Arn"], described["Description"]) == (name, arn, "orders")
    assert name in [b["Name"] for b in events.list_event_buses(NamePrefix=name)["EventBuses"]]
    refused(lambda: events.create_event_bus(Name=name), "ResourceAlreadyExistsException")
    events.delete_event_bus(Name=name)
    refused(lambda: events.describe_event_bus(Name=name), "ResourceNotFoundException")
    refused(lambda: events.delete_event_bus(Name="default"), "ValidationException")


def test_rule_lifecycle_and_targets(events) -> None:
    name = unique("rule")
    pattern = json.dumps({"source": ["orders"]})
    arn = events.put_rule(Name=name, EventPattern=pattern, Description="d")["RuleArn"]
    assert arn.endswith(f":rule/{name}")
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    assert [r["Name"] for r in events.list_rules(NamePrefix=name)["Rules"]] == [name]
    queue = "arn:aws:sqs:us-east-1:123456789012:nowhere"
    assert events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue}])["FailedEntryCount"] == 0
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]] == ["q"]
    refused(lambda: events.delete_rule(Name=name), "ValidationException")  # it has targets
    events.remove_targets(Rule=name, Ids=["q"])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    events.delete_rule(Name=name)
    refused(lambda: events.describe_rule(Name=name), "ResourceNotFoundException")


def test_put_events_answers_each_entry(events) -> None:
    answer = events.put_events(Entries=[
        {"Source": "orders", "DetailType": "created", "Detail": json.dumps({"id": 1})},
        {"Source": "orders", "DetailType": "created", "Detail": "not json"},
    ])
    assert answer["FailedEntryCount"] == 1
    assert "EventId" in answer["Entries"][0]
    assert answer["Entries"][1]["ErrorCode"] == "MalformedDetail"


def test_test_event_pattern(events) -> None:
    event = json.dumps({"id": "1", "account": "123456789012", "source": "orders", "time": "2026-01-01T00:00:00Z",
                        "region": "us-east-1", "resources": [], "detail-type": "created", "detail": {"n": 5}})
    assert events.test_event_pattern(EventPattern=json.dumps({"detail": {"n": [{"numeric": [">", 3]}]}}),
                                     Event=event)["Result"] is True
    assert events.test_event_pattern(EventPattern=json.dumps({"source": ["billing"]}), Event=event)["Result"] is False
    message = refused(lambda: events.test_event_pattern(EventPattern='{"source": "orders"}', Event=event),
                      "InvalidEventPatternException")
    assert message.startswith("Event pattern is not valid. Reason: ")


def test_archive_and_replay_actions(events) -> None:
    name = unique("archive")
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    created = events.create_archive(ArchiveName=name, EventSourceArn=bus, RetentionDays=1)
    assert created["State"] == "ENABLED"
    assert events.describe_archive(ArchiveName=name)["RetentionDays"] == 1
    events.update_archive(ArchiveName=name, Description="kept")
    assert name in [a["ArchiveName"] for a in events.list_archives(NamePrefix=name)["Archives"]]
    replay = unique("replay")
    end = events.describe_archive(ArchiveName=name)["CreationTime"]
    events.start_replay(ReplayName=replay, EventSourceArn=created["ArchiveArn"],
                        EventStartTime=end - timedelta(minutes=5), EventEndTime=end, Destination={"Arn": bus})
    assert events.describe_replay(ReplayName=replay)["ReplayName"] == replay
    assert replay in [r["ReplayName"] for r in events.list_replays(NamePrefix=replay)["Replays"]]
    refused(lambda: events.create_archive(ArchiveName=name, EventSourceArn=bus), "ResourceAlreadyExistsException")
    events.delete_archive(ArchiveName=name)
    refused(lambda: events.describe_archive(ArchiveName=name), "ResourceNotFoundException")


def test_a_bad_request_changes_nothing(events) -> None:
    name = unique("bad")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["a"]}))
    refused(lambda: events.put_rule(Name=name, EventPattern='{"source": [{"prefix": 1}]}'),
            "InvalidEventPatternException")
    refused(lambda: events.put_rule(Name=name, ScheduleExpression="rate(0 minutes)"), "ValidationException")
    assert json.loads(events.describe_rule(Name=name)["EventPattern"]) == {"source": ["a"]}
    refused(lambda: events.put_targets(Rule=name, Targets=[{"Id": str(i), "Arn": f"arn:aws:sqs:us-east-1:1:q{i}"}
                                                           for i in range(6)]), "LimitExceededException")
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    events.delete_rule(Name=name)


def test_model_validation_and_wire_errors(server: Server) -> None:
    def call(action: str, body: bytes) -> tuple[int, dict]:
        return server.post("/", body, {"X-Amz-Target": f"AWSEvents.{action}",
                                       "Content-Type": "application/x-amz-json-1.1"})

    status, body = call("PutRule", json.dumps({"Name": "x" * 65}).encode())
    assert status == 400 and body["__type"] == "ValidationException"
    assert body["message"].startswith("1 validation error detected: Value '" + "x" * 65 + "' at 'name' failed")
    assert call("PutRule", b"{not json")[1]["__type"] == "SerializationException"
    assert call("PutRule", json.dumps({"Name": 5}).encode())[1]["__type"] == "SerializationException"
    assert call("NoSuchAction", b"{}") == (400, {"__type": "UnknownOperationException",
                                                 "message": "Unknown operation: 'AWSEvents.NoSuchAction'"})
    status, body = call("ListConnections", b"{}")
    assert (status, body["__type"]) == (501, "NotImplemented")
