"""Every branch of every rule in one index: one bit per branch, one gate per field, ANDed.

Each branch (``$or`` expanded) owns one bit. Each field path has a ``Lane``
(lane.py) whose value indexes, in the event-ruler manner (hash maps for
exact values, prefix/suffix maps probed by length, a sorted segment table for
numeric ranges, one parse per value for cidr blocks, an exclusion map for
anything-but), answer with the gate mask of the branches a value lets
through. Matching an event walks it along the trie of those paths (plan.py)
and ANDs one gate per field into a candidate mask: a fixed number of
operations per field whatever the number of rules.

The walk runs in C (_walk.c, built by native.py) with the masks as bitmaps;
``_walk`` and ``_array`` below are the same walk in Python, with the masks
as integers: the reference the C walk is tested against, and what runs where
the extension is not built or with ``BranchIndex(native=False)``.

Fields inside arrays of objects must be matched by values from the same
array element: such arrays are flattened with each leaf's element recorded,
and the few candidate branches where that could matter are re-checked
exactly against those memberships.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from .flatten import DottedKey, Leaves, Membership, PathTrie, check_keys, compatible, flatten_into, merge
from .lane import Lane
from .masks import bit_positions
from .model import Branch
from .native import Walker, build_walker
from .plan import PlanNode, build_plan
from .slots import BitSlots

_MISSING = object()
Pairs = tuple[tuple[str, PlanNode], ...]
"""A plan node's children: (key, node)."""


class BranchIndex:
    """Branches indexed together; ``match`` answers the ids of the rules owning those an event satisfies."""

    __slots__ = ("_branches", "_live", "_native", "_plain", "_plan", "_slots", "_walker", "lanes")

    def __init__(self, native: bool = True) -> None:
        """``native``: walk events in C (_walk.c) when the extension is built; the Python walk is the reference."""
        self.lanes: dict[str, Lane] = {}
        self._slots = BitSlots()
        self._branches: dict[int, Branch] = {}  # position -> branch
        self._live = 0
        self._plan: PlanNode | None = None
        self._plain = True  # no field path has an empty key: the trie spells every path
        self._native = native and Walker is not None
        self._walker: Walker | None = None

    def add(self, rule_id: Hashable, branch: Branch) -> int:
        """Indexes one branch of rule ``rule_id``; the bit position returned is for ``remove``."""
        self._plan = None
        position = self._slots.take(rule_id)
        self._branches[position] = branch
        bit = 1 << position
        for path, values in branch.items():
            lane = self.lanes.get(path)
            if lane is None:
                lane = self.lanes[path] = Lane()
            lane.add(values, bit)
        self._live |= bit
        return position

    def remove(self, position: int) -> None:
        """Drops the branch ``add`` put at ``position``."""
        self._plan = None
        bit = 1 << position
        for path, values in self._branches.pop(position).items():
            lane = self.lanes[path]
            lane.remove(values, bit)
            if not lane:
                del self.lanes[path]
        self._live &= ~bit
        self._slots.release(position)

    def _replan(self) -> PlanNode:
        """The walk for the current lanes, with every cached gate dropped."""
        for lane in self.lanes.values():
            lane.changed()
        self._plan = build_plan(self.lanes)
        self._plain = all("" not in path.split(".") for path in self.lanes)
        if self._native:
            self._walker = build_walker(self._plan, self._live, self._slots.owners, _Arrays)
        return self._plan

    def match(self, event: Mapping[str, object]) -> set[Hashable]:
        """The ids of the rules with a branch that ``event`` satisfies."""
        root = self._plan if self._plan is not None else self._replan()
        try:
            if type(event) is not dict or not self._plain or "" in event:
                raise DottedKey  # paths the trie does not spell: {"": {"a": 1}} has "a" at path "a"
            if self._walker is not None:
                found = self._walker.match(event)
                if type(found) is not tuple:
                    return found
                bitmap, arrays = found  # the same-element check follows
                candidates = int.from_bytes(bitmap, "little")
            else:
                check_keys(event)  # type: ignore[arg-type]
                arrays = _Arrays()
                candidates = _walk(root.children, event, self._live, arrays)
        except DottedKey:  # flattened in full, paths spelled as strings exactly as flatten() does (the C walk
            # also raises it for the rare event whose same-element check it leaves to this path)
            arrays = _Arrays()
            candidates = arrays.add(root, event, self._live, None)
        if not candidates:
            return set()
        if len(arrays.paths) > 1:
            candidates = self._same_elements(candidates, arrays.paths, arrays.leaves)
        return set(map(self._slots.owners.__getitem__, bit_positions(candidates)))

    def _same_elements(self, candidates: int, paths: list[str], leaves: Leaves) -> int:
        """Drops candidates whose fields are satisfied only by values from different array elements."""
        seen_once = seen_twice = 0
        for path in paths:
            constrained = self.lanes[path].index.constrained
            seen_twice |= seen_once & constrained
            seen_once |= constrained
        for position in list(bit_positions(candidates & seen_twice)):
            if not _consistent(self._branches[position], leaves):
                candidates &= ~(1 << position)
        return candidates


def _walk(pairs: Pairs, node: Mapping[str, object], candidates: int, arrays: _Arrays) -> int:
    """``candidates`` ANDed with the gates of the fields at and below ``pairs`` in ``node``."""
    for key, step in pairs:
        value = node.get(key, _MISSING)
        kind = type(value)
        if value is _MISSING:
            candidates &= step.absent_gate
        elif kind is dict:
            check_keys(value)  # type: ignore[arg-type]
            if step.lane is not None:
                candidates &= step.lane.absent()  # an object holds no leaf at its own path
            candidates = _walk(step.children, value, candidates, arrays)  # type: ignore[arg-type]
        elif kind is list:
            candidates = _array(step, value, candidates, arrays)  # type: ignore[arg-type]
        else:
            if step.lane is not None:
                candidates &= step.lane.gate(value)
            candidates &= step.below_gate  # a scalar has nothing below it
    return candidates


def _array(step: PlanNode, items: list, candidates: int, arrays: _Arrays) -> int:
    """``_walk`` for an array: its scalars are leaves of the step's own field; objects go to ``arrays``."""
    lane = step.lane
    gate = lane.unconstrained() if lane is not None else 0  # no element: only branches free of the field
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            return arrays.add(step, items, candidates, step.trie)
        if lane is not None:
            gate |= lane.gate(item)
    if lane is not None:
        candidates &= gate
    return candidates & step.below_gate  # scalars have nothing below them


class _Arrays:
    """The leaves of an event's arrays, flattened with element memberships for the same-element check."""

    __slots__ = ("counter", "leaves", "paths")

    def __init__(self) -> None:
        self.leaves: Leaves = {}
        self.paths: list[str] = []  # fields with leaves inside arrays of objects
        self.counter = [0]

    def add(self, step: PlanNode, value: object, candidates: int, wanted: PathTrie | None) -> int:
        """``candidates`` ANDed with the gates of the lanes at and below ``value`` (an array, or the event)."""
        leaves = self.leaves
        flatten_into(leaves, value, step.path, wanted, self.counter)
        for path, lane in step.lanes:
            found = leaves.get(path)
            if found is None:
                candidates &= lane.absent()
                continue
            gate = lane.unconstrained()  # no leaf at all (an empty array): only branches free of this field
            for leaf, membership in found:
                gate |= lane.gate(leaf)
                if membership is not None and (not self.paths or self.paths[-1] != path):
                    self.paths.append(path)
            candidates &= gate
        return candidates


def _consistent(branch: Branch, leaves: Leaves) -> bool:
    """Whether one choice of satisfying leaf per field has compatible array memberships."""
    options: list[list[Membership]] = []
    for path, values in branch.items():
        found = leaves.get(path)
        if found is None:
            continue  # satisfied by absence, or a leaf outside any array (compatible with all)
        options.append([m for leaf, m in found if any(v.matches(leaf) for v in values)])

    def search(i: int, membership: Membership) -> bool:
        if i == len(options):
            return True
        return any(compatible(membership, m) and search(i + 1, merge(membership, m)) for m in options[i])

    return search(0, None)
