"""PutEvents entries: AWS's per-entry checks, the size quota and the event envelope.

A bad entry does not fail the request: AWS answers it in place with an
ErrorCode and ErrorMessage and accepts the others, so the checks return an
error entry instead of raising. Only the request as a whole being over the
size quota is an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from asl_engine import isotime

from .errors import ValidationError

SIZE_LIMIT = 256 * 1024
"""Bytes of all entries of one PutEvents request (AWS counts as ``entry_size`` does)."""

_REQUIRED = ("Source", "DetailType", "Detail")


def entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as AWS's "Calculating PutEvents event entry size" page defines it."""
    size = 14 if entry.get("Time") is not None else 0
    for key in _REQUIRED:
        size += len((entry.get(key) or "").encode())
    size += sum(len(r.encode()) for r in entry.get("Resources") or ())
    return size


def check_size(entries: list[Mapping[str, Any]], limit: int = SIZE_LIMIT) -> None:
    if sum(entry_size(e) for e in entries) > limit:
        raise ValidationError("Total size of the entries in the request is over the limit.")


def entry_error(entry: Mapping[str, Any]) -> dict[str, str] | None:
    """The ErrorCode/ErrorMessage AWS gives an unusable entry, or None when it is fine."""
    for key in _REQUIRED:
        if not entry.get(key):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required argument.",
            }
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def as_datetime(value: datetime | float | int | str) -> datetime:
    """A request timestamp (datetime, epoch seconds or ISO 8601, as boto3 accepts) in UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_event(entry: Mapping[str, Any], *, event_id: str, now: datetime, account: str, region: str) -> dict[str, Any]:
    """The event AWS puts on the bus for a valid entry (field order as AWS delivers it)."""
    time = as_datetime(entry["Time"]) if entry.get("Time") is not None else now
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": isotime.seconds(time),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(entry["Detail"]),
    }


def scheduled_event(*, event_id: str, now: datetime, account: str, region: str, rule_arn: str) -> dict[str, Any]:
    """The event a scheduled rule sends its targets."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": isotime.seconds(now),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
