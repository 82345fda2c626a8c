"""API errors as Step Functions sends them: an AWS error code, a message, an HTTP status.

The status comes from the error shape in botocore's service model when the
model has it (every Step Functions error is a 400 there); the framework
errors the model does not list (UnknownOperationException,
SerializationException, InternalFailure) carry their own.
"""

from __future__ import annotations

from asl_engine.server.model import SERVICE_MODEL


class ApiError(Exception):
    """Raised anywhere in a request; the protocol layer turns it into ``{"__type", "message"}``."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else _model_status(code)


def _model_status(code: str) -> int:
    try:
        shape = SERVICE_MODEL.shape_for(code)
    except Exception:  # not a modelled error: a framework error, a client fault unless said otherwise
        return 400
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


def does_not_exist(kind: str, arn: str) -> ApiError:
    """StateMachineDoesNotExist / ExecutionDoesNotExist with AWS's wording."""
    label = {"StateMachine": "State Machine", "Execution": "Execution", "Activity": "Activity"}[kind]
    return ApiError(f"{kind}DoesNotExist", f"{label} Does Not Exist: '{arn}'")


def resource_not_found(arn: str) -> ApiError:
    return ApiError("ResourceNotFound", f"Resource not found: '{arn}'")


def invalid_arn(arn: str) -> ApiError:
    return ApiError("InvalidArn", f"Invalid Arn: '{arn}'")


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)
