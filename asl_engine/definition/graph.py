"""Transitions: dangling targets, unreachable states and the terminal state.

Measured on AWS: a dangling ``StartAt``/``Next``/``Default``/``Catch[].Next``
is ``Missing 'Next' target: X`` (the word ``Next`` whatever the field) at the
field; a state no transition reaches is ``State "X" is not reachable.`` at
the state. Only the top level must have a terminal state; when it has none,
AWS reports MISSING_END_STATE (without a location) last and skips the
top-level reachability walk, whose findings would be noise.
"""

from __future__ import annotations

from collections.abc import Iterator

from asl_engine.definition.context import Scope
from asl_engine.definition.report import MISSING_END_STATE, MISSING_TRANSITION_TARGET, Report, at, item

_FLOW_TYPES = frozenset({"Pass", "Task", "Wait", "Parallel", "Map"})
_TERMINAL_TYPES = frozenset({"Succeed", "Fail"})


def check_transitions(report: Report, scopes: list[Scope]) -> None:
    """``scopes`` in document order, the top level first."""
    top_is_terminated = bool(scopes) and _has_terminal(scopes[0].states)
    for scope in scopes:
        edges = {name: list(_transitions(state, f"{scope.location}/States/{name}"))
                 for name, state in scope.states.items()}
        start_at = scope.start_at if isinstance(scope.start_at, str) else None
        if start_at is not None and start_at not in scope.states:
            _missing(report, start_at, at(scope.location, "StartAt"))
        for targets in edges.values():
            for target, location in targets:
                if target not in scope.states:
                    _missing(report, target, location)
        if scope is not scopes[0] or top_is_terminated:
            _check_reachable(report, scope, start_at, edges)
    if scopes and not top_is_terminated:
        report.error(MISSING_END_STATE, "Workflow has no terminal state", "")


def _missing(report: Report, target: str, location: str) -> None:
    report.error(MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {target}", location)


def _check_reachable(report: Report, scope: Scope, start_at: str | None,
                     edges: dict[str, list[tuple[str, str]]]) -> None:
    reached: set[str] = set()
    pending = [start_at] if start_at in scope.states else []
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        pending.extend(target for target, _ in edges[name] if target in scope.states)
    for name in scope.states:
        if name not in reached:
            report.error(MISSING_TRANSITION_TARGET, f'State "{name}" is not reachable.',
                         f"{scope.location}/States/{name}")


def _transitions(state: object, location: str) -> Iterator[tuple[str, str]]:
    """(target, location of the field naming it) for every transition out of ``state``."""
    state_type = _type(state)
    if state_type in _FLOW_TYPES and isinstance(state.get("Next"), str):
        yield state["Next"], at(location, "Next")
    if state_type == "Choice":
        choices = state.get("Choices")
        if isinstance(choices, list):
            for i, rule in enumerate(choices):
                if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                    yield rule["Next"], at(item(at(location, "Choices"), i), "Next")
        if isinstance(state.get("Default"), str):
            yield state["Default"], at(location, "Default")
    if state_type in ("Task", "Parallel", "Map") and isinstance(state.get("Catch"), list):
        for i, catcher in enumerate(state["Catch"]):
            if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
                yield catcher["Next"], at(item(at(location, "Catch"), i), "Next")


def _type(state: object) -> str | None:
    """The state's Type when it is a string (the schema rules report any other)."""
    if isinstance(state, dict) and isinstance(state.get("Type"), str):
        return state["Type"]
    return None


def _has_terminal(states: dict) -> bool:
    return any(_type(s) in _TERMINAL_TYPES or (_type(s) in _FLOW_TYPES and s.get("End") is True)
               for s in states.values())
