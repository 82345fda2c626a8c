"""What the rules share while one definition is validated."""

from __future__ import annotations

from dataclasses import dataclass, field

from asl_engine.definition.names import Names
from asl_engine.definition.report import Report


@dataclass(frozen=True, slots=True)
class Scope:
    """One set of states that transitions stay within: the top level, a branch or a Map processor."""

    location: str  # "" for the top level, else e.g. "/States/M/ItemProcessor"
    start_at: object
    states: dict


@dataclass(slots=True)
class Context:
    machine_language: str
    report: Report = field(default_factory=Report)
    names: Names = field(default_factory=Names)
    scopes: list[Scope] = field(default_factory=list)
