"""All rules of a bus in one index, matched against an event at once.

Why bitmasks and not event-ruler's automaton: event-ruler walks a state
machine, and walked in CPython every visited state costs interpreter time;
measured on the shared benchmark it was 4x slower at 10,000 rules than
per-field gates ANDed as integers (branches.py), where an event costs a fixed
number of Python operations per field whatever the number of rules.

What an event costs at 10,000 rules (about 180 of them matching), measured
with the shared benchmark's workload, about 17 us: parsing (orjson,
decode.py) 2 to 3; the walk in C (native.py, _walk.c) 5 to 6, that is one
dict probe per field some rule uses (plan.py), one cached gate per field
value or, for values never seen (amounts, object keys, addresses), the value
indexes probed as bitmaps, and one AND of 1.4 KB per field; then listing the
~180 set bits as a set of rule ids, 7 (most of it the set's own insertions).
After a change of the rules, the first event rebuilds the C walk's tables:
5 to 8 ms at 10,000 rules. The same walk in Python (branches.py) took 75 us
an event: every AND and OR of 10,000-bit integers allocates, and each unseen
value cost 3 to 8 us of Python in the value indexes. Tried and dropped,
measured: one group of rules per
source (shorter masks, but every group recomputed and cached its own gates
for the same values: 172 against 135 us an event), and keeping single-field
branches out of the masks with their rule ids cached per value (a second
index probe per unseen value cost more than the listing it saved); in C,
prefetching the rule ids before adding them to the set, and making the set
from a tuple of them (both no faster: the time is the set's own insertions).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from .branches import BranchIndex
from .decode import loads
from .grammar import compile_pattern
from .model import CompiledPattern


class EventMatcher:
    """The rules of one bus, compiled together; ``matching_rules`` answers which match an event."""

    def __init__(self, native: bool = True) -> None:
        """``native=False`` walks events in Python only: the reference the C walk (native.py) is tested against."""
        self._index = BranchIndex(native)
        self._rules: dict[Hashable, list[int]] = {}  # rule id -> bit positions of its branches

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def add_rule(self, rule_id: Hashable, pattern: str | CompiledPattern) -> None:
        """Adds (or replaces) a rule; a pattern given as text is validated first."""
        compiled = compile_pattern(pattern) if isinstance(pattern, str) else pattern
        if rule_id in self._rules:
            self.remove_rule(rule_id)
        self._rules[rule_id] = [self._index.add(rule_id, branch) for branch in compiled.branches]

    def remove_rule(self, rule_id: Hashable) -> None:
        """Removes a rule (KeyError when absent); its bits are cleared at once."""
        for position in self._rules.pop(rule_id):
            self._index.remove(position)

    def matching_rules(self, event: Mapping[str, object]) -> set[Hashable]:
        """Ids of the rules whose pattern matches ``event`` (a parsed JSON object)."""
        return self._index.match(event)

    def matching_rules_json(self, event_json: str) -> set[Hashable]:
        """``matching_rules`` for an event given as JSON text."""
        return self._index.match(loads(event_json))  # type: ignore[arg-type]
