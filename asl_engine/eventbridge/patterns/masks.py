"""Bitmask value indexes: the lookups a field uses to find the branches a value satisfies.

Each index maps what a pattern names (a prefix, a wildcard's literal start,
a numeric range) to the bitmask of the branches using it, so that a lookup
answers for every rule at once. Adding and removing a branch set and clear
its bit; the numeric segment table is rebuilt lazily after a change.
"""

from __future__ import annotations

import bisect
from collections import Counter

from .model import NumericRange, Wildcard

Masks = dict[object, int]


def set_bit(table: Masks, key: object, bit: int) -> None:
    table[key] = table.get(key, 0) | bit


def clear_bit(table: Masks, key: object, bit: int) -> None:
    remaining = table[key] & ~bit
    if remaining:
        table[key] = remaining
    else:
        del table[key]


class Affixes:
    """Prefixes (or suffixes) by text, probed once per distinct length."""

    __slots__ = ("lengths", "masks", "suffix")

    def __init__(self, suffix: bool) -> None:
        self.masks: Masks = {}
        self.lengths: Counter[int] = Counter()
        self.suffix = suffix

    def add(self, text: str, bit: int) -> None:
        set_bit(self.masks, text, bit)
        self.lengths[len(text)] += 1

    def remove(self, text: str, bit: int) -> None:
        clear_bit(self.masks, text, bit)
        self.lengths[len(text)] -= 1
        if not self.lengths[len(text)]:
            del self.lengths[len(text)]

    def lookup(self, value: str) -> int:
        masks = self.masks
        size = len(value)
        found = 0
        for length in self.lengths:
            if length <= size:
                key = (value[size - length :] if length else "") if self.suffix else value[:length]
                found |= masks.get(key, 0)
        return found


class Wildcards:
    """Wildcard patterns grouped by the literal text before their first ``*``.

    A value only needs the regexes of the groups whose literal start it
    shares, found with one probe per distinct start length.
    """

    __slots__ = ("groups", "lengths")

    def __init__(self) -> None:
        self.groups: dict[str, Masks] = {}
        self.lengths: Counter[int] = Counter()

    @staticmethod
    def _start(pattern: Wildcard) -> str:
        text = pattern.pattern
        end = text.find("*")
        start = text if end < 0 else text[:end]
        return start[: start.find("\\")] if "\\" in start else start

    def add(self, pattern: Wildcard, bit: int) -> None:
        start = self._start(pattern)
        set_bit(self.groups.setdefault(start, {}), pattern, bit)
        self.lengths[len(start)] += 1

    def remove(self, pattern: Wildcard, bit: int) -> None:
        start = self._start(pattern)
        group = self.groups[start]
        clear_bit(group, pattern, bit)
        if not group:
            del self.groups[start]
        self.lengths[len(start)] -= 1
        if not self.lengths[len(start)]:
            del self.lengths[len(start)]

    def lookup(self, value: str) -> int:
        found = 0
        for length in self.lengths:
            group = self.groups.get(value[:length]) if length <= len(value) else None
            if group:
                for pattern, mask in group.items():
                    if pattern.regex.fullmatch(value):
                        found |= mask
        return found


class Ranges:
    """Numeric ranges as a segment table: a bisect finds the mask of every range holding a number.

    Between consecutive endpoints the set of covering ranges is constant, so
    the table stores one mask per endpoint and one per gap, rebuilt (in one
    sweep) only when ranges changed since the last lookup.
    """

    __slots__ = ("_at", "_between", "_points", "ranges")

    def __init__(self) -> None:
        self.ranges: dict[NumericRange, int] = {}
        self._points: list[int] | None = None
        self._at: list[int] = []
        self._between: list[int] = []

    def changed(self) -> None:
        self._points = None

    def _build(self) -> list[int]:
        points = sorted({r.low for r in self.ranges} | {r.high for r in self.ranges})
        where = {p: i for i, p in enumerate(points)}
        gap_toggle = [0] * (len(points) + 1)
        point_toggle = [0] * (len(points) + 1)
        ends = [0] * len(points)
        for rng, mask in self.ranges.items():  # a branch's bit is in one range per field, so XOR is exact
            low, high = where[rng.low], where[rng.high]
            if low == high:  # bounds equal at six decimals: only a closed range holds that one number
                if not (rng.low_open or rng.high_open):
                    ends[low] |= mask
                continue
            gap_toggle[low] ^= mask
            gap_toggle[high] ^= mask
            point_toggle[low + 1] ^= mask
            point_toggle[high] ^= mask
            if not rng.low_open:
                ends[low] |= mask
            if not rng.high_open:
                ends[high] |= mask
        self._between, self._at = [], []
        gap = inside = 0
        for i in range(len(points)):
            gap ^= gap_toggle[i]
            inside ^= point_toggle[i]
            self._between.append(gap)
            self._at.append(inside | ends[i])
        self._points = points
        return points

    def lookup(self, key: int) -> int:
        points = self._points if self._points is not None else self._build()
        i = bisect.bisect_right(points, key) - 1
        if i < 0:
            return 0
        return self._at[i] if points[i] == key else self._between[i]


def bit_positions(mask: int) -> list[int]:
    """Positions of the set bits (``str.find`` over the binary text keeps the loop short)."""
    text = bin(mask)[:1:-1]
    out = []
    i = text.find("1")
    while i >= 0:
        out.append(i)
        i = text.find("1", i + 1)
    return out
