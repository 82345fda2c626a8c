"""JSON text the way Step Functions (Java, Jackson) writes it.

AWS renders values into error causes, ``States.JsonToString`` and
``States.Format`` with Jackson, whose doubles follow ``Double.toString``:
``1.0`` keeps its fraction, ``1.5E10`` and ``1.0E-5`` switch to exponent
notation.  Python's ``json.dumps`` writes ``15000000000.0`` and ``1e-05``, so
the texts would differ; this module closes that gap.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]


def java_double(value: float) -> str:
    """``Double.toString``: plain between 1e-3 and 1e7, else ``d.dddE±n``."""
    if value == 0:
        return "-0.0" if str(value).startswith("-") else "0.0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)  # digits before the decimal point
    minus = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            return f"{minus}0.{'0' * -point}{text}"
        whole, frac = text[:point].ljust(point, "0"), text[point:]
        return f"{minus}{whole}.{frac or '0'}"
    return f"{minus}{text[0]}.{text[1:] or '0'}E{point - 1}"


def to_json_text(value: Any) -> str:
    """Compact JSON (no spaces), numbers as Jackson writes them."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_encode_str(k)}:{to_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json_text(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def json_key(value: Any) -> Any:
    """A hashable identity with Jackson's equality: ``1``, ``1.0`` and ``true`` all differ.

    Python says ``1 == 1.0 == True``; Jackson's ``IntNode(1)`` equals neither
    ``DoubleNode(1.0)`` nor ``BooleanNode.TRUE``, and ``ArrayUnique`` /
    ``ArrayContains`` follow Jackson.  Objects compare regardless of key order.
    """
    if isinstance(value, dict):
        return ("o", frozenset((k, json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("a", tuple(json_key(v) for v in value))
    return (type(value).__name__, value)
