"""Request values checked against botocore's shapes, reported in AWS's front-end wording.

A value that breaks a constraint (required, length, range, pattern, enum) is
one entry of a ValidationException message ("2 validation errors detected:
Value ... at 'name' failed to satisfy constraint: ..."); a value of the wrong
JSON type cannot be deserialized at all (``WrongType``, the caller's
SerializationException).  Members the model does not know are ignored, as the
services do.

Neutral ground for the server's request validation (``asl_engine.server.validation``),
the simulated services (``asl_engine.sim.constraints``) and the integrations'
pre-call checks (``asl_engine.integrations.services.call``): none of them has
to import another's layer to word a refusal the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import Shape

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "blob": (str,),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float), "boolean": (bool,),
    "timestamp": (int, float, str, datetime),  # datetime: the Python APIs take what boto3 takes
}


class WrongType(Exception):
    """A value of the wrong JSON type for its shape: the request cannot be deserialized."""


@cache
def _pattern(java_regex: str) -> re.Pattern[str] | None:
    """The model's patterns are Java regexes: ``\\p{ASCII}`` is translated; a pattern Python's ``re`` cannot
    read at all (Unicode classes such as ``\\p{L}``, surrogate ranges) is left for AWS to judge (None)."""
    try:
        return re.compile(java_regex.replace(r"\p{ASCII}", r"[\x00-\x7f]"))
    except re.error:
        return None


def member_path(path: str, name: str, *, lower_members: bool = False) -> str:
    """``path.name``; with ``lower_members`` the name's first letter lower-cased, as AWS shows PascalCase
    members (SageMaker's ``DeploymentConfig.BlueGreenUpdatePolicy`` is ``deploymentConfig.blueGreenUpdatePolicy``)."""
    if lower_members:
        name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def null_problem(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def report(problems: list[str]) -> str | None:
    """AWS's ValidationException message for ``problems``, or None when there are none."""
    if not problems:
        return None
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}"


@dataclass(frozen=True, slots=True)
class Options:
    """How a caller words its problems: ``lower_members`` (``member_path``); ``check_types`` raises WrongType
    for a value not of its shape's JSON type; ``nulls_first`` lists a structure's missing required members
    before its members' problems (otherwise each in model order); ``shown_chars`` cuts a shown value
    (None: whole); ``render`` prints a shown value the way the service's front end does (default ``str``)."""

    lower_members: bool = False
    check_types: bool = True
    nulls_first: bool = True
    shown_chars: int | None = 200
    render: Callable[[Any, Shape], str] | None = None


def problems(shape: Shape, value: Any, path: str = "", options: Options = Options()) -> list[str]:
    """Every constraint ``value`` breaks, in AWS's wording, each broken constraint of a value its own entry."""
    found: list[str] = []
    _check(shape, value, path, found, options)
    return found


def _check(shape: Shape, value: Any, path: str, problems: list[str], options: Options) -> None:
    expected = _JSON_TYPES.get(shape.type_name, (object,))
    if options.check_types and (not isinstance(value, expected)
                                or (isinstance(value, bool) and bool not in expected)):
        raise WrongType(f"Expected a {shape.type_name} value at '{path or '$'}', got {type(value).__name__}")
    meta = shape.metadata

    def fail(constraint: str) -> None:
        # the value is rendered only here: str() of every valid request's whole body cost more than the checks
        where = f"at '{path}'"
        text = options.render(value, shape) if options.render is not None else str(value)
        shown = where if meta.get("sensitive") else f"'{_short(text, options.shown_chars)}' {where}"
        problems.append(f"Value {shown} failed to satisfy constraint: {constraint}")

    if shape.type_name == "structure":
        if options.nulls_first:
            for name in shape.required_members:
                if value.get(name) is None:
                    problems.append(null_problem(member_path(path, name, lower_members=options.lower_members)))
        for name, member in shape.members.items():
            where_member = member_path(path, name, lower_members=options.lower_members)
            if value.get(name) is not None:
                _check(member, value[name], where_member, problems, options)
            elif not options.nulls_first and name in shape.required_members:
                problems.append(null_problem(where_member))
        return
    if shape.type_name in ("string", "list", "map"):
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
    if shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        regex = _pattern(meta["pattern"]) if "pattern" in meta else None
        if regex is not None and not regex.fullmatch(value):
            fail(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif shape.type_name in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            fail(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            fail(f"Member must have value less than or equal to {meta['max']}")
    elif shape.type_name == "list":
        for i, item in enumerate(value, 1):
            _check(shape.member, item, f"{path}.{i}.member", problems, options)
    elif shape.type_name == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", problems, options)
            _check(shape.value, item, f"{path}.{key}.value", problems, options)


def _short(text: str, chars: int | None) -> str:
    return text if chars is None or len(text) <= chars else text[:chars] + "..."
