"""Rules and schedules on asl serve reach real targets: its executions, moto's queues, on its clock."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.helpers import ROLE, definition, eventually, queue, wait_for_end
from tests.server.test_events_api import refused, unique

ECHO = definition({"P": {"Type": "Pass", "End": True}})


@pytest.fixture
def events(server: Server) -> Any:
    return server.client("events")


@pytest.fixture
def machine(sfn) -> str:
    return sfn.create_state_machine(name=unique("target"), roleArn=ROLE, definition=ECHO)["stateMachineArn"]


def executions(sfn: Any, arn: str) -> list[dict]:
    return sfn.list_executions(stateMachineArn=arn)["executions"]


def test_put_events_starts_a_state_machine_execution(events, sfn, machine) -> None:
    source = unique("shop")
    rule = unique("to-sfn")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": ROLE}])
    try:
        events.put_events(Entries=[{"Source": source, "DetailType": "order", "Detail": json.dumps({"n": 7})},
                                   {"Source": "other", "DetailType": "order", "Detail": "{}"}])
        [execution] = eventually(lambda: executions(sfn, machine))
        described = wait_for_end(sfn, execution["executionArn"])
        assert described["status"] == "SUCCEEDED"
        event = json.loads(described["output"])
        assert (event["source"], event["detail-type"], event["detail"]) == (source, "order", {"n": 7})
    finally:
        events.remove_targets(Rule=rule, Ids=["sfn"])
        events.delete_rule(Name=rule)


def test_input_transformer_and_sqs_target_share_the_moto_backend(server: Server, events) -> None:
    sqs = server.client("sqs")
    url, queue_arn = queue(sqs, unique("rule-target"))
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    events.put_rule(Name="to-sqs", EventBusName=bus, EventPattern=json.dumps({"detail-type": ["paid"]}))
    events.put_targets(Rule="to-sqs", EventBusName=bus, Targets=[{
        "Id": "q", "Arn": queue_arn,
        "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'}}])
    events.put_events(Entries=[{"EventBusName": bus, "Source": "s", "DetailType": "paid",
                                "Detail": json.dumps({"id": "o-1"})}])
    messages = eventually(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))
    assert json.loads(messages[0]["Body"]) == {"order": "o-1"}
    events.delete_event_bus(Name=bus)


def test_a_scheduled_rule_fires_when_the_clock_is_advanced(server: Server, events, sfn, machine) -> None:
    rule = unique("every-5")
    events.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": machine}])
    try:
        assert executions(sfn, machine) == []
        server.advance(5 * 60 + 1)
        [execution] = eventually(lambda: executions(sfn, machine))
        event = json.loads(wait_for_end(sfn, execution["executionArn"])["input"])
        assert (event["source"], event["detail-type"]) == ("aws.events", "Scheduled Event")
        assert event["resources"] == [events.describe_rule(Name=rule)["Arn"]]
        server.advance(10 * 60)
        eventually(lambda: len(executions(sfn, machine)) == 3)  # at 10 and 15 minutes
    finally:
        events.remove_targets(Rule=rule, Ids=["sfn"])
        events.delete_rule(Name=rule)  # no more firings when other tests advance the clock


def test_a_one_time_schedule_fires_and_deletes_itself(server: Server, sfn, machine) -> None:
    scheduler = server.client("scheduler")
    now = server.advance(0)["epoch"]
    at = datetime.fromtimestamp(now + 3600, UTC)
    name = unique("once")
    scheduler.create_schedule(Name=name, ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
                              FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
                              Target={"Arn": machine, "RoleArn": ROLE,
                                      "Input": '{"from": "<aws.scheduler.schedule-arn>"}'})
    assert executions(sfn, machine) == []
    server.advance(3601)
    [execution] = eventually(lambda: executions(sfn, machine))
    assert json.loads(wait_for_end(sfn, execution["executionArn"])["input"])["from"].endswith(f"/default/{name}")
    refused(lambda: scheduler.get_schedule(Name=name), "ResourceNotFoundException", 404)


def record(event: dict) -> None:
    """A ``--resource`` handler for the Lambda-target test: appends what it receives to the file it names."""
    with open(event["detail"]["log"], "a") as out:
        out.write(json.dumps(event) + "\n")


def test_a_lambda_target_runs_the_servers_local_handler(tmp_path) -> None:
    server = Server(":memory:", "--no-moto", "--resource", "recorder=tests.server.test_events_targets:record")
    try:
        events, log = server.client("events"), tmp_path / "calls.jsonl"
        events.put_rule(Name="to-lambda", EventPattern=json.dumps({"source": ["app"]}))
        events.put_targets(Rule="to-lambda", Targets=[
            {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:recorder"}])
        events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": json.dumps({"log": str(log)})}])
        eventually(lambda: log.exists() and log.read_text())
        [call] = [json.loads(line) for line in log.read_text().splitlines()]
        assert (call["source"], call["detail-type"]) == ("app", "t")
    finally:
        server.stop()


def test_schedules_fire_on_a_real_clock_server() -> None:
    server = Server(":memory:", "--no-moto")
    try:
        sfn = server.client()
        target = sfn.create_state_machine(name="real", roleArn=ROLE, definition=ECHO)["stateMachineArn"]
        at = datetime.fromtimestamp(time.time() + 2, UTC)
        server.client("scheduler").create_schedule(
            Name="soon", ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": target, "RoleArn": ROLE})
        assert executions(sfn, target) == []
        eventually(lambda: executions(sfn, target), timeout=10)
    finally:
        server.stop()


def test_a_workflows_put_events_reaches_the_buses_the_api_shows(server: Server, events, sfn) -> None:
    """An ``events:putEvents`` Task in a served execution lands on the server's bus, where its rules see it."""
    sqs = server.client("sqs")
    url, queue_arn = queue(sqs, unique("from-workflow"))
    bus = unique("workflow-bus")
    events.create_event_bus(Name=bus)
    events.put_rule(Name="workflow-done", EventBusName=bus, EventPattern=json.dumps({"source": ["workflow"]}))
    events.put_targets(Rule="workflow-done", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    publish = definition({"Publish": {
        "Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True,
        "Parameters": {"Entries": [{"EventBusName": bus, "Source": "workflow", "DetailType": "done",
                                    "Detail": {"run.$": "$.run"}}]}}})
    arn = sfn.create_state_machine(name=unique("publisher"), roleArn=ROLE, definition=publish)["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"run": 42}))
    assert wait_for_end(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    messages = eventually(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))
    assert json.loads(messages[0]["Body"])["detail"] == {"run": 42}
    events.delete_event_bus(Name=bus)


# -- failure injection: /_asl/events/failures -------------------------------------------------------------

FAILURES = "/_asl/events/failures"


def clear_failures(server: Server) -> dict:
    request = urllib.request.Request(server.url + FAILURES, method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def inject(server: Server, **rule: Any) -> list[dict]:
    status, body = server.post(FAILURES, json.dumps(rule).encode())
    assert status == 200, body
    return body["failures"]


def dead_letter_queue(server: Server) -> tuple[str, str]:
    return queue(server.client("sqs"), unique("dlq"))


def dead_letters(server: Server, url: str) -> list[dict[str, str]]:
    messages = server.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                    MessageAttributeNames=["All"]).get("Messages", [])
    return [{k: v["StringValue"] for k, v in m["MessageAttributes"].items()} for m in messages]


@pytest.mark.parametrize(("body", "named"), [
    (b"{not json", "not JSON"),
    (b'["THROTTLING"]', "JSON object"),
    (b'{"code": "THROTTLING"}', '"target" is required'),
    (b'{"target": "arn:*"}', '"code" is required'),
    (b'{"target": "arn:*", "code": "SLOW"}', '"code" must be one of'),
    (b'{"target": "arn:*", "code": "THROTTLING", "count": 0}', '"count"'),
    (b'{"target": "arn:*", "code": "THROTTLING", "count": "3"}', '"count"'),
    (b'{"target": "arn:*", "code": "THROTTLING", "message": 1}', '"message"'),
    (b'{"target": "arn:*", "code": "THROTTLING", "kind": "x"}', "unknown field(s) ['kind']"),
])
def test_a_bad_failure_rule_is_refused_naming_the_field(server: Server, body: bytes, named: str) -> None:
    before = server.get(FAILURES)
    status, answer = server.post(FAILURES, body)
    assert status == 400 and named in answer["message"], answer
    assert server.get(FAILURES) == before


def test_failure_rules_are_listed_and_cleared(server: Server) -> None:
    target = f"arn:aws:sqs:us-east-1:123456789012:{unique('q')}"
    try:
        inject(server, target=target, code="THROTTLING", count=2)
        listed = inject(server, target="arn:aws:lambda:*", code="NO_PERMISSIONS", message="denied")
        assert listed[-2:] == [
            {"target": target, "code": "THROTTLING", "message": "Injected THROTTLING failure", "remaining": 2,
             "retryable": True},
            {"target": "arn:aws:lambda:*", "code": "NO_PERMISSIONS", "message": "denied", "remaining": None,
             "retryable": False}]
        assert server.get(FAILURES)["failures"] == listed
    finally:
        cleared = clear_failures(server)
    assert cleared["failures"] == [] and cleared["cleared"] >= 2
    assert server.get(FAILURES) == {"failures": []}


def test_a_throttled_target_is_retried_then_delivered(server: Server, events, sfn, machine) -> None:
    source, rule = unique("shop"), unique("throttled")
    url, dlq = dead_letter_queue(server)
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": ROLE,
                                            "RetryPolicy": {"MaximumRetryAttempts": 5},
                                            "DeadLetterConfig": {"Arn": dlq}}])
    pattern = machine[:-3] + "*"  # a pattern of target ARNs
    try:
        inject(server, target=pattern, code="THROTTLING", message="Rate exceeded", count=3)
        events.put_events(Entries=[{"Source": source, "DetailType": "order", "Detail": json.dumps({"n": 1})}])
        eventually(lambda: [r["remaining"] for r in server.get(FAILURES)["failures"]] == [2])  # 1st attempt failed
        assert executions(sfn, machine) == []
        server.advance(60)  # retries after 0.5-1, 1-2, 2-4 s: the third one is made and gets through
        [execution] = eventually(lambda: executions(sfn, machine))
        assert json.loads(wait_for_end(sfn, execution["executionArn"])["input"])["detail"] == {"n": 1}
        assert [r["remaining"] for r in server.get(FAILURES)["failures"]] == [0]
        server.advance(3600)
        assert len(executions(sfn, machine)) == 1 and dead_letters(server, url) == []
    finally:
        clear_failures(server)
        events.remove_targets(Rule=rule, Ids=["sfn"])
        events.delete_rule(Name=rule)


def test_a_non_retryable_injected_code_goes_straight_to_the_dead_letter_queue(server: Server, events, sfn,
                                                                              machine) -> None:
    source, rule = unique("shop"), unique("denied")
    url, dlq = dead_letter_queue(server)
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": ROLE,
                                            "DeadLetterConfig": {"Arn": dlq}}])
    try:
        inject(server, target=machine, code="NO_PERMISSIONS", message="not allowed to StartExecution", count=1)
        events.put_events(Entries=[{"Source": source, "DetailType": "order", "Detail": "{}"}])
        [attributes] = eventually(lambda: dead_letters(server, url))
        assert attributes == {"RULE_ARN": events.describe_rule(Name=rule)["Arn"], "TARGET_ARN": machine,
                              "ERROR_CODE": "NO_PERMISSIONS", "ERROR_MESSAGE": "not allowed to StartExecution",
                              "RETRY_ATTEMPTS": "0"}
        server.advance(3600)
        assert executions(sfn, machine) == []  # not retried
        events.put_events(Entries=[{"Source": source, "DetailType": "order", "Detail": "{}"}])
        eventually(lambda: executions(sfn, machine))  # the count is used up: the next event gets through
    finally:
        clear_failures(server)
        events.remove_targets(Rule=rule, Ids=["sfn"])
        events.delete_rule(Name=rule)
