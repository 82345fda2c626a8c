"""API errors as Step Functions sends them: an AWS error code, a message, an HTTP status.

The error class is the runtime's (``asl_engine.integrations.api_errors``), so
task-token and activity calls raise exactly what the HTTP layer sends.  The
status comes from the error shape in botocore's service model when the model
has one (every Step Functions error is a 400 there); the framework errors the
model does not list carry their own.
"""

from __future__ import annotations

from asl_engine.integrations.api_errors import ApiError
from asl_engine.server.model import SERVICE_MODEL

__all__ = ["ApiError", "does_not_exist", "http_status", "invalid_arn", "resource_not_found", "validation"]

_FRAMEWORK_STATUS = {"InternalFailure": 500, "RequestEntityTooLargeException": 413, "NotImplemented": 501}


def http_status(code: str) -> int:
    if code in _FRAMEWORK_STATUS:
        return _FRAMEWORK_STATUS[code]
    try:
        shape = SERVICE_MODEL.shape_for(code)
    except Exception:  # not a modelled error: a client fault (UnknownOperationException, SerializationException)
        return 400
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


def does_not_exist(kind: str, arn: str) -> ApiError:
    """StateMachineDoesNotExist / ExecutionDoesNotExist with AWS's wording."""
    label = {"StateMachine": "State Machine", "Execution": "Execution"}[kind]
    return ApiError(f"{kind}DoesNotExist", f"{label} Does Not Exist: '{arn}'")


def resource_not_found(arn: str) -> ApiError:
    return ApiError("ResourceNotFound", f"Resource not found: '{arn}'")


def invalid_arn(arn: str) -> ApiError:
    return ApiError("InvalidArn", f"Invalid Arn: '{arn}'")


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)
