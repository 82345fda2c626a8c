"""The errors the Step Functions API returns to a client (not errors inside an execution)."""

from __future__ import annotations


class ApiError(Exception):
    """An API call rejected as AWS would: ``code`` is AWS's error code (InvalidToken, ActivityDoesNotExist...).

    The HTTP service turns it into the JSON error body; Python callers catch it like a botocore ClientError.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def too_long(field: str, limit: int) -> ApiError:
    """AWS's message for a parameter over its length constraint (sensitive values are not echoed)."""
    return ApiError("ValidationException", f"1 validation error detected: Value at '{field}' failed to satisfy "
                                           f"constraint: Member must have length less than or equal to {limit}")
