"""Workflow variables at run time: scopes, committing an Assign, and its quotas.

AWS's rules (workflow-variables docs and recorded histories):

* every value an Assign sets is computed from the values *before* the state,
  and the whole Assign is committed when the state exits, so ``OutputPath``
  and ``Output`` of the assigning state still read the old values;
* a Parallel branch or an inline Map iteration runs in an inner scope that
  reads the outer one; what it assigns stays in it (an outer variable of the
  same name is shadowed, never overwritten) and is dropped when the branch
  ends: only the branch's output flows back;
* a Distributed Map's child executions see no outer variable at all;
* one variable holds at most 256 KiB of JSON, and so does one Assign in all.

The scope is a plain ``dict`` at the top level and a ``ChainMap`` inside, so
paths (``$name``) and JSONata bindings read it as any mapping.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from typing import Any

from asl_engine.errors import StateFailure
from asl_engine.runtime.payload_size import PayloadMeter

VARIABLE_LIMIT = 256 * 1024
ASSIGN_LIMIT = 256 * 1024


def inner_scope(outer: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """The scope of a Parallel branch or a Map iteration: reads ``outer``, writes only to itself."""
    return ChainMap({}, outer)


def commit(scope: MutableMapping[str, Any], values: dict[str, Any], meter: PayloadMeter) -> None:
    """Store an evaluated Assign in ``scope``; over the quota it fails the state as AWS does."""
    total = 0
    for name, value in values.items():
        size = meter.size(value)
        if size > VARIABLE_LIMIT:
            raise StateFailure("States.DataLimitExceeded",
                               f"The variable '{name}' has a size exceeding the maximum number of bytes "
                               "service limit.")
        total += size
    if total > ASSIGN_LIMIT:
        raise StateFailure("States.DataLimitExceeded", "The Assign field has a combined size exceeding the "
                                                       "maximum number of bytes service limit.")
    scope.update(values)


def merged(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    """Two Assigns of one state (a Choice's and its matched rule's); the second wins a name."""
    if first is None:
        return second
    if second is None:
        return first
    return {**first, **second}
