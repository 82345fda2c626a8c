"""The EventBridge Scheduler API on asl serve (restJson1 at /schedules/{Name}), over boto3."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.helpers import ROLE
from tests.server.test_events_api import refused, unique

TARGET = {"Arn": "arn:aws:sqs:us-east-1:123456789012:nowhere", "RoleArn": ROLE}


@pytest.fixture
def scheduler(server: Server) -> Any:
    return server.client("scheduler")


def test_schedule_crud(scheduler) -> None:
    name = unique("daily")
    arn = scheduler.create_schedule(Name=name, ScheduleExpression="cron(0 9 * * ? *)", State="DISABLED",
                                    ScheduleExpressionTimezone="Europe/Paris", FlexibleTimeWindow={"Mode": "OFF"},
                                    Target=TARGET, Description="morning")["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{name}"
    got = scheduler.get_schedule(Name=name)
    assert (got["ScheduleExpressionTimezone"], got["State"], got["Description"]) == ("Europe/Paris", "DISABLED",
                                                                                     "morning")
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    assert got["CreationDate"].tzinfo is not None
    listed = scheduler.list_schedules(NamePrefix=name, State="DISABLED")["Schedules"]
    assert [(s["Name"], s["Target"]["Arn"]) for s in listed] == [(name, TARGET["Arn"])]
    scheduler.update_schedule(Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target=TARGET, State="DISABLED")
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpression"] == "rate(1 hour)" and "Description" not in got  # replaced whole
    scheduler.delete_schedule(Name=name)
    assert scheduler.list_schedules(NamePrefix=name)["Schedules"] == []


def test_scheduler_refusals_change_nothing(scheduler) -> None:
    name = unique("refused")
    scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target=TARGET, State="DISABLED")
    refused(lambda: scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 day)", Target=TARGET,
                                              FlexibleTimeWindow={"Mode": "OFF"}), "ConflictException", 409)
    refused(lambda: scheduler.update_schedule(Name=name, ScheduleExpression="rate(0 days)", Target=TARGET,
                                              FlexibleTimeWindow={"Mode": "OFF"}), "ValidationException")
    refused(lambda: scheduler.update_schedule(Name=name, ScheduleExpression="rate(1 day)", Target=TARGET,
                                              FlexibleTimeWindow={"Mode": "FLEXIBLE"}), "ValidationException")
    assert scheduler.get_schedule(Name=name)["ScheduleExpression"] == "rate(1 day)"
    refused(lambda: scheduler.get_schedule(Name=unique("missing")), "ResourceNotFoundException", 404)
    refused(lambda: scheduler.delete_schedule(Name=unique("missing")), "ResourceNotFoundException", 404)
    refused(lambda: scheduler.get_schedule(Name=name, GroupName="other"), "ResourceNotFoundException", 404)
    scheduler.delete_schedule(Name=name)


def test_model_constraints_and_unimplemented_actions(server: Server) -> None:
    status, body = server.post("/schedules/bad%20name", b'{"ScheduleExpression": "rate(1 day)", '
                               b'"FlexibleTimeWindow": {"Mode": "OFF"}, "Target": {"Arn": "a", "RoleArn": "r"}}',
                               {"Authorization": _signed("scheduler")})
    assert status == 400 and "at 'name' failed to satisfy constraint" in body["Message"]
    status, body = server.post("/schedule-groups/g", b"{}", {"Authorization": _signed("scheduler")})
    assert status == 501 and "CreateScheduleGroup" in body["Message"]


def _signed(service: str) -> str:
    """A SigV4 Authorization header's scope, which is all asl serve reads of it."""
    return f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, " \
           "Signature=0"
