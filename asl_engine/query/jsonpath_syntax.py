"""Parsing of ASL JSONPath text into segments, filter expressions included.

The dialect is Jayway's, which AWS uses: dot and bracket notation, ``*``,
``..``, ``[i,j]``, ``[a:b]``, ``['a','b']`` and ``[?(...)]`` filters with
``== != < <= > >= =~ in nin subsetof anyof noneof size empty``, ``&&``,
``||``, ``!`` and parentheses.  A dot name runs to the next ``.``, ``[`` or
space, so ``$.Jobs.sum()`` is a (missing) field named ``sum()``: AWS accepts
that definition and fails at run time, as here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from asl_engine.errors import PathSyntaxError
from asl_engine.query.jsonpath_segments import (
    OPERATORS,
    And,
    Compare,
    Exists,
    Filter,
    Index,
    IndexUnion,
    Literal,
    Name,
    NameUnion,
    Not,
    Operand,
    Or,
    PathOperand,
    Predicate,
    Scan,
    Segment,
    Slice,
    Wildcard,
)

INPUT, CONTEXT, VARIABLE = 0, 1, 2
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"\s*(-?\d+)\s*")
_DOT_NAME_END = re.compile(r"[.\[\s]")
_FILTER_NAME_END = re.compile(r"[.\[\s)\]=!<>&|,~]")  # inside a filter a name also ends at an operator
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z]+")
_SYMBOL_OPS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_WORD_OPS = frozenset(op for op in OPERATORS if op.isalpha())


def parse_path(text: str) -> tuple[int, str | None, tuple[Segment, ...]]:
    """Split a path into its root (input, context or variable ``name``) and its segments."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"Invalid JSONPath {text!r}: it must start with '$'")
    if text.startswith("$$"):
        kind, var, pos = CONTEXT, None, 2
    elif (m := _VAR_NAME.match(text, 1)) is not None:
        kind, var, pos = VARIABLE, m.group(), m.end()
    else:
        kind, var, pos = INPUT, None, 1
    segments, pos = _parse_segments(text, pos, _DOT_NAME_END)
    if pos != len(text):
        raise PathSyntaxError(f"Invalid JSONPath '{text}': unexpected {text[pos]!r} at position {pos}")
    return kind, var, tuple(segments)


def _parse_segments(text: str, pos: int, name_end: re.Pattern) -> tuple[list[Segment], int]:
    """Parse ``.name``, ``..x``, ``[...]`` segments from ``pos``; stop at anything else."""
    segments: list[Segment] = []
    while pos < len(text):
        c = text[pos]
        if text.startswith("..", pos):
            inner, pos = _parse_after_dot(text, pos + 2, name_end)
            segments.append(Scan(inner))
        elif c == ".":
            inner, pos = _parse_after_dot(text, pos + 1, name_end)
            segments.append(inner)
        elif c == "[":
            inner, pos = _parse_bracket(text, pos)
            segments.append(inner)
        else:
            break
    return segments, pos


def _parse_after_dot(text: str, pos: int, name_end: re.Pattern) -> tuple[Segment, int]:
    if text.startswith("*", pos):
        return Wildcard(), pos + 1
    if text.startswith("[", pos):
        return _parse_bracket(text, pos)
    m = name_end.search(text, pos)
    end = m.start() if m else len(text)
    if end == pos:
        raise PathSyntaxError(f"Invalid JSONPath '{text}': empty field name at position {pos}")
    return Name(text[pos:end]), end


def _parse_bracket(text: str, pos: int) -> tuple[Segment, int]:
    start = pos
    pos = _skip_ws(text, pos + 1)
    if pos >= len(text):
        raise PathSyntaxError(f"Invalid JSONPath '{text}': unclosed '[' at position {start}")
    c = text[pos]
    if c in "'\"":
        names: list[str] = []
        while True:
            name, pos = _read_quoted(text, pos)
            names.append(name)
            pos = _skip_ws(text, pos)
            if not text.startswith(",", pos):
                break
            pos = _skip_ws(text, pos + 1)
        pos = _expect(text, pos, "]")
        return (Name(names[0]) if len(names) == 1 else NameUnion(tuple(names))), pos
    if c == "*":
        return Wildcard(), _expect(text, _skip_ws(text, pos + 1), "]")
    if c == "?":
        pos = _expect(text, _skip_ws(text, pos + 1), "(")
        predicate, pos = _parse_or(text, pos)
        pos = _expect(text, _skip_ws(text, pos), ")")
        return Filter(predicate), _expect(text, _skip_ws(text, pos), "]")
    return _parse_indexes(text, pos)


def _parse_indexes(text: str, pos: int) -> tuple[Segment, int]:
    close = text.find("]", pos)
    if close < 0:
        raise PathSyntaxError(f"Invalid JSONPath '{text}': unclosed '[' at position {pos}")
    body = text[pos:close]
    if ":" in body:
        parts = body.split(":")
        if len(parts) != 2 or not all(p.strip() == "" or _INDEX.fullmatch(p) for p in parts):
            raise PathSyntaxError(f"Invalid JSONPath '{text}': bad slice [{body}]")
        lo, hi = (int(p) if p.strip() else None for p in parts)
        return Slice(lo, hi), close + 1
    items = body.split(",")
    if not all(_INDEX.fullmatch(i) for i in items):
        raise PathSyntaxError(f"Invalid JSONPath '{text}': bad array index [{body}]")
    indexes = tuple(int(i) for i in items)
    return (Index(indexes[0]) if len(indexes) == 1 else IndexUnion(indexes)), close + 1


# --- filters -------------------------------------------------------------------------------------

def _parse_or(text: str, pos: int) -> tuple[Predicate, int]:
    left, pos = _parse_and(text, pos)
    while text.startswith("||", pos := _skip_ws(text, pos)):
        right, pos = _parse_and(text, pos + 2)
        left = Or(left, right)
    return left, pos


def _parse_and(text: str, pos: int) -> tuple[Predicate, int]:
    left, pos = _parse_unary(text, pos)
    while text.startswith("&&", pos := _skip_ws(text, pos)):
        right, pos = _parse_unary(text, pos + 2)
        left = And(left, right)
    return left, pos


def _parse_unary(text: str, pos: int) -> tuple[Predicate, int]:
    pos = _skip_ws(text, pos)
    if text.startswith("!", pos) and not text.startswith("!=", pos):
        inner, pos = _parse_unary(text, pos + 1)
        return Not(inner), pos
    if text.startswith("(", pos):
        inner, pos = _parse_or(text, pos + 1)
        return inner, _expect(text, _skip_ws(text, pos), ")")
    left, pos = _parse_operand(text, pos)
    pos = _skip_ws(text, pos)
    op = next((s for s in _SYMBOL_OPS if text.startswith(s, pos)), None)
    if op is None and (m := _WORD.match(text, pos)) and m.group() in _WORD_OPS:
        op = m.group()
    if op is None:
        if not isinstance(left, PathOperand):
            raise PathSyntaxError(f"Invalid JSONPath '{text}': expected an operator at position {pos}")
        return Exists(left), pos
    right, pos = _parse_operand(text, pos + len(op))
    return Compare(op, left, right), pos


def _parse_operand(text: str, pos: int) -> tuple[Operand, int]:
    pos = _skip_ws(text, pos)
    c = text[pos] if pos < len(text) else ""
    if c in ("@", "$"):
        segments, end = _parse_segments(text, pos + 1, _FILTER_NAME_END)
        return PathOperand(c == "@", tuple(segments)), end
    if c == "/":
        return _parse_regex(text, pos)
    value, end = _parse_literal(text, pos)
    return Literal(value), end


def _parse_literal(text: str, pos: int) -> tuple[Any, int]:
    pos = _skip_ws(text, pos)
    c = text[pos] if pos < len(text) else ""
    if c in "'\"":
        return _read_quoted(text, pos)
    if c == "[":
        items: list[Any] = []
        pos = _skip_ws(text, pos + 1)
        while not text.startswith("]", pos):
            item, pos = _parse_literal(text, pos)
            items.append(item)
            pos = _skip_ws(text, pos)
            if text.startswith(",", pos):
                pos += 1
            elif not text.startswith("]", pos):
                raise PathSyntaxError(f"Invalid JSONPath '{text}': bad array literal at position {pos}")
            pos = _skip_ws(text, pos)
        return items, pos + 1
    if c == "{":
        try:
            value, end = json.JSONDecoder().raw_decode(text, pos)
        except ValueError:
            raise PathSyntaxError(f"Invalid JSONPath '{text}': bad object at position {pos}") from None
        return value, end
    if m := _NUMBER.match(text, pos):
        number = m.group()
        return (float(number) if m.group(1) or m.group(2) else int(number)), m.end()
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, pos):
            return value, pos + len(word)
    raise PathSyntaxError(f"Invalid JSONPath '{text}': expected a value at position {pos}")


def _parse_regex(text: str, pos: int) -> tuple[Operand, int]:
    end = pos + 1
    while end < len(text) and text[end] != "/":
        end += 2 if text[end] == "\\" else 1
    if end >= len(text):
        raise PathSyntaxError(f"Invalid JSONPath '{text}': unterminated regular expression")
    flags_end = end + 1
    while flags_end < len(text) and text[flags_end].isalpha():
        flags_end += 1
    flags = re.IGNORECASE if "i" in text[end + 1:flags_end] else 0
    try:
        return Literal(re.compile(text[pos + 1:end], flags)), flags_end
    except re.error as e:
        raise PathSyntaxError(f"Invalid JSONPath '{text}': bad regular expression: {e}") from None


# --- lexing helpers ------------------------------------------------------------------------------

def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a '...' or "..." string at ``pos`` (backslash escapes the next character)."""
    quote, out, pos = text[pos], [], pos + 1
    while pos < len(text):
        c = text[pos]
        if c == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
        elif c == quote:
            return "".join(out), pos + 1
        else:
            out.append(c)
            pos += 1
    raise PathSyntaxError(f"Invalid JSONPath '{text}': unterminated string")


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _expect(text: str, pos: int, char: str) -> int:
    if not text.startswith(char, pos):
        found = repr(text[pos]) if pos < len(text) else "the end"
        raise PathSyntaxError(f"Invalid JSONPath '{text}': expected {char!r} at {pos}, found {found}")
    return pos + 1
