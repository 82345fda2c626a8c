"""Offset pagination behind opaque tokens, shared by every List call the local services answer.

Step Functions (``nextToken``/``maxResults``) and the EventBridge family
(``NextToken``/``Limit``) page the same way and differ only in how they refuse
a bad token, so each passes its own refusal. A token names the listing it was
issued for (``scope``): AWS refuses a token replayed against another listing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def page(items: Sequence[T], token: str | None, size: int | None, *, scope: str = "",
         invalid: Callable[[str], Exception]) -> tuple[list[T], str | None]:
    """The page of ``items`` that ``token`` starts (``size`` items, all when None) and the next page's token,
    None on the last page; a token this listing did not issue raises ``invalid(token)``."""
    start = _decode(token, scope, invalid) if token else 0
    end = len(items) if size is None else start + size
    return list(items[start:end]), (_encode(end, scope) if end < len(items) else None)


def _encode(offset: int, scope: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "s": scope}).encode()).decode()


def _decode(token: str, scope: str, invalid: Callable[[str], Exception]) -> int:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
        if doc["s"] == scope and isinstance(doc["o"], int) and doc["o"] >= 0:
            return doc["o"]
    except (ValueError, KeyError, TypeError):
        pass
    raise invalid(token)
