"""The HTTP Task, ``arn:aws:states:::http:invoke``: call any HTTPS API.

Parameters as AWS defines them (ApiEndpoint, Method, Headers,
QueryParameters, RequestBody, Transform.RequestBodyEncoding); the output is
``{Headers, ResponseBody, StatusCode, StatusText}`` with the body parsed when
it is JSON.  A non-2xx answer fails the task with
``States.Http.StatusCode.<code>``; an endpoint that cannot be reached with
``States.Http.Socket``.  The EventBridge connection named in Authentication
supplies credentials on AWS; locally the request is sent as given.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall


def _query(params: dict[str, Any]) -> str:
    pairs = []
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item if isinstance(item, str) else json.dumps(item)))
    return urllib.parse.urlencode(pairs)


def _body(params: dict[str, Any], headers: dict[str, str]) -> bytes | None:
    body = params.get("RequestBody")
    if body is None:
        return None
    encoding = ((params.get("Transform") or {}).get("RequestBodyEncoding") or "NONE").upper()
    if encoding == "URL_ENCODED" and isinstance(body, dict):
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return _query(body).encode()
    if isinstance(body, str):
        return body.encode()
    headers.setdefault("Content-Type", "application/json")
    return json.dumps(body, separators=(",", ":")).encode()


def _send(request: urllib.request.Request, timeout: float | None) -> tuple[int, str, dict[str, list[str]], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.reason, _headers(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.reason, _headers(exc.headers), exc.read()


def _headers(message: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in message.items():
        out.setdefault(key, []).append(value)
    return out


async def run_http(call: TaskCall) -> Any:
    params = call.payload if isinstance(call.payload, dict) else {}
    endpoint, method = params.get("ApiEndpoint"), params.get("Method")
    if not isinstance(endpoint, str) or not isinstance(method, str):
        raise StatesError("States.Runtime", "The fields 'ApiEndpoint' and 'Method' are required by http:invoke")
    headers = {str(k): str(v) for k, v in (params.get("Headers") or {}).items()}
    body = _body(params, headers)
    url = endpoint + ("?" + _query(params["QueryParameters"]) if params.get("QueryParameters") else "")
    request = urllib.request.Request(url, data=body, headers=headers, method=method.upper())
    try:
        with call.clock.busy():
            status, reason, response_headers, raw = await asyncio.to_thread(_send, request, call.timeout)
    except (urllib.error.URLError, OSError) as exc:
        raise StatesError("States.Http.Socket", f"Unable to send the HTTP request: {exc}") from None
    text = raw.decode("utf-8", "replace")
    try:
        response_body: Any = json.loads(text) if text else ""
    except ValueError:
        response_body = text
    output = {"Headers": response_headers, "ResponseBody": response_body, "StatusCode": status,
              "StatusText": reason or HTTPStatus(status).phrase}
    if not 200 <= status < 300:
        raise StatesError(f"States.Http.StatusCode.{status}", json.dumps(output, separators=(",", ":")))
    return output
