"""Inferring an event's schema as EventBridge's schema discovery does.

The schema is named ``<source>@<DetailType>`` (the detail-type with
everything but letters and digits removed, e.g. ``aws.events@ScheduledEvent``)
and is an OpenAPI 3 document: an ``AWSEvent`` root with the envelope's fields
(``time`` as date-time), its ``detail`` a reference to a component named like
the detail-type, and one component per nested object, named after its key in
PascalCase. Seeing the same kind of event again merges what is new into the
schema (fields seen only sometimes stop being required), so a new version
appears only when the events' shape grows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

REGISTRY = "discovered-schemas"
_ENVELOPE = ("detail-type", "resources", "detail", "id", "source", "time", "region", "version", "account")


def schema_name(event: Mapping[str, Any]) -> str:
    return f"{event.get('source', '')}@{_pascal(str(event.get('detail-type', '')))}"


def _pascal(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text) if word)


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in text


class _Inference:
    """Builds the component schemas of one document; ``ref`` is where components live (OpenAPI or Draft 4)."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.components: dict[str, dict[str, Any]] = {}

    def value(self, value: Any, name: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return {"$ref": self.ref + self.object(value, name)}
        if isinstance(value, list):
            items = [self.value(v, name + "Item") for v in value]
            merged = items[0] if items else {"type": "object"}
            for item in items[1:]:
                merged = merge(merged, item)
            return {"type": "array", "items": merged}
        if isinstance(value, bool):
            return {"type": "boolean"}
        if isinstance(value, int | float):
            return {"type": "number"}
        if isinstance(value, str):
            return {"type": "string", "format": "date-time"} if _is_time(value) else {"type": "string"}
        return {}

    def object(self, value: Mapping[str, Any], name: str) -> str:
        """Adds the component for an object and returns its (unique) name."""
        unique, n = name or "Object", 1
        while unique in self.components:
            unique, n = f"{name}_{n}", n + 1
        self.components[unique] = {}  # reserve the name before the members take theirs
        properties = {key: self.value(v, _pascal(key)) for key, v in value.items()}
        schema: dict[str, Any] = {"type": "object"}
        required = sorted(k for k, v in value.items() if v is not None)
        if required:
            schema["required"] = required
        schema["properties"] = properties
        self.components[unique] = schema
        return unique


def _root(event: Mapping[str, Any], inference: _Inference) -> dict[str, Any]:
    detail_name = _pascal(str(event.get("detail-type", ""))) or "Detail"
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    properties = {"detail": {"$ref": inference.ref + inference.object(detail, detail_name)}}
    for key in _ENVELOPE:
        if key == "detail" or key not in event:
            continue
        properties[key] = {"type": "string", "format": "date-time"} if key == "time" \
            else inference.value(event[key], _pascal(key))
    return {"type": "object", "required": [k for k in _ENVELOPE if k in event],
            "x-amazon-events-detail-type": event.get("detail-type"), "x-amazon-events-source": event.get("source"),
            "properties": properties}


def infer_openapi(event: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3 schema discovery writes for ``event``."""
    inference = _Inference("#/components/schemas/")
    inference.components["AWSEvent"] = {}
    inference.components["AWSEvent"] = _root(event, inference)
    title = _pascal(str(event.get("detail-type", ""))) or "Event"
    return {"openapi": "3.0.0", "info": {"version": "1.0.0", "title": title}, "paths": {},
            "components": {"schemas": inference.components}}


def infer_json_schema(event: Mapping[str, Any]) -> dict[str, Any]:
    """The same inference as a JSON Schema Draft 4 document (GetDiscoveredSchema with Type JSONSchemaDraft4)."""
    inference = _Inference("#/definitions/")
    root = _root(event, inference)
    title = _pascal(str(event.get("detail-type", ""))) or "Event"
    return {"$schema": "http://json-schema.org/draft-04/schema#", "title": title, **root,
            "definitions": inference.components}


def merge(old: Any, new: Any) -> Any:
    """The union of two inferred schemas: properties of both, required only where both require."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new if old is None else old
    out = dict(old)
    for key, value in new.items():
        if key == "required":
            continue
        out[key] = merge(old[key], value) if key in old else value
    if "required" in old or "required" in new:
        required = [k for k in old.get("required", []) if k in set(new.get("required", []))]
        if required:
            out["required"] = required
        else:
            out.pop("required", None)
    return out


def discovered_content(event: Mapping[str, Any], previous: str | None) -> str:
    """The schema text for ``event``, merged into the previous version's text when there is one."""
    inferred = infer_openapi(event)
    document = merge(json.loads(previous), inferred) if previous else inferred
    return json.dumps(document, indent=2)
