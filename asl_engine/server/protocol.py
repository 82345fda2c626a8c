"""The awsJson1_0 wire protocol of Step Functions: read a call, write a result or an error.

A call is ``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>`` and a
JSON object body; the answer is JSON with the same content type, or an
error body ``{"__type": code, "message": ...}`` with the code also in
``X-Amzn-ErrorType``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from botocore.model import OperationModel
from starlette.requests import Request
from starlette.responses import Response

from asl_engine.server.errors import ApiError, http_status
from asl_engine.server.model import CONTENT_TYPE, TARGET_PREFIX, operation
from asl_engine.server.validation import validate

MAX_BODY = 4 * 1024 * 1024  # a 1 MiB definition or 256 KiB input, JSON-escaped, fits with room to spare


async def read_call(request: Request) -> tuple[OperationModel, dict[str, Any]]:
    """The operation and its validated parameters; ApiError when the call is malformed."""
    target = request.headers.get("x-amz-target", "")
    prefix, _, action = target.partition(".")
    op = operation(action) if prefix == TARGET_PREFIX else None
    if op is None:
        raise ApiError("UnknownOperationException", f"Unknown operation: '{target}'")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError("RequestEntityTooLargeException", f"Request body is larger than {MAX_BODY} bytes")
    try:
        params = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError("SerializationException", f"The request body is not valid JSON: {e}") from None
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "The request body must be a JSON object")
    validate(op.input_shape, params)
    return op, params


def result(body: dict[str, Any]) -> Response:
    return _response(200, body)


def error(err: ApiError) -> Response:
    return _response(http_status(err.code), {"__type": err.code, "message": err.message},
                     {"X-Amzn-ErrorType": err.code})


def _timestamp(value: Any) -> float:
    """awsJson sends timestamps as epoch seconds; the runtime's own objects hold datetimes."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_timestamp)
    return Response(text, status, {"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
                    media_type=CONTENT_TYPE)
