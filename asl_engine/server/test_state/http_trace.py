"""TRACE's ``request`` and ``response`` of an HTTP Task (``arn:aws:states:::http:invoke``).

The request is what the HTTP Task sends for the evaluated parameters
(``integrations.services.http_task`` builds it the same way); the response is
the Task's result, or, for a non-2xx answer, the failure's cause, which
carries the same fields.  Credentials an EventBridge connection adds are
secrets: ``revealSecrets`` shows them, otherwise their headers are left out
(locally no connection adds any, so only headers named like credentials are
concerned).  Header sets are rendered as JSON objects of their values.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.services.http_task import _body, _query
from asl_engine.runtime.history import dumps

_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization"})


def http_trace(data: dict[str, Any], failure: StatesError | None, reveal_secrets: bool) -> dict[str, Any]:
    """``{"request": ..., "response": ...}`` for the HTTP Task whose inspection values are ``data``."""
    params = data.get("afterArguments", data.get("afterParameters"))
    if not isinstance(params, dict) or not isinstance(params.get("ApiEndpoint"), str):
        return {}
    headers = {str(k): str(v) for k, v in (params.get("Headers") or {}).items()}
    body = _body(params, headers)
    url = params["ApiEndpoint"]
    if params.get("QueryParameters"):
        url += "?" + _query(params["QueryParameters"])
    protocol = urllib.parse.urlsplit(url).scheme or "https"
    shown = {k: v for k, v in headers.items() if reveal_secrets or k.lower() not in _SECRET_HEADERS}
    trace: dict[str, Any] = {"request": {"protocol": protocol, "method": str(params.get("Method", "")).upper(),
                                         "url": url, "headers": dumps(shown),
                                         "body": body.decode("utf-8", "replace") if body else ""}}
    answer = data.get("result") if failure is None else _from_cause(failure)
    if isinstance(answer, dict) and "StatusCode" in answer:
        response_body = answer.get("ResponseBody", "")
        trace["response"] = {"protocol": protocol, "statusCode": str(answer["StatusCode"]),
                             "statusMessage": str(answer.get("StatusText", "")),
                             "headers": dumps({k: ", ".join(v) if isinstance(v, list) else v
                                               for k, v in (answer.get("Headers") or {}).items()}),
                             "body": response_body if isinstance(response_body, str) else dumps(response_body)}
    return trace


def _from_cause(failure: StatesError) -> Any:
    """A ``States.Http.StatusCode.<n>`` failure's cause is the response, as the result would have been."""
    try:
        return json.loads(failure.cause or "")
    except ValueError:
        return None
