"""Choice: rules compiled into predicates once; the first that holds picks the next state."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from asl_engine.errors import StateFailure, StatesError
from asl_engine.query.jsonpath import PathNotFound, compile_path
from asl_engine.query.scope import Scope
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.states.base import CompiledState, Outcome

Predicate = Callable[[Scope], bool]
_MISSING = object()


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with an offset (as AWS requires), or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _string_matcher(pattern: str) -> Callable[[str], bool]:
    """StringMatches: ``*`` is a wildcard; ``\\*`` and ``\\\\`` are a literal star and backslash."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL).fullmatch  # type: ignore[return-value]


_ORDER = {"Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
          "LessThanEquals": lambda a, b: a <= b, "GreaterThanEquals": lambda a, b: a >= b}
def _string(v: Any) -> Any:
    return v if isinstance(v, str) else None


def _number(v: Any) -> Any:
    return v if _is_number(v) else None


def _boolean(v: Any) -> Any:
    return v if isinstance(v, bool) else None


# Per kind of comparison: the comparable form of a value, or None when the value is not of that kind
# (the comparison is then false). Each value is converted once per evaluation (a timestamp parsed once).
_KINDS = {"String": _string, "Numeric": _number, "Boolean": _boolean, "Timestamp": parse_timestamp}


def _comparison(operator: str, operand: Any) -> Callable[[Any, Scope], bool]:
    """A test of the variable's value against a literal or a path (``...Path`` operators)."""
    is_path = operator.endswith("Path")
    op = operator[:-4] if is_path else operator
    if op == "StringMatches":
        match = _string_matcher(operand)
        return lambda v, scope: isinstance(v, str) and match(v) is not None
    kind = next(k for k in _KINDS if op.startswith(k))
    convert = _KINDS[kind]
    compare = _ORDER[op[len(kind):]]
    if is_path:
        path = compile_path(operand)

        def by_path(v: Any, scope: Scope) -> bool:
            try:
                other = path.find(scope)
            except PathNotFound as e:
                raise StateFailure("States.Runtime", e.aws_cause) from None
            left, right = convert(v), convert(other)
            return left is not None and right is not None and compare(left, right)
        return by_path
    right = convert(operand)

    def by_value(v: Any, scope: Scope) -> bool:
        left = convert(v)
        return left is not None and compare(left, right)
    return by_value


def _is_check(operator: str, expected: bool) -> Callable[[Any, Scope], bool]:
    tests = {"IsNull": lambda v: v is None, "IsNumeric": _is_number, "IsString": lambda v: isinstance(v, str),
             "IsBoolean": lambda v: isinstance(v, bool),
             "IsTimestamp": lambda v: parse_timestamp(v) is not None}
    test = tests[operator]
    return lambda v, scope: v is not _MISSING and test(v) is expected


def compile_rule(rule: Any) -> Predicate:
    """A predicate over a scope for one (possibly nested) JSONPath Choice rule of the model."""
    if rule.and_ is not None:
        parts = [compile_rule(r) for r in rule.and_]
        return lambda scope: all(p(scope) for p in parts)
    if rule.or_ is not None:
        parts = [compile_rule(r) for r in rule.or_]
        return lambda scope: any(p(scope) for p in parts)
    if rule.not_ is not None:
        inner = compile_rule(rule.not_)
        return lambda scope: not inner(scope)
    path = compile_path(rule.variable)
    operator, operand = rule.operator, rule.operand
    if operator == "IsPresent":
        def present(scope: Scope) -> bool:
            try:
                path.find(scope)
            except PathNotFound:
                return operand is False
            return operand is True
        return present
    test = _is_check(operator, operand) if operator.startswith("Is") else _comparison(operator, operand)

    def evaluate(scope: Scope) -> bool:
        try:
            value = path.find(scope)
        except PathNotFound as e:
            raise StateFailure("States.Runtime", e.aws_cause) from None
        return test(value, scope)
    return evaluate


class ChoiceState(CompiledState):
    __slots__ = ("choices", "default")

    def __init__(self, name: str, io: Any, choices: list[tuple[Any, str, Any]], default: str | None) -> None:
        super().__init__(name, "Choice", None, io)
        self.choices = choices  # (predicate over a scope, next state, the rule's own Assign/Output or None)
        self.default = default

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        io = self.io
        effective = io.effective_input(frame, raw)
        scope = frame.scope(effective)
        for predicate, next_name, rule in self.choices:
            if predicate(scope):
                return next_name, io.passthrough(frame, effective, rule)
        if self.default is None:
            raise StatesError("States.NoChoiceMatched", "No Matches!")
        return self.default, io.passthrough(frame, effective)
