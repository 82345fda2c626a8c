"""One field path inside a rule group: what a value of that field contributes, cached per value.

A branch constraining this field and others is a bit of the group's shared
space (``shared``): the field's answer is a gate mask ANDed with the other
fields'. A branch constraining this field alone needs no AND at all: the
value decides it, so it lives in a space of its own (``solo``) and the rule
ids it yields are listed once per distinct value and kept. Events repeat
their values (sources, states, tiers, countries), so most lookups are one
dict probe that returns both the gate and the ready-made rule ids.
"""

from __future__ import annotations

from collections.abc import Hashable

from .field import FieldIndex
from .masks import bit_positions
from .model import NumericRange, ValuePattern
from .slots import BitSlots

CACHE_LIMIT = 4096
"""Distinct values kept per field; a field whose values never repeat (ids, amounts) starts over past it."""

Answer = tuple[int, tuple[Hashable, ...]]
"""(gate mask over the group's shared bits, ids of the solo rules satisfied)."""


class Lane:
    """The shared and solo indexes of one field path, and the answers already computed per value."""

    __slots__ = ("_absent", "_cache", "shared", "solo", "solo_slots")

    def __init__(self) -> None:
        self.shared = FieldIndex()
        self.solo = FieldIndex()
        self.solo_slots = BitSlots()
        self._cache: dict[object, Answer] = {}
        self._absent: Answer | None = None

    def __bool__(self) -> bool:
        return bool(self.shared.constrained or self.solo.constrained)

    def changed(self) -> None:
        """Forgets every cached answer: a branch came or went (gates depend on all shared bits)."""
        self._cache.clear()
        self._absent = None
        self.shared.gates = None

    def add(self, values: tuple[ValuePattern, ...], bit: int, solo: bool) -> None:
        _index(self.solo if solo else self.shared, values, bit, adding=True)

    def remove(self, values: tuple[ValuePattern, ...], bit: int, solo: bool) -> None:
        _index(self.solo if solo else self.shared, values, bit, adding=False)

    def answer(self, value: object) -> Answer:
        """The gate and solo rule ids for one leaf value; strings and numbers are cached."""
        kind = type(value)
        if kind is not str and kind is not int and kind is not float:
            return self._compute(value)  # bool == int in a dict, so literals are never cached
        found = self._cache.get(value)
        if found is None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[value] = self._compute(value)
        return found

    def absent(self) -> Answer:
        """The gate and solo rule ids when the event has no leaf at this path (``exists: false``)."""
        if self._absent is None:
            pass_if_absent = self.shared.gate_masks()[1]
            self._absent = (pass_if_absent, self._ids(self.solo.absent_ok))
        return self._absent

    def _compute(self, value: object) -> Answer:
        unconstrained, _ = self.shared.gate_masks()
        return self.shared.satisfied(value) | unconstrained, self._ids(self.solo.satisfied(value))

    def _ids(self, mask: int) -> tuple[Hashable, ...]:
        owners = self.solo_slots.owners
        return tuple(owners[position] for position in bit_positions(mask)) if mask else ()


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
