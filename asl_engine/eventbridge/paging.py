"""NextToken/Limit pagination shared by every List operation."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

from .errors import ValidationError

T = TypeVar("T")


def page(items: Sequence[T], next_token: str | None, limit: int | None) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token for the next one (None on the last page)."""
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except ValueError:
            raise ValidationError("The NextToken provided is invalid.") from None
    end = len(items) if limit is None else start + limit
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return list(items[start:end]), token
