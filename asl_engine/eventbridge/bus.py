"""An event bus: its rules, and the one compiled matcher that finds which of them an event matches.

Only enabled rules with an event pattern are in the matcher, so PutEvents
never looks at disabled or schedule-only rules; every change to a rule
(PutRule, DeleteRule, EnableRule, DisableRule) goes through ``set_rule`` /
``drop_rule`` to keep the matcher in step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .patterns import EventMatcher
from .rules import Rule


@dataclass(eq=False)
class EventBus:
    name: str
    arn: str
    created: datetime
    description: str | None = None
    rules: dict[str, Rule] = field(default_factory=dict)
    matcher: EventMatcher = field(default_factory=EventMatcher)

    def set_rule(self, rule: Rule) -> None:
        """Adds or replaces a rule (its pattern is already compiled)."""
        self.drop_rule(rule.name)
        self.rules[rule.name] = rule
        self.sync(rule)

    def sync(self, rule: Rule) -> None:
        """Puts the rule in the matcher or takes it out, as its state and pattern say."""
        if rule.pattern is not None and rule.enabled:
            self.matcher.add_rule(rule.name, rule.pattern)
        elif rule.name in self.matcher:
            self.matcher.remove_rule(rule.name)

    def drop_rule(self, name: str) -> Rule | None:
        rule = self.rules.pop(name, None)
        if name in self.matcher:
            self.matcher.remove_rule(name)
        if rule is not None and rule.timer is not None:
            rule.timer.cancel()
        return rule

    def matching(self, event: Mapping[str, Any]) -> Iterator[Rule]:
        """The enabled rules whose pattern matches ``event``, in the order they were created."""
        names = self.matcher.matching_rules(event)
        return (rule for name, rule in self.rules.items() if name in names)

    def describe(self) -> dict[str, Any]:
        fields = {
            "Name": self.name,
            "Arn": self.arn,
            "Description": self.description,
            "CreationTime": self.created,
            "LastModifiedTime": self.created,  # nothing here modifies a bus
        }
        return {k: v for k, v in fields.items() if v is not None}
