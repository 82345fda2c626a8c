"""Reads an event pattern's JSON text into branches, validating as AWS does.

The walk follows event-ruler's JsonRuleCompiler token by token, because the
order of its checks is observable: the first problem met while reading is the
one AWS reports, with event-ruler's wording. Semantic errors carry no source
location (AWS strips it); syntax errors do (see tokens.py).
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InvalidEventPatternError
from . import numbers, wildcard
from .ipaddr import IPError, ip_or_none, parse_cidr
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
    Wildcard,
)
from .tokens import NUMERIC, Token, TokenReader

OR = "$or"
_RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
        "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    }
)  # fmt: skip
_ANYTHING_BUT_INNER = ("equals-ignore-case", "prefix", "suffix", "wildcard")


def _barf(reason: str) -> InvalidEventPatternError:
    return InvalidEventPatternError(reason)


def compile_pattern(text: str) -> CompiledPattern:
    """Validates ``text`` and returns its branches; InvalidEventPatternError with AWS's reason."""
    reader = _PatternReader(TokenReader(text))
    return CompiledPattern(branches=tuple(reader.read()))


class _PatternReader:
    def __init__(self, tokens: TokenReader) -> None:
        self._tokens = tokens
        self._next = tokens.next_token

    def read(self) -> list[Branch]:
        if self._next() is not Token.START_OBJECT:
            raise _barf("Filter is not an object")
        branches: list[Branch] = []
        self._object(branches, [], in_or=False)
        for branch in branches:
            _check_complexity(branch)
        return branches

    # -- structure ----------------------------------------------------------------------
    def _object(self, branches: list[Branch], path: list[str], in_or: bool) -> None:
        empty = True
        while self._next() is not Token.END_OBJECT:  # inside an object the reader yields field names
            empty = False
            name = self._tokens.text
            if name == OR:
                self._or(branches, path)
                continue
            if in_or and name in _RESERVED_IN_OR:
                raise _barf(f"{name} is Ruler reserved fieldName which cannot be used inside {OR}.")
            token = self._next()
            if token is Token.START_OBJECT:
                self._object(branches, [*path, name], in_or)
            elif token is Token.START_ARRAY:
                self._field(branches, ".".join([*path, name]))
            else:
                raise _barf(f'"{name}" must be an object or an array')
        if empty:
            raise _barf("Empty objects are not allowed")

    def _or(self, branches: list[Branch], path: list[str]) -> None:
        before = [dict(b) for b in branches]
        branches.clear()
        if self._next() is not Token.START_ARRAY:
            raise _barf(f"It must be an Array followed with {OR}.")
        count = 0
        while (token := self._next()) is not Token.END_ARRAY:
            count += 1
            if token is not Token.START_OBJECT:
                raise _barf(f"Only JSON object is allowed in array of {OR} relationship.")
            alternative = [dict(b) for b in before] or [{}]
            self._object(alternative, path, in_or=True)
            branches.extend(alternative)
        if count < 2:
            raise _barf(f"There must have at least 2 Objects in {OR} relationship.")

    def _field(self, branches: list[Branch], name: str) -> None:
        values: list[ValuePattern] = []
        while (token := self._next()) is not Token.END_ARRAY:
            value = self._tokens.value
            if token is Token.START_OBJECT:
                values.append(self._match_expression())
            elif token is Token.STRING:
                ip = ip_or_none(value)
                values.append(IPRange(ip[0], ip[1], ip[1]) if ip else ExactString(value))
            elif token in NUMERIC:
                values.append(ExactNumber(numbers.number_key(value)))
            elif token in (Token.TRUE, Token.FALSE, Token.NULL):
                values.append(ExactLiteral(value))
            else:
                raise _barf("Match value must be String, number, true, false, or null")
        if not values:
            raise _barf("Empty arrays are not allowed")
        if not branches:
            branches.append({})
        for branch in branches:
            branch[name] = tuple(dict.fromkeys(values))

    # -- match expressions --------------------------------------------------------------
    def _end_object(self, message: str = "Only one key allowed in match expression") -> None:
        if self._next() is not Token.END_OBJECT:
            raise _barf(message)

    def _string_operand(self, message: str) -> str:
        if self._next() is not Token.STRING:
            raise _barf(message)
        return self._tokens.text

    def _match_expression(self) -> ValuePattern:
        if self._next() is not Token.FIELD_NAME:
            raise _barf("Match expression name not found")
        handler = self._HANDLERS.get(self._tokens.text)
        if handler is None:
            raise _barf(f"Unrecognized match type {self._tokens.text}")
        return handler(self)

    def _exactly(self) -> ValuePattern:
        pattern = ExactString(self._string_operand("exact match pattern must be a string"))
        self._end_object()
        return pattern

    def _prefix_or_suffix(self, kind: str) -> ValuePattern:
        token = self._next()
        make = Prefix if kind == "prefix" else Suffix
        if token is Token.START_OBJECT:
            title = kind.capitalize()
            if self._next() is not Token.FIELD_NAME:
                raise _barf(f"{title} expression name not found")
            if self._tokens.text != "equals-ignore-case":
                raise _barf(f"Unsupported {kind} pattern: {self._tokens.text}")
            text = self._string_operand("equals-ignore-case match pattern must be a string")
            self._end_object()
            self._end_object()
            return make(text.lower(), True)
        if token is not Token.STRING:
            raise _barf(f"{kind} match pattern must be a string")
        text = self._tokens.text
        self._end_object()
        return make(text)

    def _prefix(self) -> ValuePattern:
        return self._prefix_or_suffix("prefix")

    def _suffix(self) -> ValuePattern:
        return self._prefix_or_suffix("suffix")

    def _equals_ignore_case(self) -> ValuePattern:
        text = self._string_operand("equals-ignore-case match pattern must be a string")
        self._end_object()
        return EqualsIgnoreCase(text.lower())

    def _wildcard(self) -> ValuePattern:
        text = self._string_operand("wildcard match pattern must be a string")
        try:
            wildcard.parse(text)
        except wildcard.WildcardError as exc:
            raise _barf(str(exc)) from None
        self._end_object()
        return Wildcard(text, wildcard.to_regex(text))

    def _cidr(self) -> ValuePattern:
        text = self._string_operand("prefix match pattern must be a string")
        try:
            version, low, high = parse_cidr(text)
        except IPError as exc:
            raise _barf(str(exc)) from None
        self._end_object()
        return IPRange(version, low, high)

    def _exists(self) -> ValuePattern:
        token = self._next()
        if token not in (Token.TRUE, Token.FALSE):
            raise _barf("exists match pattern must be either true or false.")
        self._end_object()
        return Exists(token is Token.TRUE)

    def _numeric(self) -> ValuePattern:
        if self._next() is not Token.START_ARRAY:
            raise _barf("Value of numeric must be an array.")
        pattern = self._numeric_range()
        self._end_object("Too many elements in numeric expression")
        return pattern

    def _numeric_range(self) -> ValuePattern:
        if self._next() is not Token.STRING:
            raise _barf(f"Invalid member in numeric match: {self._tokens.text}")
        operator = self._tokens.text
        token = self._next()
        if operator not in ("=", ">=", ">", "<=", "<"):
            raise _barf(f"Unrecognized numeric range operator: {operator}")
        if token not in NUMERIC:
            raise _barf(f"Value of {'equals' if operator == '=' else operator} must be numeric")
        value = float(self._tokens.text)
        if operator in ("=", "<=", "<"):
            if self._next() is not Token.END_ARRAY:
                raise _barf("Too many elements in numeric expression")
            if operator == "=":
                return ExactNumber(_comparable(value))
            return _range(-5e9, False, value, operator == "<")
        token = self._next()
        if token is Token.END_ARRAY:
            return _range(value, operator == ">", 5e9, False)
        if token is not Token.STRING:
            raise _barf(f"Bad value in numeric range: {self._tokens.text}")
        upper = self._tokens.text
        if upper not in ("<", "<="):
            raise _barf(f"Bad numeric range operator: {upper}")
        if self._next() not in NUMERIC:
            raise _barf(f"Value of {upper} must be numeric")
        top = float(self._tokens.text)
        if self._next() is not Token.END_ARRAY:
            raise _barf("Too many terms in numeric range expression")
        return _range(value, operator == ">", top, upper == "<")

    def _anything_but(self) -> ValuePattern:
        token = self._next()
        inner = None
        if token is Token.START_OBJECT:
            if self._next() is not Token.FIELD_NAME:
                raise _barf("Anything-But expression name not found")
            inner = self._tokens.text
            if inner not in _ANYTHING_BUT_INNER:
                raise _barf(f"Unsupported anything-but pattern: {inner}")
            token = self._next()
        if token not in (Token.START_ARRAY, Token.STRING, Token.INT, Token.FLOAT):
            raise _barf("Value of anything-but must be an array or single string/number value.")
        if inner is None:
            pattern = self._anything_but_values(token)
        else:
            pattern = self._anything_but_strings(token, inner)
        self._end_object("Too many elements in numeric expression")
        if inner is not None:
            self._end_object("Too many elements in numeric expression")
        return pattern

    def _anything_but_values(self, token: Token) -> ValuePattern:
        strings: set[str] = set()
        nums: set[object] = set()
        if token is not Token.START_ARRAY:
            if token is Token.STRING:
                strings.add(self._tokens.text)
            else:
                nums.add(_comparable(float(self._tokens.text)))
            return AnythingBut(frozenset(strings), frozenset(nums))
        while (token := self._next()) is not Token.END_ARRAY:
            if token is Token.STRING:
                strings.add(self._tokens.text)
            elif token in NUMERIC:
                nums.add(_comparable(float(self._tokens.text)))
            else:
                raise _barf("Inside anything but list, start|null|boolean is not supported.")
        if bool(strings) == bool(nums):
            raise _barf("Inside anything but list, either all values are number or string, mixed type is not supported")
        return AnythingBut(frozenset(strings), frozenset(nums))

    def _anything_but_strings(self, token: Token, inner: str) -> ValuePattern:
        texts: list[str] = []

        def take() -> None:
            text = self._tokens.text
            if inner in ("prefix", "suffix") and not text:
                raise _barf("Null prefix/suffix not allowed")
            texts.append(text)

        def refuse() -> InvalidEventPatternError:
            if inner == "equals-ignore-case":
                return _barf("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
            if inner == "wildcard":
                return _barf("wildcard match pattern must be a string")
            return _barf("prefix/suffix match pattern must be a string")

        if token is Token.START_ARRAY:
            while (token := self._next()) is not Token.END_ARRAY:
                if token is not Token.STRING:
                    raise refuse()
                take()
        elif token is Token.STRING:
            take()
        else:
            raise refuse()
        values = tuple(dict.fromkeys(texts))
        if inner == "wildcard":
            for text in values:
                try:
                    wildcard.parse(text)
                except wildcard.WildcardError as exc:
                    raise _barf(str(exc)) from None
            return AnythingButString(inner, values, tuple(wildcard.to_regex(t) for t in values))
        if inner == "equals-ignore-case":
            values = tuple(dict.fromkeys(t.lower() for t in values))
        return AnythingButString(inner, values)

    _HANDLERS: dict[str, Callable[[_PatternReader], ValuePattern]] = {
        "exactly": _exactly,
        "prefix": _prefix,
        "suffix": _suffix,
        "numeric": _numeric,
        "anything-but": _anything_but,
        "exists": _exists,
        "cidr": _cidr,
        "equals-ignore-case": _equals_ignore_case,
        "wildcard": _wildcard,
    }


def _comparable(value: float) -> int:
    try:
        return numbers.comparable(value)
    except ValueError as exc:
        raise _barf(str(exc)) from None


def _range(low: float, low_open: bool, high: float, high_open: bool) -> NumericRange:
    if low >= high:
        raise _barf("Bottom must be less than top")
    return NumericRange(_comparable(low), low_open, _comparable(high), high_open)


def _check_complexity(branch: Branch) -> None:
    for values in branch.values():
        patterns = [v.pattern for v in values if isinstance(v, Wildcard)]
        for v in values:
            if isinstance(v, AnythingButString) and v.kind == "wildcard":
                patterns.extend(v.values)
        if patterns and wildcard.complexity(patterns) > wildcard.MAX_COMPLEXITY:
            raise _barf(wildcard.TOO_COMPLEX)
