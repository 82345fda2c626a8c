"""Failure injection for targets: the next N attempts to a matching target fail with a chosen delivery code."""

from __future__ import annotations

import json

import pytest

from asl_engine.eventbridge.injection import CODES, InjectedFailures
from asl_engine.eventbridge.invokers import Invokers

from .service_fixtures import ACCOUNT, ENTRY, FUNCTION_ARN, client, make_bridge, queue


def dead_letters(url):
    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                             MessageAttributeNames=["All"]).get("Messages", [])
    return [{k: v["StringValue"] for k, v in m["MessageAttributes"].items()} for m in messages]


def bridge(received, injected, policy=None, dlq=None):
    eb = make_bridge(Invokers(functions={"collect": lambda event, context: received.append(event)}, client=client))
    eb.deliverer.injected = injected
    target = {"Id": "f", "Arn": FUNCTION_ARN}
    if policy:
        target["RetryPolicy"] = policy
    if dlq:
        target["DeadLetterConfig"] = {"Arn": dlq}
    eb.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    eb.put_targets(Rule="r", Targets=[target])
    return eb


def test_take_uses_up_the_count_of_the_first_matching_rule():
    injected = InjectedFailures()
    assert injected.take(FUNCTION_ARN) is None
    injected.add("arn:aws:lambda:*:function:coll*", "THROTTLING", "Rate exceeded", count=2)
    injected.add(FUNCTION_ARN, "NO_PERMISSIONS")
    first, second, third = (injected.take(FUNCTION_ARN) for _ in range(3))
    assert (first.code, first.message, first.retryable) == ("THROTTLING", "Rate exceeded", True)
    assert second.code == "THROTTLING"
    assert (third.code, third.message, third.retryable) == ("NO_PERMISSIONS", "Injected NO_PERMISSIONS failure",
                                                            False)
    assert injected.take(FUNCTION_ARN).code == "NO_PERMISSIONS"  # no count: every attempt
    assert injected.take(f"arn:aws:sqs:us-east-1:{ACCOUNT}:other") is None
    assert [(r.target, r.remaining) for r in injected.rules] == [("arn:aws:lambda:*:function:coll*", 0),
                                                                 (FUNCTION_ARN, None)]
    assert injected.clear() == 2
    assert injected.rules == () and injected.take(FUNCTION_ARN) is None


@pytest.mark.parametrize(("body", "named"), [
    ([], "JSON object"),
    ({"code": "THROTTLING"}, '"target" is required'),
    ({"target": FUNCTION_ARN}, '"code" is required'),
    ({"target": "", "code": "THROTTLING"}, '"target"'),
    ({"target": 7, "code": "THROTTLING"}, '"target"'),
    ({"target": FUNCTION_ARN, "code": "Throttled"}, '"code" must be one of'),
    ({"target": FUNCTION_ARN, "code": "THROTTLING", "message": 3}, '"message"'),
    ({"target": FUNCTION_ARN, "code": "THROTTLING", "count": 0}, '"count"'),
    ({"target": FUNCTION_ARN, "code": "THROTTLING", "count": 1.5}, '"count"'),
    ({"target": FUNCTION_ARN, "code": "THROTTLING", "count": True}, '"count"'),
    ({"target": FUNCTION_ARN, "code": "THROTTLING", "pattern": "*"}, "unknown field(s) ['pattern']"),
])
def test_a_bad_rule_is_refused_naming_the_field(body, named):
    injected = InjectedFailures()
    with pytest.raises(ValueError) as refused:
        injected.add_json(body)
    assert named in str(refused.value)
    assert injected.rules == ()


def test_codes_follow_the_engines_own_retryability():
    assert {c for c, retried in CODES.items() if not retried} >= {"RESOURCE_NOT_FOUND", "NO_PERMISSIONS",
                                                                 "INVALID_JSON"}
    assert {c for c, retried in CODES.items() if retried} >= {"THROTTLING", "SDK_CLIENT_ERROR", "INTERNAL_ERROR"}


def test_a_throttled_target_is_retried_then_delivered(aws):
    received: list = []
    injected = InjectedFailures()
    injected.add(FUNCTION_ARN, "THROTTLING", "Rate exceeded", count=3)
    eb = bridge(received, injected, policy={"MaximumRetryAttempts": 5})
    eb.put_events(Entries=[ENTRY])
    assert received == []
    eb.timers.advance(60)
    assert [e["detail"] for e in received] == [{"id": 1}]  # the fourth attempt (third retry) reached it
    assert eb.deliverer.failures == [] and injected.rules[0].remaining == 0


def test_a_retryable_injected_code_exhausts_the_retry_policy_into_the_dlq(aws):
    received: list = []
    url, dlq = queue("dlq")
    injected = InjectedFailures()
    injected.add("arn:aws:lambda:*", "INTERNAL_ERROR", "boom")
    eb = bridge(received, injected, policy={"MaximumRetryAttempts": 2}, dlq=dlq)
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(3600)
    assert received == []
    assert dead_letters(url) == [{"RULE_ARN": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r",
                                  "TARGET_ARN": FUNCTION_ARN, "ERROR_CODE": "INTERNAL_ERROR", "ERROR_MESSAGE": "boom",
                                  "RETRY_ATTEMPTS": "2", "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts"}]


def test_a_non_retryable_injected_code_goes_straight_to_the_dlq(aws):
    received: list = []
    url, dlq = queue("dlq")
    injected = InjectedFailures()
    injected.add(FUNCTION_ARN, "NO_PERMISSIONS", "not allowed", count=1)
    eb = bridge(received, injected, dlq=dlq)
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(3600)
    assert received == []
    [attributes] = dead_letters(url)
    assert (attributes["ERROR_CODE"], attributes["ERROR_MESSAGE"], attributes["RETRY_ATTEMPTS"]) == (
        "NO_PERMISSIONS", "not allowed", "0")
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes
    eb.put_events(Entries=[ENTRY])  # the count is used up: the next event is delivered
    assert len(received) == 1
