"""Checking a schema's Content against its Type before it is stored, so a broken document is refused.

OpenApi3 documents need what OpenAPI 3 requires at the top (``openapi``
3.x, ``info`` with ``title`` and ``version``, ``paths``) and component
schemas that are objects; JSONSchemaDraft4 documents must be valid Draft 4
schemas (jsonschema's meta-schema check).
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import SchemaError

from .errors import BadRequestError

OPENAPI3 = "OpenApi3"


def check_content(content: str, schema_type: str) -> dict[str, Any]:
    """The parsed document; BadRequestError saying what is wrong otherwise."""
    try:
        document = json.loads(content)
    except ValueError as e:
        raise BadRequestError(f"Invalid Schema Content: not valid JSON ({e}).") from None
    if not isinstance(document, dict):
        raise BadRequestError("Invalid Schema Content: the document must be a JSON object.")
    if schema_type == OPENAPI3:
        _check_openapi(document)
    else:
        try:
            Draft4Validator.check_schema(document)
        except SchemaError as e:
            raise BadRequestError(f"Invalid Schema Content: {e.message}.") from None
    return document


def _check_openapi(document: dict[str, Any]) -> None:
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        raise BadRequestError("Invalid Schema Content: 'openapi' must name an OpenAPI 3 version.")
    info = document.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str) \
            or not isinstance(info.get("version"), str):
        raise BadRequestError("Invalid Schema Content: 'info' must have a 'title' and a 'version'.")
    if not isinstance(document.get("paths"), dict):
        raise BadRequestError("Invalid Schema Content: 'paths' is required.")
    schemas = (document.get("components") or {}).get("schemas", {})
    if not isinstance(schemas, dict) or not all(isinstance(s, dict) for s in schemas.values()):
        raise BadRequestError("Invalid Schema Content: 'components.schemas' must map names to schema objects.")
