"""Event JSON text to Python objects, with orjson when it is installed.

orjson parses a typical 1 KB event in about a third of the time ``json.loads``
takes, which matters once matching itself costs a few microseconds. Where it
would answer differently, the standard library's answer is used: text orjson
refuses (NaN and Infinity literals, lone surrogates) is parsed by
``json.loads``, and orjson turns integers beyond 64 bits into floats, which
``lossy`` spots among the leaves a match reads, so that the caller parses
again exactly. The result never depends on whether orjson is there.
"""

from __future__ import annotations

import json

from .flatten import Leaves

try:
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None

_EXACT_LIMIT = float(2**63)
"""Magnitude from which a float leaf may be orjson's rounding of a longer integer literal."""


def loads(text: str | bytes) -> tuple[object, bool]:
    """(the parsed value, whether orjson parsed it); ValueError for invalid JSON, as ``json.loads``."""
    if orjson is not None:
        try:
            return orjson.loads(text), True
        except orjson.JSONDecodeError:
            pass
    return json.loads(text), False


def lossy(leaves: Leaves) -> bool:
    """Whether some leaf is a float large enough to be an integer orjson could not keep exact."""
    for found in leaves.values():
        for value, _ in found:
            if type(value) is float and not -_EXACT_LIMIT < value < _EXACT_LIMIT:
                return True
    return False
