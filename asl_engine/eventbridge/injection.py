"""Failure injection for targets: the next N attempts to deliver to a matching target fail with a chosen code.

A local target rarely fails the way an AWS one does (a throttle, a 5xx), so a
test of a target's RetryPolicy and DeadLetterConfig has nothing to provoke a
*retryable* failure with. A rule names the target (its ARN, or a shell-style
pattern over target ARNs), the delivery error code EventBridge would report
(``ERROR_CODE`` of the dead-letter message), a message and how many attempts
fail (every one until the rules are cleared when no count is given). The
``Deliverer`` asks ``InjectedFailures.take`` before each attempt, first attempt
and retries alike: a matching rule with attempts left fails the attempt
without calling the target, retried or dead-lettered by the code's
retryability (``CODES``) as a real failure would be. The rules live in memory
only; asl serve sets them with ``POST /_asl/events/failures``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from .delivery import DeliveryFailure

CODES: dict[str, bool] = {
    # retried per the target's RetryPolicy
    "THROTTLING": True, "SDK_CLIENT_ERROR": True, "INTERNAL_ERROR": True, "TIMEOUT": True,
    "CONNECTION_FAILURE": True, "ERROR_FROM_TARGET": True, "TRANSIENT_ASSUME_ROLE": True,
    "RESOURCE_LIMIT_EXCEEDED": True, "RESOURCE_MODIFICATION_COLLISION": True,
    "EVENTS_IN_BATCH_REQUEST_REJECTED": True, "UNKNOWN": True,
    # not retried: straight to the dead-letter queue
    "RESOURCE_NOT_FOUND": False, "NO_RESOURCE": False, "NO_PERMISSIONS": False, "FAILED_TO_ASSUME_ROLE": False,
    "INVALID_JSON": False, "INVALID_PARAMETER": False, "RESOURCE_ALREADY_EXISTS": False,
    "CROSS_ACCOUNT_INGESTION_FAILED": False, "CROSS_REGION_INGESTION_FAILED": False,
    "THIRD_ACCOUNT_HOP_DETECTED": False, "THIRD_REGION_HOP_DETECTED": False,
}
"""The delivery error codes a rule may inject (those AWS documents for a dead-letter message's ERROR_CODE, and
RESOURCE_NOT_FOUND, which this engine reports), each with whether a failure with it is retried."""

FIELDS = ("target", "code", "message", "count")


@dataclass
class InjectedFailure:
    target: str  # an ARN or a shell-style pattern over target ARNs
    code: str
    message: str
    remaining: int | None  # attempts left to fail; None: every attempt until cleared

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "code": self.code, "message": self.message, "remaining": self.remaining,
                "retryable": CODES[self.code]}


class InjectedFailures:
    """The rules, in the order they were added: an attempt fails by the first matching rule with attempts left."""

    def __init__(self) -> None:
        self._rules: list[InjectedFailure] = []
        self._lock = threading.Lock()

    @property
    def rules(self) -> tuple[InjectedFailure, ...]:
        return tuple(self._rules)

    def add(self, target: str, code: str, message: str | None = None, count: int | None = None) -> InjectedFailure:
        """Adds a rule; ValueError (naming the bad field) when a field is not what it must be."""
        if not isinstance(target, str) or not target:
            raise ValueError('"target" must be a non-empty string: a target ARN or a pattern of target ARNs')
        if not isinstance(code, str) or code not in CODES:
            raise ValueError(f'"code" must be one of {sorted(CODES)}, not {code!r}')
        if message is not None and not isinstance(message, str):
            raise ValueError(f'"message" must be a string, not {message!r}')
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError(f'"count" must be an integer >= 1 (or absent: every attempt), not {count!r}')
        rule = InjectedFailure(target, code, message if message is not None else f"Injected {code} failure", count)
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_json(self, body: object) -> InjectedFailure:
        """A rule from ``{"target", "code", "message"?, "count"?}``; ValueError naming what is wrong."""
        if not isinstance(body, Mapping):
            raise ValueError('expected a JSON object {"target", "code", "message"?, "count"?}')
        unknown = sorted(set(body) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; expected {list(FIELDS)}")
        for required in ("target", "code"):
            if required not in body:
                raise ValueError(f'"{required}" is required')
        return self.add(body["target"], body["code"], body.get("message"), body.get("count"))

    def clear(self) -> int:
        """Removes every rule; returns how many there were."""
        with self._lock:
            cleared = len(self._rules)
            self._rules = []
        return cleared

    def take(self, arn: str) -> DeliveryFailure | None:
        """The failure of an attempt to deliver to ``arn`` (one of its rule's attempts used), or None: no rule
        matches with attempts left, the target is called."""
        if not self._rules:  # the hot path: nothing injected, nothing locked
            return None
        with self._lock:
            for rule in self._rules:
                if rule.remaining != 0 and (arn == rule.target or fnmatchcase(arn, rule.target)):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return DeliveryFailure(rule.code, rule.message, retryable=CODES[rule.code])
        return None
