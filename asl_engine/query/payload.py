"""Payload templates (Parameters, ResultSelector, ItemSelector), compiled once.

A key ending in ``.$`` takes a path (``$...``, ``$$...``, ``$var...``) or an
intrinsic call and loses its suffix in the output; every other value is
literal, at any depth, arrays included.  Compilation splits the template into
static parts, shared as-is between evaluations (so outputs must be treated as
immutable, which the whole engine does), and dynamic parts, each a closure.
A template with nothing dynamic evaluates to itself with no work at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asl_engine.errors import PathSyntaxError, StateFailure
from asl_engine.query.intrinsics import compile_intrinsic, is_intrinsic
from asl_engine.query.intrinsics_functions import RandomSource
from asl_engine.query.jsonpath import Path, PathNotFound, compile_path
from asl_engine.query.jsontext import to_json_text
from asl_engine.query.scope import Scope

Evaluator = Callable[[Scope, "RandomSource | None"], Any]


class Payload:
    """A compiled template; ``evaluate`` builds its value for one scope."""

    __slots__ = ("_evaluate", "field", "is_static", "template")

    def __init__(self, template: Any, field: str, evaluate: Evaluator, is_static: bool) -> None:
        self.template = template
        self.field = field
        self.is_static = is_static
        self._evaluate = evaluate

    def __repr__(self) -> str:
        return f"Payload({self.field!r}, static={self.is_static})"

    def evaluate(self, scope: Scope, services: RandomSource | None = None) -> Any:
        """The template's value; ``services`` feeds States.MathRandom and States.UUID."""
        return self._evaluate(scope, services)


def compile_payload(template: Any, field: str) -> Payload:
    """Compile the template of ``field`` (the name is used in syntax error messages)."""
    evaluate = _compile(template, field)
    if evaluate is None:
        return Payload(template, field, lambda scope, services: template, True)
    return Payload(template, field, evaluate, False)


def _compile(node: Any, location: str) -> Evaluator | None:
    """An evaluator for ``node``, or None when it is static (its value is itself)."""
    if isinstance(node, dict):
        return _compile_object(node, location)
    if isinstance(node, list):
        parts = [(_compile(item, f"{location}[{i}]"), item) for i, item in enumerate(node)]
        if all(fn is None for fn, _ in parts):
            return None
        return lambda scope, services: [
            item if fn is None else fn(scope, services) for fn, item in parts]
    return None


def _compile_object(node: dict, location: str) -> Evaluator | None:
    entries: list[tuple[str, Evaluator | None, Any]] = []
    for key, value in node.items():
        if key.endswith(".$"):
            entries.append((key[:-2], _compile_dynamic(key, value, location), None))
        else:
            entries.append((key, _compile(value, f"{location}/{key}"), value))
    if all(fn is None for _, fn, _ in entries):
        return None
    return lambda scope, services: {
        key: value if fn is None else fn(scope, services) for key, fn, value in entries}


def _compile_dynamic(key: str, value: Any, location: str) -> Evaluator:
    if not isinstance(value, str):
        raise PathSyntaxError(f"The value for the field '{key}' must be a STRING that contains a JSONPath "
                              f"or an intrinsic function call, at {location}")
    if is_intrinsic(value):
        return compile_intrinsic(value)
    return _path_field(compile_path(value), key)


NULL_INPUT_CAUSE = "Unable to apply Path transformation to null or empty input."


def _path_field(path: Path, key: str) -> Evaluator:
    """A ``"k.$": "$.x"`` field; a miss fails with AWS's text, quoting what the path was read from.

    AWS refuses to read any input path, even ``$``, from a ``null`` input.
    """
    text = path.text
    from_context = text.startswith("$$")
    from_input = path.reads_input

    def evaluate(scope: Scope, services: RandomSource | None) -> Any:
        if from_input and scope.input is None:
            raise StateFailure("States.Runtime", NULL_INPUT_CAUSE)
        try:
            return path.find(scope)
        except PathNotFound:
            doc = scope.context if from_context else scope.input
            raise StateFailure("States.Runtime",
                               f"The JSONPath '{text}' specified for the field '{key}' could not be found "
                               f"in the input '{to_json_text(doc)}'") from None
    return evaluate
