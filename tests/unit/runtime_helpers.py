"""Shared helpers for the runtime unit tests (test_runtime_*.py).

Every run uses a virtual clock starting at ``START`` and a seeded ``Services``
so that histories, timestamps and generated ids are reproducible.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from asl_engine import Services, StateMachine, VirtualClock

START = datetime(2025, 1, 1, tzinfo=UTC)
ACCOUNT = "111111111111"
REGION = "us-east-1"


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def machine(definition: Any, name: str = "m", type: str = "STANDARD") -> StateMachine:
    return StateMachine(definition, name=name, type=type, region=REGION, account=ACCOUNT)


def run(definition: Any, input: Any = None, *, resources: Any = None, seed: int = 1, name: str = "exec",
        clock: VirtualClock | None = None, sm_name: str = "m", type: str = "STANDARD", **kwargs: Any):
    """Run ``definition`` once on a virtual clock at START with a seeded Services."""
    sm = machine(definition, sm_name, type)
    return sm.run({} if input is None else input, name=name, clock=clock or VirtualClock(START),
                  resources=resources, services=Services(seed=seed), **kwargs)


def types(ex) -> list[str]:
    return [e["type"] for e in ex.history]


def chain(ex) -> list[tuple[int, int, str]]:
    """(id, previousEventId, type) of every event."""
    return [(e["id"], e["previousEventId"], e["type"]) for e in ex.history]


def details(event: dict) -> dict:
    """The single ``*EventDetails`` object of an event ({} when it has none)."""
    found = [v for k, v in event.items() if k.endswith("EventDetails")]
    assert len(found) <= 1, event
    return found[0] if found else {}


def event(ex, event_type: str, nth: int = 0) -> dict:
    """The nth event of a type."""
    return [e for e in ex.history if e["type"] == event_type][nth]


def seconds_after_start(e: dict) -> float:
    return (e["timestamp"] - START).total_seconds()


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def parsed(text: str) -> Any:
    return json.loads(text)


def assert_well_formed(ex) -> None:
    """Ids run 1..n, every previousEventId points backwards, timestamps never go back."""
    history = ex.history
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    for e in history:
        assert 0 <= e["previousEventId"] < e["id"], e
    stamps = [e["timestamp"] for e in history]
    assert stamps == sorted(stamps)


def simple_task(resource: str, **fields: Any) -> dict:
    """A one-state machine around a Task."""
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


# Lambda-style handlers, importable as "runtime_helpers:<name>" (tests/unit is on sys.path under pytest).

def echo_handler(event, context):
    return {"event": event, "function": context.function_name, "arn": context.invoked_function_arn}


def raise_exception_handler(event, context):
    raise Exception("Some exception was raised.")


class CustomException(Exception):
    def __init__(self):
        self.message = "CustomException message"


def raise_custom_exception_handler(event, context):
    raise CustomException()
