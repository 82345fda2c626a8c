"""What a path, payload template or expression is evaluated against.

The context object (``$$``) is costly to build and rarely read, so it is built
on first use; the hot loop of a Pass chain never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_EMPTY: Mapping[str, Any] = {}


class Scope:
    """The data a query can see: ``$`` (input), ``$$`` (context) and ``$name`` (variables)."""

    __slots__ = ("_context", "_make_context", "input", "variables")

    def __init__(self, input: Any, make_context: Callable[[], dict] | None = None,
                 variables: Mapping[str, Any] = _EMPTY, context: dict | None = None) -> None:
        self.input = input
        self._make_context = make_context
        self._context = context
        self.variables = variables

    @property
    def context(self) -> dict:
        if self._context is None:
            self._context = self._make_context() if self._make_context else {}
        return self._context
