"""Request constraints from botocore's service model, reported the way AWS's front end reports them.

AWS checks a request against the model's min/max/enum/required traits before
the service sees it and answers ``ValidationException`` with "N validation
error(s) detected: Value 'X' at 'a.b.c' failed to satisfy constraint: ...".
boto3 already refuses some of these client-side (required members, numbers
below a minimum); a request sent over HTTP, or by an SDK that does not
validate, reaches the server and must get the server's text.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return f"'{value}'"


def _check(shape: Any, value: Any, path: str, errors: list[str]) -> None:
    def fail(constraint: str) -> None:
        shown = _show(value)
        errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    meta = shape.metadata
    if shape.type_name in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            fail(f"Member must have value greater than or equal to {meta['min']}")
        elif "max" in meta and value > meta["max"]:
            fail(f"Member must have value less than or equal to {meta['max']}")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        elif "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        elif "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
    elif shape.type_name == "list":
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        elif "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}.{i + 1}.member", errors)
    elif shape.type_name == "structure":
        for name, member in shape.members.items():
            child = value.get(name)
            child_path = f"{path}.{_lower_first(name)}"
            if child is None:
                if name in shape.required_members:
                    errors.append(f"Value null at '{child_path}' failed to satisfy constraint: Member must not be null")
                continue
            _check(member, child, child_path, errors)


def violations(service: str, shape_name: str, value: dict[str, Any], path: str) -> str | None:
    """AWS's message for every constraint ``value`` (of ``shape_name``) breaks, or None when it keeps them."""
    errors: list[str] = []
    _check(_model(service).shape_for(shape_name), value, path, errors)
    if not errors:
        return None
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors)
