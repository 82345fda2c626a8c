"""Turns an event into the leaf values each field path holds.

Matching looks values up by path ("detail.order.items.sku"), the way
event-ruler flattens events. Arrays contribute one leaf per element. Where an
array holds objects, each leaf also records which element it came from
(``membership``: array id to element index), because AWS requires the fields
a rule matches inside such an array to come from the same element.
"""

from __future__ import annotations

from collections.abc import Container, Mapping

Membership = dict[int, int] | None
Leaves = dict[str, list[tuple[object, Membership]]]


def flatten(event: Mapping[str, object], wanted: Container[str] | None = None) -> Leaves:
    """Leaves of ``event`` by path; paths not in ``wanted`` (path prefixes) are skipped."""
    out: Leaves = {}
    counter = [0]

    def walk(node: object, path: str, membership: Membership) -> None:
        kind = type(node)
        if kind is dict:
            for key, child in node.items():  # type: ignore[attr-defined]
                child_path = f"{path}.{key}" if path else key
                if wanted is None or child_path in wanted:
                    walk(child, child_path, membership)
        elif kind is list:
            if any(type(item) in (dict, list) for item in node):  # type: ignore[attr-defined]
                counter[0] += 1
                array_id = counter[0]
                for index, item in enumerate(node):  # type: ignore[arg-type]
                    inner = dict(membership) if membership else {}
                    inner[array_id] = index
                    walk(item, path, inner)
            else:
                leaves = out.setdefault(path, [])
                leaves.extend((item, membership) for item in node)  # type: ignore[attr-defined]
        else:
            out.setdefault(path, []).append((node, membership))

    walk(event, "", None)
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
