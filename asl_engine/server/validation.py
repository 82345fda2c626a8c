"""Request validation against the input shapes of botocore's service model.

Two kinds of failure, as AWS reports them: a value of the wrong JSON type
cannot be deserialized (SerializationException); a value that breaks a
constraint (required, length, range, pattern, enum) is listed in one
ValidationException ("2 validation errors detected: Value ... at 'name'
failed to satisfy constraint: ...").  Members the model does not know are
ignored, as the service does.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.model import Shape

from asl_engine.server.errors import ApiError

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "blob": (str,),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float), "boolean": (bool,),
    "timestamp": (int, float, str),
}


@cache
def _pattern(java_regex: str) -> re.Pattern[str]:
    """The model's patterns are Java regexes; Python lacks the POSIX classes they use."""
    return re.compile(java_regex.replace(r"\p{ASCII}", r"[\x00-\x7f]"))


def validate(shape: Shape | None, params: Any) -> None:
    """Raise the ApiError AWS would answer for ``params``; return quietly when they are acceptable."""
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, params, "", problems)
    if problems:
        count = len(problems)
        raise ApiError("ValidationException",
                       f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}")


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    expected = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise ApiError("SerializationException",
                       f"Expected a {shape.type_name} value at '{path or '$'}', got {type(value).__name__}")
    meta = shape.metadata
    where = f"at '{path}'"
    shown = where if meta.get("sensitive") else f"'{_short(value)}' {where}"

    def fail(constraint: str) -> None:
        problems.append(f"Value {shown} failed to satisfy constraint: {constraint}")

    if shape.type_name == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                                "Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _join(path, name), problems)
        return
    if shape.type_name in ("string", "list", "map"):
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
    if shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            fail(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif shape.type_name in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            fail(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            fail(f"Member must have value less than or equal to {meta['max']}")
    elif shape.type_name == "list":
        for i, item in enumerate(value, 1):
            _check(shape.member, item, f"{path}.{i}.member", problems)
    elif shape.type_name == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", problems)
            _check(shape.value, item, f"{path}.{key}.value", problems)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."
