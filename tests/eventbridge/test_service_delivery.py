"""Targets that really run (moto-backed AWS services, in-process ones) and retries into the DLQ."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from asl_engine.eventbridge.delivery import DeliveryFailure
from asl_engine.eventbridge.invokers import Invokers

from .service_fixtures import ACCOUNT, ENTRY, FUNCTION_ARN, client, make_bridge, queue

PATTERN = json.dumps({"source": ["shop"]})


def receive(url):
    return (
        client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )


def bridge_to(target, invokers=None):
    eb = make_bridge(invokers or Invokers(client=client))
    eb.put_rule(Name="r", EventPattern=PATTERN)
    eb.put_targets(Rule="r", Targets=[target])
    return eb


def test_sqs_target(aws):
    url, arn = queue("plain")
    bridge_to({"Id": "q", "Arn": arn}).put_events(Entries=[ENTRY])
    [message] = receive(url)
    assert json.loads(message["Body"])["detail"] == {"id": 1}


def test_sqs_fifo_target_uses_message_group(aws):
    url, arn = queue("orders.fifo", FifoQueue="true")
    eb = bridge_to({"Id": "q", "Arn": arn, "SqsParameters": {"MessageGroupId": "g1"}})
    eb.put_events(Entries=[ENTRY])
    messages = client("sqs").receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g1"
    assert messages[0]["Attributes"]["MessageDeduplicationId"] == "event-1"


def test_sns_target(aws):
    url, queue_arn = queue("from-sns")
    topic = client("sns").create_topic(Name="t")["TopicArn"]
    client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    bridge_to({"Id": "n", "Arn": topic, "Input": '{"hello": "sns"}'}).put_events(Entries=[ENTRY])
    [message] = receive(url)
    assert json.loads(json.loads(message["Body"])["Message"]) == {"hello": "sns"}


def test_logs_target(aws):
    logs = client("logs")
    logs.create_log_group(logGroupName="/events/orders")
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/events/orders"
    # CloudWatch Logs refuses events older than 14 days, so this event must carry today's time.
    entry = {**ENTRY, "Time": datetime.now(UTC)}
    bridge_to({"Id": "l", "Arn": arn}).put_events(Entries=[entry])
    events = logs.filter_log_events(logGroupName="/events/orders")["events"]
    assert json.loads(events[0]["message"])["id"] == "event-1"
    assert events[0]["logStreamName"] == "event-1"


def test_batch_target_submits_job(aws):
    batch = client("batch")
    role = client("iam").create_role(RoleName="b", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    env = batch.create_compute_environment(computeEnvironmentName="env", type="UNMANAGED", serviceRole=role)
    job_queue = batch.create_job_queue(
        jobQueueName="q", state="ENABLED", priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}],
    )["jobQueueArn"]  # fmt: skip
    batch.register_job_definition(
        jobDefinitionName="train", type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]},
    )  # fmt: skip
    target = {"Id": "b", "Arn": job_queue, "BatchParameters": {"JobDefinition": "train", "JobName": "retrain"}}
    bridge_to(target).put_events(Entries=[ENTRY])
    jobs = batch.list_jobs(jobQueue=job_queue, filters=[{"name": "JOB_NAME", "values": ["retrain"]}])["jobSummaryList"]
    assert [j["jobName"] for j in jobs] == ["retrain"]


def test_batch_target_needs_parameters():
    eb = make_bridge()
    eb.put_rule(Name="r", EventPattern=PATTERN)
    with pytest.raises(Exception, match="BatchParameters must be specified for target: b"):
        eb.put_targets(Rule="r", Targets=[{"Id": "b", "Arn": "arn:aws:batch:us-east-1:1:job-queue/q"}])


def test_step_functions_target_starts_execution():
    started = []

    class Engine:
        def start_execution(self, state_machine_arn, input_json, name=None):
            started.append((state_machine_arn, json.loads(input_json), name))

    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:flow"
    eb = bridge_to({"Id": "s", "Arn": arn, "InputPath": "$.detail"}, Invokers(state_machines=Engine()))
    eb.put_events(Entries=[ENTRY])
    assert started == [(arn, {"id": 1}, None)]


def test_cross_bus_target():
    received = []
    invokers = Invokers(functions={"collect": lambda e, c: received.append(e)})
    eb = make_bridge(invokers)
    eb.create_event_bus(Name="audit")
    eb.put_rule(Name="to-audit", EventPattern=PATTERN)
    audit_arn = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/audit"
    eb.put_targets(Rule="to-audit", Targets=[{"Id": "bus", "Arn": audit_arn}])
    eb.put_rule(Name="audit-log", EventPattern=PATTERN, EventBusName="audit")
    eb.put_targets(Rule="audit-log", EventBusName="audit", Targets=[{"Id": "f", "Arn": FUNCTION_ARN}])
    eb.put_events(Entries=[ENTRY])
    assert [e["id"] for e in received] == ["event-1"]


def test_api_destination_over_loopback_http():
    bodies = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append((self.path, self.headers["X-Team"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        arn = f"arn:aws:events:us-east-1:{ACCOUNT}:api-destination/hook/abc"
        endpoint = f"http://127.0.0.1:{server.server_port}/orders/*"
        invokers = Invokers(api_destinations={arn: {"InvocationEndpoint": endpoint, "HttpMethod": "POST"}})
        http = {
            "PathParameterValues": ["o-1"],
            "HeaderParameters": {"X-Team": "ml"},
            "QueryStringParameters": {"v": "2"},
        }
        eb = bridge_to({"Id": "h", "Arn": arn, "HttpParameters": http}, invokers)
        eb.put_events(Entries=[ENTRY])
    finally:
        server.shutdown()
        server.server_close()
    assert bodies[0][0] == "/orders/o-1?v=2"
    assert bodies[0][1] == "ml"
    assert json.loads(bodies[0][2])["id"] == "event-1"


class Flaky:
    """A target that fails ``failures`` times, then succeeds; records when it was called."""

    def __init__(self, clock, failures, retryable=True):
        self.clock, self.failures, self.retryable, self.calls = clock, failures, retryable, []

    def invoke(self, invocation):
        self.calls.append(self.clock.time())
        if len(self.calls) <= self.failures:
            raise DeliveryFailure("THROTTLING", "Rate exceeded", self.retryable)


def flaky_bridge(failures, retry_policy=None, retryable=True):
    invokers = Invokers(client=client)
    url, dlq = queue("dlq")
    target = {"Id": "f", "Arn": FUNCTION_ARN, "DeadLetterConfig": {"Arn": dlq}}
    if retry_policy:
        target["RetryPolicy"] = retry_policy
    eb = bridge_to(target, invokers)
    flaky = Flaky(eb.timers.clock, failures, retryable)
    invokers.register("lambda", flaky)
    return eb, flaky, url


def test_failing_target_retried_with_backoff_then_succeeds(aws):
    eb, flaky, dlq_url = flaky_bridge(failures=3)
    eb.put_events(Entries=[ENTRY])
    assert len(flaky.calls) == 1  # the first attempt is immediate; retries wait on the clock
    eb.timers.advance(60)
    assert len(flaky.calls) == 4
    waits = [b - a for a, b in zip(flaky.calls, flaky.calls[1:], strict=False)]
    assert 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2 and 2 <= waits[2] <= 4  # exponential, with jitter
    assert receive(dlq_url) == [] and eb.deliverer.failures == []


def test_retries_exhausted_then_dead_lettered_with_attributes(aws):
    eb, flaky, dlq_url = flaky_bridge(failures=100, retry_policy={"MaximumRetryAttempts": 2})
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(3600)
    assert len(flaky.calls) == 3
    [message] = receive(dlq_url)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {
        "RULE_ARN": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r",
        "TARGET_ARN": FUNCTION_ARN,
        "ERROR_CODE": "THROTTLING",
        "ERROR_MESSAGE": "Rate exceeded",
        "RETRY_ATTEMPTS": "2",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    assert json.loads(message["Body"])["id"] == "event-1"
    assert eb.deliverer.failures[0]["DeadLettered"] is True


def test_event_age_limit_stops_retries(aws):
    eb, flaky, dlq_url = flaky_bridge(failures=1000, retry_policy={"MaximumEventAgeInSeconds": 60})
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(86400)
    assert 60 - 64 < flaky.calls[-1] - flaky.calls[0] <= 60
    [message] = receive(dlq_url)
    assert message["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumEventAgeInSeconds"


def test_default_policy_retries_for_a_day_in_virtual_time(aws):
    eb, flaky, dlq_url = flaky_bridge(failures=10_000)
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(2 * 86400)
    assert 100 < len(flaky.calls) <= 186
    assert flaky.calls[-1] - flaky.calls[0] <= 86400
    assert len(receive(dlq_url)) == 1


def test_non_retryable_failure_goes_straight_to_dlq(aws):
    eb, flaky, dlq_url = flaky_bridge(failures=1, retryable=False)
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(3600)
    assert len(flaky.calls) == 1
    [message] = receive(dlq_url)
    assert message["MessageAttributes"]["RETRY_ATTEMPTS"]["StringValue"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in message["MessageAttributes"]


def test_missing_queue_is_not_retried_and_failure_is_visible(aws):
    eb = bridge_to({"Id": "q", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:missing"})
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(3600)
    [failure] = eb.deliverer.failures
    assert failure["Attributes"]["ERROR_CODE"] == "RESOURCE_NOT_FOUND"
    assert failure["DeadLettered"] is False


@pytest.mark.parametrize(("code", "expected", "retryable"), [
    ("ResourceNotFoundException", "RESOURCE_NOT_FOUND", False),
    ("QueueDoesNotExist", "RESOURCE_NOT_FOUND", False),
    ("AWS.SimpleQueueService.NonExistentQueue", "RESOURCE_NOT_FOUND", False),
    ("NotFoundException", "RESOURCE_NOT_FOUND", False),
    ("StateMachineDoesNotExist", "RESOURCE_NOT_FOUND", False),  # Step Functions' missing state machine
    ("ExecutionDoesNotExist", "RESOURCE_NOT_FOUND", False),
    ("ActivityDoesNotExist", "RESOURCE_NOT_FOUND", False),
    ("AccessDeniedException", "NO_PERMISSIONS", False),
    ("UnauthorizedOperation", "NO_PERMISSIONS", False),
    ("AuthorizationError", "NO_PERMISSIONS", False),
    ("ThrottlingException", "THROTTLING", True),
    ("Throttling", "THROTTLING", True),
    ("TooManyRequestsException", "THROTTLING", True),
    ("ServiceUnavailable", "SDK_CLIENT_ERROR", True),
    ("InternalFailure", "SDK_CLIENT_ERROR", True),
    ("StateMachineDeleting", "SDK_CLIENT_ERROR", True),
])
def test_client_errors_map_to_delivery_error_codes(code, expected, retryable):
    from botocore.exceptions import ClientError

    from asl_engine.eventbridge.invokers import client_failure

    failure = client_failure(ClientError({"Error": {"Code": code, "Message": "it says why"}}, "Call"))
    assert (failure.code, failure.retryable) == (expected, retryable)
    assert failure.message == ("it says why" if expected in ("RESOURCE_NOT_FOUND", "NO_PERMISSIONS", "THROTTLING")
                               else f"{code}: it says why")


class MissingMachines:
    """A Step Functions engine that knows no state machine, refusing as the service does (a ClientError)."""

    def __init__(self):
        self.calls = 0

    def start_execution(self, state_machine_arn, input_json, name=None):
        from botocore.exceptions import ClientError

        self.calls += 1
        raise ClientError({"Error": {"Code": "StateMachineDoesNotExist",
                                     "Message": f"State Machine Does Not Exist: '{state_machine_arn}'"}},
                          "StartExecution")


def test_a_missing_state_machine_is_not_retried_and_goes_straight_to_the_dlq(aws):
    machines = MissingMachines()
    url, dlq = queue("dlq")
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:gone"
    eb = bridge_to({"Id": "sfn", "Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/r",
                    "DeadLetterConfig": {"Arn": dlq}}, Invokers(client=client, state_machines=machines))
    eb.put_events(Entries=[ENTRY])
    eb.timers.advance(3600)
    assert machines.calls == 1
    [message] = receive(url)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {"RULE_ARN": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r", "TARGET_ARN": arn,
                          "ERROR_CODE": "RESOURCE_NOT_FOUND", "ERROR_MESSAGE": f"State Machine Does Not Exist: '{arn}'",
                          "RETRY_ATTEMPTS": "0"}
