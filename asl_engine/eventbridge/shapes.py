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
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, Shape, StructureShape

from asl_engine.botocore_validation import Options, WrongType, problems, report

from .errors import EventBridgeError, ValidationError


@cache
def service_model(service: str) -> Any:
    """botocore's model of ``service`` (``events`` or ``scheduler``), loaded once."""
    return botocore.session.get_session().get_service_model(service)


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


_OPTIONS = Options(lower_members=True, shown_chars=None, render=_java_text)


def validate_request(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raises ValidationError as AWS would for ``params`` of ``operation``; unknown keys are refused too."""
    shape = service_model(service).operation_model(operation).input_shape
    unknown = [k for k in params if shape is None or k not in shape.members]
    if unknown:
        raise EventBridgeError(f'Unknown parameter in input: "{unknown[0]}"', "SerializationException")
    if shape is None:
        return
    try:
        message = report(problems(shape, params, "", _OPTIONS))
    except WrongType as wrong:
        raise EventBridgeError(str(wrong), "SerializationException") from None
    if message:
        raise ValidationError(message)


def operation(name: str, service: str = "events") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Checks the keyword arguments against botocore's model of operation ``name`` before running it."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def checked(self: Any, **request: Any) -> Any:
            validate_request(service, name, request)
            return method(self, **request)

        return checked

    return wrap
