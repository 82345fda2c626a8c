"""Values a state reads from a path at run time (SecondsPath, MaxConcurrencyPath, CausePath...), failing with
AWS's States.Runtime texts when the path finds nothing or the value is not what the field takes."""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StateFailure
from asl_engine.query.jsonpath import PathNotFound


def read_field(path: Any, scope: Any, field: str, *, noun: str = "parameter",
               missing: str = "an input value") -> Any:
    """``path``'s value in ``scope``; when it finds nothing: "The {field} {noun} does not reference {missing}:
    {path}" (Task and Wait say "parameter", Map says "field"; Fail's ErrorPath/CausePath "a valid JSONPath")."""
    try:
        return path.find(scope)
    except PathNotFound:
        raise StateFailure("States.Runtime", f"The {field} {noun} does not reference {missing}: "
                                             f"{path.text}") from None


def read_count(path: Any, field: str, scope: Any, *, whole: bool = True) -> int | float:
    """A non-negative count read at run time (MaxItemsPath, MaxItemsPerBatchPath, MaxConcurrencyPath...).

    ``whole`` (MaxItemsPath, the ItemBatcher's limits): an integer, and, as recorded
    (assign/..._MAP_STATE_REFERENCE_IN_MAX_ITEMS_PATH and _IN_MAX_PER_BATCH_PATH), AWS takes the strings "2"
    and "15000" from variables as numbers.  Otherwise (MaxConcurrencyPath, ToleratedFailure*Path) any
    non-negative number.
    """
    value = read_field(path, scope, field, noun="field")
    if whole and isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int if whole else (int, float)) or isinstance(value, bool) or value < 0:
        raise StateFailure("States.Runtime", f"The {field} field references an invalid value: {path.text} == "
                                             f"{value}")
    return value
