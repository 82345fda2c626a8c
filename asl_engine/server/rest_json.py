"""The restJson1 wire protocol, driven by a botocore service model: route, read a call, write an answer or error.

Scheduler, Pipes and Schemas are restJson1 services: the operation is the
method and path (``http.requestUri``), members travel in the URI, the query
string, headers and a JSON body under their wire names (``locationName``).
Reading every placement from botocore's model keeps the three APIs exactly
what boto3 sends and parses, with no per-service hand-written routes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from starlette.requests import Request
from starlette.responses import Response

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


class RestJsonError(Exception):
    """A refusal: ``code`` is AWS's error code, answered with the status of its shape in the model."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Route:
    method: str
    path: re.Pattern[str]
    operation: OperationModel


def _route(operation: OperationModel) -> _Route:
    uri = operation.http["requestUri"].split("?", 1)[0]
    pattern, end = "", 0
    for match in _LABEL.finditer(uri):
        pattern += re.escape(uri[end:match.start()])
        pattern += f"(?P<{_group(match[1])}>.+)" if match[2] else f"(?P<{_group(match[1])}>[^/]+)"
        end = match.end()
    pattern += re.escape(uri[end:])
    return _Route(operation.http["method"], re.compile(pattern), operation)


def _group(label: str) -> str:
    """A URI label as a regex group name (``resource-arn`` is a label Schemas uses)."""
    return "L_" + re.sub(r"\W", "_", label)


class RestJsonProtocol:
    """One service's restJson1 calls: ``read`` turns a request into (operation, params), ``result``/``error`` answer."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        routes = [_route(model.operation_model(name)) for name in model.operation_names]
        # literal segments before labels: /v1/pipes/{Name}/start must win over /v1/pipes/{Name}
        self._routes = sorted(routes, key=lambda r: -len(_LABEL.sub("", r.operation.http["requestUri"])))
        # framework errors (no shape in the model) spell "message" as the service's own errors do
        errors = (e for r in routes for e in r.operation.error_shapes)
        self._message_key = next((n for e in errors for n in e.members if n.lower() == "message"), "message")

    def match(self, method: str, path: str) -> tuple[OperationModel, dict[str, str]] | None:
        for route in self._routes:
            found = route.path.fullmatch(path) if route.method == method else None
            if found is not None:
                return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    async def read(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        """The operation and its parameters by member name; RestJsonError when the call is malformed."""
        raw = request.scope.get("raw_path")  # still percent-encoded: a label may hold an encoded "/"
        path = raw.decode("latin-1") if raw else request.url.path
        found = self.match(request.method, path)
        if found is None:
            raise RestJsonError("UnknownOperationException",
                                f"No {self.model.service_name} operation for {request.method} {path}")
        operation, labels = found
        shape = operation.input_shape
        params: dict[str, Any] = {}
        if shape is None:
            return operation, params
        body = await request.body()
        document = _json_body(body) if body.strip() and not _payload(shape) else {}
        for name, member in shape.members.items():
            where, wire = member.serialization.get("location"), member.serialization.get("name", name)
            if where == "uri":
                value: Any = labels.get(_group(wire))
            elif where == "querystring":
                value = _query(request, wire, member)
            elif where == "header":
                value = request.headers.get(wire)
            elif shape.serialization.get("payload") == name:
                value = body.decode() if body else None
            else:
                value = _from_wire(member, document[wire]) if wire in document else None
            if value is not None:
                params[name] = value
        return operation, params

    def result(self, operation: OperationModel, body: Mapping[str, Any]) -> Response:
        shape = operation.output_shape
        headers, document, payload = {}, {}, None
        status = int(operation.http.get("responseCode", 200))
        for name, value in body.items():
            member = shape.members.get(name) if shape is not None else None
            if member is None or value is None:
                continue
            where = member.serialization.get("location")
            if where == "header":
                headers[member.serialization.get("name", name)] = str(value)
            elif where == "statusCode":
                status = int(value)
            elif shape.serialization.get("payload") == name:  # type: ignore[union-attr]
                payload = value if isinstance(value, str) else json.dumps(_to_wire(member, value))
            else:
                document[member.serialization.get("name", name)] = _to_wire(member, value)
        text = payload if payload is not None else ("" if status == 204 else json.dumps(document))
        return Response(text, status, {"x-amzn-RequestId": str(uuid.uuid4()), **headers},
                        media_type="application/json")

    def error(self, code: str, message: str) -> Response:
        """The error as AWS sends it: ``X-Amzn-ErrorType`` and a body whose message key is the shape's own."""
        shape = _error_shape(self.model, code)
        body: dict[str, Any] = {self._message_key: message}
        if shape is not None:
            body = {name: message for name in shape.members if name.lower() == "message"} or body
            if "Code" in shape.members:
                body["Code"] = code
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "X-Amzn-ErrorType": code}
        return Response(json.dumps(body), error_status(self.model, code), headers, media_type="application/json")


_FRAMEWORK_STATUS = {"InternalFailure": 500, "InternalException": 500, "NotImplemented": 501,
                     "RequestEntityTooLargeException": 413}


def _error_shape(model: ServiceModel, code: str) -> StructureShape | None:
    try:
        shape = model.shape_for(code)
    except Exception:  # a framework error the model does not list
        return None
    return shape if isinstance(shape, StructureShape) and shape.metadata.get("exception") else None


def error_status(model: ServiceModel, code: str) -> int:
    """The HTTP status of error ``code``: its shape's in the model, else the framework's, else 400."""
    shape = _error_shape(model, code)
    if code in _FRAMEWORK_STATUS or shape is None:
        return _FRAMEWORK_STATUS.get(code, 400)
    fallback = 500 if shape.metadata.get("fault") else 400
    return int(shape.metadata.get("error", {}).get("httpStatusCode", fallback))


def _payload(shape: StructureShape) -> bool:
    return bool(shape.serialization.get("payload"))


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise RestJsonError("SerializationException", f"The request body is not valid JSON: {e}") from None
    if not isinstance(document, dict):
        raise RestJsonError("SerializationException", "The request body must be a JSON object")
    return document


def _query(request: Request, wire: str, member: Shape) -> Any:
    if member.type_name == "list":
        values = request.query_params.getlist(wire)
        return values or None
    text = request.query_params.get(wire)
    if text is None or member.type_name in ("string", "timestamp"):
        return text
    if member.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise RestJsonError("SerializationException", f"'{wire}' must be an integer, not {text!r}") from None
    if member.type_name == "boolean":
        return text == "true"
    return text


def _from_wire(shape: Shape, value: Any) -> Any:
    """A body value with wire names turned into member names (the model's structures may rename members)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        out = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            if wire in value:
                out[name] = _from_wire(member, value[wire])
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_wire(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _from_wire(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    return value


def _to_wire(shape: Shape, value: Any) -> Any:
    """A result value under wire names, timestamps in the member's format (epoch seconds unless iso8601)."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return {member.serialization.get("name", name): _to_wire(member, value[name])
                for name, member in shape.members.items() if value.get(name) is not None}
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_wire(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {k: _to_wire(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if shape.type_name == "timestamp" and isinstance(value, datetime):
        if shape.serialization.get("timestampFormat") == "iso8601":
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return value.timestamp()
    return value


def json_default(value: Any) -> Any:
    """For ``json.dumps`` of results that hold datetimes: awsJson sends them as epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
