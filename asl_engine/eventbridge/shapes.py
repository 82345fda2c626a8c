"""Request validation from botocore's service models, worded as AWS words it.

AWS checks each request against the service model before the operation runs
and answers ``1 validation error detected: Value 'x' at 'name' failed to
satisfy constraint: Member must ...`` (several errors joined by ``; ``).
Reading the constraints from botocore's ``events`` and ``scheduler`` models
keeps every length, pattern, enum and range exactly the published one instead
of a hand-copied list that drifts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, Shape, StructureShape

from .errors import EventBridgeError, ValidationError


@cache
def service_model(service: str) -> Any:
    """botocore's model of ``service`` (``events`` or ``scheduler``), loaded once."""
    return botocore.session.get_session().get_service_model(service)


@cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave that pattern to AWS
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _java_text(value: Any, shape: Shape) -> str:
    """A value as AWS's Java service prints it in the message: structures as ``Shape(member=value, ...)``."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        members = ", ".join(
            f"{_camel(name)}={'null' if value.get(name) is None else _java_text(value[name], member)}"
            for name, member in shape.members.items()
        )
        return f"{shape.name}({members})"
    if isinstance(shape, ListShape) and isinstance(value, list):
        return "[" + ", ".join(_java_text(v, shape.member) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    return str(value)


def _check(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            raise EventBridgeError(f"Expected a structure at '{path}'.", "SerializationException")
        for member in shape.required_members:
            if value.get(member) is None:
                errors.append(_null(f"{path}.{_camel(member)}" if path else _camel(member)))
        for member, member_shape in shape.members.items():
            if value.get(member) is not None:
                sub = f"{path}.{_camel(member)}" if path else _camel(member)
                _check(member_shape, value[member], sub, errors)
        return
    broken: list[str] = []
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise EventBridgeError(f"Expected a list at '{path}'.", "SerializationException")
        broken += _length(len(value), meta)
        for i, item in enumerate(value, 1):
            _check(shape.member, item, f"{path}.{i}.member", errors)
    elif shape.type_name == "string":
        if not isinstance(value, str):
            raise EventBridgeError(f"Expected a string at '{path}'.", "SerializationException")
        if "enum" in meta and value not in meta["enum"]:
            broken.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
        else:
            broken += _length(len(value), meta)
            regex = _regex(meta["pattern"]) if "pattern" in meta else None
            if regex is not None and not regex.fullmatch(value):
                broken.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif shape.type_name in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventBridgeError(f"Expected a number at '{path}'.", "SerializationException")
        if "min" in meta and value < meta["min"]:
            broken.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            broken.append(f"Member must have value less than or equal to {meta['max']}")
    for constraint in broken:
        errors.append(f"Value '{_java_text(value, shape)}' at '{path}' failed to satisfy constraint: {constraint}")


def _length(size: int, meta: Mapping[str, Any]) -> list[str]:
    if "min" in meta and size < meta["min"]:
        return [f"Member must have length greater than or equal to {meta['min']}"]
    if "max" in meta and size > meta["max"]:
        return [f"Member must have length less than or equal to {meta['max']}"]
    return []


def _null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def validate_request(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raises ValidationError as AWS would for ``params`` of ``operation``; unknown keys are refused too."""
    shape = service_model(service).operation_model(operation).input_shape
    unknown = [k for k in params if shape is None or k not in shape.members]
    if unknown:
        raise EventBridgeError(f'Unknown parameter in input: "{unknown[0]}"', "SerializationException")
    if shape is None:
        return
    errors: list[str] = []
    _check(shape, params, "", errors)
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
        raise ValidationError(count + "; ".join(errors))


def operation(name: str, service: str = "events") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Checks the keyword arguments against botocore's model of operation ``name`` before running it."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def checked(self: Any, **request: Any) -> Any:
            validate_request(service, name, request)
            return method(self, **request)

        return checked

    return wrap
