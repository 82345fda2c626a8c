"""Request validation against the input shapes of botocore's service model.

Two kinds of failure, as AWS reports them: a value of the wrong JSON type
cannot be deserialized (SerializationException); a value that breaks a
constraint (required, length, range, pattern, enum) is listed in one
ValidationException ("2 validation errors detected: Value ... at 'name'
failed to satisfy constraint: ...").  Members the model does not know are
ignored, as the service does.  The walk itself is ``asl_engine.botocore_validation``.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from asl_engine.botocore_validation import WrongType, problems, report
from asl_engine.server.errors import ApiError


def validate(shape: Shape | None, params: Any) -> None:
    """Raise the ApiError AWS would answer for ``params``; return quietly when they are acceptable."""
    if shape is None:
        return
    try:
        message = report(problems(shape, params))
    except WrongType as exc:
        raise ApiError("SerializationException", str(exc)) from None
    if message:
        raise ApiError("ValidationException", message)
