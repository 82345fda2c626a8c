"""The 18 ``States.*`` intrinsic functions, on already-evaluated arguments.

Behaviour follows what AWS does, which is not always what its documentation
says (observations recorded against AWS, see the notes per function):

* every argument failure is the same ``Invalid arguments in States.X``;
  wrong arity is a run-time failure too, not a definition error;
* "rounding" of numeric arguments is Java's ``(int)`` cast (towards zero) for
  ArrayRange, ArrayPartition, ArrayGetItem and MathRandom, but ``Math.round``
  (half up) for MathAdd;
* equality (ArrayContains, ArrayUnique) is Jackson's: ``1``, ``1.0`` and
  ``true`` are three different values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable
from typing import Any, Protocol

from asl_engine.query.jsontext import java_double, json_key, to_json_text

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_MAX_ARRAY = 1000
_MAX_CHARS = 10_000
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


class RandomSource(Protocol):
    """What MathRandom and UUID draw from (``asl_engine.runtime.services.Services``)."""

    def random(self) -> float: ...

    def uuid4(self) -> str: ...


class IntrinsicError(Exception):
    """A run-time failure of a call; ``detail`` is the text after "had the following error: "."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _Invalid(IntrinsicError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid arguments in States.{name}")


Function = Callable[[list[Any], RandomSource], Any]


# --- argument checks ----------------------------------------------------------------------------

def _arity(name: str, args: list, low: int, high: int | None = None) -> None:
    if len(args) < low or len(args) > (low if high is None else high):
        raise _Invalid(name)


def _number(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Invalid(name)
    return value


def _truncated(name: str, value: Any) -> int:
    """Java's ``(int)`` cast of a JSON number, refusing what does not fit an int."""
    result = int(_number(name, value))
    if not _INT_MIN <= result <= _INT_MAX:
        raise _Invalid(name)
    return result


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(name)
    return value


def _array(name: str, value: Any) -> list:
    if not isinstance(value, list):
        raise _Invalid(name)
    return value


# --- generic -----------------------------------------------------------------------------------

def format_value(value: Any) -> str:
    """How States.Format writes an argument: Java's ``toString`` of the parsed value.

    Strings are unquoted, objects read ``{a=1, b=[x, y]}`` (``Map.toString``),
    numbers follow ``Double.toString``.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, float):
        return java_double(value)
    return to_json_text(value)


def parse_template(name: str, template: str) -> list[str | None]:
    """Split a Format template into literal text and ``None`` for each ``{}``.

    ``\\{``, ``\\}``, ``\\'`` and ``\\\\`` are literal characters; any other
    brace is an error, as on AWS (``'Hello {'``, ``'{{}}'``, ``'}'`` fail).
    """
    parts: list[str | None] = []
    text: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            text.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            parts.extend(("".join(text), None))
            text = []
            i += 2
        elif c == "{":
            raise IntrinsicError(f"Invalid template in States.{name}: matching '}}' not found for '{{'.")
        elif c == "}":
            raise _Invalid(name)
        else:
            text.append(c)
            i += 1
    parts.append("".join(text))
    return parts


def fill_template(parts: list[str | None], values: list[Any]) -> str:
    if parts.count(None) != len(values):
        raise _Invalid("Format")
    it = iter(values)
    return "".join(format_value(next(it)) if p is None else p for p in parts)


def _format(args: list, rnd: RandomSource) -> str:
    if not args:
        raise _Invalid("Format")
    return fill_template(parse_template("Format", _string("Format", args[0])), args[1:])


def _string_to_json(args: list, rnd: RandomSource) -> Any:
    _arity("StringToJson", args, 1)
    text = _string("StringToJson", args[0])
    if not text.strip():
        return None  # Jackson reads blank text as no value: AWS answers null
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError:
        raise _Invalid("StringToJson") from None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")  # Python accepts NaN and Infinity, Jackson does not


def _json_to_string(args: list, rnd: RandomSource) -> str:
    _arity("JsonToString", args, 1)
    return to_json_text(args[0])


# --- arrays ------------------------------------------------------------------------------------

def _array_fn(args: list, rnd: RandomSource) -> list:
    return list(args)


def _array_partition(args: list, rnd: RandomSource) -> list:
    _arity("ArrayPartition", args, 2)
    array = _array("ArrayPartition", args[0])
    size = _truncated("ArrayPartition", args[1])
    if size < 1:
        raise _Invalid("ArrayPartition")
    return [array[i:i + size] for i in range(0, len(array), size)]


def _array_contains(args: list, rnd: RandomSource) -> bool:
    _arity("ArrayContains", args, 2)
    key = json_key(args[1])
    return any(json_key(item) == key for item in _array("ArrayContains", args[0]))


def _array_range(args: list, rnd: RandomSource) -> list[int]:
    _arity("ArrayRange", args, 3)
    start, end, step = (_truncated("ArrayRange", a) for a in args)
    if step == 0:
        raise _Invalid("ArrayRange")
    count = max(0, (end - start) // step + 1)
    if count > _MAX_ARRAY:
        raise _Invalid("ArrayRange")
    return list(range(start, start + count * step, step))


def _array_get_item(args: list, rnd: RandomSource) -> Any:
    _arity("ArrayGetItem", args, 2)
    array = _array("ArrayGetItem", args[0])
    index = _truncated("ArrayGetItem", args[1])
    if index < 0 or (array and index >= len(array)):
        raise _Invalid("ArrayGetItem")
    return array[index] if array else None  # AWS answers null for any index into []


def _array_length(args: list, rnd: RandomSource) -> int:
    _arity("ArrayLength", args, 1)
    return len(_array("ArrayLength", args[0]))


def _array_unique(args: list, rnd: RandomSource) -> list:
    _arity("ArrayUnique", args, 1)
    seen: dict[Any, Any] = {}
    for item in _array("ArrayUnique", args[0]):
        seen.setdefault(json_key(item), item)
    return list(seen.values())


# --- encoding, hashing -------------------------------------------------------------------------

def _limited_string(name: str, args: list) -> str:
    _arity(name, args, 1)
    text = _string(name, args[0])
    if len(text) > _MAX_CHARS:
        raise _Invalid(name)
    return text


def _base64_encode(args: list, rnd: RandomSource) -> str:
    return base64.b64encode(_limited_string("Base64Encode", args).encode()).decode("ascii")


def _base64_decode(args: list, rnd: RandomSource) -> str:
    """Lenient like AWS: characters outside the alphabet are ignored, padding is optional."""
    text = _limited_string("Base64Decode", args)
    data = bytes(b for b in text.encode() if b in _B64_ALPHABET)
    if len(data) % 4 == 1:
        data = data[:-1]  # a lone trailing character carries no whole byte
    return base64.b64decode(data + b"=" * (-len(data) % 4)).decode("utf-8", errors="replace")


def _hash(args: list, rnd: RandomSource) -> str:
    """AWS hashes a non-string input by its JSON text rather than refusing it."""
    _arity("Hash", args, 2)
    data, algorithm = args
    text = data if isinstance(data, str) else to_json_text(data)
    if len(text) > _MAX_CHARS or algorithm not in _HASHES:
        raise _Invalid("Hash")
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


# --- objects -----------------------------------------------------------------------------------

def _json_merge(args: list, rnd: RandomSource) -> dict:
    """Shallow merge only: AWS requires the deep-merge flag to be ``false``."""
    _arity("JsonMerge", args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict) or deep is not False:
        raise _Invalid("JsonMerge")
    return {**left, **right}


# --- math --------------------------------------------------------------------------------------

def _math_add(args: list, rnd: RandomSource) -> int:
    """Each operand is rounded with Java's ``Math.round`` (half up: -0.5 -> 0, 2.5 -> 3)."""
    if len(args) == 2:  # the common case, two 32-bit ints, without the general checks
        a, b = args
        if type(a) is int and type(b) is int and _INT_MIN <= a <= _INT_MAX and _INT_MIN <= b <= _INT_MAX:
            return a + b
    _arity("MathAdd", args, 2)
    total = 0
    for value in args:
        rounded = math.floor(_number("MathAdd", value) + 0.5)
        if not _INT_MIN <= rounded <= _INT_MAX:
            raise _Invalid("MathAdd")
        total += rounded
    return total


def _math_random(args: list, rnd: RandomSource) -> int:
    """An int in ``[start, end)``; with a seed, exactly what Java's ``new Random(seed).nextInt`` gives."""
    _arity("MathRandom", args, 2, 3)
    start, end = _truncated("MathRandom", args[0]), _truncated("MathRandom", args[1])
    if start >= end:
        raise _Invalid("MathRandom")
    if len(args) == 3:
        seed = int(_number("MathRandom", args[2]))
        return start + java_next_int(seed, end - start)
    return start + int(rnd.random() * (end - start))


def java_next_int(seed: int, bound: int) -> int:
    """``new java.util.Random(seed).nextInt(bound)``."""
    mask = (1 << 48) - 1
    state = (seed ^ 0x5DEECE66D) & mask

    def next31() -> int:
        nonlocal state
        state = (state * 0x5DEECE66D + 0xB) & mask
        return state >> 17

    if bound & -bound == bound:
        return (bound * next31()) >> 31
    while True:
        bits = next31()
        value = bits % bound
        if bits - value + (bound - 1) < 2**31:
            return value


# --- strings, ids ------------------------------------------------------------------------------

def _string_split(args: list, rnd: RandomSource) -> list[str]:
    """Like Java's ``StringTokenizer``: every delimiter character splits, empty pieces are dropped."""
    _arity("StringSplit", args, 2)
    text, delimiters = _string("StringSplit", args[0]), _string("StringSplit", args[1])
    tokens: list[str] = []
    current: list[str] = []
    for c in text:
        if c in delimiters:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(c)
    if current:
        tokens.append("".join(current))
    return tokens


def _uuid(args: list, rnd: RandomSource) -> str:
    _arity("UUID", args, 0)
    return rnd.uuid4()


FUNCTIONS: dict[str, Function] = {
    "Format": _format,
    "StringToJson": _string_to_json,
    "JsonToString": _json_to_string,
    "Array": _array_fn,
    "ArrayPartition": _array_partition,
    "ArrayContains": _array_contains,
    "ArrayRange": _array_range,
    "ArrayGetItem": _array_get_item,
    "ArrayLength": _array_length,
    "ArrayUnique": _array_unique,
    "Base64Encode": _base64_encode,
    "Base64Decode": _base64_decode,
    "Hash": _hash,
    "JsonMerge": _json_merge,
    "MathRandom": _math_random,
    "MathAdd": _math_add,
    "StringSplit": _string_split,
    "UUID": _uuid,
}
