"""The value indexes of one field path, answering which branches a leaf value satisfies."""

from __future__ import annotations

from .ipaddr import ip_or_none
from .masks import Affixes, Masks, Ranges, Wildcards, clear_bit, set_bit
from .model import (
    AnythingBut,
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
    Wildcard,
)
from .numbers import number_key


class FieldIndex:
    """The value indexes of one field path; ``satisfied(value)`` is the mask a leaf satisfies."""

    __slots__ = (
        "absent_ok", "anything_but", "anything_but_numbers", "anything_but_strings", "constrained", "exists", "gates",
        "ignore_case", "ignore_case_prefix", "ignore_case_suffix", "ips", "literals", "numbers", "prefix",
        "ranges", "scan", "strings", "suffix", "wildcards",
    )  # fmt: skip

    def __init__(self) -> None:
        self.constrained = 0  # branches with a condition on this field
        self.absent_ok = 0  # ... that an absent field satisfies (exists: false)
        self.exists = 0
        self.strings: Masks = {}
        self.numbers: Masks = {}
        self.literals: Masks = {}
        self.ignore_case: Masks = {}
        self.prefix = Affixes(suffix=False)
        self.suffix = Affixes(suffix=True)
        self.ignore_case_prefix = Affixes(suffix=False)
        self.ignore_case_suffix = Affixes(suffix=True)
        self.ranges = Ranges()
        self.ips: Masks = {}
        self.anything_but = 0
        self.anything_but_strings: Masks = {}
        self.anything_but_numbers: Masks = {}
        self.wildcards = Wildcards()
        self.scan: Masks = {}  # anything-but on affixes/case/wildcards, by distinct pattern
        self.gates: tuple[int, int] | None = None

    def gate_masks(self) -> tuple[int, int]:
        """(branches this field does not constrain, ... plus those an absent field satisfies), cached."""
        if self.gates is None:
            unconstrained = ~self.constrained
            self.gates = (unconstrained, unconstrained | self.absent_ok)
        return self.gates

    def _tables(self, pattern: ValuePattern) -> list[tuple[Masks, object]]:
        """Where a pattern's bit lives, as (table, key) pairs: adding and removing share this."""
        kind = type(pattern)
        if kind is ExactString:
            return [(self.strings, pattern.value)]
        if kind is ExactNumber:
            return [(self.numbers, pattern.key)]
        if kind is ExactLiteral:
            return [(self.literals, pattern.value)]
        if kind is EqualsIgnoreCase:
            return [(self.ignore_case, pattern.lowered)]
        if kind is NumericRange:
            self.ranges.changed()
            return [(self.ranges.ranges, pattern)]  # type: ignore[list-item]
        if kind is IPRange:
            return [(self.ips, pattern)]
        if kind is AnythingBut:
            return [(self.anything_but_strings, s) for s in pattern.strings] + [
                (self.anything_but_numbers, n) for n in pattern.numbers
            ]
        return [(self.scan, pattern)]

    def add(self, pattern: ValuePattern, bit: int, scanned: bool = False) -> None:
        """Indexes ``pattern`` for branch ``bit``; ``scanned`` patterns are simply tried in turn."""
        kind = type(pattern)
        if scanned:
            set_bit(self.scan, pattern, bit)
        elif kind is Exists:
            if pattern.present:
                self.exists |= bit
            else:
                self.absent_ok |= bit
        elif kind is Prefix or kind is Suffix:
            self._affixes(pattern).add(pattern.prefix if kind is Prefix else pattern.suffix, bit)
        elif kind is Wildcard:
            self.wildcards.add(pattern, bit)
        else:
            if kind is AnythingBut:
                self.anything_but |= bit
            for table, key in self._tables(pattern):
                set_bit(table, key, bit)

    def remove(self, pattern: ValuePattern, bit: int, scanned: bool = False) -> None:
        kind = type(pattern)
        if scanned:
            clear_bit(self.scan, pattern, bit)
        elif kind is Exists:
            self.exists &= ~bit
            self.absent_ok &= ~bit
        elif kind is Prefix or kind is Suffix:
            self._affixes(pattern).remove(pattern.prefix if kind is Prefix else pattern.suffix, bit)
        elif kind is Wildcard:
            self.wildcards.remove(pattern, bit)
        else:
            self.anything_but &= ~bit
            for table, key in self._tables(pattern):
                clear_bit(table, key, bit)

    def _affixes(self, pattern: Prefix | Suffix) -> Affixes:
        if type(pattern) is Prefix:
            return self.ignore_case_prefix if pattern.ignore_case else self.prefix
        return self.ignore_case_suffix if pattern.ignore_case else self.suffix

    def satisfied(self, value: object) -> int:
        found = self.exists
        kind = type(value)
        if kind is str:
            found |= self.strings.get(value, 0)
            if self.prefix.lengths:
                found |= self.prefix.lookup(value)
            if self.suffix.lengths:
                found |= self.suffix.lookup(value)
            if self.ignore_case or self.ignore_case_prefix.lengths or self.ignore_case_suffix.lengths:
                lowered = value.lower()
                found |= self.ignore_case.get(lowered, 0)
                if self.ignore_case_prefix.lengths:
                    found |= self.ignore_case_prefix.lookup(lowered)
                if self.ignore_case_suffix.lengths:
                    found |= self.ignore_case_suffix.lookup(lowered)
            if self.wildcards:
                found |= self.wildcards.lookup(value)
            if self.ips:
                ip = ip_or_none(value)  # parsed once for every cidr of the field
                if ip is not None:
                    version, address = ip
                    for block, mask in self.ips.items():
                        if block.version == version and block.low <= address <= block.high:
                            found |= mask
            if self.anything_but:
                found |= self.anything_but & ~self.anything_but_strings.get(value, 0)
        elif kind is int or kind is float:
            key = number_key(value)
            found |= self.numbers.get(key, 0)
            if self.ranges.ranges and type(key) is int:
                found |= self.ranges.lookup(key)
            if self.anything_but:
                found |= self.anything_but & ~self.anything_but_numbers.get(key, 0)
        else:
            found |= self.literals.get(value, 0) | self.anything_but
        for pattern, mask in self.scan.items():
            if pattern.matches(value):
                found |= mask
        return found
