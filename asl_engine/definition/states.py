"""Rules for one state: its type, the fields its type supports, and their values.

Diagnostics for a state come in AWS's order: first those located at the state
itself (unsupported fields, query-language mixing), then those at its fields.
Fields a state does not support, or that belong to the other query language,
are reported once and not checked further.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from asl_engine.definition import language as query_language
from asl_engine.definition.choice import check_choices
from asl_engine.definition.context import Context
from asl_engine.definition.expressions import (
    check_path,
    check_path_or_intrinsic,
    check_result_path,
    check_template,
)
from asl_engine.definition.fields import ALLOWED_FIELDS, FIELD_RANK, JSONATA, STATE_TYPES
from asl_engine.definition.jsonata_checks import check_jsonata, is_jsonata
from asl_engine.definition.map_state import check_map
from asl_engine.definition.report import INVALID_RESOURCE, PASS_RESULT_IS_STATIC, Report, at
from asl_engine.definition.retry_catch import check_catch, check_retry
from asl_engine.definition.timestamps import is_timestamp
from asl_engine.definition.values import exclusive, number_or_expression
from asl_engine.definition.variables import check_assign
from asl_engine.integrations.services.supported import recognized

_FLOW_TYPES = frozenset({"Pass", "Task", "Wait", "Parallel", "Map"})
_ARN = re.compile(r"arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:.+")
_UNRANKED = 1 << 20


def check_state(ctx: Context, state: object, location: str) -> str | None:
    """Check one state; returns its type when it has a valid one (so nested machines get walked)."""
    report = ctx.report
    if not report.expect(state, "OBJECT", location) or not report.required(state, ("Type",), location):
        return None
    state_type = state["Type"]
    if not report.one_of(state_type, STATE_TYPES, at(location, "Type")):
        return None
    allowed = ALLOWED_FIELDS[state_type]
    supported = []
    for field in sorted(state, key=lambda f: FIELD_RANK.get(f, _UNRANKED)):
        if field in allowed:
            supported.append(field)
        else:
            report.unsupported(field, location)
    language = query_language.check_state(report, state, supported, location, ctx.machine_language)
    fields = {f: state[f] for f in supported}
    _check_common(report, fields, location, state_type, language)
    _TYPE_RULES[state_type](ctx, fields, location, language)
    if "Retry" in fields:
        check_retry(report, fields["Retry"], at(location, "Retry"))
    if "Catch" in fields:
        check_catch(report, fields["Catch"], at(location, "Catch"), language)
    return state_type


def _check_common(report: Report, state: dict, location: str, state_type: str, language: str) -> None:
    if "Comment" in state:
        report.expect(state["Comment"], "STRING", at(location, "Comment"))
    if state_type in _FLOW_TYPES:
        _check_flow(report, state, location)
    if language == JSONATA:
        for field in ("Arguments", "Output"):
            if field in state:
                check_jsonata(report, state[field], at(location, field))
    else:
        for field in ("InputPath", "OutputPath"):
            if field in state:
                check_path(report, state[field], at(location, field), nullable=True)
        if "ResultPath" in state:
            check_result_path(report, state["ResultPath"], at(location, "ResultPath"))
        if "Parameters" in state:
            check_template(report, state["Parameters"], at(location, "Parameters"))
        if "ResultSelector" in state and report.expect(state["ResultSelector"], "OBJECT",
                                                       at(location, "ResultSelector")):
            check_template(report, state["ResultSelector"], at(location, "ResultSelector"))
    if "Assign" in state:
        check_assign(report, state["Assign"], at(location, "Assign"), language)


def _check_flow(report: Report, state: dict, location: str) -> None:
    """Exactly one of ``Next`` or ``"End": true``."""
    if "Next" in state:
        report.expect(state["Next"], "STRING", at(location, "Next"))
    if "End" in state:
        report.expect(state["End"], "BOOLEAN", at(location, "End"))
    if ("Next" in state) == (state.get("End") is True):
        report.schema("Exactly one of these fields must be present: [Next, End]", location)


def _pass(ctx: Context, state: dict, location: str, language: str) -> None:
    if language != JSONATA and "Result" in state and _has_dollar_key(state["Result"]):
        ctx.report.warning(PASS_RESULT_IS_STATIC, "The Result of a Pass state is static; '.$' fields "
                           "are not evaluated (use Parameters)", at(location, "Result"))


def _has_dollar_key(value: object) -> bool:
    if isinstance(value, dict):
        return any(k.endswith(".$") or _has_dollar_key(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_dollar_key(v) for v in value)


def _task(ctx: Context, state: dict, location: str, language: str) -> None:
    report = ctx.report
    if report.required(state, ("Resource",), location):
        resource = state["Resource"]
        if report.expect(resource, "STRING", at(location, "Resource")) and not _ARN.fullmatch(resource):
            report.error(INVALID_RESOURCE, f"Invalid resource: '{resource}' is not a valid ARN",
                         at(location, "Resource"))
        elif isinstance(resource, str) and not recognized(resource):
            report.schema(f"The resource provided {resource} is not recognized. The value is not a valid resource "
                          "ARN, or the resource is not available in this region.", at(location, "Resource"))
    for seconds in ("TimeoutSeconds", "HeartbeatSeconds"):
        exclusive(report, state, seconds, seconds + "Path", location)
        if seconds in state:
            number_or_expression(report, state[seconds], at(location, seconds), language, "INTEGER", 1)
        if seconds + "Path" in state and language != JSONATA:
            check_path(report, state[seconds + "Path"], at(location, seconds + "Path"), reference=True)
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
        report.schema("HeartbeatSeconds must be smaller than TimeoutSeconds",
                      at(location, "HeartbeatSeconds"))
    if "Credentials" in state:
        credentials, where = state["Credentials"], at(location, "Credentials")
        if language == JSONATA:
            check_jsonata(report, credentials, where)
        elif report.expect(credentials, "OBJECT", where):
            check_template(report, credentials, where)


_WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")


def _wait(ctx: Context, state: dict, location: str, language: str) -> None:
    report = ctx.report
    if sum(f in state for f in _WAIT_FIELDS) != 1:
        report.schema(f"Exactly one of these fields must be present: [{', '.join(_WAIT_FIELDS)}]", location)
    if "Seconds" in state:
        number_or_expression(report, state["Seconds"], at(location, "Seconds"), language, "INTEGER", 0)
    if "Timestamp" in state:
        value, where = state["Timestamp"], at(location, "Timestamp")
        if language == JSONATA and is_jsonata(value):
            check_jsonata(report, value, where)
        elif report.expect(value, "STRING", where) and not is_timestamp(value):
            report.schema("Value must be a valid timestamp (RFC3339, e.g. 2016-03-14T01:59:00Z)", where)
    if language != JSONATA:
        for field in ("SecondsPath", "TimestampPath"):
            if field in state:
                check_path(report, state[field], at(location, field), reference=True)


def _fail(ctx: Context, state: dict, location: str, language: str) -> None:
    report = ctx.report
    for field in ("Error", "Cause"):
        exclusive(report, state, field, field + "Path", location)
        if field in state and report.expect(state[field], "STRING", at(location, field)) \
                and language == JSONATA:
            check_jsonata(report, state[field], at(location, field))
        if field + "Path" in state and language != JSONATA:
            check_path_or_intrinsic(report, state[field + "Path"], at(location, field + "Path"))


def _choice(ctx: Context, state: dict, location: str, language: str) -> None:
    if ctx.report.required(state, ("Choices",), location):
        check_choices(ctx.report, state, location, language)


def _parallel(ctx: Context, state: dict, location: str, language: str) -> None:
    report = ctx.report
    if report.required(state, ("Branches",), location):
        branches = state["Branches"]
        if report.expect(branches, "ARRAY", at(location, "Branches")) and not branches:
            report.schema("The 'Branches' array must not be empty", at(location, "Branches"))


def _succeed(ctx: Context, state: dict, location: str, language: str) -> None:
    """Succeed has nothing beyond the common fields."""


_TYPE_RULES: dict[str, Callable[[Context, dict, str, str], None]] = {
    "Pass": _pass, "Task": _task, "Choice": _choice, "Wait": _wait, "Succeed": _succeed,
    "Fail": _fail, "Parallel": _parallel, "Map": check_map,
}
