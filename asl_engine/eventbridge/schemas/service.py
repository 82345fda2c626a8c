"""The Schemas API of one account and region: registries, versioned schemas, discoverers.

Every schema version keeps its content; UpdateSchema with new Content adds a
version, DescribeSchema reads the latest or a named one. A discoverer whose
source is a bus is told of each event that bus accepts (``observe``) and,
while STARTED, keeps ``discovered-schemas`` up to date with what it sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..paging import page
from ..shapes import operation
from .content import OPENAPI3, check_content
from .discovery import REGISTRY, discovered_content, infer_json_schema, infer_openapi, merge, schema_name
from .errors import BadRequestError, ConflictError, NotFoundError

AWS_REGISTRY = "aws.events"


@dataclass
class _Version:
    number: int
    content: str
    type: str
    created: datetime


@dataclass
class _Schema:
    name: str
    arn: str
    description: str | None
    tags: dict[str, str]
    versions: list[_Version] = field(default_factory=list)
    modified: datetime | None = None

    def latest(self) -> _Version:
        return self.versions[-1]

    def version(self, number: str | None) -> _Version | None:
        if number is None:
            return self.latest()
        return next((v for v in self.versions if str(v.number) == number), None)

    def describe(self, version: _Version) -> dict[str, Any]:
        out = {"Content": version.content, "Description": self.description, "LastModified": self.modified,
               "SchemaArn": self.arn, "SchemaName": self.name, "SchemaVersion": str(version.number),
               "Tags": self.tags, "Type": version.type, "VersionCreatedDate": version.created}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class _Registry:
    name: str
    arn: str
    description: str | None
    tags: dict[str, str]
    scope: str = "LOCAL"
    schemas: dict[str, _Schema] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        out = {"Description": self.description, "RegistryArn": self.arn, "RegistryName": self.name,
               "Tags": self.tags}
        return {k: v for k, v in out.items() if v is not None}


class Schemas:
    """Registries (``aws.events`` is there from the start), schemas and discoverers of one account and region."""

    def __init__(self, *, account: str, region: str, now: Callable[[], datetime]) -> None:
        self.account = account
        self.region = region
        self._now = now
        self.registries: dict[str, _Registry] = {}
        self.discoverers: dict[str, dict[str, Any]] = {}
        self._add_registry(AWS_REGISTRY, None, {}, scope="AWS")

    def _arn(self, resource: str) -> str:
        return f"arn:aws:schemas:{self.region}:{self.account}:{resource}"

    def _add_registry(self, name: str, description: str | None, tags: Mapping[str, str],
                      scope: str = "LOCAL") -> _Registry:
        registry = _Registry(name, self._arn(f"registry/{name}"), description, dict(tags), scope)
        self.registries[name] = registry
        return registry

    def _registry(self, name: str) -> _Registry:
        registry = self.registries.get(name)
        if registry is None:
            raise NotFoundError(f"Registry with name {name} does not exist.")
        return registry

    def _schema(self, registry: str, name: str) -> _Schema:
        schema = self._registry(registry).schemas.get(name)
        if schema is None:
            raise NotFoundError(f"Schema with name {name} does not exist in registry {registry}.")
        return schema

    # -- registries --------------------------------------------------------------------------
    @operation("CreateRegistry", "schemas")
    def create_registry(self, **request: Any) -> dict[str, Any]:
        name = request["RegistryName"]
        if name in self.registries:
            raise ConflictError(f"Registry with name {name} already exists.")
        return self._add_registry(name, request.get("Description"), request.get("Tags") or {}).describe()

    @operation("DescribeRegistry", "schemas")
    def describe_registry(self, **request: Any) -> dict[str, Any]:
        return self._registry(request["RegistryName"]).describe()

    @operation("ListRegistries", "schemas")
    def list_registries(self, **request: Any) -> dict[str, Any]:
        prefix, scope = request.get("RegistryNamePrefix") or "", request.get("Scope")
        summaries = [{"RegistryArn": r.arn, "RegistryName": r.name, "Tags": r.tags}
                     for name, r in sorted(self.registries.items())
                     if name.startswith(prefix) and scope in (None, r.scope)]
        return _paged("Registries", summaries, request)

    @operation("UpdateRegistry", "schemas")
    def update_registry(self, **request: Any) -> dict[str, Any]:
        registry = self._registry(request["RegistryName"])
        if "Description" in request:
            registry.description = request["Description"]
        return registry.describe()

    @operation("DeleteRegistry", "schemas")
    def delete_registry(self, **request: Any) -> dict[str, Any]:
        registry = self._registry(request["RegistryName"])
        if registry.scope == "AWS":
            raise BadRequestError(f"Registry {registry.name} is managed by AWS and cannot be deleted.")
        del self.registries[registry.name]
        return {}

    # -- schemas -----------------------------------------------------------------------------
    @operation("CreateSchema", "schemas")
    def create_schema(self, **request: Any) -> dict[str, Any]:
        registry = self._registry(request["RegistryName"])
        name = request["SchemaName"]
        if name in registry.schemas:
            raise ConflictError(f"Schema with name {name} already exists in registry {registry.name}.")
        check_content(request["Content"], request["Type"])
        schema = _Schema(name, self._arn(f"schema/{registry.name}/{name}"), request.get("Description"),
                         dict(request.get("Tags") or {}))
        self._add_version(schema, request["Content"], request["Type"])
        registry.schemas[name] = schema
        return {k: v for k, v in schema.describe(schema.latest()).items() if k != "Content"}

    def _add_version(self, schema: _Schema, content: str, schema_type: str) -> None:
        now = self._now()
        number = schema.versions[-1].number + 1 if schema.versions else 1
        schema.versions.append(_Version(number, content, schema_type, now))
        schema.modified = now

    @operation("DescribeSchema", "schemas")
    def describe_schema(self, **request: Any) -> dict[str, Any]:
        schema = self._schema(request["RegistryName"], request["SchemaName"])
        version = schema.version(request.get("SchemaVersion"))
        if version is None:
            raise NotFoundError(f"Schema version {request['SchemaVersion']} of {schema.name} does not exist.")
        return schema.describe(version)

    @operation("ListSchemas", "schemas")
    def list_schemas(self, **request: Any) -> dict[str, Any]:
        registry = self._registry(request["RegistryName"])
        prefix = request.get("SchemaNamePrefix") or ""
        summaries = [{"LastModified": s.modified, "SchemaArn": s.arn, "SchemaName": s.name, "Tags": s.tags,
                      "VersionCount": len(s.versions)}
                     for name, s in sorted(registry.schemas.items()) if name.startswith(prefix)]
        return _paged("Schemas", summaries, request)

    @operation("UpdateSchema", "schemas")
    def update_schema(self, **request: Any) -> dict[str, Any]:
        """New Content (or Type) adds a version; a Description alone changes the schema in place."""
        schema = self._schema(request["RegistryName"], request["SchemaName"])
        latest = schema.latest()
        content, schema_type = request.get("Content", latest.content), request.get("Type", latest.type)
        check_content(content, schema_type)
        if "Description" in request:
            schema.description = request["Description"]
            schema.modified = self._now()
        if (content, schema_type) != (latest.content, latest.type):
            self._add_version(schema, content, schema_type)
        return {k: v for k, v in schema.describe(schema.latest()).items() if k != "Content"}

    @operation("DeleteSchema", "schemas")
    def delete_schema(self, **request: Any) -> dict[str, Any]:
        schema = self._schema(request["RegistryName"], request["SchemaName"])
        del self.registries[request["RegistryName"]].schemas[schema.name]
        return {}

    @operation("ListSchemaVersions", "schemas")
    def list_schema_versions(self, **request: Any) -> dict[str, Any]:
        schema = self._schema(request["RegistryName"], request["SchemaName"])
        summaries = [{"SchemaArn": schema.arn, "SchemaName": schema.name, "SchemaVersion": str(v.number),
                      "Type": v.type} for v in schema.versions]
        return _paged("SchemaVersions", summaries, request)

    @operation("DeleteSchemaVersion", "schemas")
    def delete_schema_version(self, **request: Any) -> dict[str, Any]:
        """The latest version cannot go (the schema would have no current content); DeleteSchema removes all."""
        schema = self._schema(request["RegistryName"], request["SchemaName"])
        version = schema.version(request["SchemaVersion"])
        if version is None:
            raise NotFoundError(f"Schema version {request['SchemaVersion']} of {schema.name} does not exist.")
        if version is schema.latest():
            raise BadRequestError("The latest version of a schema cannot be deleted.")
        schema.versions.remove(version)
        return {}

    @operation("SearchSchemas", "schemas")
    def search_schemas(self, **request: Any) -> dict[str, Any]:
        registry = self._registry(request["RegistryName"])
        keywords = request["Keywords"].lower()
        found = [{"RegistryName": registry.name, "SchemaArn": s.arn, "SchemaName": s.name,
                  "SchemaVersions": [{"CreatedDate": v.created, "SchemaVersion": str(v.number), "Type": v.type}
                                     for v in s.versions]}
                 for name, s in sorted(registry.schemas.items()) if keywords in name.lower()]
        return _paged("Schemas", found, request)

    @operation("GetDiscoveredSchema", "schemas")
    def get_discovered_schema(self, **request: Any) -> dict[str, Any]:
        """The schema discovery would infer from these events (JSON texts), merged into one document."""
        infer = infer_openapi if request["Type"] == OPENAPI3 else infer_json_schema
        document: Any = None
        for text in request["Events"]:
            try:
                event = json.loads(text)
            except ValueError:
                raise BadRequestError("Events must be JSON objects.") from None
            if not isinstance(event, dict):
                raise BadRequestError("Events must be JSON objects.")
            document = infer(event) if document is None else merge(document, infer(event))
        return {"Content": json.dumps(document)}

    # -- discoverers -------------------------------------------------------------------------
    @operation("CreateDiscoverer", "schemas")
    def create_discoverer(self, **request: Any) -> dict[str, Any]:
        source = request["SourceArn"]
        parts = source.split(":")
        if len(parts) < 6 or parts[2] != "events" or not parts[5].startswith("event-bus/"):
            raise BadRequestError(f"SourceArn {source} is not an event bus ARN.")
        discoverer_id = f"events-event-bus-{parts[5].removeprefix('event-bus/')}"
        if discoverer_id in self.discoverers:
            raise ConflictError(f"Discoverer for {source} already exists.")
        self.discoverers[discoverer_id] = {
            "Description": request.get("Description"), "DiscovererArn": self._arn(f"discoverer/{discoverer_id}"),
            "DiscovererId": discoverer_id, "SourceArn": source, "State": "STARTED",
            "CrossAccount": request.get("CrossAccount", True), "Tags": dict(request.get("Tags") or {})}
        if REGISTRY not in self.registries:
            self._add_registry(REGISTRY, "Auto-discovered event schemas", {})
        return self._describe_discoverer(discoverer_id)

    def _discoverer(self, discoverer_id: str) -> dict[str, Any]:
        discoverer = self.discoverers.get(discoverer_id)
        if discoverer is None:
            raise NotFoundError(f"Discoverer {discoverer_id} does not exist.")
        return discoverer

    def _describe_discoverer(self, discoverer_id: str) -> dict[str, Any]:
        return {k: v for k, v in self._discoverer(discoverer_id).items() if v is not None}

    @operation("DescribeDiscoverer", "schemas")
    def describe_discoverer(self, **request: Any) -> dict[str, Any]:
        return self._describe_discoverer(request["DiscovererId"])

    @operation("ListDiscoverers", "schemas")
    def list_discoverers(self, **request: Any) -> dict[str, Any]:
        id_prefix, source_prefix = request.get("DiscovererIdPrefix") or "", request.get("SourceArnPrefix") or ""
        summaries = [{k: v for k, v in d.items() if k != "Description" and v is not None}
                     for i, d in sorted(self.discoverers.items())
                     if i.startswith(id_prefix) and d["SourceArn"].startswith(source_prefix)]
        return _paged("Discoverers", summaries, request)

    @operation("UpdateDiscoverer", "schemas")
    def update_discoverer(self, **request: Any) -> dict[str, Any]:
        discoverer = self._discoverer(request["DiscovererId"])
        for key in ("Description", "CrossAccount"):
            if key in request:
                discoverer[key] = request[key]
        return self._describe_discoverer(request["DiscovererId"])

    @operation("DeleteDiscoverer", "schemas")
    def delete_discoverer(self, **request: Any) -> dict[str, Any]:
        del self.discoverers[self._discoverer(request["DiscovererId"])["DiscovererId"]]
        return {}

    @operation("StartDiscoverer", "schemas")
    def start_discoverer(self, **request: Any) -> dict[str, Any]:
        return self._set_state(request["DiscovererId"], "STARTED")

    @operation("StopDiscoverer", "schemas")
    def stop_discoverer(self, **request: Any) -> dict[str, Any]:
        return self._set_state(request["DiscovererId"], "STOPPED")

    def _set_state(self, discoverer_id: str, state: str) -> dict[str, Any]:
        self._discoverer(discoverer_id)["State"] = state
        return {"DiscovererId": discoverer_id, "State": state}

    def observe(self, bus_arn: str, event: Mapping[str, Any]) -> bool:
        """An event a bus accepted: a started discoverer of that bus records its schema (a new version if it grew).

        Answers whether a version was added, so that only those events are kept to rebuild discovered schemas.
        """
        if not any(d["SourceArn"] == bus_arn and d["State"] == "STARTED" for d in self.discoverers.values()):
            return False
        registry = self.registries.get(REGISTRY) or self._add_registry(REGISTRY, "Auto-discovered event schemas", {})
        name = schema_name(event)
        schema = registry.schemas.get(name)
        content = discovered_content(event, schema.latest().content if schema else None)
        if schema is None:
            schema = registry.schemas[name] = _Schema(name, self._arn(f"schema/{REGISTRY}/{name}"), None, {})
        elif json.loads(content) == json.loads(schema.latest().content):
            return False
        self._add_version(schema, content, OPENAPI3)
        return True


def _paged(key: str, items: list[dict[str, Any]], request: Mapping[str, Any]) -> dict[str, Any]:
    page_items, token = page(items, request.get("NextToken"), request.get("Limit"))
    return {key: page_items, **({"NextToken": token} if token else {})}
