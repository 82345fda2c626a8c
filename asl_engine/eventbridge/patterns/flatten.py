"""Turns an event into the leaf values each field path holds.

Matching looks values up by path ("detail.order.items.sku"), the way
event-ruler flattens events. Arrays contribute one leaf per element. Where an
array holds objects, each leaf also records which element it came from
(``membership``: array id to element index), because AWS requires the fields
a rule matches inside such an array to come from the same element.

The matcher flattens only arrays (plan.py walks objects itself), and passes
a ``PathTrie`` of the paths its rules use below them, so only those keys are
visited and no path string is built per event.
"""

from __future__ import annotations

from collections.abc import Mapping

Membership = dict[int, int] | None
Leaves = dict[str, list[tuple[object, Membership]]]
PathTrie = dict[str, tuple[str, "PathTrie"]]
"""key -> (the path ending at that key, the keys wanted below it)."""

_MISSING = object()


class DottedKey(Exception):
    """An object on a ``PathTrie`` walk has a key the trie cannot spell; the caller flattens in full.

    A key with a dot puts its leaves at paths a trie of single keys does not
    reach ({"a.b": 1} is at "a.b" like {"a": {"b": 1}}), and so may a key
    that is not a string (an event built in Python).
    """


def check_keys(node: dict) -> None:
    """Raises DottedKey unless every key of ``node`` is a string without a dot (one join, in C)."""
    try:
        dotted = "." in "".join(node)
    except TypeError:
        dotted = True
    if dotted:
        raise DottedKey


def flatten(event: Mapping[str, object]) -> Leaves:
    """Every leaf of ``event``, by path."""
    out: Leaves = {}
    flatten_into(out, event, "", None, [0])
    return out


def flatten_into(
    out: Leaves, value: object, path: str, wanted: PathTrie | None, arrays: list[int], membership: Membership = None
) -> None:
    """Adds the leaves of ``value``, found at ``path``, to ``out``: all, or those under the paths of ``wanted``.

    ``arrays`` holds the last id given to an array of objects, shared by the calls for one event.
    """
    kind = type(value)
    if kind is dict:
        if wanted is None:
            for key, child in value.items():  # type: ignore[attr-defined]
                flatten_into(out, child, f"{path}.{key}" if path else key, None, arrays, membership)
            return
        check_keys(value)  # type: ignore[arg-type]
        for key, (child_path, below) in wanted.items():
            child = value.get(key, _MISSING)  # type: ignore[attr-defined]
            if child is _MISSING:
                continue
            if type(child) is dict or type(child) is list:
                flatten_into(out, child, child_path, below, arrays, membership)
            else:
                out.setdefault(child_path, []).append((child, membership))
    elif kind is list:
        if any(type(item) in (dict, list) for item in value):  # type: ignore[attr-defined]
            arrays[0] += 1
            array_id = arrays[0]
            for index, item in enumerate(value):  # type: ignore[arg-type]
                inner = dict(membership) if membership else {}
                inner[array_id] = index
                flatten_into(out, item, path, wanted, arrays, inner)
        else:
            out.setdefault(path, []).extend((item, membership) for item in value)  # type: ignore[attr-defined]
    else:
        out.setdefault(path, []).append((value, membership))


def compatible(first: Membership, second: Membership) -> bool:
    """Whether two leaves can come from the same element of every array they share."""
    if not first or not second:
        return True
    return all(first.get(array_id, index) == index for array_id, index in second.items())


def merge(first: Membership, second: Membership) -> Membership:
    if not second:
        return first
    if not first:
        return second
    return {**first, **second}
