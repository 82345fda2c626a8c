"""Retry and Catch: error name lists, retrier ranges, catcher fields.

``States.ALL`` is a wildcard: ASL requires it alone in its ``ErrorEquals`` and
in the last retrier/catcher, since anything after it could never match.
Retrier ranges are AWS's documented limits.
"""

from __future__ import annotations

from asl_engine.definition.expressions import check_result_path
from asl_engine.definition.fields import CATCHER_FIELDS, JSONATA, RETRIER_FIELDS
from asl_engine.definition.jsonata_checks import check_jsonata
from asl_engine.definition.language import check_fields
from asl_engine.definition.report import Report, at, item
from asl_engine.definition.values import MAX_INTEGER
from asl_engine.definition.variables import check_assign

STATES_ALL = "States.ALL"
MAX_DELAY_SECONDS = 31_622_400

# (field, JSON type, minimum, maximum)
_RETRIER_NUMBERS = (
    ("IntervalSeconds", "INTEGER", 1, MAX_INTEGER),
    ("MaxAttempts", "INTEGER", 0, MAX_INTEGER),
    ("BackoffRate", "NUMBER", 1.0, None),
    ("MaxDelaySeconds", "INTEGER", 1, MAX_DELAY_SECONDS),
)


def check_retry(report: Report, retry: object, location: str) -> None:
    if not report.expect(retry, "ARRAY", location):
        return
    for i, retrier in enumerate(retry):
        where = item(location, i)
        if not _check_handler(report, retry, i, RETRIER_FIELDS, where, "retrier"):
            continue
        for field, kind, minimum, maximum in _RETRIER_NUMBERS:
            if field in retrier and report.expect(retrier[field], kind, at(where, field)):
                report.expect_range(retrier[field], at(where, field), minimum, maximum)
        if "JitterStrategy" in retrier:
            report.one_of(retrier["JitterStrategy"], ("FULL", "NONE"), at(where, "JitterStrategy"))


def check_catch(report: Report, catch: object, location: str, language: str) -> None:
    if not report.expect(catch, "ARRAY", location):
        return
    for i, catcher in enumerate(catch):
        where = item(location, i)
        if not _check_handler(report, catch, i, CATCHER_FIELDS, where, "catcher"):
            continue
        check_fields(report, [f for f in catcher if f in CATCHER_FIELDS], language, where)
        if report.required(catcher, ("Next",), where):
            report.expect(catcher["Next"], "STRING", at(where, "Next"))
        if "ResultPath" in catcher and language != JSONATA:
            check_result_path(report, catcher["ResultPath"], at(where, "ResultPath"))
        if "Output" in catcher and language == JSONATA:
            check_jsonata(report, catcher["Output"], at(where, "Output"), in_catch=True)
        if "Assign" in catcher:
            check_assign(report, catcher["Assign"], at(where, "Assign"), language, in_catch=True)
        if "Comment" in catcher:
            report.expect(catcher["Comment"], "STRING", at(where, "Comment"))


def _check_handler(report: Report, handlers: list, index: int, allowed: frozenset[str], where: str,
                   kind: str) -> bool:
    """Shape and ErrorEquals of one retrier or catcher; False when it is not an object."""
    handler = handlers[index]
    if not report.expect(handler, "OBJECT", where):
        return False
    for field in handler:
        if field not in allowed:
            report.unsupported(field, where)
    if not report.required(handler, ("ErrorEquals",), where):
        return True
    errors, errors_at = handler["ErrorEquals"], at(where, "ErrorEquals")
    if not report.expect(errors, "ARRAY", errors_at):
        return True
    if not errors:
        report.schema("The 'ErrorEquals' array must not be empty", errors_at)
    for j, name in enumerate(errors):
        report.expect(name, "STRING", item(errors_at, j))
    if STATES_ALL in errors:
        if len(errors) > 1:
            report.schema(f"'{STATES_ALL}' must appear alone in 'ErrorEquals'", errors_at)
        if index != len(handlers) - 1:
            report.schema(f"The {kind} with '{STATES_ALL}' must be the last one", errors_at)
    return True
