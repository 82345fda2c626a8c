"""Syntax checks for paths, reference paths, intrinsic calls and payload templates (JSONPath states).

The parsers belong to the query layer; this module only turns their
``QuerySyntaxError`` into a diagnostic at the right location. Results are
cached by text because large definitions repeat the same few paths
(``$``, ``$.Payload``...) hundreds of times.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from asl_engine.definition.report import NO_DOLLAR, Report, at, item
from asl_engine.errors import QuerySyntaxError

PATH = "path"
REFERENCE = "reference"
INTRINSIC = "intrinsic"
JSONATA = "jsonata"


def _compiler(kind: str) -> Callable[[str], Any]:
    """The query layer's compiler for ``kind``, imported late: the query layer imports its engines."""
    if kind == PATH:
        from asl_engine.query.jsonpath import compile_path
        return compile_path
    if kind == REFERENCE:
        from asl_engine.query.jsonpath import compile_reference_path
        return compile_reference_path
    if kind == INTRINSIC:
        from asl_engine.query.intrinsics import compile_intrinsic
        return compile_intrinsic
    from asl_engine.query.jsonata import compile_expression
    return compile_expression


@lru_cache(maxsize=8192)
def syntax_error(kind: str, text: str) -> str | None:
    """The parser's message when ``text`` is not valid ``kind``, else None."""
    try:
        _compiler(kind)(text)
    except QuerySyntaxError as exc:
        # JSONata errors carry the bare parser message AWS shows; the others only their text.
        return getattr(exc, "message", None) or str(exc) or "invalid syntax"
    return None


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.")


def check_path(report: Report, value: object, location: str, *, reference: bool = False,
               nullable: bool = False) -> None:
    """InputPath/OutputPath (paths) and ResultPath, ItemsPath, ``*Path`` fields (reference paths)."""
    if value is None and nullable:
        return
    if not report.expect(value, "STRING", location):
        return
    if syntax_error(REFERENCE if reference else PATH, value) is not None:
        kind = "Reference Path" if reference else "JSONPath"
        report.schema(f"Value must be a valid {kind}.", location)


def check_result_path(report: Report, value: object, location: str) -> None:
    """ResultPath: a reference path into the state input, so not ``$$...`` or a ``$variable``."""
    check_path(report, value, location, reference=True, nullable=True)
    if (isinstance(value, str) and value.startswith("$") and value[1:2] not in ("", ".", "[")
            and syntax_error(REFERENCE, value) is None):
        report.schema("Value must be a valid Reference Path.", location)


def check_path_or_intrinsic(report: Report, value: object, location: str) -> None:
    """ErrorPath and CausePath take a reference path or an intrinsic function call."""
    if not report.expect(value, "STRING", location):
        return
    kind = INTRINSIC if is_intrinsic(value) else REFERENCE
    if syntax_error(kind, value) is not None:
        report.schema("Value must be a valid Reference Path or a valid intrinsic function call.", location)


def check_template(report: Report, template: object, location: str) -> None:
    """A JSONPath payload template (Parameters, ResultSelector, ItemSelector, Assign).

    A ``"key.$"`` value must be a path or an intrinsic call; AWS reports it at
    the object holding the key. A plain key whose value looks like one is only
    a NO_DOLLAR warning: it is legal, and probably a forgotten ``.$``.
    """
    if isinstance(template, list):
        for i, element in enumerate(template):
            check_template(report, element, item(location, i))
        return
    if not isinstance(template, dict):
        return
    for key, value in template.items():
        if key.endswith(".$"):
            if not _is_dynamic_value(value):
                report.schema(f"The value for the field '{key}' must be a valid JSONPath or a valid "
                              "intrinsic function call", location)
        elif isinstance(value, str) and _looks_dynamic(value):
            report.warning(NO_DOLLAR, f"The value for the field '{key}' looks like a JSONPath or an "
                                      f"intrinsic function call; use '{key}.$' to evaluate it", location)
        else:
            check_template(report, value, at(location, key))


def _is_dynamic_value(value: object) -> bool:
    if not isinstance(value, str) or not (value.startswith("$") or is_intrinsic(value)):
        return False
    return syntax_error(INTRINSIC if is_intrinsic(value) else PATH, value) is None


def _looks_dynamic(text: str) -> bool:
    if text.startswith(("$.", "$$.", "$[")):
        return True
    return is_intrinsic(text) and text.endswith(")") and "(" in text

