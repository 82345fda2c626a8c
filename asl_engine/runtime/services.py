"""Randomness and ids, injected so that every run can be reproduced.

Intrinsics (States.UUID, States.MathRandom), JSONata ($random, $uuid), retry
jitter, task tokens and generated execution names all draw from one
``Services`` object; a seeded one gives the same run twice.
"""

from __future__ import annotations

import random
import uuid


class Services:
    """The randomness source of an execution; ``seed`` makes it reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def random(self) -> float:
        return self._random.random()

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
