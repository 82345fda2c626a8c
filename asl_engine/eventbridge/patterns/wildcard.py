"""Wildcard patterns: AWS's escaping rules, matching, and the complexity limit.

``*`` matches any run of characters; ``\\*`` and ``\\\\`` are a literal star and
backslash, and any other backslash is an error. AWS refuses rules whose
wildcards could keep too many partial matches alive at once ("Rule is too
complex"); event-ruler measures that on its byte automaton. Here the same
quantity is measured on a small NFA: the most pattern positions a single input
can keep active simultaneously, over all wildcard patterns of one field.
"""

from __future__ import annotations

import re

MAX_COMPLEXITY = 10
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)
_STAR = -1  # token for "*" in a parsed pattern
_MAX_SUBSETS = 4096  # bound on the exploration; real patterns stay far below


class WildcardError(ValueError):
    """A malformed wildcard pattern, with event-ruler's message."""


def parse(pattern: str) -> list[int]:
    """UTF-8 bytes of ``pattern`` with ``*`` as -1, escapes resolved.

    Positions in error messages count bytes of the pattern as event-ruler sees
    it, which includes the opening double quote.
    """
    data = ('"' + pattern + '"').encode()
    tokens: list[int] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x2A:  # *
            if i + 1 < len(data) and data[i + 1] == 0x2A:
                raise WildcardError(f"Consecutive wildcard characters at pos {i}")
            tokens.append(_STAR)
        elif byte == 0x5C:  # backslash
            if i + 1 < len(data) and data[i + 1] in (0x2A, 0x5C):
                tokens.append(data[i + 1])
                i += 1
            else:
                raise WildcardError(f"Invalid escape character at pos {i}")
        else:
            tokens.append(byte)
        i += 1
    return tokens


def to_regex(pattern: str) -> re.Pattern[str]:
    """A compiled regex that fully matches the strings ``pattern`` matches (pattern is valid)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append(".*")
        elif ch == "\\":
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _closure(tokens: list[int], states: set[int]) -> frozenset[int]:
    """Adds the positions reachable by skipping stars (a star may match nothing)."""
    todo = list(states)
    seen = set(states)
    while todo:
        pos = todo.pop()
        if pos < len(tokens) and tokens[pos] == _STAR and pos + 1 not in seen:
            seen.add(pos + 1)
            todo.append(pos + 1)
    return frozenset(seen)


def complexity(patterns: list[str]) -> int:
    """The most NFA positions one input keeps alive across ``patterns`` (capped past the limit)."""
    machines = [parse(p) for p in patterns]
    alphabet = {b for tokens in machines for b in tokens if b != _STAR}
    alphabet.add(256)  # any byte that appears in no pattern
    start = tuple(_closure(tokens, {0}) for tokens in machines)
    todo = [start]
    seen = {start}
    worst = 0
    while todo and len(seen) < _MAX_SUBSETS:
        current = todo.pop()
        for byte in alphabet:
            nxt = []
            for tokens, active in zip(machines, current, strict=True):
                moved = set()
                for pos in active:
                    if pos >= len(tokens):
                        continue
                    if tokens[pos] == _STAR:
                        moved.add(pos)
                    elif tokens[pos] == byte:
                        moved.add(pos + 1)
                nxt.append(_closure(tokens, moved))
            state = tuple(nxt)
            live = sum(len(s) - (len(tokens) in s) for s, tokens in zip(state, machines, strict=True))
            worst = max(worst, live)
            if worst > MAX_COMPLEXITY:
                return worst
            if live and state not in seen:
                seen.add(state)
                todo.append(state)
    return worst
