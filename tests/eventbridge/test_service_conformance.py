"""The AWS-recorded inputs corpus end to end: PutRule, PutTargets and PutEvents on an EventBridge object.

The pure renderer is judged case by case in test_conformance_suites.py; this
runs the same cases through the service layer, so the envelope it builds, the
rule ARN and name it passes to the placeholders and its PutTargets checks are
held to what AWS delivered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl_engine.eventbridge.envelope import as_datetime
from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.runtime.clock import VirtualClock

from .conformance import case_files

CASES = case_files("inputs")


class Capture:
    def __init__(self) -> None:
        self.payloads: list[str] = []

    def invoke(self, invocation) -> None:
        self.payloads.append(invocation.payload)


@pytest.mark.skipif(not CASES, reason="../shared/conformance/events/inputs is not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_through_the_service(path: Path) -> None:
    case = json.loads(path.read_text())
    context = case["context"]
    event = case["event"]
    capture = Capture()
    invokers = Invokers()
    invokers.register("lambda", capture)
    eb = EventBridge(
        account=context["account"],
        region=context["region"],
        timers=Timers(VirtualClock(as_datetime(context["ingestion_time"]))),
        invokers=invokers,
        ids=lambda: event["id"],
    )
    bus = context["event_bus_name"]
    eb.create_event_bus(Name=bus)
    rule_arn = eb.put_rule(
        Name=context["rule_name"], EventBusName=bus, EventPattern=json.dumps(case["rule"]["event_pattern"])
    )
    assert rule_arn["RuleArn"] == context["rule_arn"]
    target = {**case["target"], "Arn": f"arn:aws:lambda:{context['region']}:{context['account']}:function:f"}
    if case["expected"] == "error":
        with pytest.raises(EventBridgeError) as info:
            eb.put_targets(Rule=context["rule_name"], EventBusName=bus, Targets=[target])
        assert (info.value.code, info.value.message) == (case["error_code"], case["error_message"])
        return
    eb.put_targets(Rule=context["rule_name"], EventBusName=bus, Targets=[target])
    # The recorded event's time is the ingestion time (the corpus normalised the entries' own Time).
    entry = {k: v for k, v in case["put_events_entry"].items() if k != "Time"}
    eb.put_events(Entries=[{**entry, "EventBusName": bus}])
    [payload] = capture.payloads
    if "expected_payload_json" in case:
        assert json.loads(payload) == case["expected_payload_json"]
    else:
        assert payload == case["expected_payload_text"]
