"""Opaque nextToken pagination over an ordered list, as the List* and GetExecutionHistory calls do it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from asl_engine import pages
from asl_engine.server.errors import ApiError

T = TypeVar("T")
DEFAULT_PAGE = 100


def page(items: Sequence[T], params: dict[str, Any], *, scope: str, default: int = DEFAULT_PAGE
         ) -> tuple[Sequence[T], str | None]:
    """The page ``params`` asks for (``maxResults``, ``nextToken``) and the token of the next one; a token is
    only good for the listing it came from (``scope``), AWS answers InvalidToken otherwise."""
    return pages.page(items, params.get("nextToken"), params.get("maxResults") or default, scope=scope,
                      invalid=lambda token: ApiError("InvalidToken", f"Invalid Token: '{token}'"))


def paged(key: str, items: Sequence[T], params: dict[str, Any], *, scope: str,
          render: Callable[[T], Any] | None = None) -> dict[str, Any]:
    """A List* response: the page ``params`` asks for under ``key`` (each item through ``render``), and
    ``nextToken`` only when more remain, as AWS leaves it out on the last page."""
    chosen, token = page(items, params, scope=scope)
    out: dict[str, Any] = {key: [render(item) for item in chosen] if render else list(chosen)}
    if token:
        out["nextToken"] = token
    return out
