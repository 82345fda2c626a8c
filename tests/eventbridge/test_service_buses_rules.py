"""Event buses, rules and targets through the Python Events API: shapes, limits and AWS's errors."""

from __future__ import annotations

import json

import pytest

from asl_engine.eventbridge.errors import EventBridgeError

from .service_fixtures import FUNCTION_ARN, collecting, make_bridge

PATTERN = json.dumps({"source": ["shop"]})


def error_of(call, **request):
    with pytest.raises(EventBridgeError) as info:
        call(**request)
    return info.value.code, info.value.message


def test_default_bus_exists_and_custom_bus_crud():
    eb = make_bridge()
    assert eb.describe_event_bus()["Arn"] == "arn:aws:events:us-east-1:123456789012:event-bus/default"
    created = eb.create_event_bus(Name="orders", Description="shop orders")
    assert created == {
        "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders",
        "Description": "shop orders",
    }
    assert eb.describe_event_bus(Name=created["EventBusArn"])["Name"] == "orders"
    assert [b["Name"] for b in eb.list_event_buses()["EventBuses"]] == ["default", "orders"]
    assert [b["Name"] for b in eb.list_event_buses(NamePrefix="or")["EventBuses"]] == ["orders"]
    eb.delete_event_bus(Name="orders")
    eb.delete_event_bus(Name="orders")  # deleting a missing bus succeeds, as on AWS
    assert error_of(eb.describe_event_bus, Name="orders") == (
        "ResourceNotFoundException",
        "Event bus orders does not exist.",
    )


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ({"Name": "default"}, ("ResourceAlreadyExistsException", "Event bus default already exists.")),
        ({"Name": "a/b"}, ("ValidationException", "Event bus name must not contain '/'.")),
        (
            {"Name": "bad name"},
            (
                "ValidationException",
                "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
            ),
        ),
    ],
)
def test_create_event_bus_refusals(request_, expected):
    assert error_of(make_bridge().create_event_bus, **request_) == expected


def test_default_bus_cannot_be_deleted():
    assert error_of(make_bridge().delete_event_bus, Name="default") == (
        "ValidationException",
        "Cannot delete event bus default.",
    )


def test_put_rule_describe_list_and_arns():
    eb = make_bridge()
    eb.create_event_bus(Name="custom")
    assert eb.put_rule(Name="r1", EventPattern=PATTERN)["RuleArn"] == "arn:aws:events:us-east-1:123456789012:rule/r1"
    arn = eb.put_rule(Name="r2", EventPattern=PATTERN, EventBusName="custom", State="DISABLED")["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:123456789012:rule/custom/r2"
    assert eb.describe_rule(Name="r1") == {
        "Name": "r1",
        "Arn": "arn:aws:events:us-east-1:123456789012:rule/r1",
        "EventPattern": PATTERN,
        "State": "ENABLED",
        "EventBusName": "default",
        "CreatedBy": "123456789012",
    }
    assert eb.describe_rule(Name="r2", EventBusName="custom")["State"] == "DISABLED"
    assert error_of(eb.describe_rule, Name="r2") == (
        "ResourceNotFoundException",
        "Rule r2 does not exist on EventBus default.",
    )


def test_list_rules_prefix_and_pagination():
    eb = make_bridge()
    for name in ("a1", "a2", "a3", "b1"):
        eb.put_rule(Name=name, EventPattern=PATTERN)
    first = eb.list_rules(NamePrefix="a", Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["a1", "a2"]
    second = eb.list_rules(NamePrefix="a", Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in second["Rules"]] == ["a3"]
    assert "NextToken" not in second
    assert error_of(eb.list_rules, Limit=101)[1] == (
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ({"Name": "r"}, "Parameter(s) EventPattern or ScheduleExpression must be specified."),
        ({"Name": "r", "ScheduleExpression": "rate(1 minutes)"}, "Parameter ScheduleExpression is not valid."),
        (
            {"Name": "r", "ScheduleExpression": "rate(1 minute)", "EventBusName": "custom"},
            "ScheduleExpression is supported only on the default event bus.",
        ),
        (
            {"Name": "r", "EventPattern": PATTERN, "State": "ON"},
            "1 validation error detected: Value 'ON' at 'state' failed to satisfy constraint: Member must "
            "satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]",
        ),
        (
            {"Name": "x" * 65, "EventPattern": PATTERN},
            f"1 validation error detected: Value '{'x' * 65}' at 'name' failed to satisfy constraint: "
            "Member must have length less than or equal to 64",
        ),
    ],
)
def test_put_rule_refusals(request_, expected):
    eb = make_bridge()
    eb.create_event_bus(Name="custom")
    assert error_of(eb.put_rule, **request_) == ("ValidationException", expected)


def test_put_rule_bad_pattern_and_missing_bus():
    eb = make_bridge()
    code, message = error_of(eb.put_rule, Name="r", EventPattern='{"source": "shop"}')
    assert code == "InvalidEventPatternException"
    assert message == 'Event pattern is not valid. Reason: "source" must be an object or an array'
    assert error_of(eb.put_rule, Name="r", EventPattern=PATTERN, EventBusName="nope") == (
        "ResourceNotFoundException",
        "Event bus nope does not exist.",
    )


def test_put_rule_replaces_rule_but_keeps_targets():
    eb = make_bridge()
    eb.put_rule(Name="r", EventPattern=PATTERN, Description="first")
    eb.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": FUNCTION_ARN}])
    eb.put_rule(Name="r", EventPattern=PATTERN)
    assert "Description" not in eb.describe_rule(Name="r")
    assert [t["Id"] for t in eb.list_targets_by_rule(Rule="r")["Targets"]] == ["t"]


def test_enable_disable_change_what_matches():
    received: list = []
    eb = make_bridge(collecting(received))
    eb.put_rule(Name="r", EventPattern=PATTERN)
    eb.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": FUNCTION_ARN}])
    entry = {"Source": "shop", "DetailType": "Order", "Detail": "{}"}
    eb.disable_rule(Name="r")
    eb.put_events(Entries=[entry])
    assert received == []
    eb.enable_rule(Name="r")
    eb.put_events(Entries=[entry])
    assert len(received) == 1
    assert error_of(eb.enable_rule, Name="missing")[0] == "ResourceNotFoundException"


def test_delete_rule_with_targets_needs_force():
    eb = make_bridge()
    eb.put_rule(Name="r", EventPattern=PATTERN)
    eb.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": FUNCTION_ARN}])
    assert error_of(eb.delete_rule, Name="r") == ("ValidationException", "Rule can't be deleted since it has targets.")
    eb.delete_rule(Name="r", Force=True)
    eb.delete_rule(Name="r")  # already gone: no error
    assert eb.list_rules()["Rules"] == []


def test_targets_put_list_remove_and_limit():
    eb = make_bridge()
    eb.put_rule(Name="r", EventPattern=PATTERN)
    targets = [{"Id": f"t{i}", "Arn": FUNCTION_ARN} for i in range(5)]
    assert eb.put_targets(Rule="r", Targets=targets) == {"FailedEntryCount": 0, "FailedEntries": []}
    assert error_of(eb.put_targets, Rule="r", Targets=[{"Id": "t5", "Arn": FUNCTION_ARN}]) == (
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
    )
    eb.put_targets(Rule="r", Targets=[{"Id": "t0", "Arn": FUNCTION_ARN, "Input": "{}"}])  # replaces t0
    assert eb.remove_targets(Rule="r", Ids=["t1", "t2"]) == {"FailedEntryCount": 0, "FailedEntries": []}
    listed = eb.list_targets_by_rule(Rule="r", Limit=2)
    assert [t["Id"] for t in listed["Targets"]] == ["t0", "t3"]
    assert listed["Targets"][0]["Input"] == "{}"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            {"Id": "bad id", "Arn": FUNCTION_ARN},
            "1 validation error detected: Value 'bad id' at 'targets.1.member.id' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        ),
        ({"Id": "t", "Arn": "queue"}, "Parameter queue is not valid. Reason: Provided Arn is not in correct format."),
        (
            {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q.fifo"},
            "Parameter(s) SqsParameters must be specified for target: t.",
        ),
        (
            {"Id": "t", "Arn": FUNCTION_ARN, "Input": "{}", "InputPath": "$.detail"},
            "Only one of Input, InputPath, or InputTransformer must be provided for target t.",
        ),
        (
            {"Id": "t", "Arn": FUNCTION_ARN, "RetryPolicy": {"MaximumRetryAttempts": 186}},
            "1 validation error detected: Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts' "
            "failed to satisfy constraint: Member must have value less than or equal to 185",
        ),
    ],
)
def test_put_targets_refusals(target, expected):
    eb = make_bridge()
    eb.put_rule(Name="r", EventPattern=PATTERN)
    assert error_of(eb.put_targets, Rule="r", Targets=[target]) == ("ValidationException", expected)


def test_test_event_pattern():
    eb = make_bridge()
    event = json.dumps(
        {"id": "1", "account": "1", "source": "shop", "time": "t", "region": "r", "detail-type": "x", "detail": {}}
    )
    assert eb.test_event_pattern(EventPattern=PATTERN, Event=event) == {"Result": True}
    assert eb.test_event_pattern(EventPattern='{"source": ["other"]}', Event=event) == {"Result": False}
    assert error_of(eb.test_event_pattern, EventPattern=PATTERN, Event="{}") == (
        "ValidationException",
        "Parameter Event is not valid.",
    )


def test_unknown_parameter_is_refused():
    assert error_of(make_bridge().put_rule, Name="r", Pattern=PATTERN)[0] == "SerializationException"
