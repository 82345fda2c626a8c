"""The functions Step Functions adds to JSONata 2.0.6, as host functions for jlens.

AWS adds ``$partition``, ``$range``, ``$hash``, ``$random`` (with an optional
seed), ``$uuid`` and ``$parse``, and removes ``$eval``.  Seeded ``$random``
must reproduce AWS's numbers, which come from ``java.util.Random``: users
write tests against them, so ``JavaRandom`` re-implements that generator bit
for bit.  Unseeded randomness and uuids come from an injected services object
so that executions can be replayed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol

from asl_engine.runtime.services import Services

_MASK48 = (1 << 48) - 1
_MULTIPLIER = 0x5DEECE66D


class JavaRandom:
    """``java.util.Random``: a 48-bit linear congruential generator (seed scrambled as Java does)."""

    __slots__ = ("_seed",)

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK48

    def next_bits(self, bits: int) -> int:
        self._seed = (self._seed * _MULTIPLIER + 0xB) & _MASK48
        value = self._seed >> (48 - bits)
        return value - (1 << bits) if bits == 32 and value & (1 << 31) else value

    def next_double(self) -> float:
        return ((self.next_bits(26) << 27) + self.next_bits(27)) * 2.0 ** -53


class ServicesLike(Protocol):
    """What the functions need from the runtime; ``asl_engine.runtime.services.Services`` fits."""

    def random(self) -> float: ...

    def uuid4(self) -> str: ...


DEFAULT_SERVICES: ServicesLike = Services()  # unseeded: used only when the caller injects nothing
current_services: ContextVar[ServicesLike] = ContextVar("jsonata_services", default=DEFAULT_SERVICES)


class FunctionError(Exception):
    """A Step Functions function rejected its arguments; ``code`` and ``message`` as JSONata has them."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _integer(value: Any, function: str, position: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value != int(value):
        raise FunctionError("T0410", f"Argument {position} of function \"{function}\" must be an integer")
    return int(value)


def sfn_partition(array: list, size: Any) -> list:
    size = _integer(size, "partition", 2)
    if size <= 0:
        raise FunctionError("D3001", "The chunk size of function \"partition\" must be a positive integer")
    return [array[i:i + size] for i in range(0, len(array), size)]


def sfn_range(start: Any, end: Any, step: Any) -> Any:
    """Inclusive of ``end``; a JSONata sequence, so one item comes back bare (AWS: $range(1, 9, 9) = 1)."""
    start, end, step = (_integer(v, "range", i + 1) for i, v in enumerate((start, end, step)))
    if step == 0:
        raise FunctionError("D3001", "The step of function \"range\" must not be zero")
    items = list(range(start, end + (1 if step > 0 else -1), step))
    if not items:
        return None
    return items[0] if len(items) == 1 else items


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def sfn_hash(value: str, algorithm: str) -> str:
    name = _HASHES.get(algorithm)
    if name is None:
        raise FunctionError("D3001", f"The algorithm \"{algorithm}\" of function \"hash\" is not one of "
                                     f"{', '.join(_HASHES)}")
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


def sfn_random(seed: Any = None) -> float:
    if seed is None:
        return current_services.get().random()
    return JavaRandom(_integer(seed, "random", 1)).next_double()


def sfn_uuid() -> str:
    return current_services.get().uuid4()


def sfn_parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FunctionError("D3001", f"The argument of function \"parse\" is not valid JSON: {exc}") from None


# name -> (implementation, JSONata signature): the signature makes jlens check types (T0410) as
# it does for built-in functions.
SFN_FUNCTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "partition": (sfn_partition, "<an:a>"),
    "range": (sfn_range, "<nnn:x>"),
    "hash": (sfn_hash, "<ss:s>"),
    "random": (sfn_random, "<n?:n>"),
    "uuid": (sfn_uuid, "<:s>"),
    "parse": (sfn_parse, "<s:x>"),
}
