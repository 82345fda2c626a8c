"""Opaque nextToken pagination over an ordered list, as the List* and GetExecutionHistory calls do it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from asl_engine.server.errors import ApiError

T = TypeVar("T")
DEFAULT_PAGE = 100


def page(items: Sequence[T], params: dict[str, Any], *, scope: str, default: int = DEFAULT_PAGE
         ) -> tuple[Sequence[T], str | None]:
    """The page ``params`` asks for (``maxResults``, ``nextToken``) and the token of the next one.

    A token is only good for the listing it came from (``scope``); AWS answers InvalidToken otherwise.
    """
    size = params.get("maxResults") or default
    start = 0
    token = params.get("nextToken")
    if token is not None:
        start = _decode(token, scope)
    end = start + size
    return items[start:end], (_encode(end, scope) if end < len(items) else None)


def paged(key: str, items: Sequence[T], params: dict[str, Any], *, scope: str,
          render: Callable[[T], Any] | None = None) -> dict[str, Any]:
    """A List* response: the page ``params`` asks for under ``key`` (each item through ``render``), and
    ``nextToken`` only when more remain, as AWS leaves it out on the last page."""
    chosen, token = page(items, params, scope=scope)
    out: dict[str, Any] = {key: [render(item) for item in chosen] if render else list(chosen)}
    if token:
        out["nextToken"] = token
    return out


def _encode(offset: int, scope: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "s": scope}).encode()).decode()


def _decode(token: str, scope: str) -> int:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
        if doc["s"] == scope and isinstance(doc["o"], int) and doc["o"] >= 0:
            return doc["o"]
    except (ValueError, KeyError, TypeError):
        pass
    raise ApiError("InvalidToken", f"Invalid Token: '{token}'")
