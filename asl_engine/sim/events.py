"""The EventBridge events AWS services emit, built in AWS's envelope and handed to a pluggable sink.

A sink is any ``callable(event_dict)``: a list's ``append`` in tests, the
EventBridge bus's put-event entry point in the local runtime.  Event ids are
derived from the event's content and a sequence number rather than random
UUIDs, so a run under a VirtualClock emits the same events every time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from asl_engine import isotime

EventSink = Callable[[dict[str, Any]], None]

_NAMESPACE = uuid.UUID("6f1c3a52-5a43-4d59-9d43-2f3a7e0d6b11")


def epoch_millis(value: datetime) -> int:
    """SageMaker's events carry timestamps as epoch milliseconds; moto keeps naive UTC datetimes."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def timestamps(value: Any, spell: Callable[[datetime], Any] = epoch_millis) -> Any:
    """``value`` with every datetime inside it spelled by ``spell`` (JSON-safe)."""
    if isinstance(value, datetime):
        return spell(value)
    if isinstance(value, dict):
        return {k: timestamps(v, spell) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [timestamps(v, spell) for v in value]
    return value


class EventEmitter:
    """Builds AWS service events for one account and region and passes them to the sink."""

    def __init__(self, sink: EventSink | None, account: str, region: str) -> None:
        self._sink = sink
        self._account = account
        self._region = region
        self._seq = 0

    def emit(self, source: str, detail_type: str, resources: Iterable[str], detail: dict[str, Any],
             time: datetime) -> dict[str, Any]:
        """Emits the event; datetimes left in ``detail`` become epoch milliseconds, as SageMaker and Batch
        job events spell them."""
        self._seq += 1
        resources = list(resources)
        event = {
            "version": "0",
            "id": str(uuid.uuid5(_NAMESPACE, f"{self._seq}/{detail_type}/{resources}/{isotime.seconds(time)}")),
            "detail-type": detail_type,
            "source": source,
            "account": self._account,
            "time": isotime.seconds(time),
            "region": self._region,
            "resources": resources,
            "detail": timestamps(detail),
        }
        if self._sink is not None:
            self._sink(event)
        return event
