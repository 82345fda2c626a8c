"""``validate``: everything CreateStateMachine would refuse, as AWS-shaped diagnostics.

Works on the raw dict (not the pydantic model) for two reasons: a definition
that is wrong must still yield every finding at its exact location, and a
1,000-state definition must validate in a few milliseconds. The walk is in
document order, depth first, so diagnostics come out in the order AWS lists
them: schema findings state by state, then transition findings scope by
scope, then MISSING_END_STATE.
"""

from __future__ import annotations

from asl_engine.definition import language as query_language
from asl_engine.definition.context import Context, Scope
from asl_engine.definition.fields import BRANCH_FIELDS, JSONPATH, PROCESSOR_FIELDS, TOP_LEVEL_FIELDS
from asl_engine.definition.graph import check_transitions
from asl_engine.definition.report import Report, at, item
from asl_engine.definition.states import check_state
from asl_engine.definition.values import MAX_INTEGER
from asl_engine.errors import Diagnostic, InvalidDefinition

__all__ = ["ensure_valid", "validate"]


def validate(definition: dict) -> list[Diagnostic]:
    """All errors and warnings for ``definition`` (a parsed ASL document), in AWS's order."""
    if not isinstance(definition, dict):
        report = Report()
        report.expect(definition, "OBJECT", "")
        return report.diagnostics
    ctx = Context(query_language.resolve(definition, JSONPATH))
    _check_top_level(ctx.report, definition)
    _walk_scope(ctx, definition, "")
    check_transitions(ctx.report, ctx.scopes)
    return ctx.report.diagnostics


def ensure_valid(definition: dict) -> list[Diagnostic]:
    """Raise ``InvalidDefinition`` when ``definition`` has errors; otherwise return its warnings."""
    diagnostics = validate(definition)
    if any(d.severity == "ERROR" for d in diagnostics):
        raise InvalidDefinition(diagnostics)
    return diagnostics


def _check_top_level(report: Report, definition: dict) -> None:
    for field in definition:
        if field not in TOP_LEVEL_FIELDS:
            report.unsupported(field, "")
    query_language.check_value(report, definition, "")
    for field in ("Comment", "Version"):
        if field in definition:
            report.expect(definition[field], "STRING", at("", field))
    if "TimeoutSeconds" in definition and report.expect(definition["TimeoutSeconds"], "INTEGER",
                                                        "/TimeoutSeconds"):
        report.expect_range(definition["TimeoutSeconds"], "/TimeoutSeconds", 1, MAX_INTEGER)


def _walk_branch(ctx: Context, branch: object, location: str, allowed: frozenset[str]) -> None:
    """A Parallel branch or a Map processor: a nested state machine with its own StartAt."""
    report = ctx.report
    if not report.expect(branch, "OBJECT", location):
        return
    for field in branch:
        if field not in allowed:
            report.unsupported(field, location)
    if "Comment" in branch:
        report.expect(branch["Comment"], "STRING", at(location, "Comment"))
    _walk_scope(ctx, branch, location)


def _walk_scope(ctx: Context, node: dict, location: str) -> None:
    report = ctx.report
    if not report.required(node, ("StartAt", "States"), location):
        return
    report.expect(node["StartAt"], "STRING", at(location, "StartAt"))
    states = node["States"]
    if not report.expect(states, "OBJECT", at(location, "States")):
        return
    ctx.scopes.append(Scope(location, node["StartAt"], states))
    for name, state in states.items():
        state_location = f"{location}/States/{name}"
        ctx.names.declare_state(report, name, state_location)
        state_type = check_state(ctx, state, state_location)
        if state_type == "Parallel" and isinstance(state.get("Branches"), list):
            for i, branch in enumerate(state["Branches"]):
                _walk_branch(ctx, branch, item(at(state_location, "Branches"), i), BRANCH_FIELDS)
        elif state_type == "Map":
            for field in ("ItemProcessor", "Iterator"):
                if field in state:
                    _walk_branch(ctx, state[field], at(state_location, field), PROCESSOR_FIELDS)
