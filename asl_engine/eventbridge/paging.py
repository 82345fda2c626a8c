"""NextToken/Limit pagination shared by every List operation, refusing a bad token as EventBridge does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from asl_engine import pages

from .errors import ValidationError

T = TypeVar("T")


def page(items: Sequence[T], next_token: str | None, limit: int | None) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token for the next one (None on the last page)."""
    return pages.page(items, next_token, limit, invalid=lambda _: ValidationError("The NextToken provided is invalid."))
