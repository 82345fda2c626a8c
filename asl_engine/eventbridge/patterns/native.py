"""The C walk (_walk.c): the plan trie and the value indexes it reads, turned into bitmaps.

At 10,000 rules the Python walk (branches.py) spends most of an event on
Python-level work the number of rules makes dear: ANDing and ORing integers
of 10,000 bits allocates a new one each time, and every value not seen
before (an amount, an object key, an address) goes through the value
indexes in Python. The C walk ANDs little-endian bitmaps in place, and
computes the gates of new strings and numbers itself from the same indexes
held as bitmaps: exact strings, prefixes, suffixes, one-star wildcards,
anything-but and IPv4 blocks, and for numbers a segment table; and it walks
the arrays of objects below which a single field is matched (one field needs
no same-element check). Whatever it does not tabulate (equals-ignore-case,
regex wildcards, IPv6, numbers beyond 5e9, several ranges on a field in one
branch, arrays of objects holding several matched fields) it hands back to
the Python code, the same the Python walk runs: the reference the C walk is
tested against (tests/eventbridge/test_matcher_native.py).

A bitmap holds a mask in two's complement with at least one bit to spare
above the last position, so that negative masks (the complements of
constrained sets, "every branch but these") keep their sign.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable
from functools import partial

from .field import FieldIndex
from .flatten import DottedKey
from .lane import CACHE_LIMIT, Lane
from .masks import Affixes, bit_positions
from .plan import ALL, PlanNode

try:
    from ._walk import Walker, segments
except ImportError:  # a source tree where the extension was never built (pip install builds it, or fails)
    Walker = segments = None

STRIDE = 32
"""Number segments between two gates kept in full: a number's gate is one of those plus at most 31 deltas."""

TABLE_BUDGET = 64 << 20
"""Bytes of bitmaps a field's string indexes may take (one per exact value, affix, wildcard end...: N/8 bytes
each, 1.4 KB at 10,000 rules). A field beyond it, say 50,000 distinct exact values at 10,000 rules, leaves its
new strings to the Python indexes, cached per value as Lane does."""

Bitmap = bytes


def build_walker(root: PlanNode, live: int, owners: list[Hashable], new_arrays: Callable[[], object]) -> Walker:
    """The C walk of ``root``'s trie, for the rules as they are: every gate it starts from made a bitmap.

    ``new_arrays`` makes the record of an event's arrays of objects (branches._Arrays), for the first of them
    the C walk hands back to Python.
    """
    size = (len(owners) // 64 + 1) * 8

    def bitmap(mask: int) -> Bitmap:
        return mask.to_bytes(size, "little", signed=True)

    def gate(mask: int) -> Bitmap | None:
        return None if mask == ALL else bitmap(mask)  # None: the walk skips ANDing all ones

    def spec(key: str, node: PlanNode) -> tuple:
        lane = node.lane
        return (
            key,
            node,
            lane,
            gate(lane.absent()) if lane is not None else None,
            gate(lane.unconstrained()) if lane is not None else None,
            gate(node.below_gate),
            gate(node.absent_gate),
            tuple(spec(*pair) for pair in node.children),
            len(node.lanes) == 1,
            _strings(lane, bitmap, TABLE_BUDGET // size) if lane is not None else None,
            _numbers(lane, bitmap) if lane is not None else None,
        )

    return Walker(
        tuple(spec(*pair) for pair in root.children),
        bitmap(live),
        owners,
        partial(_lane_bitmap, size),
        partial(_array_bitmap, size),
        new_arrays,
        DottedKey,
        CACHE_LIMIT,
    )


def _lane_bitmap(size: int, lane: Lane, value: object) -> Bitmap:
    """A value's gate, for the C walk, where it does not compute it itself."""
    return lane.compute(value).to_bytes(size, "little", signed=True)


def _array_bitmap(size: int, arrays, step: PlanNode, items: list) -> Bitmap:  # arrays: branches._Arrays
    """An array's gate, for the C walk, where its fields need the same-element check: ``arrays`` records them."""
    return arrays.add(step, items, ALL, step.trie).to_bytes(size, "little", signed=True)


def _strings(lane: Lane, bitmap: Callable[[int], Bitmap], most: int) -> tuple | None:
    """The lane's string indexes as bitmaps (``most`` of them at most), or None where the C walk must call back."""
    index: FieldIndex = lane.index
    singles = index.wildcards.single
    tables = [index.strings, index.prefix.masks, index.suffix.masks, index.anything_but_strings, index.ips]
    if (
        index.scan
        or index.ignore_case
        or index.ignore_case_prefix.lengths
        or index.ignore_case_suffix.lengths
        or index.wildcards.lengths  # several stars or escapes: regexes
        or sum(map(len, tables)) + sum(len(ends.masks) for ends in singles.values()) > most
    ):
        return None

    def table(masks: dict) -> dict:
        return {key: bitmap(mask) for key, mask in masks.items()}

    def affixes(found: Affixes) -> tuple | None:
        return (table(found.masks), tuple(found.lengths)) if found.lengths else None

    return (
        bitmap(lane.unconstrained() | index.exists),
        table(index.strings),
        affixes(index.prefix),
        affixes(index.suffix),
        ({start: affixes(ends) for start, ends in singles.items()}, tuple(index.wildcards.single_lengths))
        if singles
        else None,
        bitmap(index.anything_but) if index.anything_but else None,
        {key: bitmap(index.anything_but & ~mask) for key, mask in index.anything_but_strings.items()},
        tuple((block.low, block.high, bitmap(mask)) for block, mask in index.ips.items() if block.version == 4),
        any(block.version == 6 for block in index.ips),
    )


def _numbers(lane: Lane, bitmap: Callable[[int], Bitmap]) -> tuple | None:
    """The lane's gates for numbers, as a segment table, or None where the C walk must call back for every number.

    Between consecutive points (range bounds, exact numbers, anything-but
    numbers; in event-ruler's comparable form) a number's gate is constant:
    segment 0 lies below the first point, 2i + 1 is point i and 2i + 2 the gap
    after it. The table keeps every STRIDE-th segment's gate as a bitmap and,
    for each segment, the bit positions it flips from the one before: a few
    bits each, where a bitmap per segment would take N/8 bytes times twice the
    number of ranges. ``_walk.segments`` sweeps it from what each condition
    covers, as FieldIndex.satisfied reads it: a range from its lower to its
    upper bound (a bound's own point in or out as the bound is closed or
    open), an exact number its point, anything-but every segment but the
    points it names.
    """
    index: FieldIndex = lane.index
    if index.scan:  # several ranges in one branch: tried one by one, in Python
        return None
    ranges = index.ranges.ranges
    points = sorted(
        {key for key in index.numbers if type(key) is int}
        | {key for key in index.anything_but_numbers if type(key) is int}
        | {r.low for r in ranges}
        | {r.high for r in ranges}
    )
    at = {point: 2 * i + 1 for i, point in enumerate(points)}  # a point's own segment
    cover = array("q")

    def add(first: int, last: int, mask: int, weight: int) -> None:
        if mask.bit_count() == 1:  # one branch names it: the usual case, and bit_positions' setup costs more
            cover.extend((first, last, mask.bit_length() - 1, weight))
            return
        for position in bit_positions(mask):
            cover.extend((first, last, position, weight))

    for r, mask in ranges.items():
        add(at[r.low] + 1 if r.low_open else at[r.low], at[r.high] - 1 if r.high_open else at[r.high], mask, 1)
    for key, mask in index.numbers.items():
        if type(key) is int:  # not ("literal", value): numbers beyond 5e9 are matched in Python
            add(at[key], at[key], mask, 1)
    base = lane.unconstrained() | index.exists
    if index.anything_but:
        excepted = 0
        for key, mask in index.anything_but_numbers.items():
            if type(key) is int:
                add(at[key], at[key], mask & index.anything_but, -1)
                excepted |= mask
        base |= index.anything_but & ~excepted  # every number: into the base, not thousands of covers
        add(0, 2 * len(points), index.anything_but & excepted, 1)
    samples = 2 * len(points) + 1
    checkpoints, offsets, positions = segments(bitmap(base), samples, STRIDE, cover.tobytes())
    return array("q", points).tobytes(), STRIDE, checkpoints, offsets, positions
