"""Bit positions handed out to branches, reused after removal.

Masks cost time in proportion to their highest bit, so a removed branch's
position goes back to a heap and the smallest free one is taken first: the
masks stay as short as the number of live branches allows.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable


class BitSlots:
    """Position -> owning rule id, with released positions reused smallest first."""

    __slots__ = ("_free", "owners")

    def __init__(self) -> None:
        self.owners: list[Hashable] = []
        self._free: list[int] = []

    def take(self, owner: Hashable) -> int:
        if self._free:
            position = heapq.heappop(self._free)
            self.owners[position] = owner
        else:
            position = len(self.owners)
            self.owners.append(owner)
        return position

    def release(self, position: int) -> None:
        self.owners[position] = None
        heapq.heappush(self._free, position)
