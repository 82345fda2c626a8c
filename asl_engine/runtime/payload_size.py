"""The exact UTF-8 size of a JSON value, without serializing it after every state.

AWS checks every state's output against the 256 KiB quota.  Serializing a
200 KiB document after each of 200 states costs more than running them, so
the size is counted instead: scalars from their text length, containers
from their parts, and large containers once per execution, by identity.
Caching by identity is sound only because JSON values are never mutated
inside the engine (ARCHITECTURE invariant 2); the cache keeps a reference to
each object it sized so an id cannot be reused while cached.
"""

from __future__ import annotations

import re
from typing import Any

from asl_engine.runtime.history import dumps

_LARGE = 64  # containers with more entries than this are sized once and remembered
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
_FLOAT_WORDS = {"nan": 3, "inf": 8, "-inf": 9}  # NaN, Infinity, -Infinity


def _text_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def string_size(s: str) -> int:
    if _NEEDS_ESCAPE.search(s) is None:
        return (len(s) if s.isascii() else _text_size(s)) + 2
    return _text_size(dumps(s))


class PayloadMeter:
    """Counts the bytes ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` would take."""

    __slots__ = ("_sizes",)

    def __init__(self) -> None:
        self._sizes: dict[int, tuple[Any, int]] = {}

    def size(self, value: Any) -> int:
        kind = type(value)
        if kind is str:
            return string_size(value)
        if kind is dict or kind is list:
            return self._container(value)
        if value is None or value is True:
            return 4
        if value is False:
            return 5
        if kind is int:
            return len(str(value))
        if kind is float:
            text = repr(value)
            return _FLOAT_WORDS.get(text, len(text))
        return _text_size(dumps(value))

    def _container(self, value: dict | list) -> int:
        large = len(value) > _LARGE
        if large:
            cached = self._sizes.get(id(value))
            if cached is not None and cached[0] is value:
                return cached[1]
        if not value:
            total = 2
        elif type(value) is dict:
            if not all(type(k) is str for k in value):
                return _text_size(dumps(value))
            size = self.size
            total = 2 * len(value) + 1 + sum(string_size(k) + size(v) for k, v in value.items())
        else:
            size = self.size
            total = len(value) + 1 + sum(size(v) for v in value)
        if large:
            self._sizes[id(value)] = (value, total)
        return total
