"""The compiled form of an event pattern: branches of field conditions.

A pattern is a disjunction of branches (``$or`` is expanded, as event-ruler
does); a branch is a conjunction of fields; a field holds the value patterns
of its array, any of which may match. Value patterns are small frozen
dataclasses so that equal ones from different rules hash alike and share one
entry of the matcher's indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import numbers
from .ipaddr import ip_or_none


class ValuePattern:
    """One alternative in a field's array. ``matches`` is the reference semantics."""

    __slots__ = ()

    def matches(self, value: object) -> bool:
        """Whether one leaf value of the event satisfies this pattern."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ExactString(ValuePattern):
    value: str

    def matches(self, value: object) -> bool:
        return value == self.value and type(value) is str


@dataclass(frozen=True, slots=True)
class ExactNumber(ValuePattern):
    """A number literal: numerically equal within AWS's range, literally equal outside it."""

    key: object

    def matches(self, value: object) -> bool:
        return type(value) in (int, float) and numbers.number_key(value) == self.key


@dataclass(frozen=True, slots=True)
class ExactLiteral(ValuePattern):
    """``true``, ``false`` or ``null``."""

    value: object

    def matches(self, value: object) -> bool:
        return value is self.value


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(ValuePattern):
    lowered: str

    def matches(self, value: object) -> bool:
        return type(value) is str and value.lower() == self.lowered


@dataclass(frozen=True, slots=True)
class Prefix(ValuePattern):
    prefix: str
    ignore_case: bool = False

    def matches(self, value: object) -> bool:
        if type(value) is not str:
            return False
        return (value.lower() if self.ignore_case else value).startswith(self.prefix)


@dataclass(frozen=True, slots=True)
class Suffix(ValuePattern):
    suffix: str
    ignore_case: bool = False

    def matches(self, value: object) -> bool:
        if type(value) is not str:
            return False
        return (value.lower() if self.ignore_case else value).endswith(self.suffix)


@dataclass(frozen=True, slots=True)
class Wildcard(ValuePattern):
    pattern: str
    regex: re.Pattern[str] = field(compare=False, hash=False)

    def matches(self, value: object) -> bool:
        return type(value) is str and self.regex.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class NumericRange(ValuePattern):
    """Bounds in comparable form (see numbers.py); open bounds exclude their value."""

    low: int
    low_open: bool
    high: int
    high_open: bool

    def contains(self, key: int) -> bool:
        if key < self.low or (self.low_open and key == self.low):
            return False
        return key < self.high or (not self.high_open and key == self.high)

    def matches(self, value: object) -> bool:
        if type(value) not in (int, float):
            return False
        key = numbers.number_key(value)
        return type(key) is int and self.contains(key)


@dataclass(frozen=True, slots=True)
class IPRange(ValuePattern):
    """A cidr block, or an IP literal given as an exact value (low == high)."""

    version: int
    low: int
    high: int

    def matches(self, value: object) -> bool:
        if type(value) is not str:
            return False
        ip = ip_or_none(value)
        return ip is not None and ip[0] == self.version and self.low <= ip[1] <= self.high


@dataclass(frozen=True, slots=True)
class Exists(ValuePattern):
    """``exists: true`` (any leaf value); ``exists: false`` is compiled as an absence edge."""

    present: bool

    def matches(self, value: object) -> bool:
        return self.present


@dataclass(frozen=True, slots=True)
class AnythingBut(ValuePattern):
    """``anything-but`` with a value or list: strings or number keys to exclude.

    Any leaf that is not one of them matches, including null and booleans, but
    a missing field never does.
    """

    strings: frozenset[str]
    numbers: frozenset[object]

    def matches(self, value: object) -> bool:
        kind = type(value)
        if kind is str:
            return value not in self.strings
        if kind is int or kind is float:
            return numbers.number_key(value) not in self.numbers
        return True


@dataclass(frozen=True, slots=True)
class AnythingButString(ValuePattern):
    """``anything-but`` with ``equals-ignore-case``, ``prefix``, ``suffix`` or ``wildcard``.

    ``kind`` names the inner operator; ``values`` are lowered for
    equals-ignore-case. Only strings can be excluded: numbers, booleans and
    null always match, as on AWS.
    """

    kind: str
    values: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...] = field(compare=False, hash=False, default=())

    def matches(self, value: object) -> bool:
        if type(value) is not str:
            return True
        kind = self.kind
        if kind == "equals-ignore-case":
            return value.lower() not in self.values
        if kind == "prefix":
            return not any(value.startswith(v) for v in self.values)
        if kind == "suffix":
            return not any(value.endswith(v) for v in self.values)
        return not any(r.fullmatch(value) for r in self.regexes)


Branch = dict[str, tuple[ValuePattern, ...]]
"""Field path (keys joined with ".") to the alternatives its array allows."""


@dataclass(frozen=True)
class CompiledPattern:
    """A validated pattern: ``branches`` match independently; any one matching is a match."""

    branches: tuple[Branch, ...]
