"""The outcomes of a Distributed Map's child executions, kept as each one ends.

A child execution's history is its own and is not stored, so without its
outcome a resumed or redriven Map Run could only run every item again.  The
Map Run records each child's end here (``record``) and, when it starts again
after a restart or a redrive, takes what is there as done (``done``): a
child that ended before a restart is not run again, nor one that succeeded
before a redrive (AWS redrives only the unsuccessful children of a Map Run).

The service keeps them in its store (``asl_engine.server.map_runs``), one row
per item, so a 10,000-item Map writes 10,000 small rows, not a growing
document; it also keeps each child's start and input as it starts (``begin``),
so that a child is listed and described while it runs, as on AWS.  In
process, a run keeps nothing unless given a ``MemoryMapRunItems``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any


def child_name(map_run_arn: str, index: int) -> str:
    """The name of item ``index``'s child execution: drawn from the run and the index alone, so it is the
    same in every attempt and the service can find an item again from a child's ARN."""
    return str(uuid.UUID(bytes=hashlib.sha256(repr((map_run_arn, index)).encode()).digest()[:16], version=4))


def child_execution_arn(map_run_arn: str, name: str) -> str:
    """A child execution's ARN: ``...:execution:<machine>/<label>:<name>`` for ``...:mapRun:<machine>/<label>:<id>``."""
    return f"{map_run_arn.replace(':mapRun:', ':execution:', 1).rsplit(':', 1)[0]}:{name}"


@dataclass(slots=True)
class ItemOutcome:
    """How one child execution ended: its output, or its error and cause; times in epoch seconds.

    ``redrive`` is the execution's redrive count when the child ended: a failure of an earlier attempt
    is run again by a redrive, one of the current attempt (before a restart) is final.  ``redrives`` is
    the child's own (its ``$$.Execution.RedriveCount``): how many times a redrive ran it again.
    """

    succeeded: bool
    start: float
    stop: float
    redrive: int = 0
    output: Any = None
    error: str | None = None
    cause: str | None = None
    redrives: int = 0

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"status": "SUCCEEDED" if self.succeeded else "FAILED", "start": self.start,
                               "stop": self.stop, "redrive": self.redrive, "redrives": self.redrives}
        if self.succeeded:
            doc["output"] = self.output
        else:
            doc["error"], doc["cause"] = self.error, self.cause
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ItemOutcome:
        return cls(doc["status"] == "SUCCEEDED", doc["start"], doc["stop"], doc.get("redrive", 0),
                   doc.get("output"), doc.get("error"), doc.get("cause"), doc.get("redrives", 0))


class MapRunItems:
    """Keeps nothing: what an in-process run uses by default (every item of a redriven Map Run runs again)."""

    def started(self, map_run_arn: str, total: int) -> None:
        """The Map Run has read its ``total`` items and starts its child executions."""

    def done(self, map_run_arn: str) -> dict[int, ItemOutcome]:
        """The outcomes recorded so far for the run's items, by index."""
        return {}

    def begin(self, map_run_arn: str, index: int, value: Any, start: float, redrives: int) -> None:
        """The child of item ``index`` starts now (``start``), with ``value`` as its input; ``redrives`` is its
        own redrive count.  What lets the service list and describe a child while it runs."""

    def record(self, map_run_arn: str, index: int, outcome: ItemOutcome) -> None:
        """Keep the outcome of the item at ``index`` (replacing the one of an earlier attempt)."""


class MemoryMapRunItems(MapRunItems):
    """Outcomes kept in a dict: pass the same object to a run and to its redrive (``redrive_async``)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[int, ItemOutcome]] = {}

    def done(self, map_run_arn: str) -> dict[int, ItemOutcome]:
        return dict(self.items.get(map_run_arn, {}))

    def record(self, map_run_arn: str, index: int, outcome: ItemOutcome) -> None:
        self.items.setdefault(map_run_arn, {})[index] = outcome
