"""The walk an event takes through the matcher: the trie of the field paths some rule uses.

Matching follows the event's objects along this trie instead of flattening
the event first: each key some rule uses is one dict probe, each scalar
found is handed straight to its lane, and a key the event lacks settles
every field below it at once, with the AND of their ``absent`` gates
computed here, once per change of the rules.
"""

from __future__ import annotations

from .flatten import PathTrie
from .lane import Lane

ALL = -1
"""The mask with every bit set: the gate of nothing."""


class PlanNode:
    """One key of the trie: the lane of the path ending here (if any), and what lies below."""

    __slots__ = ("absent_gate", "below_gate", "children", "lane", "lanes", "path", "trie")

    def __init__(self, path: str) -> None:
        self.path = path
        self.lane: Lane | None = None
        self.children: tuple[tuple[str, PlanNode], ...] = ()
        self.lanes: tuple[tuple[str, Lane], ...] = ()  # every lane at or below, for arrays of objects
        self.trie: PathTrie = {}  # the paths below, for flattening an array of objects
        self.below_gate = ALL  # the fields below all absent: their gates ANDed
        self.absent_gate = ALL  # the same with this node's own field absent too


def build_plan(lanes: dict[str, Lane]) -> PlanNode:
    """The root of the trie over ``lanes``' paths (the empty path)."""
    root = PlanNode("")
    nodes = {"": root}
    kids: dict[str, dict[str, PlanNode]] = {"": {}}
    for path in sorted(lanes):
        parent = ""
        for depth, key in enumerate(parts := path.split(".")):
            here = ".".join(parts[: depth + 1])
            if here not in nodes:
                nodes[here] = PlanNode(here)
                kids[here] = {}
                kids[parent][key] = nodes[here]
            parent = here
        nodes[path].lane = lanes[path]
    _finish(root, kids)
    return root


def _finish(node: PlanNode, kids: dict[str, dict[str, PlanNode]]) -> None:
    node.children = tuple(kids[node.path].items())
    lanes: list[tuple[str, Lane]] = [(node.path, node.lane)] if node.lane is not None else []
    below = ALL
    for _, child in node.children:
        _finish(child, kids)
        lanes.extend(child.lanes)
        below &= child.absent_gate
    node.lanes = tuple(lanes)
    node.trie = {key: (child.path, child.trie) for key, child in node.children}
    node.below_gate = below
    node.absent_gate = below & node.lane.absent() if node.lane is not None else below
