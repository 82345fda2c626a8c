"""Intrinsic function calls (``States.Format('{}', $.x)``), parsed once into closures.

Syntax errors surface at compile time (IntrinsicSyntaxError) so the validator
can reject the definition; AWS rejects those when the state machine is
created.  Everything else, wrong arity included, fails at run time as AWS does:
``States.Runtime`` with the cause ``The function '<the field's text>' had the
following error: <detail>`` (the interpreter adds the state prefix).

Argument syntax: nested calls, ``'strings'`` with the escapes ``\\'``,
``\\{``, ``\\}`` and ``\\\\``, numbers, ``true``/``false``/``null`` and
paths (``$.x``, ``$$.x``, ``$var.x``).  A path argument must select
something: unlike a plain ``"k.$": "$.x"`` field, an out-of-range index is a
miss here, and the cause names the state input even for ``$$`` paths (with
``$$.`` written as ``$.``), which is what AWS prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from asl_engine.errors import IntrinsicSyntaxError, PathSyntaxError, StateFailure
from asl_engine.query.intrinsics_functions import (
    FUNCTIONS,
    IntrinsicError,
    RandomSource,
    fill_template,
    parse_template,
)
from asl_engine.query.jsonpath import Path, PathNotFound, compile_path
from asl_engine.query.jsontext import to_json_text
from asl_engine.query.scope import Scope
from asl_engine.runtime.services import Services

Evaluator = Callable[[Scope, RandomSource], Any]

_CALL = re.compile(r"States\.([A-Za-z0-9]+)\s*\(")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_KEYWORD = re.compile(r"(true|false|null)(?=\s*[,)])")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"


_DEFAULT_SERVICES = Services()  # unseeded: for callers that inject no Services of their own


class Intrinsic:
    """A compiled call; ``intrinsic(scope, services=None)`` evaluates it."""

    __slots__ = ("_evaluate", "text")

    def __init__(self, text: str, evaluate: Evaluator) -> None:
        self.text = text
        self._evaluate = evaluate

    def __repr__(self) -> str:
        return f"Intrinsic({self.text!r})"

    def __call__(self, scope: Scope, services: RandomSource | None = None) -> Any:
        try:
            return self._evaluate(scope, services or _DEFAULT_SERVICES)
        except IntrinsicError as e:
            raise StateFailure("States.Runtime",
                               f"The function '{self.text}' had the following error: {e.detail}") from None


def is_intrinsic(text: str) -> bool:
    """Whether a ``.$`` value is a call rather than a path."""
    return text.startswith("States.")


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse ``States.X(...)``; IntrinsicSyntaxError if it is malformed or names no intrinsic."""
    parser = _Parser(text)
    evaluate = parser.call()
    parser.skip_ws()
    if parser.pos != len(text):
        parser.fail("unexpected text after the call")
    return Intrinsic(text, evaluate)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> NoReturn:
        raise IntrinsicSyntaxError(
            f"Invalid intrinsic function call '{self.text}': {why} at position {self.pos}")

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Evaluator:
        m = _CALL.match(self.text, self.pos)
        if m is None:
            self.fail("expected 'States.<Function>('")
        name = m.group(1)
        if name not in FUNCTIONS:
            self.fail(f"unknown intrinsic function 'States.{name}'")
        self.pos = m.end()
        args: list[tuple[Evaluator, str | None]] = []
        self.skip_ws()
        if self.text.startswith(")", self.pos):
            self.pos += 1
        else:
            while True:
                args.append(self.argument())
                self.skip_ws()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                elif self.text.startswith(")", self.pos):
                    self.pos += 1
                    break
                else:
                    self.fail("expected ',' or ')'")
        if name == "Format" and args and args[0][1] is not None:
            return _literal_format(args[0][1], [a for a, _ in args[1:]])
        return _call(FUNCTIONS[name], [a for a, _ in args])

    def argument(self) -> tuple[Evaluator, str | None]:
        """An evaluator, plus the raw text between the quotes when the argument is a string literal."""
        self.skip_ws()
        text, pos = self.text, self.pos
        if text.startswith("States.", pos):
            return self.call(), None
        if text.startswith("'", pos):
            raw, value = self.string()
            return _constant(value), raw
        if text.startswith("$", pos):
            return _path_argument(self.path()), None
        if (m := _NUMBER.match(text, pos)) or (m := _KEYWORD.match(text, pos)):
            self.pos = m.end()
            literal = m.group()
            value = _KEYWORDS[literal] if literal in _KEYWORDS else (
                float(literal) if m.group(1) or m.group(2) else int(literal))
            return _constant(value), None
        self.fail("expected an argument")

    def string(self) -> tuple[str, str]:
        text, start = self.text, self.pos + 1
        out: list[str] = []
        i = start
        while i < len(text):
            c = text[i]
            if c == "\\":
                if i + 1 >= len(text) or text[i + 1] not in _ESCAPABLE:
                    self.pos = i
                    self.fail("invalid escape in string literal (only \\' \\{ \\} \\\\ are allowed)")
                out.append(text[i + 1])
                i += 2
            elif c == "'":
                self.pos = i + 1
                return text[start:i], "".join(out)
            else:
                out.append(c)
                i += 1
        self.fail("unterminated string literal")

    def path(self) -> Path:
        """A path argument runs to the next ',' or ')' outside brackets, parentheses and quotes."""
        text, start = self.text, self.pos
        depth, quote, i = 0, "", start
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c in "[(":
                depth += 1
            elif c in "])":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                break
            i += 1
        self.pos = i
        try:
            return compile_path(text[start:i].rstrip())
        except PathSyntaxError as e:
            self.pos = start
            self.fail(str(e))


def _constant(value: Any) -> Evaluator:
    return lambda scope, rnd: value


def _path_argument(path: Path) -> Evaluator:
    shown = "$" + path.text[2:] if path.text.startswith("$$") else path.text

    def evaluate(scope: Scope, rnd: RandomSource) -> Any:
        try:
            return path.find_in(path.root(scope), strict_index=True)
        except PathNotFound:
            raise IntrinsicError(f"The JsonPath argument for the field '{shown}' could not be found "
                                 f"in the input '{to_json_text(scope.input)}'") from None
    return evaluate


def _call(function: Callable[[list, RandomSource], Any], args: list[Evaluator]) -> Evaluator:
    return lambda scope, rnd: function([a(scope, rnd) for a in args], rnd)


def _literal_format(raw_template: str, args: list[Evaluator]) -> Evaluator:
    """States.Format with a literal template: split it once, at compile time.

    A malformed template still fails only when evaluated, as on AWS.
    """
    try:
        parts = parse_template("Format", raw_template)
    except IntrinsicError as error:
        failure = error

        def fail(scope: Scope, rnd: RandomSource) -> Any:
            for a in args:
                a(scope, rnd)
            raise failure
        return fail
    return lambda scope, rnd: fill_template(parts, [a(scope, rnd) for a in args])
