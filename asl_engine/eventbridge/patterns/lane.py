"""One field path of the matcher: the gate mask a value of that field opens, cached per value.

A value's gate is the mask of the branches it lets through: those it
satisfies and those that do not constrain the field. Computing it probes the
field's value indexes (field.py); events repeat their values (sources,
states, tiers, countries), so most gates are one dict probe instead. A field
whose values never repeat (ids, amounts) fills its cache and starts over.
"""

from __future__ import annotations

from .field import FieldIndex
from .model import NumericRange, ValuePattern

CACHE_LIMIT = 1024
"""Distinct values whose gate is kept, per field: at most 1024 gates of N/8 bytes (1.4 MB at 10,000 rules)."""


class Lane:
    """A field's value indexes, and the gates already computed per value."""

    __slots__ = ("_absent", "_cache", "_literals", "index")

    def __init__(self) -> None:
        self.index = FieldIndex()
        self._cache: dict[object, int] = {}  # strings and numbers (1 and 1.0 share a gate, as AWS compares)
        self._literals: dict[object, int] = {}  # true, false, null: apart, since True == 1 as a dict key
        self._absent: int | None = None

    def __bool__(self) -> bool:
        return bool(self.index.constrained)

    def changed(self) -> None:
        """Forgets every cached gate: a branch came or went."""
        self._cache.clear()
        self._literals.clear()
        self._absent = None
        self.index.gates = None

    def add(self, values: tuple[ValuePattern, ...], bit: int) -> None:
        _index(self.index, values, bit, adding=True)

    def remove(self, values: tuple[ValuePattern, ...], bit: int) -> None:
        _index(self.index, values, bit, adding=False)

    def gate(self, value: object) -> int:
        """The branches one leaf value lets through."""
        kind = type(value)
        cache = self._cache if kind is str or kind is int or kind is float else self._literals
        found = cache.get(value)
        if found is None:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            found = cache[value] = self.compute(value)
        return found

    def compute(self, value: object) -> int:
        """``gate`` without the cache: the C walk (_walk.c) keeps its own, of bitmaps."""
        return self.index.satisfied(value) | self.index.gate_masks()[0]

    def unconstrained(self) -> int:
        """The branches free of this field: all an empty array lets through."""
        return self.index.gate_masks()[0]

    def absent(self) -> int:
        """The branches an event without this field lets through (``exists: false`` among them)."""
        if self._absent is None:
            self._absent = self.index.gate_masks()[1]
        return self._absent


def _index(field: FieldIndex, values: tuple[ValuePattern, ...], bit: int, adding: bool) -> None:
    # The segment table needs each branch in at most one range of a field; the rare
    # condition with several ranges is tried pattern by pattern instead.
    several_ranges = sum(type(v) is NumericRange for v in values) > 1
    if adding:
        field.constrained |= bit
    else:
        field.constrained &= ~bit
    field.gates = None
    for value in values:
        scanned = several_ranges and type(value) is NumericRange
        (field.add if adding else field.remove)(value, bit, scanned)
