"""Names the definition declares: state names and Map labels.

State names and labels are unique across the whole definition, nested
branches included (ASL: "unique within the scope of the whole state machine").
"""

from __future__ import annotations

import re

from asl_engine.definition.report import (
    DUPLICATE_LABEL_NAME,
    DUPLICATE_STATE_NAME,
    INVALID_LABEL_NAME,
    INVALID_STATE_NAME,
    Report,
)

MAX_STATE_NAME = 80
MAX_LABEL = 40

# Characters AWS forbids in execution names and Map labels: whitespace, brackets, wildcards,
# special characters, control characters.
_BAD_LABEL_CHARS = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ufffe\uffff]")



def valid_resource_name(name: str) -> bool:
    """AWS's rule for the names of resources (activities, executions): 1-80 characters, none forbidden."""
    return 1 <= len(name) <= MAX_STATE_NAME and not _BAD_LABEL_CHARS.search(name)

class Names:
    """The state names and labels seen so far, with the location each was declared at."""

    __slots__ = ("labels", "states")

    def __init__(self) -> None:
        self.states: set[str] = set()
        self.labels: set[str] = set()

    def declare_state(self, report: Report, name: str, location: str) -> None:
        if name in self.states:
            report.error(DUPLICATE_STATE_NAME, f"Duplicate State name: '{name}'", location)
        self.states.add(name)
        if not name or len(name) > MAX_STATE_NAME:
            report.error(INVALID_STATE_NAME,
                         f"State name must be between 1 and {MAX_STATE_NAME} characters long", location)

    def declare_label(self, report: Report, label: str, location: str) -> None:
        if not label or len(label) > MAX_LABEL or _BAD_LABEL_CHARS.search(label):
            report.error(INVALID_LABEL_NAME, f"Invalid Label name: '{label}'", location)
        if label in self.labels:
            report.error(DUPLICATE_LABEL_NAME, f"Duplicate Label name: '{label}'", location)
        self.labels.add(label)

