"""Assign: the variable names a state may set and the values it may set them to.

Variable names follow Unicode identifier rules (ID_Start then ID_Continue,
which Python's ``str.isidentifier`` implements), are at most 80 characters
and may not be ``states``, which AWS reserves for ``$states``. In a JSONPath
state Assign is a payload template (``"name.$"`` evaluates a path); in a
JSONata state its values may hold ``{% %}`` expressions.
"""

from __future__ import annotations

from asl_engine.definition.expressions import check_template
from asl_engine.definition.fields import JSONATA
from asl_engine.definition.jsonata_checks import check_jsonata
from asl_engine.definition.report import Report

MAX_VARIABLE_NAME = 80
RESERVED_VARIABLES = frozenset({"states"})


def check_assign(report: Report, assign: object, location: str, language: str, *,
                 in_catch: bool = False) -> None:
    if not report.expect(assign, "OBJECT", location):
        return
    for key in assign:
        name = key[:-2] if language != JSONATA and key.endswith(".$") else key
        problem = variable_name_problem(name)
        if problem:
            report.schema(problem, location)
    if language == JSONATA:
        check_jsonata(report, assign, location, in_catch=in_catch)
    else:
        check_template(report, assign, location)


def variable_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an Assign variable, or None."""
    if name in RESERVED_VARIABLES:
        return f"The variable name '{name}' is reserved"
    if not name.isidentifier() or len(name) > MAX_VARIABLE_NAME:
        return f"The variable name '{name}' is invalid"
    return None
