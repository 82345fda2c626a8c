"""PutEvents: the envelope AWS builds, per-entry errors, the request limits, which rules receive it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from asl_engine.eventbridge.errors import EventBridgeError

from .service_fixtures import FUNCTION_ARN, collecting, make_bridge


def bridge_with_rule(received, bus="default"):
    eb = make_bridge(collecting(received))
    if bus != "default":
        eb.create_event_bus(Name=bus)
    eb.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}), EventBusName=bus)
    eb.put_targets(Rule="r", EventBusName=bus, Targets=[{"Id": "t", "Arn": FUNCTION_ARN}])
    return eb


def test_envelope_as_aws_builds_it():
    received: list = []
    eb = bridge_with_rule(received)
    result = eb.put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "Order Placed",
                "Detail": '{"id": 7}',
                "Resources": ["arn:aws:s3:::b"],
                "Time": datetime(2025, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
            }
        ]
    )
    assert result == {"FailedEntryCount": 0, "Entries": [{"EventId": "event-1"}]}
    assert received == [
        {
            "version": "0",
            "id": "event-1",
            "detail-type": "Order Placed",
            "source": "shop",
            "account": "123456789012",
            "time": "2025-01-02T03:04:05Z",
            "region": "us-east-1",
            "resources": ["arn:aws:s3:::b"],
            "detail": {"id": 7},
        }
    ]
    assert list(received[0]) == ["version", "id", "detail-type", "source", "account", "time", "region",
                                 "resources", "detail"]  # fmt: skip


def test_time_defaults_to_the_clock():
    received: list = []
    eb = bridge_with_rule(received)
    eb.timers.advance(90.5)
    eb.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}"}])
    assert received[0]["time"] == "2026-03-01T00:01:30Z"


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (
            {"DetailType": "d", "Detail": "{}"},
            ("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
        ),
        (
            {"Source": "s", "Detail": "{}"},
            ("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."),
        ),
        (
            {"Source": "s", "DetailType": "d"},
            ("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."),
        ),
        ({"Source": "s", "DetailType": "d", "Detail": "{nope"}, ("MalformedDetail", "Detail is malformed.")),
        ({"Source": "s", "DetailType": "d", "Detail": "[1]"}, ("MalformedDetail", "Detail is malformed.")),
    ],
)
def test_bad_entries_fail_in_place(entry, error):
    received: list = []
    eb = bridge_with_rule(received)
    good = {"Source": "shop", "DetailType": "d", "Detail": "{}"}
    result = eb.put_events(Entries=[good, entry, good])
    assert result["FailedEntryCount"] == 1
    assert result["Entries"][1] == {"ErrorCode": error[0], "ErrorMessage": error[1]}
    assert [e.get("EventId") for e in result["Entries"]] == ["event-1", None, "event-2"]
    assert len(received) == 2


def test_request_limits():
    eb = make_bridge()
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    with pytest.raises(EventBridgeError) as info:
        eb.put_events(Entries=[entry] * 11)
    assert info.value.code == "ValidationException"
    assert info.value.message.startswith(
        "1 validation error detected: Value '[PutEventsRequestEntry(time=null, source=s, resources=null, "
        "detailType=d, detail={}, eventBusName=null, traceHeader=null), PutEventsRequestEntry("
    )
    assert info.value.message.endswith(
        "at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10"
    )
    big = {"Source": "s", "DetailType": "d", "Detail": json.dumps({"x": "y" * (256 * 1024)})}
    with pytest.raises(EventBridgeError) as info:
        eb.put_events(Entries=[big])
    assert (info.value.code, info.value.message) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
    )
    exactly = {"Source": "s", "DetailType": "d", "Detail": '{"x":"' + "y" * (256 * 1024 - 10) + '"}'}
    assert eb.put_events(Entries=[exactly])["FailedEntryCount"] == 0


def test_bus_by_name_or_arn_and_missing_bus_accepted():
    received: list = []
    eb = bridge_with_rule(received, bus="orders")
    arn = "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    eb.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}", "EventBusName": arn}])
    eb.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}", "EventBusName": "orders"}])
    eb.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}"}])  # default bus: no rule
    result = eb.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}", "EventBusName": "nope"}])
    assert result == {"FailedEntryCount": 0, "Entries": [{"EventId": "event-4"}]}
    assert len(received) == 2


def test_schedule_only_rule_ignores_put_events():
    received: list = []
    eb = make_bridge(collecting(received))
    eb.put_rule(Name="s", ScheduleExpression="rate(10 minutes)")
    eb.put_targets(Rule="s", Targets=[{"Id": "t", "Arn": FUNCTION_ARN}])
    eb.put_events(Entries=[{"Source": "aws.events", "DetailType": "Scheduled Event", "Detail": "{}"}])
    assert received == []


def test_input_transformer_reaches_target():
    received: list = []
    eb = make_bridge(collecting(received))
    eb.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    transformer = {
        "InputPathsMap": {"id": "$.detail.id"},
        "InputTemplate": '{"order": <id>, "rule": "<aws.events.rule-name>"}',
    }
    eb.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": FUNCTION_ARN, "InputTransformer": transformer}])
    eb.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": '{"id": "o-1"}'}])
    assert received == [{"order": "o-1", "rule": "r"}]
