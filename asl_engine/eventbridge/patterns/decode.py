"""Event JSON text to Python objects, with orjson when it is installed.

orjson parses a typical 1 KB event in about a third of the time ``json.loads``
takes, which matters once matching itself costs a few microseconds. Where it
would answer differently, the standard library parses instead, so the result
never depends on whether orjson is there: text orjson refuses (NaN and
Infinity literals, lone surrogates) and text with a run of 19 digits or more,
which may be an integer beyond 64 bits that orjson would turn into a float.
The matcher's C extension spots such a run in one pass over the text; without
it, one byte translation and one substring search do (both in C too, but
after encoding the text, about three times slower).
"""

from __future__ import annotations

import json

try:
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None

try:
    from ._walk import long_digit_run
except ImportError:  # a source tree where the extension was never built
    long_digit_run = None

_DIGITS_TO_ZERO = bytes(0 if 0x30 <= b <= 0x39 else 1 for b in range(256))
_LONG_RUN = bytes(19)


def _translated_digit_run(text: str | bytes) -> bool:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return _LONG_RUN in data.translate(_DIGITS_TO_ZERO)


def loads(text: str | bytes) -> object:
    """The parsed JSON value; ValueError (json.JSONDecodeError) for invalid text, as ``json.loads``."""
    if orjson is not None and not (long_digit_run or _translated_digit_run)(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)
