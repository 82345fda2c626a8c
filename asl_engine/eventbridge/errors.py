"""Errors EventBridge reports to callers, carrying AWS's error code and message.

Every refusal in this package (a bad pattern, event, schedule expression or
target input) is one of these, so that the API layer can answer with the same
``__type`` and message AWS would, and tests can assert on both.
"""

from __future__ import annotations


class EventBridgeError(Exception):
    """An error with AWS's error code (``code``) and message (``message``)."""

    code = "ValidationException"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidEventPatternError(EventBridgeError):
    """InvalidEventPatternException: the pattern is not valid JSON or breaks the grammar.

    ``reason`` is the part after AWS's fixed prefix, which is what event-ruler
    itself reports.
    """

    code = "InvalidEventPatternException"

    def __init__(self, reason: str) -> None:
        super().__init__(f"Event pattern is not valid. Reason: {reason}")
        self.reason = reason


class ValidationError(EventBridgeError):
    """ValidationException: a request parameter AWS refuses (event, expression, target)."""

    code = "ValidationException"


class ResourceNotFoundError(EventBridgeError):
    """ResourceNotFoundException: the bus, rule, archive, replay or schedule named does not exist."""

    code = "ResourceNotFoundException"


class ResourceAlreadyExistsError(EventBridgeError):
    """ResourceAlreadyExistsException: a bus, archive or replay of that name exists already."""

    code = "ResourceAlreadyExistsException"


class LimitExceededError(EventBridgeError):
    """LimitExceededException: a quota (buses, rules per bus, targets per rule) would be exceeded."""

    code = "LimitExceededException"


class IllegalStatusError(EventBridgeError):
    """IllegalStatusException: the replay is not in a state the operation applies to."""

    code = "IllegalStatusException"


class ConflictError(EventBridgeError):
    """ConflictException: EventBridge Scheduler's answer for a schedule that exists already."""

    code = "ConflictException"
