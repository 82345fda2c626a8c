"""Branches matched together with bitmasks, one gate per field ANDed into a candidate mask.

Every branch constraining two fields or more owns one bit of the group's
shared space. Each field path has a ``Lane`` whose per-value answer is a gate
mask of the shared branches that value lets through; matching an event ANDs
one gate per field into a candidate mask, a fixed number of Python operations
per field whatever the number of rules (the AND itself runs in C over N/30
digits). A branch constraining one field only is decided by that field's
value alone and skips the AND (see lane.py).

Fields inside arrays of objects must be matched by values from the same
array element; the few candidate branches where that could matter are
re-checked exactly against the leaves' array membership.
"""

from __future__ import annotations

from collections.abc import Hashable

from .flatten import Leaves, Membership, compatible, merge
from .lane import Lane
from .masks import bit_positions
from .model import Branch
from .slots import BitSlots


class RuleGroup:
    """Branches indexed together; ``match`` adds the ids of those an event satisfies to a set."""

    __slots__ = ("_branches", "_live", "_order", "_slots", "lanes")

    def __init__(self) -> None:
        self.lanes: dict[str, Lane] = {}
        self._slots = BitSlots()  # shared positions
        self._branches: dict[int, Branch] = {}  # shared position -> branch
        self._live = 0
        self._order: list[tuple[str, Lane]] | None = []

    def add(self, rule_id: Hashable, branch: Branch) -> int:
        """Indexes one branch; the position returned (solo or shared, by the branch's size) is for ``remove``."""
        self._changed()
        if len(branch) == 1:
            ((path, values),) = branch.items()
            lane = self._lane(path)
            position = lane.solo_slots.take(rule_id)
            lane.add(values, 1 << position, solo=True)
            return position
        position = self._slots.take(rule_id)
        self._branches[position] = branch
        bit = 1 << position
        for path, values in branch.items():
            self._lane(path).add(values, bit, solo=False)
        self._live |= bit
        return position

    def remove(self, rule_id: Hashable, branch: Branch, position: int) -> None:
        """Drops a branch ``add`` indexed at ``position``."""
        self._changed()
        bit = 1 << position
        if len(branch) == 1:
            ((path, values),) = branch.items()
            self.lanes[path].remove(values, bit, solo=True)
            self.lanes[path].solo_slots.release(position)
            self._drop_if_empty(path)
            return
        del self._branches[position]
        for path, values in branch.items():
            self.lanes[path].remove(values, bit, solo=False)
            self._drop_if_empty(path)
        self._live &= ~bit
        self._slots.release(position)

    def _lane(self, path: str) -> Lane:
        lane = self.lanes.get(path)
        if lane is None:
            lane = self.lanes[path] = Lane()
        return lane

    def _drop_if_empty(self, path: str) -> None:
        if not self.lanes[path]:
            del self.lanes[path]

    def _changed(self) -> None:
        self._order = None

    def _lane_order(self) -> list[tuple[str, Lane]]:
        """Lanes with every cached answer dropped, fields most shared branches constrain first."""
        for lane in self.lanes.values():
            lane.changed()
        self._order = sorted(self.lanes.items(), key=lambda item: -item[1].shared.constrained.bit_count())
        return self._order

    def match(self, leaves: Leaves, out: set[Hashable]) -> None:
        """Adds to ``out`` the ids of the rules with a branch in this group that the event satisfies."""
        candidates = self._live
        in_arrays = []  # fields whose leaves sit inside arrays of objects
        for path, lane in self._order if self._order is not None else self._lane_order():
            found = leaves.get(path)
            if found is None:
                gate, ids = lane.absent()
            elif len(found) == 1 and found[0][1] is None:
                gate, ids = lane.answer(found[0][0])
            else:  # several leaves, or none (an empty array): only branches free of this field pass then
                gate = lane.shared.gate_masks()[0]
                for value, membership in found:
                    satisfied, more = lane.answer(value)
                    gate |= satisfied
                    if more:
                        out.update(more)
                    if membership is not None and (not in_arrays or in_arrays[-1] != path):
                        in_arrays.append(path)
                ids = ()
            candidates &= gate
            if ids:
                out.update(ids)
        if not candidates:
            return
        if len(in_arrays) > 1:
            candidates = self._same_elements(candidates, in_arrays, leaves)
        owners = self._slots.owners
        out.update([owners[position] for position in bit_positions(candidates)])

    def _same_elements(self, candidates: int, paths: list[str], leaves: Leaves) -> int:
        """Drops candidates whose fields are satisfied only by values from different array elements."""
        seen_once = seen_twice = 0
        for path in paths:
            constrained = self.lanes[path].shared.constrained
            seen_twice |= seen_once & constrained
            seen_once |= constrained
        for position in bit_positions(candidates & seen_twice):
            if not _consistent(self._branches[position], leaves):
                candidates &= ~(1 << position)
        return candidates


def _consistent(branch: Branch, leaves: Leaves) -> bool:
    """Whether one choice of satisfying leaf per field has compatible array memberships."""
    options: list[list[Membership]] = []
    for path, values in branch.items():
        found = leaves.get(path)
        if found is None:
            continue  # satisfied by absence
        options.append([m for leaf, m in found if any(v.matches(leaf) for v in values)])

    def search(i: int, membership: Membership) -> bool:
        if i == len(options):
            return True
        return any(compatible(membership, m) and search(i + 1, merge(membership, m)) for m in options[i])

    return search(0, None)
