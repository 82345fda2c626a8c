"""Schedules that fire on the virtual clock: scheduled rules and EventBridge Scheduler."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import boto3
import pytest
from moto import mock_aws

from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.scheduler import Scheduler

from .service_fixtures import ACCOUNT, FUNCTION_ARN, collecting, counter, make_bridge

WINDOW_OFF = {"Mode": "OFF"}


def scheduled(start=datetime(2026, 3, 1, tzinfo=UTC), invokers=None):
    received: list = []
    eb = make_bridge(invokers or collecting(received), start=start)
    scheduler = Scheduler(eb.deliverer, timers=eb.timers, rng=random.Random(3), ids=counter("exec"))
    return eb, scheduler, received


def test_rate_rule_fires_from_creation_with_scheduled_event_envelope():
    eb, _, received = scheduled()
    eb.timers.advance(30)
    arn = eb.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    eb.put_targets(Rule="every5", Targets=[{"Id": "f", "Arn": FUNCTION_ARN}])
    eb.timers.advance(16 * 60)
    assert [e["time"] for e in received] == ["2026-03-01T00:05:30Z", "2026-03-01T00:10:30Z", "2026-03-01T00:15:30Z"]
    assert received[0] == {
        "version": "0",
        "id": "event-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-03-01T00:05:30Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {},
    }


def test_cron_rule_fires_at_utc_minutes_and_stops_when_disabled_or_deleted():
    eb, _, received = scheduled()
    eb.put_rule(Name="c", ScheduleExpression="cron(15 10 ? * MON-FRI *)")
    eb.put_targets(Rule="c", Targets=[{"Id": "f", "Arn": FUNCTION_ARN}])
    eb.timers.advance(7 * 86400)
    assert [e["time"] for e in received] == [f"2026-03-0{d}T10:15:00Z" for d in (2, 3, 4, 5, 6)]
    eb.disable_rule(Name="c")
    eb.timers.advance(7 * 86400)
    assert len(received) == 5
    eb.enable_rule(Name="c")
    eb.timers.advance(35 * 3600)  # to Monday 11:00
    assert received[-1]["time"] == "2026-03-16T10:15:00Z"
    eb.delete_rule(Name="c", Force=True)
    eb.timers.advance(7 * 86400)
    assert len(received) == 6


def test_scheduler_cron_across_dst_in_time_zone():
    # New York springs forward on 2026-03-08: 08:30 local is 13:30 UTC before, 12:30 UTC after.
    eb, scheduler, received = scheduled()
    scheduler.create_schedule(
        Name="daily",
        ScheduleExpression="cron(30 8 * * ? *)",
        ScheduleExpressionTimezone="America/New_York",
        FlexibleTimeWindow=WINDOW_OFF,
        Target={
            "Arn": FUNCTION_ARN,
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": '{"at": "<aws.scheduler.scheduled-time>"}',
        },
    )
    eb.timers.advance(10 * 86400)
    times = [e["at"] for e in received]
    assert times[5:9] == [
        "2026-03-06T13:30:00Z",
        "2026-03-07T13:30:00Z",
        "2026-03-08T12:30:00Z",
        "2026-03-09T12:30:00Z",
    ]


def test_one_time_schedule_fires_once_and_deletes_itself():
    eb, scheduler, received = scheduled()
    scheduler.create_schedule(
        Name="once",
        ScheduleExpression="at(2026-03-02T09:00:00)",
        FlexibleTimeWindow=WINDOW_OFF,
        ActionAfterCompletion="DELETE",
        Target={"Arn": FUNCTION_ARN, "RoleArn": "arn:aws:iam::123456789012:role/scheduler", "Input": '{"n": 1}'},
    )
    assert scheduler.get_schedule(Name="once")["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 86400,
        "MaximumRetryAttempts": 185,
    }
    eb.timers.advance(86400 * 3)
    assert received == [{"n": 1}]
    with pytest.raises(EventBridgeError) as info:
        scheduler.get_schedule(Name="once")
    assert (info.value.code, info.value.message) == ("ResourceNotFoundException", "Schedule once does not exist.")


def test_start_end_dates_and_flexible_window_are_deterministic():
    def run(seed):
        eb, _, _received = scheduled()
        scheduler = Scheduler(eb.deliverer, timers=eb.timers, rng=random.Random(seed), ids=counter("exec"))
        scheduler.create_schedule(
            Name="hourly",
            ScheduleExpression="rate(1 hour)",
            StartDate=datetime(2026, 3, 1, 6, tzinfo=UTC),
            EndDate=datetime(2026, 3, 1, 10, tzinfo=UTC),
            FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            Target={"Arn": FUNCTION_ARN, "RoleArn": "arn:aws:iam::123456789012:role/scheduler"},
        )
        fired = []
        eb.deliverer._invoke = lambda invocation: fired.append(eb.timers.clock.time())
        eb.timers.advance(86400)
        return [datetime.fromtimestamp(t, UTC) for t in fired]

    first = run(1)
    assert first == run(1)
    assert len(first) == 4
    for fired, hour in zip(first, (6, 7, 8, 9), strict=True):  # from StartDate, before EndDate
        nominal = datetime(2026, 3, 1, hour, tzinfo=UTC)
        assert nominal <= fired <= nominal + timedelta(minutes=15)
    assert first != run(2)


def test_a_year_of_hourly_schedules_fires_every_hour_on_virtual_time():
    """A year passes on the virtual clock without a real sleep, and every hour of it fires once, on the hour."""
    moments: list[datetime] = []
    eb, scheduler, _ = scheduled(
        invokers=Invokers(functions={"collect": lambda event, context: moments.append(eb.timers.now())}))
    scheduler.create_schedule(
        Name="hourly",
        ScheduleExpression="cron(0 * * * ? *)",
        FlexibleTimeWindow=WINDOW_OFF,
        Target={"Arn": FUNCTION_ARN, "RoleArn": "arn:aws:iam::123456789012:role/scheduler"},
    )
    with patch("time.sleep", side_effect=AssertionError("slept for real")):
        eb.timers.advance(365 * 86400)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert moments == [start + timedelta(hours=h) for h in range(1, 365 * 24 + 1)]


def test_scheduler_crud_and_errors():
    _, scheduler, _ = scheduled()
    target = {"Arn": FUNCTION_ARN, "RoleArn": "arn:aws:iam::123456789012:role/scheduler"}
    arn = scheduler.create_schedule(
        Name="a", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=WINDOW_OFF, Target=target
    )
    assert arn == {"ScheduleArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/a"}
    scheduler.create_schedule(
        Name="b", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=WINDOW_OFF, Target=target, State="DISABLED"
    )
    listed = scheduler.list_schedules(State="ENABLED")["Schedules"]
    assert [(s["Name"], s["Target"]) for s in listed] == [("a", {"Arn": FUNCTION_ARN})]
    scheduler.update_schedule(Name="a", ScheduleExpression="rate(2 days)", FlexibleTimeWindow=WINDOW_OFF, Target=target)
    assert scheduler.get_schedule(Name="a")["ScheduleExpression"] == "rate(2 days)"
    scheduler.delete_schedule(Name="a")
    cases = [
        (dict(Name="b", ScheduleExpression="rate(1 day)"), ("ConflictException", "Schedule b already exists.")),
        (
            dict(Name="c", ScheduleExpression="every day"),
            ("ValidationException", "Invalid Schedule Expression every day."),
        ),
        (
            dict(Name="c", ScheduleExpression="rate(1 day)", GroupName="g"),
            ("ResourceNotFoundException", "Schedule group g does not exist."),
        ),
        (
            dict(Name="c", ScheduleExpression="rate(1 day)", ScheduleExpressionTimezone="Mars/Base"),
            ("ValidationException", "Invalid ScheduleExpressionTimezone Mars/Base."),
        ),
    ]
    for request, expected in cases:
        with pytest.raises(EventBridgeError) as info:
            scheduler.create_schedule(FlexibleTimeWindow=WINDOW_OFF, Target=target, **request)
        assert (info.value.code, info.value.message) == expected
    with pytest.raises(EventBridgeError) as info:
        scheduler.create_schedule(
            Name="c", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "SOMETIMES"}, Target=target
        )
    assert info.value.message == (
        "1 validation error detected: Value 'SOMETIMES' at 'flexibleTimeWindow.mode' failed to satisfy "
        "constraint: Member must satisfy enum value set: [OFF, FLEXIBLE]"
    )


def test_universal_target_and_scheduler_dlq_through_moto():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        invokers = Invokers(client=lambda service: boto3.client(service, region_name="us-east-1"))
        eb, scheduler, _ = scheduled(invokers=invokers)
        scheduler.create_schedule(
            Name="send",
            ScheduleExpression="at(2026-03-01T01:00:00)",
            FlexibleTimeWindow=WINDOW_OFF,
            Target={
                "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                "Input": json.dumps({"QueueUrl": url, "MessageBody": "from <aws.scheduler.schedule-arn>"}),
            },
        )
        scheduler.create_schedule(
            Name="broken",
            ScheduleExpression="at(2026-03-01T01:00:00)",
            FlexibleTimeWindow=WINDOW_OFF,
            Target={
                "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:missing",
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                "DeadLetterConfig": {"Arn": dlq},
            },
        )
        eb.timers.advance(7200)
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        assert message["Body"] == f"from arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/send"
        [dead] = sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])["Messages"]
        attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
        assert attributes["SCHEDULE_ARN"] == f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/broken"
        assert attributes["ERROR_CODE"] == "RESOURCE_NOT_FOUND"
