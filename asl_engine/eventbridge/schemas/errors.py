"""The Schemas API's error codes (its model has BadRequestException where other services have ValidationException)."""

from __future__ import annotations

from ..errors import EventBridgeError


class BadRequestError(EventBridgeError):
    code = "BadRequestException"


class NotFoundError(EventBridgeError):
    code = "NotFoundException"


class ConflictError(EventBridgeError):
    code = "ConflictException"
