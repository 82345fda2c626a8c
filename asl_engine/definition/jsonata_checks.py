"""JSONata expressions in JSONata states: syntax, and what an expression may read.

AWS refuses at creation (measured): an expression that does not parse
(INVALID_JSONATA_EXPRESSION, with the parser's bare message), a read of
``$$`` or of a name at the top level, where no context item exists
(UNSUPPORTED_JSONATA_EXPRESSION; ``$states.input.x`` and ``$x`` are the ways
to read input and variables), and ``$states.errorOutput`` anywhere but a
catcher's own Output or Assign.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jlens

from asl_engine.definition.expressions import JSONATA, syntax_error
from asl_engine.definition.report import INVALID_JSONATA, UNSUPPORTED_JSONATA, Report, at, item

# String literals, removed before looking for a ``$$`` token.
_STRING_LITERAL = re.compile(r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'""")


def is_jsonata(value: object) -> bool:
    """A JSONata-state string is an expression only when wrapped in ``{% ... %}``."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def check_jsonata(report: Report, value: object, location: str, *, in_catch: bool = False) -> None:
    """Every ``{% %}`` string inside ``value`` (any JSON) must be an expression AWS accepts there."""
    if isinstance(value, str):
        if is_jsonata(value):
            problem = expression_problem(value[2:-2], in_catch)
            if problem is not None:
                report.error(problem[0], problem[1], location)
    elif isinstance(value, dict):
        for key, child in value.items():
            check_jsonata(report, child, at(location, key), in_catch=in_catch)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            check_jsonata(report, child, item(location, i), in_catch=in_catch)


@lru_cache(maxsize=8192)
def expression_problem(source: str, in_catch: bool) -> tuple[str, str] | None:
    """(code, message) when AWS refuses the expression ``source``, else None."""
    message = syntax_error(JSONATA, source)
    if message is not None:
        return INVALID_JSONATA, message
    reads = _reads(source)
    top_level = reads.get("input")
    if top_level is not None and "$$" in _STRING_LITERAL.sub("", source):
        return UNSUPPORTED_JSONATA, "Reference to '$$' is not supported."
    if isinstance(top_level, dict) and top_level:
        name = next(iter(top_level))
        return UNSUPPORTED_JSONATA, f"Reference to '{name}' at the top level is not supported."
    states = reads.get("bindings", {}).get("states")
    if not in_catch and isinstance(states, dict) and "errorOutput" in states:
        return UNSUPPORTED_JSONATA, "Field '$states.errorOutput' does not exist."
    return None


def _reads(source: str) -> dict:
    """What ``source`` reads, ``{"input": ..., "bindings": {...}}``, from the engine the query layer runs.

    Only called on an expression that compiled, so the engine parses it too.
    """
    return jlens.Expression(source).reads()
