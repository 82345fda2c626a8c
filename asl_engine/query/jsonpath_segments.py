"""Evaluation of JSONPath segments and filter predicates, with Jayway's semantics.

Only indefinite paths (and the rare definite ones with a name union) come
here; simple definite paths never do.  Segments append what they select to an
output list; a missing field selects nothing, which is how Jayway skips it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from asl_engine.query.jsontext import json_key

UNDEFINED: Any = object()  # what a filter operand path yields when it selects nothing


class Segment:
    """One step of a path; ``select`` appends the children of ``node`` it matches to ``out``."""

    __slots__ = ()
    definite = False

    def select(self, node: Any, out: list, root: Any) -> None:
        raise NotImplementedError


class Name(Segment):
    __slots__ = ("key",)
    definite = True

    def __init__(self, key: str) -> None:
        self.key = key

    def select(self, node: Any, out: list, root: Any) -> None:
        if isinstance(node, dict) and self.key in node:
            out.append(node[self.key])


class Index(Segment):
    """``[i]``; out of range selects ``null`` (Jackson's ``ArrayNode.get``), negative counts from the end."""

    __slots__ = ("index",)
    definite = True

    def __init__(self, index: int) -> None:
        self.index = index

    def select(self, node: Any, out: list, root: Any) -> None:
        if isinstance(node, list):
            out.append(_item(node, self.index))


class NameUnion(Segment):
    """``['a','b']``: each field; as the last segment Jayway merges them into one object instead."""

    __slots__ = ("keys",)
    definite = True

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys

    def select(self, node: Any, out: list, root: Any) -> None:
        if isinstance(node, dict):
            out.extend(node[k] for k in self.keys if k in node)

    def merge(self, node: Any, out: list) -> None:
        if isinstance(node, dict):
            out.append({k: node[k] for k in self.keys if k in node})


class IndexUnion(Segment):
    __slots__ = ("indexes",)

    def __init__(self, indexes: tuple[int, ...]) -> None:
        self.indexes = indexes

    def select(self, node: Any, out: list, root: Any) -> None:
        if isinstance(node, list):
            out.extend(_item(node, i) for i in self.indexes)


class Slice(Segment):
    __slots__ = ("hi", "lo")

    def __init__(self, lo: int | None, hi: int | None) -> None:
        self.lo, self.hi = lo, hi

    def select(self, node: Any, out: list, root: Any) -> None:
        if isinstance(node, list):
            out.extend(node[self.lo:self.hi])


class Wildcard(Segment):
    __slots__ = ()

    def select(self, node: Any, out: list, root: Any) -> None:
        if isinstance(node, dict):
            out.extend(node.values())
        elif isinstance(node, list):
            out.extend(node)


class Filter(Segment):
    """``[?(...)]``: on an array, the matching elements; on an object, the object itself if it matches."""

    __slots__ = ("predicate",)

    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate

    def select(self, node: Any, out: list, root: Any) -> None:
        test = self.predicate.test
        if isinstance(node, dict):
            if test(node, root):
                out.append(node)
        elif isinstance(node, list):
            out.extend(item for item in node if test(item, root))


class Scan(Segment):
    """``..x``: ``x`` applied to the node and every descendant, in document pre-order (as Jayway walks)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Segment) -> None:
        self.inner = inner

    def select(self, node: Any, out: list, root: Any) -> None:
        inner = self.inner
        if isinstance(inner, Filter):
            # Jayway tests the filter against each object it walks; arrays are only traversed.
            test = inner.predicate.test
            out.extend(n for n in _preorder(node) if isinstance(n, dict) and test(n, root))
            return
        for n in _preorder(node):
            inner.select(n, out, root)


def select_all(segments: tuple[Segment, ...], doc: Any, root: Any) -> list:
    """Every value the segments select from ``doc``; ``root`` is what ``$`` means inside filters."""
    nodes = [doc]
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        out: list = []
        if i == last and isinstance(segment, NameUnion):
            for node in nodes:
                segment.merge(node, out)
        else:
            for node in nodes:
                segment.select(node, out, root)
        nodes = out
    return nodes


def _item(array: list, index: int) -> Any:
    i = index + len(array) if index < 0 else index
    return array[i] if 0 <= i < len(array) else None


def _preorder(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for child in node.values():
            yield from _preorder(child)
    elif isinstance(node, list):
        for child in node:
            yield from _preorder(child)


# --- filter predicates ---------------------------------------------------------------------------

class Operand:
    __slots__ = ()

    def value(self, node: Any, root: Any) -> Any:
        raise NotImplementedError


class Literal(Operand):
    __slots__ = ("literal",)

    def __init__(self, literal: Any) -> None:
        self.literal = literal

    def value(self, node: Any, root: Any) -> Any:
        return self.literal


class PathOperand(Operand):
    """``@.x`` (relative to the tested node) or ``$.x`` (the whole document)."""

    __slots__ = ("definite", "relative", "segments")

    def __init__(self, relative: bool, segments: tuple[Segment, ...]) -> None:
        self.relative = relative
        self.segments = segments
        self.definite = all(s.definite for s in segments)

    def value(self, node: Any, root: Any) -> Any:
        matches = select_all(self.segments, node if self.relative else root, root)
        if self.definite:
            return matches[0] if matches else UNDEFINED
        return matches


class Predicate:
    __slots__ = ()

    def test(self, node: Any, root: Any) -> bool:
        raise NotImplementedError


class Or(Predicate):
    __slots__ = ("left", "right")

    def __init__(self, left: Predicate, right: Predicate) -> None:
        self.left, self.right = left, right

    def test(self, node: Any, root: Any) -> bool:
        return self.left.test(node, root) or self.right.test(node, root)


class And(Predicate):
    __slots__ = ("left", "right")

    def __init__(self, left: Predicate, right: Predicate) -> None:
        self.left, self.right = left, right

    def test(self, node: Any, root: Any) -> bool:
        return self.left.test(node, root) and self.right.test(node, root)


class Not(Predicate):
    __slots__ = ("inner",)

    def __init__(self, inner: Predicate) -> None:
        self.inner = inner

    def test(self, node: Any, root: Any) -> bool:
        return not self.inner.test(node, root)


class Exists(Predicate):
    """``[?(@.x)]``: the path selects something, even ``null``."""

    __slots__ = ("operand",)

    def __init__(self, operand: Operand) -> None:
        self.operand = operand

    def test(self, node: Any, root: Any) -> bool:
        return self.operand.value(node, root) is not UNDEFINED


class Compare(Predicate):
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Operand, right: Operand) -> None:
        self.op, self.left, self.right = op, left, right

    def test(self, node: Any, root: Any) -> bool:
        return _OPS[self.op](self.left.value(node, root), self.right.value(node, root))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _eq(a: Any, b: Any) -> bool:
    if a is UNDEFINED or b is UNDEFINED:
        return False
    if _is_number(a) and _is_number(b):
        return a == b
    return json_key(a) == json_key(b)


def _ordered(a: Any, b: Any) -> bool:
    return (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))


def _in(a: Any, b: Any) -> bool:
    return isinstance(b, list) and any(_eq(a, x) for x in b)


def _size(a: Any, b: Any) -> bool:
    return isinstance(a, (str, list)) and _is_number(b) and len(a) == b


def _empty(a: Any, b: Any) -> bool:
    return isinstance(a, (str, list)) and isinstance(b, bool) and (len(a) == 0) == b


def _regex(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, re.Pattern) and b.fullmatch(a) is not None


def _subset(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and all(_in(x, b) for x in a)


def _any(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and any(_in(x, b) for x in a)


def _none(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and not any(_in(x, b) for x in a)


_OPS = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),  # Jayway: a missing field is "not equal" to anything
    "<": lambda a, b: _ordered(a, b) and a < b,
    "<=": lambda a, b: _ordered(a, b) and a <= b,
    ">": lambda a, b: _ordered(a, b) and a > b,
    ">=": lambda a, b: _ordered(a, b) and a >= b,
    "=~": _regex,
    "in": _in,
    "nin": lambda a, b: a is not UNDEFINED and isinstance(b, list) and not _in(a, b),
    "subsetof": _subset,
    "anyof": _any,
    "noneof": _none,
    "size": _size,
    "empty": _empty,
}
OPERATORS = tuple(_OPS)
