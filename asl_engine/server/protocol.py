"""The awsJson1_0 wire protocol of Step Functions: read a call, write a result or an error.

A call is ``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>`` and a
JSON object body; the answer is JSON with the same content type, or an
error body ``{"__type": code, "message": ...}`` with the code also in
``X-Amzn-ErrorType``.

Calls are read and answered with raw ASGI messages rather than starlette's
Request and Response: every execution a client starts and polls passes here
several times, and the objects cost more than the protocol itself.  orjson
does the JSON; the json module takes over for what orjson refuses (integers
beyond 64 bits, ``NaN``), so such a call is answered as it always was.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from botocore.model import OperationModel
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Send

from asl_engine.server.errors import ApiError, http_status
from asl_engine.server.model import CONTENT_TYPE, TARGET_PREFIX, operation
from asl_engine.server.validation import validate

MAX_BODY = 4 * 1024 * 1024  # a 1 MiB definition or 256 KiB input, JSON-escaped, fits with room to spare
_CONTENT_TYPE = CONTENT_TYPE.encode()
_REQUEST_IDS = random.Random()  # an id is opaque to clients: no need for uuid4's system call per response


class Reply(NamedTuple):
    """An HTTP response ready to send: status, raw headers, body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


async def read_body(receive: Receive, declared: int | None = None) -> bytes:
    """The request body; RequestEntityTooLargeException once it passes MAX_BODY.

    ``declared`` is the Content-Length: a body declared too large is refused without keeping any of it,
    a chunked one as soon as it grows past the limit.  A refused body is still read to its end, and
    dropped, before the answer: a client that sends its whole body before reading the response (urllib,
    with ``Connection: close``) would otherwise have the connection reset under it, the server closing
    with the rest unread, and never see the 413.

    Raises starlette's ClientDisconnect when the client hangs up first: a call is acted on whole or not at all.
    """
    if declared is not None and declared > MAX_BODY:
        await _discard(receive)
        raise _too_large()
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        size += len(chunk)
        if size > MAX_BODY:
            chunks.clear()
            if more:
                await _discard(receive)
            raise _too_large()
        chunks.append(chunk)
        if not more:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _discard(receive: Receive) -> None:
    """Read the rest of a refused body, one chunk at a time, keeping none of it."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if not message.get("more_body", False):
            return


def _too_large() -> ApiError:
    return ApiError("RequestEntityTooLargeException", f"Request body is larger than {MAX_BODY} bytes")


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The request's Content-Length, if it sends a readable one (a chunked body has none)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def parse_call(target: str, body: bytes) -> tuple[OperationModel, dict[str, Any]]:
    """The operation ``target`` names and the body's validated parameters; ApiError when the call is malformed."""
    prefix, _, action = target.partition(".")
    op = operation(action) if prefix == TARGET_PREFIX else None
    if op is None:
        raise ApiError("UnknownOperationException", f"Unknown operation: '{target}'")
    params = _loads(body) if body.strip() else {}
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "The request body must be a JSON object")
    validate(op.input_shape, params)
    return op, params


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError("SerializationException", f"The request body is not valid JSON: {e}") from None


def result(body: dict[str, Any]) -> Reply:
    return _reply(200, body)


def error(err: ApiError) -> Reply:
    return _reply(http_status(err.code), {"__type": err.code, "message": err.message},
                  [(b"x-amzn-errortype", err.code.encode())])


def _timestamp(value: Any) -> float:
    """awsJson sends timestamps as epoch seconds; the runtime's own objects hold datetimes."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(body: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(body, default=_timestamp, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_timestamp).encode()


def _request_id() -> bytes:
    """A random id in UUID form, as AWS sends ``x-amzn-RequestId``."""
    h = b"%032x" % _REQUEST_IDS.getrandbits(128)
    return b"%b-%b-%b-%b-%b" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def _reply(status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None) -> Reply:
    payload = _dumps(body)
    headers = [(b"content-type", _CONTENT_TYPE), (b"content-length", b"%d" % len(payload)),
               (b"x-amzn-requestid", _request_id())]
    return Reply(status, headers + extra if extra else headers, payload)
