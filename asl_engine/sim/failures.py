"""Failure injection: which jobs or deployments fail, chosen by name pattern.

Tests and scenarios say "the Batch job for partition 3 fails" or "the
training job fails with an AlgorithmError" without touching the controllers:
a rule names the kind of resource, a shell-style pattern over its name and
the reason AWS would report.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

# Kinds a rule can name.
KINDS = frozenset({"TrainingJob", "ProcessingJob", "TransformJob", "HyperParameterTuningJob", "BatchJob",
                   "EndpointDeployment", "EndpointRollback"})


@dataclass(frozen=True, slots=True)
class FailureRule:
    kind: str
    pattern: str
    reason: str


class FailureRules:
    def __init__(self) -> None:
        self._rules: list[FailureRule] = []

    def add(self, kind: str, pattern: str, reason: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; one of {sorted(KINDS)}")
        self._rules.append(FailureRule(kind, pattern, reason))

    @property
    def rules(self) -> tuple[FailureRule, ...]:
        return tuple(self._rules)

    def reason_for(self, kind: str, name: str) -> str | None:
        """The reason of the first rule matching ``name`` (None: it succeeds)."""
        return next((r.reason for r in self._rules if r.kind == kind and fnmatchcase(name, r.pattern)), None)
