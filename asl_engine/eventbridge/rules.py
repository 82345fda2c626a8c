"""Rules: PutRule's checks and the rule as DescribeRule and ListRules show it.

A rule is replaced whole by PutRule (AWS does not keep omitted fields, only
the targets), so a Rule is rebuilt from each request and the old one's
targets carried over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .arns import rule_arn
from .errors import ValidationError
from .firing import FireTimes
from .patterns import CompiledPattern, compile_pattern
from .schedule import parse_rule_schedule
from .targets import Target
from .timers import Timer

ENABLED, DISABLED = "ENABLED", "DISABLED"


@dataclass(eq=False)
class Rule:
    name: str
    arn: str
    bus: str
    account: str
    state: str
    event_pattern: str | None = None
    pattern: CompiledPattern | None = None
    schedule_expression: str | None = None
    fire_times: FireTimes | None = None  # a scheduled rule's; rates count from the rule's creation
    description: str | None = None
    role_arn: str | None = None
    targets: dict[str, Target] = field(default_factory=dict)
    timer: Timer | None = None  # the next firing of a scheduled rule

    @property
    def enabled(self) -> bool:
        return self.state != DISABLED

    def describe(self) -> dict[str, Any]:
        """The rule as ListRules lists it (DescribeRule adds CreatedBy)."""
        fields = {
            "Name": self.name,
            "Arn": self.arn,
            "EventPattern": self.event_pattern,
            "State": self.state,
            "Description": self.description,
            "ScheduleExpression": self.schedule_expression,
            "RoleArn": self.role_arn,
            "EventBusName": self.bus,
        }
        return {k: v for k, v in fields.items() if v is not None}


def build_rule(request: Mapping[str, Any], bus: str, region: str, account: str, now: datetime) -> Rule:
    """A Rule from a PutRule request; ValidationError / InvalidEventPatternError as AWS refuses it."""
    pattern_text = request.get("EventPattern")
    expression = request.get("ScheduleExpression")
    if not pattern_text and not expression:
        raise ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    name = request["Name"]
    schedule = parse_rule_schedule(expression, bus) if expression else None
    return Rule(
        name=name,
        arn=rule_arn(region, account, bus, name),
        bus=bus,
        account=account,
        state=request.get("State") or ENABLED,
        event_pattern=pattern_text or None,
        pattern=compile_pattern(pattern_text) if pattern_text else None,
        schedule_expression=expression or None,
        fire_times=FireTimes(schedule, anchor=now) if schedule else None,
        description=request.get("Description"),
        role_arn=request.get("RoleArn"),
    )
