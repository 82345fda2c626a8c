"""Bitmask value indexes: the lookups a field uses to find the branches a value satisfies.

Each index maps what a pattern names (a prefix, a wildcard's literal start,
a numeric range) to the bitmask of the branches using it, so that a lookup
answers for every rule at once. Adding and removing a branch set and clear
its bit; the numeric segment table is rebuilt lazily after a change.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable

from .model import NumericRange, Wildcard

try:
    from gmpy2 import xmpz
except ImportError:  # pragma: no cover - exercised where gmpy2 is not installed
    xmpz = None

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
        _uncount(self.lengths, len(text))

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
    """Wildcard patterns: one-star patterns as (start, end) pairs, the others by their literal start.

    A pattern with a single ``*`` and no escapes holds exactly when the value
    starts with the text before the star and ends with the text after it,
    without the two overlapping: a dict probe per distinct start length and
    end length, no regex. Other patterns are grouped by the literal text
    before their first ``*``; a value only needs the regexes of the groups
    whose start it shares.
    """

    __slots__ = ("groups", "lengths", "single", "single_lengths")

    def __init__(self) -> None:
        self.groups: dict[str, Masks] = {}
        self.lengths: Counter[int] = Counter()
        self.single: dict[str, Affixes] = {}  # start -> the ends that follow it
        self.single_lengths: Counter[int] = Counter()

    @staticmethod
    def _start(pattern: Wildcard) -> str:
        text = pattern.pattern
        end = text.find("*")
        start = text if end < 0 else text[:end]
        return start[: start.find("\\")] if "\\" in start else start

    @staticmethod
    def _single(pattern: Wildcard) -> tuple[str, str] | None:
        text = pattern.pattern
        if text.count("*") != 1 or "\\" in text:
            return None
        start, _, end = text.partition("*")
        return start, end

    def add(self, pattern: Wildcard, bit: int) -> None:
        single = self._single(pattern)
        if single is not None:
            start, end = single
            ends = self.single.get(start)
            if ends is None:
                ends = self.single[start] = Affixes(suffix=True)
            ends.add(end, bit)
            self.single_lengths[len(start)] += 1
            return
        start = self._start(pattern)
        set_bit(self.groups.setdefault(start, {}), pattern, bit)
        self.lengths[len(start)] += 1

    def remove(self, pattern: Wildcard, bit: int) -> None:
        single = self._single(pattern)
        if single is not None:
            start, end = single
            self.single[start].remove(end, bit)
            if not self.single[start].lengths:
                del self.single[start]
            _uncount(self.single_lengths, len(start))
            return
        start = self._start(pattern)
        group = self.groups[start]
        clear_bit(group, pattern, bit)
        if not group:
            del self.groups[start]
        _uncount(self.lengths, len(start))

    def __bool__(self) -> bool:
        return bool(self.lengths or self.single_lengths)

    def lookup(self, value: str) -> int:
        found = 0
        size = len(value)
        for length in self.single_lengths:
            if length <= size:
                ends = self.single.get(value[:length])
                if ends is not None:
                    found |= ends.lookup(value[length:])
        for length in self.lengths:
            group = self.groups.get(value[:length]) if length <= size else None
            if group:
                for pattern, mask in group.items():
                    if pattern.regex.fullmatch(value):
                        found |= mask
        return found


def _uncount(counter: Counter[int], key: int) -> None:
    counter[key] -= 1
    if not counter[key]:
        del counter[key]


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


def bit_positions(mask: int) -> Iterable[int]:
    """Positions of the set bits of a non-negative mask, in increasing order.

    With gmpy2 installed, ``xmpz.iter_set`` walks the bits in C (4 us for 80
    bits of a 10,000-bit mask, against 15 us for the loop below).
    """
    if xmpz is not None:
        return xmpz(mask).iter_set()
    return byte_positions(mask)


_NONZERO = bytes([0x30] + [0x31] * 255)  # a byte -> "0" or "1"
_OFFSETS = [tuple(k for k in range(8) if value >> k & 1) for value in range(256)]


def byte_positions(mask: int) -> list[int]:
    """``bit_positions`` in pure Python: ``bytes.find`` skips zero bytes in C, a table lists each byte's bits."""
    data = mask.to_bytes((mask.bit_length() + 7) >> 3, "little")
    flags = data.translate(_NONZERO)
    out = []
    i = flags.find(b"1")
    while i >= 0:
        base = i << 3
        for offset in _OFFSETS[data[i]]:
            out.append(base + offset)
        i = flags.find(b"1", i + 1)
    return out
