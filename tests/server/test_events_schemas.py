"""The schema registry on asl serve (restJson1): registries, versioned schemas, content checks, discovery."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.conftest import Server
from tests.server.helpers import eventually
from tests.server.test_events_api import refused, unique

OPENAPI = json.dumps({"openapi": "3.0.0", "info": {"title": "Order", "version": "1.0.0"}, "paths": {},
                      "components": {"schemas": {"Order": {"type": "object"}}}})
DRAFT4 = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                     "properties": {"id": {"type": "string"}}})


@pytest.fixture
def schemas(server: Server) -> Any:
    return server.client("schemas")


def test_registry_crud(schemas) -> None:
    name = unique("registry")
    created = schemas.create_registry(RegistryName=name, Description="mine", Tags={"t": "1"})
    assert created["RegistryArn"] == f"arn:aws:schemas:us-east-1:123456789012:registry/{name}"
    assert schemas.describe_registry(RegistryName=name)["Description"] == "mine"
    schemas.update_registry(RegistryName=name, Description="ours")
    assert schemas.describe_registry(RegistryName=name)["Description"] == "ours"
    assert [r["RegistryName"] for r in schemas.list_registries(RegistryNamePrefix=name)["Registries"]] == [name]
    assert "aws.events" in [r["RegistryName"] for r in schemas.list_registries(Scope="AWS")["Registries"]]
    refused(lambda: schemas.create_registry(RegistryName=name), "ConflictException", 409)
    schemas.delete_registry(RegistryName=name)
    refused(lambda: schemas.describe_registry(RegistryName=name), "NotFoundException", 404)


def test_schema_versions(schemas) -> None:
    registry, name = unique("registry"), "Order"
    schemas.create_registry(RegistryName=registry)
    created = schemas.create_schema(RegistryName=registry, SchemaName=name, Type="OpenApi3", Content=OPENAPI)
    assert (created["SchemaVersion"], created["Type"]) == ("1", "OpenApi3")
    updated = schemas.update_schema(RegistryName=registry, SchemaName=name, Type="JSONSchemaDraft4", Content=DRAFT4)
    assert updated["SchemaVersion"] == "2"
    assert schemas.update_schema(RegistryName=registry, SchemaName=name, Description="d")["SchemaVersion"] == "2"
    assert json.loads(schemas.describe_schema(RegistryName=registry, SchemaName=name)["Content"]) == json.loads(DRAFT4)
    first = schemas.describe_schema(RegistryName=registry, SchemaName=name, SchemaVersion="1")
    assert (first["Type"], first["Content"]) == ("OpenApi3", OPENAPI)
    versions = schemas.list_schema_versions(RegistryName=registry, SchemaName=name)["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1", "2"]
    listed = schemas.list_schemas(RegistryName=registry)["Schemas"]
    assert [(s["SchemaName"], s["VersionCount"]) for s in listed] == [(name, 2)]
    assert [s["SchemaName"] for s in schemas.search_schemas(RegistryName=registry, Keywords="ord")["Schemas"]] == [name]
    schemas.delete_schema_version(RegistryName=registry, SchemaName=name, SchemaVersion="1")
    refused(lambda: schemas.describe_schema(RegistryName=registry, SchemaName=name, SchemaVersion="1"),
            "NotFoundException", 404)
    schemas.delete_schema(RegistryName=registry, SchemaName=name)
    assert schemas.list_schemas(RegistryName=registry)["Schemas"] == []


def test_bad_content_is_refused_and_nothing_changes(schemas) -> None:
    registry = unique("registry")
    schemas.create_registry(RegistryName=registry)
    schemas.create_schema(RegistryName=registry, SchemaName="S", Type="OpenApi3", Content=OPENAPI)
    refused(lambda: schemas.update_schema(RegistryName=registry, SchemaName="S", Content="{not json"),
            "BadRequestException")
    refused(lambda: schemas.update_schema(RegistryName=registry, SchemaName="S", Content='{"openapi": "2.0"}'),
            "BadRequestException")
    refused(lambda: schemas.create_schema(RegistryName=registry, SchemaName="T", Type="JSONSchemaDraft4",
                                          Content='{"type": 5}'), "BadRequestException")
    refused(lambda: schemas.create_schema(RegistryName=registry, SchemaName="S", Type="OpenApi3", Content=OPENAPI),
            "ConflictException", 409)
    refused(lambda: schemas.create_schema(RegistryName=unique("missing"), SchemaName="S", Type="OpenApi3",
                                          Content=OPENAPI), "NotFoundException", 404)
    assert [v["SchemaVersion"] for v in schemas.list_schema_versions(RegistryName=registry, SchemaName="S")
            ["SchemaVersions"]] == ["1"]
    assert [s["SchemaName"] for s in schemas.list_schemas(RegistryName=registry)["Schemas"]] == ["S"]


def test_discovery_on_a_bus(server: Server, schemas) -> None:
    events = server.client("events")
    bus = unique("discovered")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    discoverer = schemas.create_discoverer(SourceArn=bus_arn, Description="watch")
    assert (discoverer["DiscovererId"], discoverer["State"]) == (f"events-event-bus-{bus}", "STARTED")
    refused(lambda: schemas.create_discoverer(SourceArn=bus_arn), "ConflictException", 409)
    source = unique("shop")
    name = f"{source}@OrderPlaced"

    def put(detail: dict) -> None:
        events.put_events(Entries=[{"EventBusName": bus, "Source": source, "DetailType": "Order Placed",
                                    "Detail": json.dumps(detail)}])

    put({"id": "o-1", "total": 9.5, "customer": {"name": "Ann"}})
    described = eventually(lambda: _schema(schemas, name))
    document = json.loads(described["Content"])
    assert (described["Type"], described["SchemaVersion"]) == ("OpenApi3", "1")
    components = document["components"]["schemas"]
    assert components["AWSEvent"]["properties"]["detail"] == {"$ref": "#/components/schemas/OrderPlaced"}
    assert components["AWSEvent"]["x-amazon-events-source"] == source
    assert components["OrderPlaced"]["properties"]["total"] == {"type": "number"}
    assert components["OrderPlaced"]["properties"]["customer"] == {"$ref": "#/components/schemas/Customer"}
    put({"id": "o-2", "total": 1, "customer": {"name": "Bo"}})
    assert _schema(schemas, name)["SchemaVersion"] == "1"  # same shape: no new version
    put({"id": "o-3", "coupon": "X"})
    grown = json.loads(eventually(lambda: (s := _schema(schemas, name)) and s["SchemaVersion"] == "2" and s)["Content"])
    order = grown["components"]["schemas"]["OrderPlaced"]
    assert "coupon" in order["properties"] and order["required"] == ["id"]
    schemas.stop_discoverer(DiscovererId=discoverer["DiscovererId"])
    put({"id": "o-4", "extra": True})
    assert _schema(schemas, name)["SchemaVersion"] == "2"
    schemas.delete_discoverer(DiscovererId=discoverer["DiscovererId"])
    refused(lambda: schemas.describe_discoverer(DiscovererId=discoverer["DiscovererId"]), "NotFoundException", 404)


def test_get_discovered_schema(schemas) -> None:
    event = json.dumps({"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
                        "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
                        "resources": [], "detail": {}})
    document = json.loads(schemas.get_discovered_schema(Events=[event], Type="OpenApi3")["Content"])
    assert document["info"]["title"] == "ScheduledEvent"
    assert document["components"]["schemas"]["AWSEvent"]["properties"]["time"] == {"type": "string",
                                                                                    "format": "date-time"}
    draft4 = json.loads(schemas.get_discovered_schema(Events=[event], Type="JSONSchemaDraft4")["Content"])
    assert draft4["properties"]["detail"] == {"$ref": "#/definitions/ScheduledEvent"}
    refused(lambda: schemas.get_discovered_schema(Events=["[1]"], Type="OpenApi3"), "BadRequestException")


def _schema(schemas: Any, name: str) -> dict | None:
    found = schemas.list_schemas(RegistryName="discovered-schemas", SchemaNamePrefix=name)["Schemas"]
    return schemas.describe_schema(RegistryName="discovered-schemas", SchemaName=name) if found else None
