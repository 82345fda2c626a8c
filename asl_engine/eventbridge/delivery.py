"""Delivering to a target: retries with backoff on the injected clock, then the dead-letter queue.

AWS retries a failed invocation with exponential backoff and jitter until
RetryPolicy's MaximumRetryAttempts (default 185) or MaximumEventAgeInSeconds
(default 86,400) runs out; failures that retrying cannot fix (a missing
resource, no permission) go to the dead-letter queue at once. Nothing is lost
silently: every event that gives up is sent to the DeadLetterConfig queue with
the attributes AWS sets, and recorded in ``Deliverer.failures`` either way.
Rules and EventBridge Scheduler schedules both deliver through here; they
differ only in the dead-letter attributes that name their source.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .timers import Timers

log = logging.getLogger(__name__)

MAX_RETRY_ATTEMPTS = 185
MAX_EVENT_AGE = 86_400
BACKOFF_BASE = 1.0  # seconds before the first retry (before jitter)
BACKOFF_CAP = 300.0  # no wait between attempts is longer than this


class DeliveryFailure(Exception):
    """A failed invocation: ``code`` is what the dead-letter message's ERROR_CODE says."""

    def __init__(self, code: str, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class RetryPolicy:
    """A target's RetryPolicy (PutTargets or Scheduler), AWS's defaults when absent."""

    maximum_retry_attempts: int = MAX_RETRY_ATTEMPTS
    maximum_event_age: int = MAX_EVENT_AGE

    @classmethod
    def from_api(cls, policy: Mapping[str, Any] | None) -> RetryPolicy:
        policy = policy or {}
        return cls(
            policy.get("MaximumRetryAttempts", MAX_RETRY_ATTEMPTS),
            policy.get("MaximumEventAgeInSeconds", MAX_EVENT_AGE),
        )


@dataclass(frozen=True)
class Invocation:
    """One call of one target: what it receives (``payload``) and how the target was configured."""

    arn: str
    payload: str
    target: Mapping[str, Any]  # the target as PutTargets / CreateSchedule stored it
    event: Mapping[str, Any]  # the event (or, for Scheduler, the schedule's context)


class TargetInvoker(Protocol):
    """Calls one kind of target; raises DeliveryFailure (or any exception) when the call fails."""

    def invoke(self, invocation: Invocation) -> None: ...


class DeadLetterSender(Protocol):
    def __call__(self, queue_arn: str, body: str, attributes: Mapping[str, str]) -> None: ...


@dataclass
class _Attempt:
    invocation: Invocation
    policy: RetryPolicy
    dead_letter_arn: str | None
    source_attributes: Mapping[str, str]  # RULE_ARN/TARGET_ARN or the Scheduler's equivalents
    dead_letter_body: str
    started: float
    retries: int = 0
    history: list[float] = field(default_factory=list)  # epoch seconds of each attempt


class Deliverer:
    """Runs invocations through ``invoke`` with retries on ``timers`` and dead-letters what gives up."""

    def __init__(
        self,
        invoke: Callable[[Invocation], None],
        timers: Timers,
        dead_letter: DeadLetterSender,
        rng: random.Random | None = None,
    ) -> None:
        self._invoke = invoke
        self._timers = timers
        self._dead_letter = dead_letter
        self._rng = rng or random.Random()
        self.failures: list[dict[str, Any]] = []
        """Every delivery that gave up: target, error, attempts, whether it reached a dead-letter queue."""

    def deliver(
        self,
        invocation: Invocation,
        policy: RetryPolicy,
        dead_letter_arn: str | None,
        source_attributes: Mapping[str, str],
        dead_letter_body: str,
    ) -> None:
        """Tries now; on failure keeps retrying on the clock (the caller does not wait)."""
        attempt = _Attempt(
            invocation, policy, dead_letter_arn, source_attributes, dead_letter_body, self._timers.clock.time()
        )
        self._try(attempt)

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (1-based): exponential, capped, with equal jitter."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (retry - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _try(self, attempt: _Attempt) -> None:
        attempt.history.append(self._timers.clock.time())
        try:
            self._invoke(attempt.invocation)
            return
        except DeliveryFailure as exc:
            failure = exc
        except Exception as exc:  # a target's own error: retried like any failed call
            failure = DeliveryFailure("SDK_CLIENT_ERROR", f"{type(exc).__name__}: {exc}")
        if not failure.retryable:
            self._give_up(attempt, failure, None)
            return
        if attempt.retries >= attempt.policy.maximum_retry_attempts:
            self._give_up(attempt, failure, "MaximumRetryAttempts")
            return
        delay = self.backoff(attempt.retries + 1)
        if self._timers.clock.time() + delay - attempt.started > attempt.policy.maximum_event_age:
            self._give_up(attempt, failure, "MaximumEventAgeInSeconds")
            return
        attempt.retries += 1
        self._timers.call_later(delay, lambda: self._try(attempt))

    def _give_up(self, attempt: _Attempt, failure: DeliveryFailure, exhausted: str | None) -> None:
        attributes = {
            **attempt.source_attributes,
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message,
            "RETRY_ATTEMPTS": str(attempt.retries),
        }
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        record = {
            "Arn": attempt.invocation.arn,
            "Attributes": attributes,
            "Attempts": [datetime.fromtimestamp(t, UTC) for t in attempt.history],
            "DeadLetterArn": attempt.dead_letter_arn,
            "DeadLettered": False,
        }
        if attempt.dead_letter_arn:
            try:
                self._dead_letter(attempt.dead_letter_arn, attempt.dead_letter_body, attributes)
                record["DeadLettered"] = True
            except Exception as exc:  # a broken DLQ must not break the bus; the record shows it
                record["DeadLetterError"] = f"{type(exc).__name__}: {exc}"
        log.warning("delivery to %s gave up: %s %s", attempt.invocation.arn, failure.code, failure.message)
        self.failures.append(record)
