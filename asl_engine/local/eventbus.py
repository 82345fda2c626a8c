"""The template's EventBridge wiring on the in-process EventBridge service, Scheduler and schema registry.

Buses, rules with their targets (input transformers, retry policies and
dead-letter queues as written), archives, ScheduleV2 schedules, schema
registries, schemas and discoverers are created through the services' own
API operations (the classes ``asl serve`` answers with), so a template that
AWS would refuse (a bad pattern, too many targets) is refused here too.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.scheduler import Scheduler
from asl_engine.eventbridge.schemas.service import Schemas
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.local.hooks import Answer
from asl_engine.sam.application import Application
from asl_engine.sam.model import TemplateError


def answer_with(bridge: Any) -> Answer:
    """EventBridge (or Scheduler) API calls from boto3 clients answered by the in-process service,
    refusals as the ClientError AWS would return."""

    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return getattr(bridge, xform_name(operation))(**params)
        except EventBridgeError as exc:
            raise ClientError({"Error": {"Code": exc.code, "Message": exc.message},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, operation) from None

    return answer


def seeded_ids(seed: int) -> Any:
    """Event and schedule ids from a seeded generator: a virtual-clock run shows the same ids every time."""
    rng = random.Random(seed)
    return lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))


def deploy_events(app: Application, timers: Timers, invokers: Invokers, *, seed: int = 7) -> tuple[
        EventBridge, Scheduler]:
    region, account = app.resolver.naming.region, app.resolver.naming.account
    bridge = EventBridge(account=account, region=region, timers=timers, invokers=invokers, ids=seeded_ids(seed),
                         rng=random.Random(seed))
    scheduler = Scheduler(bridge.deliverer, account=account, region=region, timers=timers, rng=random.Random(seed),
                          ids=seeded_ids(seed + 1))
    create_events(app, bridge, scheduler)
    return bridge, scheduler


def create_events(app: Application, bridge: EventBridge, scheduler: Scheduler) -> None:
    """The template's buses, rules with their targets, archives and ScheduleV2 schedules, created on services
    that already run (the local stack's, or a region of ``asl serve``'s), so both deploy a template alike;
    TemplateError names the resource the service refused and why."""
    for bus in app.buses:
        _create(f"event bus {bus}", bridge.create_event_bus, Name=bus)
    for rule in app.rules:
        _create(f"rule {rule.name}", bridge.put_rule, **rule.rule)
        _create(f"rule {rule.name}", bridge.put_targets, Rule=rule.name, EventBusName=rule.rule["EventBusName"],
                Targets=rule.targets)
    for archive in app.archives:
        _create(f"archive {archive.request['ArchiveName']}", bridge.create_archive, **archive.request)
    for schedule in app.schedules:
        _create(f"schedule {schedule.request['Name']}", scheduler.create_schedule, **schedule.request)


def _create(what: str, operation: Callable[..., Any], **request: Any) -> Any:
    try:
        return operation(**request)
    except EventBridgeError as exc:
        raise TemplateError(f"{what}: {exc.code}: {exc.message}") from None


# CloudFormation's properties of each EventSchemas type that its Create* request takes, in creation order
_SCHEMA_TYPES = {
    "AWS::EventSchemas::Registry": ("create_registry", ("RegistryName", "Description")),
    "AWS::EventSchemas::Schema": ("create_schema", ("RegistryName", "SchemaName", "Type", "Content", "Description")),
    "AWS::EventSchemas::Discoverer": ("create_discoverer", ("SourceArn", "Description", "CrossAccount")),
}


def deploy_schemas(app: Application, bridge: EventBridge, now: Callable[[], datetime]) -> Schemas:
    """The template's registries, schemas and discoverers; a started discoverer records the schema of every
    event its bus accepts, as ``asl serve``'s does."""
    schemas = Schemas(account=app.resolver.naming.account, region=app.resolver.naming.region, now=now)
    create_schemas(app, schemas)
    bridge.observers.append(schemas.observe)
    return schemas


def create_schemas(app: Application, schemas: Schemas) -> None:
    """The template's registries, schemas and discoverers on a running Schemas service.  Tags are a list in
    CloudFormation, a map in the API."""
    for kind, (operation, keys) in _SCHEMA_TYPES.items():
        for resource in app.resources.values():
            if resource.type == kind:
                props = resource.properties
                request = {k: props[k] for k in keys if k in props}
                if props.get("Tags"):
                    request["Tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
                _create(f"{resource.logical_id} ({kind})", getattr(schemas, operation), **request)
