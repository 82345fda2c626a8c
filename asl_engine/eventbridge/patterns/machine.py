"""All rules of a bus compiled into one automaton (event-ruler's design).

Each branch of each rule becomes a path of states; a step tests one field.
Branches that start with the same field conditions share states, so matching
an event costs roughly the number of states its values reach, not the number
of rules. Within a state, each field has a matcher with value indexes: hash
maps for exact values, prefix/suffix maps probed by length, and a short scan
list for ranges, wildcards and anything-but (which are tried in order).

Fields of a branch are visited most selective first (exact values, then
ranges and affixes, then anything-but and exists), so the states reached
early are few. A removed rule is hidden at once and its states are dropped by
a rebuild once enough rules were removed, which keeps removal cheap.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Hashable, Mapping

from .flatten import Membership, compatible, flatten, merge
from .grammar import compile_pattern
from .model import (
    AnythingBut,
    AnythingButString,
    Branch,
    CompiledPattern,
    EqualsIgnoreCase,
    ExactLiteral,
    ExactNumber,
    ExactString,
    Exists,
    IPRange,
    NumericRange,
    Prefix,
    Suffix,
    ValuePattern,
)
from .ipaddr import ip_or_none
from .numbers import number_key

_EXACT = (ExactString, ExactNumber, ExactLiteral, EqualsIgnoreCase)
_REBUILD_MIN_DEAD = 64
_ENVELOPE_ORDER = {"source": 0, "detail-type": 1, "account": 2, "region": 3}


Edge = tuple[str, "Callable[[object], list[_State] | None]", list["_State"]]


class _State:
    __slots__ = ("_edges", "fields", "terminals")

    def __init__(self) -> None:
        self.fields: dict[str, _FieldMatcher] = {}
        self.terminals: set[int] = set()
        self._edges: tuple[Edge, ...] | None = ()

    def changed(self) -> None:
        self._edges = None

    def edges(self) -> tuple[Edge, ...]:
        """(path, probe, absence targets) per field, with each probe specialised to its patterns.

        Built on first use after a change, so adding many rules costs one build.
        """
        if self._edges is None:
            self._edges = tuple((path, m.probe(), m.absent) for path, m in self.fields.items())
        return self._edges


class _AffixIndex:
    """Prefixes (or suffixes) by length: a lookup costs one probe per distinct length."""

    __slots__ = ("by_text", "lengths", "suffix")

    def __init__(self, suffix: bool) -> None:
        self.by_text: dict[str, list[_State]] = {}
        self.lengths: list[int] = []
        self.suffix = suffix

    def add(self, text: str, state: _State) -> None:
        self.by_text.setdefault(text, []).append(state)
        if len(text) not in self.lengths:
            self.lengths.append(len(text))
            self.lengths.sort()

    def collect(self, value: str, out: list[_State]) -> None:
        by_text = self.by_text
        size = len(value)
        for length in self.lengths:
            if length > size:
                break
            key = (value[size - length :] if length else "") if self.suffix else value[:length]
            found = by_text.get(key)
            if found:
                out.extend(found)


class _FieldMatcher:
    """The transitions out of one state on one field path."""

    __slots__ = (
        "absent", "by_condition", "exists", "ignore_case", "ignore_case_prefix", "ignore_case_suffix",
        "ips", "kinds", "literals", "numbers", "prefix", "ranges", "scan", "strings", "suffix",
    )  # fmt: skip

    def __init__(self) -> None:
        self.by_condition: dict[frozenset[ValuePattern], _State] = {}
        self.kinds: set[type] = set()
        self.strings: dict[str, list[_State]] = {}
        self.numbers: dict[object, list[_State]] = {}
        self.literals: dict[object, list[_State]] = {}
        self.ignore_case: dict[str, list[_State]] = {}
        self.prefix: _AffixIndex | None = None
        self.suffix: _AffixIndex | None = None
        self.ignore_case_prefix: _AffixIndex | None = None
        self.ignore_case_suffix: _AffixIndex | None = None
        self.ranges: list[tuple[NumericRange, _State]] = []  # sorted by lower bound
        self.ips: list[tuple[IPRange, _State]] = []
        self.scan: list[tuple[ValuePattern, _State]] = []  # wildcard and anything-but: tried in turn
        self.exists: list[_State] = []
        self.absent: list[_State] = []

    def add(self, pattern: ValuePattern, state: _State) -> None:
        kind = type(pattern)
        self.kinds.add(kind)
        if kind is ExactString:
            self.strings.setdefault(pattern.value, []).append(state)
        elif kind is ExactNumber:
            self.numbers.setdefault(pattern.key, []).append(state)
        elif kind is ExactLiteral:
            self.literals.setdefault(pattern.value, []).append(state)
        elif kind is EqualsIgnoreCase:
            self.ignore_case.setdefault(pattern.lowered, []).append(state)
        elif kind is Prefix or kind is Suffix:
            self._affix(pattern).add(pattern.prefix if kind is Prefix else pattern.suffix, state)
        elif kind is Exists:
            (self.exists if pattern.present else self.absent).append(state)
        elif kind is NumericRange:
            bisect.insort(self.ranges, (pattern, state), key=lambda item: item[0].low)
        elif kind is IPRange:
            self.ips.append((pattern, state))
        else:
            self.scan.append((pattern, state))

    def _affix(self, pattern: Prefix | Suffix) -> _AffixIndex:
        name = ("ignore_case_" if pattern.ignore_case else "") + (
            "prefix" if type(pattern) is Prefix else "suffix"
        )
        index = getattr(self, name)
        if index is None:
            index = _AffixIndex(suffix=type(pattern) is Suffix)
            setattr(self, name, index)
        return index

    def probe(self) -> Callable[[object], list[_State] | None]:
        """The cheapest lookup that covers this field's patterns."""
        if self.kinds <= {ExactString}:
            return self.strings.get  # one C-level dict probe (keys are strings, so no false hits)
        if self.kinds <= {NumericRange, ExactNumber}:
            return self._numeric
        return self.collect

    def _numeric(self, value: object) -> list[_State] | None:
        kind = type(value)
        if kind is not int and kind is not float:
            return None
        out: list[_State] = []
        self._numbers_into(number_key(value), out)
        return out

    def _numbers_into(self, key: object, out: list[_State]) -> None:
        found = self.numbers.get(key)
        if found:
            out.extend(found)
        if self.ranges and type(key) is int:
            for pattern, state in self.ranges:
                if pattern.low > key:
                    break
                if pattern.contains(key):
                    out.append(state)

    def _strings_into(self, value: str, out: list[_State]) -> None:
        found = self.strings.get(value)
        if found:
            out.extend(found)
        if self.prefix is not None:
            self.prefix.collect(value, out)
        if self.suffix is not None:
            self.suffix.collect(value, out)
        if self.ignore_case or self.ignore_case_prefix or self.ignore_case_suffix:
            lowered = value.lower()
            found = self.ignore_case.get(lowered)
            if found:
                out.extend(found)
            if self.ignore_case_prefix is not None:
                self.ignore_case_prefix.collect(lowered, out)
            if self.ignore_case_suffix is not None:
                self.ignore_case_suffix.collect(lowered, out)
        if self.ips:
            ip = ip_or_none(value)  # parsed once for every cidr of the field
            if ip is not None:
                version, address = ip
                for pattern, state in self.ips:
                    if pattern.version == version and pattern.low <= address <= pattern.high:
                        out.append(state)

    def collect(self, value: object) -> list[_State]:
        """The states that ``value`` (one leaf of the event) leads to."""
        out: list[_State] = []
        kind = type(value)
        if kind is str:
            self._strings_into(value, out)
        elif kind is int or kind is float:
            self._numbers_into(number_key(value), out)
        elif self.literals:
            found = self.literals.get(value)
            if found:
                out.extend(found)
        if self.exists:
            out.extend(self.exists)
        for pattern, state in self.scan:
            if pattern.matches(value):
                out.append(state)
        return out


def _rank(values: tuple[ValuePattern, ...]) -> int:
    """Selectivity class of a field: exact values first, absence checks last."""
    if all(isinstance(v, _EXACT) or (isinstance(v, IPRange) and v.low == v.high) for v in values):
        return 0
    if any(isinstance(v, Exists) and not v.present for v in values):
        return 3
    if any(isinstance(v, AnythingBut | AnythingButString | Exists) for v in values):
        return 2
    return 1


def _ordered(branch: Branch) -> list[tuple[str, tuple[ValuePattern, ...]]]:
    return sorted(branch.items(), key=lambda item: (_rank(item[1]), _ENVELOPE_ORDER.get(item[0], 9), item[0]))


class EventMatcher:
    """The rules of one bus, compiled together; ``matching_rules`` answers which match an event."""

    def __init__(self) -> None:
        self._root = _State()
        self._rules: dict[Hashable, tuple[int, CompiledPattern]] = {}
        self._owner: dict[int, Hashable] = {}  # live token -> rule id
        self._paths: set[str] = set()  # every prefix of every field path in use
        self._next_token = 0
        self._dead = 0

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def add_rule(self, rule_id: Hashable, pattern: str | CompiledPattern) -> None:
        """Adds (or replaces) a rule; a pattern given as text is validated first."""
        compiled = compile_pattern(pattern) if isinstance(pattern, str) else pattern
        if rule_id in self._rules:
            self.remove_rule(rule_id)
        token = self._next_token
        self._next_token += 1
        self._rules[rule_id] = (token, compiled)
        self._owner[token] = rule_id
        self._insert(token, compiled)

    def remove_rule(self, rule_id: Hashable) -> None:
        """Removes a rule (KeyError when absent); its states go at the next rebuild."""
        token, _ = self._rules.pop(rule_id)
        del self._owner[token]
        self._dead += 1
        if self._dead >= max(_REBUILD_MIN_DEAD, len(self._rules) // 4):
            self._rebuild()

    def _rebuild(self) -> None:
        self._root = _State()
        self._paths = set()
        self._dead = 0
        for token, compiled in self._rules.values():
            self._insert(token, compiled)

    def _insert(self, token: int, compiled: CompiledPattern) -> None:
        for branch in compiled.branches:
            state = self._root
            for path, values in _ordered(branch):
                parts = path.split(".")
                self._paths.update(".".join(parts[: i + 1]) for i in range(len(parts)))
                matcher = state.fields.get(path)
                if matcher is None:
                    matcher = state.fields[path] = _FieldMatcher()
                condition = frozenset(values)
                nxt = matcher.by_condition.get(condition)
                if nxt is None:
                    nxt = matcher.by_condition[condition] = _State()
                    for value in values:
                        matcher.add(value, nxt)
                    state.changed()
                state = nxt
            state.terminals.add(token)

    def matching_rules(self, event: Mapping[str, object]) -> set[Hashable]:
        """Ids of the rules whose pattern matches ``event`` (a parsed JSON object)."""
        leaves = flatten(event, self._paths)
        get_leaves = leaves.get
        tokens: set[int] = set()
        seen: set[object] = set()
        stack: list[tuple[_State, Membership]] = [(self._root, None)]
        while stack:
            state, membership = stack.pop()
            for path, probe, absent in state.edges():
                found = get_leaves(path)
                if found is None:
                    targets: list[_State] | None = absent
                elif len(found) == 1 and found[0][1] is None:  # one plain leaf: the common case
                    targets = probe(found[0][0])
                else:
                    self._many_leaves(probe, found, membership, tokens, stack, seen)
                    continue
                if targets:
                    for nxt in targets:
                        if nxt.terminals:
                            tokens.update(nxt.terminals)
                        if nxt.fields:
                            _push(stack, seen, nxt, membership)
        owner = self._owner
        return {owner[t] for t in tokens if t in owner}

    @staticmethod
    def _many_leaves(
        probe: Callable[[object], list[_State] | None],
        found: list[tuple[object, Membership]],
        membership: Membership,
        tokens: set[int],
        stack: list[tuple[_State, Membership]],
        seen: set[object],
    ) -> None:
        """A field with several leaves (an array): each leaf may carry array membership."""
        for value, leaf_membership in found:
            if leaf_membership is not None and not compatible(membership, leaf_membership):
                continue
            targets = probe(value)
            if targets:
                joined = merge(membership, leaf_membership)
                for nxt in targets:
                    if nxt.terminals:
                        tokens.update(nxt.terminals)
                    if nxt.fields:
                        _push(stack, seen, nxt, joined)

    def matching_rules_json(self, event_json: str) -> set[Hashable]:
        """``matching_rules`` for an event given as JSON text."""
        return self.matching_rules(json.loads(event_json))


def _push(
    stack: list[tuple[_State, Membership]], seen: set[object], state: _State, membership: Membership
) -> None:
    key: object = state if not membership else (state, tuple(sorted(membership.items())))
    if key not in seen:
        seen.add(key)
        stack.append((state, membership))
