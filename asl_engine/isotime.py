"""The two ISO 8601 spellings AWS's JSON uses for an instant, both in UTC with ``Z``.

Step Functions (the context object, the dates its SDK integrations return)
writes milliseconds; EventBridge events and the SageMaker events on them
write whole seconds. A naive datetime is taken as UTC, as the clocks here
give UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def millis(t: datetime) -> str:
    """``2024-05-01T12:00:00.123Z``."""
    t = _utc(t)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def seconds(t: datetime) -> str:
    """``2022-07-13T13:48:01Z``."""
    return _utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")
