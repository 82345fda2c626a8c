"""EventBridge for one account and region, as a Python object with the Events API's operations.

Each method is one API operation: keyword arguments and the returned dict
have the PascalCase keys of the AWS JSON API (what boto3 sends and
receives), each request is first checked against botocore's ``events``
model, and refusals raise EventBridgeError with AWS's code and message. An
HTTP front end only has to map an operation name to a method.

Time, ids and randomness are injected (``timers`` on a Clock, ``ids``,
``rng``) so that schedules, retries and replays run deterministically under
a VirtualClock.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from asl_engine import isotime

from . import arns
from .archive import Archives, ArchiveStore
from .bus import EventBus
from .delivery import Deliverer
from .envelope import SIZE_LIMIT, build_event, check_size, entry_error, scheduled_event
from .errors import LimitExceededError, ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError
from .invokers import Invokers
from .paging import page
from .patterns import test_event_pattern
from .rules import DISABLED, ENABLED, Rule, build_rule
from .shapes import operation
from .targets import TARGETS_PER_RULE, parse_target
from .timers import Timers
from .transform import DeliveryContext

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
BUSES_PER_ACCOUNT = 100
RULES_PER_BUS = 300
LIMIT_EXCEEDED = "The requested resource exceeds the maximum number allowed."


class EventBridge:
    """Buses, rules, targets, PutEvents, archives and replays of one account and region."""

    def __init__(
        self,
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        timers: Timers | None = None,
        invokers: Invokers | None = None,
        ids: Callable[[], str] | None = None,
        rng: random.Random | None = None,
        archive_path: str = ":memory:",
        archive_store: ArchiveStore | None = None,
        size_limit: int = SIZE_LIMIT,
        peers: dict[tuple[str, str], EventBridge] | None = None,
    ) -> None:
        self.account = account
        self.region = region
        self.timers = timers or Timers()
        self.invokers = invokers or Invokers()
        self._ids = ids or (lambda: str(uuid.uuid4()))
        self._size_limit = size_limit
        self._peers = peers if peers is not None else {}
        self._peers[(account, region)] = self
        self.invokers.connect_buses(self._resolve_bus)
        self.deliverer = Deliverer(self.invokers.invoke, self.timers, self.invokers.send_dead_letter, rng)
        self.buses: dict[str, EventBus] = {}
        self.observers: list[Callable[[str, dict[str, Any]], object]] = []
        """Called with (bus ARN, event) for each event a bus accepts (schema discovery watches buses so)."""
        self._add_bus("default", None)
        self.archives = Archives(
            archive_store or ArchiveStore(archive_path),  # an open store: asl serve's, shared with its journal
            region=region,
            account=account,
            timers=self.timers,
            bus_exists=lambda name: name in self.buses,
            replay=self._replay_event,
        )

    # -- event buses -------------------------------------------------------------------
    def _add_bus(self, name: str, description: str | None) -> EventBus:
        arn = arns.events_arn(self.region, self.account, f"event-bus/{name}")
        bus = self.buses[name] = EventBus(name, arn, self.timers.now(), description)
        return bus

    def _bus(self, name_or_arn: str | None) -> EventBus:
        name = arns.bus_name(name_or_arn)
        bus = self.buses.get(name)
        if bus is None:
            raise ResourceNotFoundError(f"Event bus {name} does not exist.")
        return bus

    @operation("CreateEventBus")
    def create_event_bus(self, **request: Any) -> dict[str, Any]:
        """A custom bus; partner buses (EventSourceName) are refused as having no event source."""
        name = request["Name"]
        if request.get("EventSourceName"):
            raise ResourceNotFoundError(f"Event source {request['EventSourceName']} does not exist.")
        if "/" in name:
            raise ValidationError("Event bus name must not contain '/'.")
        if name in self.buses:
            raise ResourceAlreadyExistsError(f"Event bus {name} already exists.")
        if len(self.buses) >= BUSES_PER_ACCOUNT:  # the default bus counts
            raise LimitExceededError(LIMIT_EXCEEDED)
        bus = self._add_bus(name, request.get("Description"))
        return {k: v for k, v in {"EventBusArn": bus.arn, "Description": bus.description}.items() if v}

    @operation("DescribeEventBus")
    def describe_event_bus(self, **request: Any) -> dict[str, Any]:
        return self._bus(request.get("Name")).describe()

    @operation("ListEventBuses")
    def list_event_buses(self, **request: Any) -> dict[str, Any]:
        prefix = request.get("NamePrefix") or ""
        buses = [b.describe() for name, b in sorted(self.buses.items()) if name.startswith(prefix)]
        items, token = page(buses, request.get("NextToken"), request.get("Limit"))
        return _with_token({"EventBuses": items}, token)

    @operation("DeleteEventBus")
    def delete_event_bus(self, **request: Any) -> dict[str, Any]:
        """Deletes a custom bus and its rules; a bus that does not exist is no error (as on AWS)."""
        name = request["Name"]
        if name == arns.DEFAULT_BUS:
            raise ValidationError("Cannot delete event bus default.")
        bus = self.buses.pop(name, None)
        for rule_name in list(bus.rules if bus else ()):
            bus.drop_rule(rule_name)  # type: ignore[union-attr]
        return {}

    # -- rules -------------------------------------------------------------------------
    def _rule(self, name: str, bus_name: str | None) -> tuple[EventBus, Rule]:
        bus = self._bus(bus_name)
        rule = bus.rules.get(name)
        if rule is None:
            raise ResourceNotFoundError(f"Rule {name} does not exist on EventBus {bus.name}.")
        return bus, rule

    @operation("PutRule")
    def put_rule(self, **request: Any) -> dict[str, Any]:
        """Creates or wholly replaces a rule (omitted fields are cleared, targets kept) and (re)arms its schedule."""
        name = arns.bus_name(request.get("EventBusName"))
        rule = build_rule(request, name, self.region, self.account, self.timers.now())
        bus = self._bus(name)
        old = bus.rules.get(rule.name)
        if old is None and len(bus.rules) >= RULES_PER_BUS:
            raise LimitExceededError(LIMIT_EXCEEDED)
        if old is not None:
            rule.targets = old.targets
        bus.set_rule(rule)
        self._arm(rule)
        return {"RuleArn": rule.arn}

    @operation("DescribeRule")
    def describe_rule(self, **request: Any) -> dict[str, Any]:
        _, rule = self._rule(request["Name"], request.get("EventBusName"))
        return {**rule.describe(), "CreatedBy": rule.account}

    @operation("ListRules")
    def list_rules(self, **request: Any) -> dict[str, Any]:
        bus = self._bus(request.get("EventBusName"))
        prefix = request.get("NamePrefix") or ""
        rules = [r.describe() for name, r in sorted(bus.rules.items()) if name.startswith(prefix)]
        items, token = page(rules, request.get("NextToken"), request.get("Limit"))
        return _with_token({"Rules": items}, token)

    @operation("DeleteRule")
    def delete_rule(self, **request: Any) -> dict[str, Any]:
        """Refused while the rule has targets unless Force; a rule that does not exist is no error."""
        bus = self.buses.get(arns.bus_name(request.get("EventBusName")))
        rule = bus.rules.get(request["Name"]) if bus else None
        if rule is None:
            return {}  # AWS: deleting a rule that is not there succeeds
        if rule.targets and not request.get("Force"):
            raise ValidationError("Rule can't be deleted since it has targets.")
        bus.drop_rule(rule.name)  # type: ignore[union-attr]
        return {}

    @operation("EnableRule")
    def enable_rule(self, **request: Any) -> dict[str, Any]:
        return self._set_state(request, ENABLED)

    @operation("DisableRule")
    def disable_rule(self, **request: Any) -> dict[str, Any]:
        return self._set_state(request, DISABLED)

    def _set_state(self, request: Mapping[str, Any], state: str) -> dict[str, Any]:
        bus, rule = self._rule(request["Name"], request.get("EventBusName"))
        rule.state = state
        bus.sync(rule)
        self._arm(rule)
        return {}

    # -- targets -----------------------------------------------------------------------
    @operation("PutTargets")
    def put_targets(self, **request: Any) -> dict[str, Any]:
        """Adds or replaces targets by Id; AWS's 5-targets-per-rule quota applies to the result."""
        _, rule = self._rule(request["Rule"], request.get("EventBusName"))
        targets = [parse_target(spec) for spec in request["Targets"]]
        if len(rule.targets.keys() | {t.id for t in targets}) > TARGETS_PER_RULE:
            raise LimitExceededError(LIMIT_EXCEEDED)
        for target in targets:
            rule.targets[target.id] = target
        return {"FailedEntryCount": 0, "FailedEntries": []}

    @operation("RemoveTargets")
    def remove_targets(self, **request: Any) -> dict[str, Any]:
        """Ids that are not targets of the rule are ignored, as AWS does."""
        _, rule = self._rule(request["Rule"], request.get("EventBusName"))
        for target_id in request["Ids"]:
            rule.targets.pop(target_id, None)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    @operation("ListTargetsByRule")
    def list_targets_by_rule(self, **request: Any) -> dict[str, Any]:
        _, rule = self._rule(request["Rule"], request.get("EventBusName"))
        specs = [dict(t.spec) for t in rule.targets.values()]
        items, token = page(specs, request.get("NextToken"), request.get("Limit"))
        return _with_token({"Targets": items}, token)

    # -- events ------------------------------------------------------------------------
    @operation("PutEvents")
    def put_events(self, **request: Any) -> dict[str, Any]:
        """Builds each valid entry's event, archives it and delivers it to the matching rules' targets.

        Bad entries fail in place; the first delivery attempt runs now and retries wait on the clock.
        """
        entries = request["Entries"]
        check_size(entries, self._size_limit)
        results: list[dict[str, Any]] = []
        for entry in entries:
            error = entry_error(entry)
            if error is not None:
                results.append(error)
                continue
            event = build_event(
                entry, event_id=self._ids(), now=self.timers.now(), account=self.account, region=self.region
            )
            results.append({"EventId": event["id"]})
            bus = self.buses.get(arns.bus_name(entry.get("EventBusName")))
            if bus is not None:  # AWS accepts events for a bus that does not exist, and drops them
                self._dispatch(bus, event)
        failed = sum("ErrorCode" in r for r in results)
        return {"FailedEntryCount": failed, "Entries": results}

    @operation("TestEventPattern")
    def test_event_pattern(self, **request: Any) -> dict[str, Any]:
        return {"Result": test_event_pattern(request["EventPattern"], request["Event"])}

    def accept_event(self, bus_name: str, event: dict[str, Any]) -> None:
        """An event arriving from another bus (a bus target): matched and archived like a put one."""
        bus = self.buses.get(bus_name)
        if bus is None:
            raise ResourceNotFoundError(f"Event bus {bus_name} does not exist.")
        self._dispatch(bus, event)

    def _resolve_bus(self, arn: str) -> EventBridge | None:
        owner = self._peers.get((arns.account(arn), arns.region(arn)))
        return owner if owner is not None and arns.bus_name(arn) in owner.buses else None

    def _dispatch(self, bus: EventBus, event: dict[str, Any]) -> None:
        self.archives.record(bus.arn, event)
        for observe in self.observers:
            observe(bus.arn, event)
        for rule in bus.matching(event):
            self._deliver(rule, event)

    def _replay_event(self, bus_name: str, event: dict[str, Any], rule_arns: frozenset[str] | None) -> None:
        bus = self.buses.get(bus_name)
        if bus is None:
            return
        for rule in bus.matching(event):
            if rule_arns is None or rule.arn in rule_arns:
                self._deliver(rule, event)

    def _deliver(self, rule: Rule, event: dict[str, Any]) -> None:
        context = DeliveryContext(rule.arn, rule.name, isotime.seconds(self.timers.now()))
        targets = list(rule.targets.values())
        body = json.dumps(event) if any(t.dead_letter_arn for t in targets) else ""  # the dead-letter message
        for target in targets:
            self.deliverer.deliver(
                target.invocation(event, context),
                target.retry,
                target.dead_letter_arn,
                {"RULE_ARN": rule.arn, "TARGET_ARN": target.arn},
                body,
            )

    # -- scheduled rules ---------------------------------------------------------------
    def _arm(self, rule: Rule) -> None:
        """(Re)schedules the next firing of a scheduled rule; a disabled or deleted rule has none."""
        if rule.timer is not None:
            rule.timer.cancel()
            rule.timer = None
        if rule.fire_times is None or not rule.enabled:
            return
        due = rule.fire_times.next_after(self.timers.now())
        if due is not None:
            rule.timer = self.timers.call_at(due, lambda: self._fire_schedule(rule))

    def rearm(self) -> None:
        """Schedules every scheduled rule's next firing from now: after a restore, whose calls armed them at the
        instants they were first made, the firings that fell while the server was down are not made up."""
        for bus in self.buses.values():
            for rule in bus.rules.values():
                self._arm(rule)

    def _fire_schedule(self, rule: Rule) -> None:
        rule.timer = None
        event = scheduled_event(
            event_id=self._ids(), now=self.timers.now(), account=self.account, region=self.region, rule_arn=rule.arn
        )
        self._deliver(rule, event)
        if self.buses.get(rule.bus) is not None and self.buses[rule.bus].rules.get(rule.name) is rule:
            self._arm(rule)

    # -- archives and replays ------------------------------------------------------------
    @operation("CreateArchive")
    def create_archive(self, **request: Any) -> dict[str, Any]:
        return self.archives.create_archive(request)

    @operation("DescribeArchive")
    def describe_archive(self, **request: Any) -> dict[str, Any]:
        return self.archives.describe_archive(request["ArchiveName"])

    @operation("ListArchives")
    def list_archives(self, **request: Any) -> dict[str, Any]:
        return self.archives.list_archives(request)

    @operation("UpdateArchive")
    def update_archive(self, **request: Any) -> dict[str, Any]:
        return self.archives.update_archive(request)

    @operation("DeleteArchive")
    def delete_archive(self, **request: Any) -> dict[str, Any]:
        return self.archives.delete_archive(request["ArchiveName"])

    @operation("StartReplay")
    def start_replay(self, **request: Any) -> dict[str, Any]:
        """Starts replaying asynchronously (State STARTING); the replay advances as the clock runs."""
        return self.archives.start_replay(request)

    @operation("DescribeReplay")
    def describe_replay(self, **request: Any) -> dict[str, Any]:
        return self.archives.describe_replay(request["ReplayName"])

    @operation("ListReplays")
    def list_replays(self, **request: Any) -> dict[str, Any]:
        return self.archives.list_replays(request)

    @operation("CancelReplay")
    def cancel_replay(self, **request: Any) -> dict[str, Any]:
        return self.archives.cancel_replay(request["ReplayName"])


def _with_token(response: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        response["NextToken"] = token
    return response
