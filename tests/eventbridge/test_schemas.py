"""The schema registry without a server: content checks, discovery's inference and merging, the API object."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from asl_engine.eventbridge.schemas.content import check_content
from asl_engine.eventbridge.schemas.discovery import infer_openapi, merge, schema_name
from asl_engine.eventbridge.schemas.errors import BadRequestError, NotFoundError
from asl_engine.eventbridge.schemas.service import Schemas

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


def event(detail: dict, detail_type: str = "Order Placed", source: str = "shop") -> dict:
    return {"version": "0", "id": "e", "detail-type": detail_type, "source": source, "account": "123456789012",
            "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": detail}


def test_schema_names_follow_aws() -> None:
    assert schema_name(event({}, "Scheduled Event", "aws.events")) == "aws.events@ScheduledEvent"
    assert schema_name(event({}, "EC2 Instance State-change Notification", "aws.ec2")) == \
        "aws.ec2@EC2InstanceStateChangeNotification"


def test_inference_of_nested_objects_arrays_and_times() -> None:
    document = infer_openapi(event({"items": [{"sku": "a", "qty": 1}], "at": "2026-01-01T10:00:00Z", "ok": True,
                                    "note": None}))
    components = document["components"]["schemas"]
    root = components["AWSEvent"]
    assert root["required"] == ["detail-type", "resources", "detail", "id", "source", "time", "region", "version",
                                "account"]
    assert root["properties"]["resources"] == {"type": "array", "items": {"type": "object"}}
    detail = components["OrderPlaced"]
    assert detail["required"] == ["at", "items", "ok"]  # a null value is not required
    assert detail["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert detail["properties"]["items"] == {"type": "array", "items": {"$ref": "#/components/schemas/ItemsItem"}}
    assert components["ItemsItem"]["properties"] == {"sku": {"type": "string"}, "qty": {"type": "number"}}


def test_merge_keeps_every_field_and_requires_only_common_ones() -> None:
    merged = merge({"type": "object", "required": ["a", "b"], "properties": {"a": {}, "b": {}}},
                   {"type": "object", "required": ["a"], "properties": {"a": {}, "c": {}}})
    assert merged == {"type": "object", "required": ["a"], "properties": {"a": {}, "b": {}, "c": {}}}


@pytest.mark.parametrize(("content", "kind"), [
    ("[]", "OpenApi3"),
    ('{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {}}', "OpenApi3"),
    ('{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}}', "OpenApi3"),
    ('{"type": "nonsense"}', "JSONSchemaDraft4"),
    ("{", "JSONSchemaDraft4"),
])
def test_bad_content(content: str, kind: str) -> None:
    with pytest.raises(BadRequestError, match="Invalid Schema Content"):
        check_content(content, kind)


def test_observed_events_version_the_discovered_schema() -> None:
    schemas = Schemas(account="123456789012", region="us-east-1", now=lambda: NOW)
    schemas.observe(BUS, event({"a": 1}))  # no discoverer yet: nothing recorded
    assert "discovered-schemas" not in schemas.registries
    schemas.create_discoverer(SourceArn=BUS)
    schemas.observe(BUS, event({"a": 1}))
    schemas.observe(BUS, event({"a": 2}))
    schemas.observe("arn:aws:events:us-east-1:123456789012:event-bus/other", event({"z": 1}))
    schemas.observe(BUS, event({"a": 3, "b": "x"}))
    versions = schemas.list_schema_versions(RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced")
    assert [v["SchemaVersion"] for v in versions["SchemaVersions"]] == ["1", "2"]
    latest = json.loads(schemas.describe_schema(RegistryName="discovered-schemas",
                                                SchemaName="shop@OrderPlaced")["Content"])
    assert set(latest["components"]["schemas"]["OrderPlaced"]["properties"]) == {"a", "b"}
    with pytest.raises(NotFoundError):
        schemas.describe_schema(RegistryName="discovered-schemas", SchemaName="shop@Other")


def test_the_aws_registry_cannot_be_deleted() -> None:
    schemas = Schemas(account="123456789012", region="us-east-1", now=lambda: NOW)
    with pytest.raises(BadRequestError):
        schemas.delete_registry(RegistryName="aws.events")
