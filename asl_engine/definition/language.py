"""QueryLanguage: which language a state runs in, and the fields that language forbids.

Rules measured on AWS with ValidateStateMachineDefinition:

* A state's language is JSONPath only when its QueryLanguage is exactly
  ``"JSONPath"``; absent, it is the *state machine's* (not the enclosing Map's
  or Parallel's); any other value (wrong case, unknown, non-string) is JSONata,
  and the bad value is reported at the field on top of that.
* A JSONata state machine cannot downgrade a state to JSONPath; that diagnostic
  replaces the field-mixing diagnostics for the state.
* A field of the other language is reported at the state, not at the field.
"""

from __future__ import annotations

from asl_engine.definition.fields import FIELD_RANK, JSONATA, JSONATA_ONLY, JSONPATH, JSONPATH_ONLY
from asl_engine.definition.report import Report, at

_ABSENT = object()


def resolve(node: dict, inherited: str) -> str:
    """The effective language of ``node`` (a state or the top level)."""
    value = node.get("QueryLanguage", _ABSENT)
    if value is _ABSENT:
        return inherited
    return JSONPATH if value == JSONPATH else JSONATA


def check_value(report: Report, node: dict, location: str) -> None:
    """The QueryLanguage field itself must be one of the enum values."""
    if "QueryLanguage" in node:
        report.one_of(node["QueryLanguage"], (JSONPATH, JSONATA), at(location, "QueryLanguage"))


def check_state(report: Report, state: dict, fields: list[str], location: str, machine: str) -> str:
    """Report language mixing on one state; returns the state's effective language.

    ``fields`` are the state's fields its type supports, in canonical order.
    """
    language = resolve(state, machine)
    if machine == JSONATA and state.get("QueryLanguage") == JSONPATH:
        report.schema("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                      location)
    else:
        check_fields(report, fields, language, location)
    check_value(report, state, location)
    return language


def check_fields(report: Report, fields: list[str], language: str, location: str) -> None:
    """Report each field of ``fields`` that only the other query language has."""
    foreign = JSONPATH_ONLY if language == JSONATA else JSONATA_ONLY
    other = JSONPATH if language == JSONATA else JSONATA
    for field in sorted((f for f in fields if f in foreign), key=lambda f: FIELD_RANK.get(f, 1 << 20)):
        report.schema(f"The QueryLanguage is set to '{language}', but field '{field}' is only supported "
                      f"for the '{other}' QueryLanguage", location)
