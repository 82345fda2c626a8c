"""EventBridge ARNs and the names inside them.

APIs take a bus, rule or archive by name or by ARN interchangeably, and
rule ARNs differ by bus (``rule/NAME`` on the default bus,
``rule/BUS/NAME`` elsewhere); keeping that in one place keeps every
operation's answer consistent.
"""

from __future__ import annotations

DEFAULT_BUS = "default"


def events_arn(region: str, account: str, resource: str) -> str:
    """``arn:aws:events:REGION:ACCOUNT:RESOURCE``."""
    return f"arn:aws:events:{region}:{account}:{resource}"


def rule_arn(region: str, account: str, bus: str, name: str) -> str:
    """A rule's ARN: the bus name appears only for custom buses, as AWS writes it."""
    return events_arn(region, account, f"rule/{name}" if bus == DEFAULT_BUS else f"rule/{bus}/{name}")


def bus_name(name_or_arn: str | None) -> str:
    """The bus a request names (``EventBusName`` is a name or an ARN; absent means default)."""
    if not name_or_arn:
        return DEFAULT_BUS
    marker = ":event-bus/"
    return name_or_arn.split(marker, 1)[1] if marker in name_or_arn else name_or_arn


def service(arn: str) -> str:
    """The service part of an ARN (``sqs`` in ``arn:aws:sqs:...``); empty when not an ARN."""
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 and parts[0] == "arn" else ""


def resource(arn: str) -> str:
    """Everything after ``arn:aws:SERVICE:REGION:ACCOUNT:``."""
    return arn.split(":", 5)[5]


def account(arn: str) -> str:
    """The account id in an ARN."""
    return arn.split(":", 5)[4]


def region(arn: str) -> str:
    """The region in an ARN."""
    return arn.split(":", 5)[3]
