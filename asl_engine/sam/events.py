"""EventBridge wiring in the template: AWS::Events::Rule resources and the SAM event sources
(``EventBridgeRule``/``CloudWatchEvent``, ``Schedule``, ``ScheduleV2``) of functions and state machines,
as the PutRule/PutTargets and CreateSchedule requests SAM's transform would end up making."""

from __future__ import annotations

import json
from typing import Any

from asl_engine.sam.intrinsics import Resolver
from asl_engine.sam.model import Rule, Schedule

_TARGET_KEYS = ("Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig")


def _bus_name(value: Any) -> str:
    return str(value or "default").rsplit("/", 1)[-1]


def rule_resource(logical_id: str, props: dict[str, Any], resolver: Resolver) -> Rule:
    """An ``AWS::Events::Rule``: its targets are in PutTargets' shape already."""
    request: dict[str, Any] = {"Name": resolver.physical_name(logical_id),
                               "EventBusName": _bus_name(props.get("EventBusName")),
                               "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        request["EventPattern"] = json.dumps(props["EventPattern"])
    for key in ("ScheduleExpression", "Description", "RoleArn"):
        if key in props:
            request[key] = props[key]
    return Rule(request, [dict(t) for t in props.get("Targets") or []])


def source_rules(logical_id: str, kind: str, props: dict[str, Any], resolver: Resolver) -> tuple[
        list[Rule], list[Schedule]]:
    """The rules and schedules of one function's or state machine's ``Events``."""
    target_arn = resolver.arn(logical_id) if kind.endswith("Function") else resolver.ref(logical_id)
    suffix = "LambdaTarget" if kind.endswith("Function") else "StepFunctionsTarget"
    rules, schedules = [], []
    for event_id, event in (props.get("Events") or {}).items():
        spec = event.get("Properties") or {}
        name = spec.get("RuleName") or f"{logical_id}{event_id}"
        target = {"Id": (spec.get("Target") or {}).get("Id") or f"{logical_id}{event_id}{suffix}", "Arn": target_arn}
        target.update({k: spec[k] for k in _TARGET_KEYS if k in spec})
        if not kind.endswith("Function"):
            target["RoleArn"] = resolver.naming.arn("AWS::IAM::Role", f"{logical_id}{event_id}Role", {})
        if event["Type"] in ("EventBridgeRule", "CloudWatchEvent"):
            rules.append(Rule({"Name": name, "EventBusName": _bus_name(spec.get("EventBusName")),
                               "EventPattern": json.dumps(spec["Pattern"]), "State": spec.get("State", "ENABLED")},
                              [target]))
        elif event["Type"] == "Schedule":
            enabled = spec.get("Enabled", True) and spec.get("State", "ENABLED") == "ENABLED"
            rules.append(Rule({"Name": name, "ScheduleExpression": spec["Schedule"], "EventBusName": "default",
                               "State": "ENABLED" if enabled else "DISABLED"}, [target]))
        elif event["Type"] == "ScheduleV2":
            schedules.append(_schedule(spec, name, target, resolver))
    return rules, schedules


def _schedule(spec: dict[str, Any], name: str, target: dict[str, Any], resolver: Resolver) -> Schedule:
    request: dict[str, Any] = {
        "Name": spec.get("Name") or name,
        "ScheduleExpression": spec["ScheduleExpression"],
        "FlexibleTimeWindow": spec.get("FlexibleTimeWindow") or {"Mode": "OFF"},
        "State": spec.get("State", "ENABLED"),
        "Target": {"Arn": target["Arn"], "RoleArn": spec.get("RoleArn") or resolver.naming.arn(
            "AWS::IAM::Role", f"{name}Role", {})},
    }
    for key in ("ScheduleExpressionTimezone", "StartDate", "EndDate", "Description"):
        if key in spec:
            request[key] = spec[key]
    for key in ("Input", "RetryPolicy", "DeadLetterConfig"):
        if key in spec:
            request["Target"][key] = spec[key]
    return Schedule(request)
