"""Delivering to a target: retries with backoff on the injected clock, then the dead-letter queue.

AWS retries a failed invocation with exponential backoff and jitter until
RetryPolicy's MaximumRetryAttempts (default 185) or MaximumEventAgeInSeconds
(default 86,400) runs out; failures that retrying cannot fix (a missing
resource, no permission) go to the dead-letter queue at once. Nothing is lost
silently: every event that gives up is sent to the DeadLetterConfig queue with
the attributes AWS sets, and recorded in ``Deliverer.failures`` either way.
Rules and EventBridge Scheduler schedules both deliver through here; they
differ only in the dead-letter attributes that name their source.

With a ``RetryStore`` (asl serve's region database, ``journal.PendingDeliveries``)
a delivery waiting for its next retry outlives the process: its state (the
invocation, policy, dead-letter settings, retries made, the last error and the
retry's due time) is written before the retry is scheduled, rewritten after
each failed retry and deleted when the delivery ends (delivered, dead-lettered
or given up). ``restore`` schedules each one again at its due time (at once if
that passed while the process was down), or gives it up as AWS does when the
event's maximum age has passed. A first attempt that succeeds writes nothing.

With ``Deliverer.injected`` (``injection.InjectedFailures``, asl serve's
``/_asl/events/failures``) an attempt can be made to fail with a chosen
delivery error code before the target is called, to test a RetryPolicy and a
DeadLetterConfig against a retryable failure that a local target never gives.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from .timers import Timers

if TYPE_CHECKING:
    from .injection import InjectedFailures

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


class RetryStore(Protocol):
    """Where deliveries waiting for a retry are kept (one JSON record each, by a key the store assigns)."""

    def save(self, key: int | None, record: Mapping[str, Any]) -> int:
        """Inserts (``key`` None) or replaces the record; returns its key. Durable when it returns."""
        ...

    def delete(self, key: int) -> None: ...

    def load(self) -> list[tuple[int, dict[str, Any]]]:
        """Every record kept, by due time."""
        ...


LATE_GRACE = 1.0  # seconds a restored retry may run after its due time and still count as on time


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
    key: int | None = None  # its record in the RetryStore while a retry is pending
    last_error: tuple[str, str] = ("", "")  # code and message of the last failed attempt

    def record(self, due: float) -> dict[str, Any]:
        """What the RetryStore keeps: enough to make the pending retry, and to dead-letter it, after a restart."""
        invocation = self.invocation
        return {
            "Due": due,
            "Invocation": {"Arn": invocation.arn, "Payload": invocation.payload, "Target": invocation.target,
                           "Event": invocation.event},
            "RetryPolicy": {"MaximumRetryAttempts": self.policy.maximum_retry_attempts,
                            "MaximumEventAgeInSeconds": self.policy.maximum_event_age},
            "DeadLetterArn": self.dead_letter_arn,
            "SourceAttributes": dict(self.source_attributes),
            "DeadLetterBody": self.dead_letter_body,
            "Started": self.started,
            "Retries": self.retries,
            "History": self.history,
            "LastError": list(self.last_error),
        }

    @classmethod
    def from_record(cls, key: int, record: Mapping[str, Any]) -> _Attempt:
        made = record["Invocation"]
        return cls(
            Invocation(made["Arn"], made["Payload"], made["Target"], made["Event"]),
            RetryPolicy.from_api(record["RetryPolicy"]),
            record["DeadLetterArn"],
            record["SourceAttributes"],
            record["DeadLetterBody"],
            record["Started"],
            record["Retries"],
            list(record["History"]),
            key,
            (record["LastError"][0], record["LastError"][1]),
        )


class Deliverer:
    """Runs invocations through ``invoke`` with retries on ``timers`` and dead-letters what gives up."""

    def __init__(
        self,
        invoke: Callable[[Invocation], None],
        timers: Timers,
        dead_letter: DeadLetterSender,
        rng: random.Random | None = None,
        store: RetryStore | None = None,
    ) -> None:
        self._invoke = invoke
        self._timers = timers
        self._dead_letter = dead_letter
        self._rng = rng or random.Random()
        self.store = store
        """Keeps the deliveries waiting for a retry (None: they live only as long as the process)."""
        self.failures: list[dict[str, Any]] = []
        """Every delivery that gave up: target, error, attempts, whether it reached a dead-letter queue."""
        self.injected: InjectedFailures | None = None
        """Failures injected into attempts (``injection``), asked before each attempt calls the target."""

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
            injected = self.injected.take(attempt.invocation.arn) if self.injected is not None else None
            if injected is not None:
                raise injected
            self._invoke(attempt.invocation)
        except DeliveryFailure as exc:
            failure = exc
        except Exception as exc:  # a target's own error: retried like any failed call
            failure = DeliveryFailure("SDK_CLIENT_ERROR", f"{type(exc).__name__}: {exc}")
        else:
            self._forget(attempt)  # nothing to forget on the hot path: a first attempt has no record
            return
        attempt.last_error = (failure.code, failure.message)
        now = self._timers.clock.time()
        if not failure.retryable:
            self._give_up(attempt, failure, None)
            return
        if attempt.retries >= attempt.policy.maximum_retry_attempts:
            self._give_up(attempt, failure, "MaximumRetryAttempts")
            return
        delay = self.backoff(attempt.retries + 1)
        if now + delay - attempt.started > attempt.policy.maximum_event_age:
            self._give_up(attempt, failure, "MaximumEventAgeInSeconds")
            return
        attempt.retries += 1
        due = now + delay
        if self.store is not None:  # kept before the retry is scheduled: a crash from here on does not lose it
            attempt.key = self.store.save(attempt.key, attempt.record(due))
        self._timers.call_at(datetime.fromtimestamp(due, UTC), lambda: self._try(attempt))

    def restore(self) -> int:
        """Schedules again every delivery the store kept waiting for a retry (at its due time, or at once if
        that passed); returns how many. When one comes due past the event's maximum age it is given up (to its
        dead-letter queue) instead, with its last error, as AWS gives up an event too old to retry."""
        if self.store is None:
            return 0
        kept = self.store.load()
        for key, record in kept:
            attempt = _Attempt.from_record(key, record)
            due = float(record["Due"])
            self._timers.call_at(datetime.fromtimestamp(due, UTC), lambda a=attempt, d=due: self._resume(a, d))
        return len(kept)

    def _resume(self, attempt: _Attempt, due: float) -> None:
        now = self._timers.clock.time()
        if now - attempt.started > attempt.policy.maximum_event_age and now - due > LATE_GRACE:
            attempt.retries -= 1  # the retry that was pending is not made
            self._give_up(attempt, DeliveryFailure(*attempt.last_error), "MaximumEventAgeInSeconds")
            return
        self._try(attempt)

    def _forget(self, attempt: _Attempt) -> None:
        if attempt.key is not None and self.store is not None:
            self.store.delete(attempt.key)
            attempt.key = None

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
        self._forget(attempt)
