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

    __slots__ = ("_absent", "_cache", "_ids_by_mask", "_literals", "shared", "solo", "solo_slots")

    def __init__(self) -> None:
        self.shared = FieldIndex()
        self.solo = FieldIndex()
        self.solo_slots = BitSlots()
        self._cache: dict[object, Answer] = {}
        self._ids_by_mask: dict[int, tuple[Hashable, ...]] = {}
        self._literals: dict[object, Answer] = {}  # true, false, null: apart, since True == 1 as a dict key
        self._absent: Answer | None = None

    def __bool__(self) -> bool:
        return bool(self.shared.constrained or self.solo.constrained)

    def changed(self) -> None:
        """Forgets every cached answer: a branch came or went (gates depend on all shared bits)."""
        self._cache.clear()
        self._ids_by_mask.clear()
        self._literals.clear()
        self._absent = None
        self.shared.gates = None

    def add(self, values: tuple[ValuePattern, ...], bit: int, solo: bool) -> None:
        _index(self.solo if solo else self.shared, values, bit, adding=True)

    def remove(self, values: tuple[ValuePattern, ...], bit: int, solo: bool) -> None:
        _index(self.solo if solo else self.shared, values, bit, adding=False)

    def answer(self, value: object) -> Answer:
        """The gate and solo rule ids for one leaf value, cached per value."""
        kind = type(value)
        cache = self._cache if kind is str or kind is int or kind is float else self._literals
        found = cache.get(value)
        if found is None:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            found = cache[value] = self._compute(value)
        return found

    def absent(self) -> Answer:
        """The gate and solo rule ids when the event has no leaf at this path (``exists: false``)."""
        if self._absent is None:
            pass_if_absent = self.shared.gate_masks()[1]
            self._absent = (pass_if_absent, self._ids(self.solo.absent_ok))
        return self._absent

    def _compute(self, value: object) -> Answer:
        gate = self.shared.gate_masks()[0]
        if self.shared.constrained:
            gate |= self.shared.satisfied(value)
        return gate, self._ids(self.solo.satisfied(value)) if self.solo.constrained else ()

    def _ids(self, mask: int) -> tuple[Hashable, ...]:
        """The rule ids of solo bits, kept per mask: many values (amounts, keys) share one."""
        if not mask:
            return ()
        found = self._ids_by_mask.get(mask)
        if found is None:
            if len(self._ids_by_mask) >= CACHE_LIMIT:
                self._ids_by_mask.clear()
            owners = self.solo_slots.owners
            found = self._ids_by_mask[mask] = tuple(owners[position] for position in bit_positions(mask))
        return found


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
