"""The Schemas API's error codes (its model has BadRequestException where other services have ValidationException)."""

from __future__ import annotations

from ..errors import ConflictError, EventBridgeError

__all__ = ["BadRequestError", "ConflictError", "NotFoundError"]


class BadRequestError(EventBridgeError):
    code = "BadRequestException"


class NotFoundError(EventBridgeError):
    code = "NotFoundException"
