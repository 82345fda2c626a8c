"""``load_definition``: turn JSON text, a file or a dict into a definition dict.

Parsing is where three AWS refusals can only be seen, so they are raised here
as ``InvalidDefinition``: JSON that does not parse (INVALID_JSON_DESCRIPTION,
with line and column), an empty definition (MISSING_DESCRIPTION), and a state
name written twice in one ``States`` object (DUPLICATE_STATE_NAME), which a
dict silently collapses. ``NaN``/``Infinity`` are refused because they are
not JSON and AWS's parser rejects them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from asl_engine.definition.report import DUPLICATE_STATE_NAME, INVALID_JSON, MISSING_DESCRIPTION, at, item
from asl_engine.errors import Diagnostic, InvalidDefinition

__all__ = ["load_definition", "parse_definition"]


def load_definition(source: str | dict | os.PathLike) -> dict:
    """The definition in ``source``: JSON text, a path to a JSON file, or an already parsed dict.

    A ``str`` naming an existing file is read from it, any other ``str`` is
    JSON text; raises ``InvalidDefinition`` when the text is not a
    JSON document AWS would parse.
    """
    if isinstance(source, dict):
        return source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _is_path(source)):
        source = Path(source).read_text(encoding="utf-8")
    return parse_definition(source)


def parse_definition(source: str) -> dict:
    """The definition in JSON text, never read as a path: what a service does with a definition it is sent."""
    if not source.strip():
        raise InvalidDefinition([Diagnostic("ERROR", MISSING_DESCRIPTION,
                                            "Received a null or empty workflow input.", "")])
    duplicates: dict[int, list[str]] = {}
    try:
        document = json.loads(source, object_pairs_hook=_recording(duplicates),
                              parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise _invalid_json(exc.msg, exc.pos, source) from exc
    except _NotJson as exc:
        raise _invalid_json(str(exc), _constant_position(source), source) from exc
    if duplicates and isinstance(document, dict):
        _raise_duplicate_states(document, duplicates)
    return document


def _is_path(text: str) -> bool:
    """A ``str`` names a file only when one exists; anything else is parsed (and maybe refused) as JSON."""
    if text.lstrip().startswith("{"):
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


class _NotJson(ValueError):
    """A token Python's parser accepts but JSON (and AWS) does not."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"Unexpected token '{name}'")


# A string literal (skipped) or one of the non-JSON constants Python's parser would accept.
_CONSTANT = re.compile(r'"(?:\\.|[^"\\])*"|(-?Infinity|NaN)')


def _constant_position(source: str) -> int:
    return next(m.start(1) for m in _CONSTANT.finditer(source) if m.group(1))


def _invalid_json(message: str, position: int, source: str) -> InvalidDefinition:
    line = source.count("\n", 0, position) + 1
    column = position - source.rfind("\n", 0, position)
    message = f"{message} at line {line}, column {column}"
    return InvalidDefinition([Diagnostic("ERROR", INVALID_JSON, message, "")])


def _recording(duplicates: dict[int, list[str]]):
    """An ``object_pairs_hook`` that remembers, by object identity, keys written twice."""

    def build(pairs: list[tuple[str, Any]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            duplicates[id(obj)] = [k for k, _ in pairs if k in seen or seen.add(k)]
        return obj

    return build


def _raise_duplicate_states(document: dict, duplicates: dict[int, list[str]]) -> None:
    diagnostics: list[Diagnostic] = []
    pending: list[tuple[object, str]] = [(document, "")]
    while pending:
        node, location = pending.pop(0)
        if not isinstance(node, dict) or not isinstance(node.get("States"), dict):
            continue
        states = node["States"]
        for name in duplicates.get(id(states), ()):
            diagnostics.append(Diagnostic("ERROR", DUPLICATE_STATE_NAME, f"Duplicate State name: '{name}'",
                                          f"{location}/States/{name}"))
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            where = f"{location}/States/{name}"
            for field in ("ItemProcessor", "Iterator"):
                pending.append((state.get(field), at(where, field)))
            branches = state.get("Branches")
            if isinstance(branches, list):
                pending.extend((b, item(at(where, "Branches"), i)) for i, b in enumerate(branches))
    if diagnostics:
        raise InvalidDefinition(diagnostics)
