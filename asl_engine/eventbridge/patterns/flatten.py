"""Turns an event into the leaf values each field path holds.

Matching looks values up by path ("detail.order.items.sku"), the way
event-ruler flattens events. Arrays contribute one leaf per element. Where an
array holds objects, each leaf also records which element it came from
(``membership``: array id to element index), because AWS requires the fields
a rule matches inside such an array to come from the same element.

The matcher passes a ``PathTrie`` of the paths its rules use, so the walk
visits only those keys: an event's other fields (ids, times, resources) cost
nothing, and no path string is built per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Membership = dict[int, int] | None
Leaves = dict[str, list[tuple[object, Membership]]]
PathTrie = dict[str, tuple[str, "PathTrie"]]
"""key -> (the path ending at that key, the keys wanted below it)."""

_MISSING = object()


def path_trie(paths: Iterable[str]) -> PathTrie:
    """The trie of field paths ("detail.state" etc.) that ``flatten`` restricts its walk to."""
    root: PathTrie = {}
    for path in paths:
        node = root
        parts = path.split(".")
        for i, key in enumerate(parts):
            if key not in node:
                node[key] = (".".join(parts[: i + 1]), {})
            node = node[key][1]
    return root


def flatten(event: Mapping[str, object], wanted: PathTrie | None = None) -> Leaves:
    """Leaves of ``event`` by path: all of them, or those under the paths of ``wanted``."""
    out: Leaves = {}
    arrays = [0]  # ids handed to arrays of objects

    def leaf(value: object, path: str, trie: PathTrie | None, membership: Membership) -> None:
        kind = type(value)
        if kind is dict:
            walk(value, path, trie, membership)  # type: ignore[arg-type]
        elif kind is list:
            if any(type(item) in (dict, list) for item in value):  # type: ignore[attr-defined]
                arrays[0] += 1
                array_id = arrays[0]
                for index, item in enumerate(value):  # type: ignore[arg-type]
                    inner = dict(membership) if membership else {}
                    inner[array_id] = index
                    leaf(item, path, trie, inner)
            else:
                out.setdefault(path, []).extend((item, membership) for item in value)  # type: ignore[attr-defined]
        else:
            out.setdefault(path, []).append((value, membership))

    def walk(node: dict, path: str, trie: PathTrie | None, membership: Membership) -> None:
        if trie is None:
            for key, child in node.items():
                leaf(child, f"{path}.{key}" if path else key, None, membership)
            return
        for key, (child_path, below) in trie.items():
            child = node.get(key, _MISSING)
            if child is _MISSING:
                continue
            kind = type(child)
            if kind is dict or kind is list:
                leaf(child, child_path, below, membership)
            else:
                out.setdefault(child_path, []).append((child, membership))

    leaf(event, "", wanted, None)
    return out


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
