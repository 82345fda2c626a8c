"""Value shapes several state types share: alternative fields and numbers that may be expressions."""

from __future__ import annotations

from asl_engine.definition.fields import JSONATA
from asl_engine.definition.jsonata_checks import check_jsonata, is_jsonata
from asl_engine.definition.report import Report, at

MAX_INTEGER = 99_999_999


def exclusive(report: Report, state: dict, first: str, second: str, location: str) -> None:
    """``first`` and ``second`` are alternatives; AWS reports both at ``first``."""
    if first in state and second in state:
        report.schema(f"Only one of these fields can be present: [{first}, {second}]", at(location, first))


def number_or_expression(report: Report, value: object, where: str, language: str, kind: str,
                         minimum: float, maximum: float | None = MAX_INTEGER) -> None:
    """A number field that a JSONata state may also give as a ``{% %}`` expression."""
    if language == JSONATA and is_jsonata(value):
        check_jsonata(report, value, where)
    elif report.expect(value, kind, where):
        report.expect_range(value, where, minimum, maximum)
