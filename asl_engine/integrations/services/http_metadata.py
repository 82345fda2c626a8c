"""``SdkHttpMetadata``: the HTTP response an optimized integration's SDK v1 client saw.

Step Functions copies the response headers of the service call into the
task's output (``lambda:invoke``, ``sqs:sendMessage``, ``sns:publish``...).
The headers each service sends differ in name and case, and Content-Length
is the length of the body the service would have sent, so it is computed
from the response rendered in that service's wire format (compact JSON for
the JSON protocols, AWS's indented XML for the query protocol, the Lambda
function's own JSON for Invoke).
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

# Header names and fixed values per service, in the case each service sends them (recorded histories).
_HEADERS: dict[str, dict[str, str | None]] = {
    "dynamodb": {"Connection": "keep-alive", "Content-Length": None, "Content-Type": None, "Date": None,
                 "Server": "Server", "x-amz-crc32": None, "x-amzn-RequestId": None},
    "lambda": {"Connection": "keep-alive", "Content-Length": None, "Content-Type": "application/json", "Date": None,
               "X-Amz-Executed-Version": None, "x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": None,
               "X-Amzn-Trace-Id": None},
    "sns": {"connection": "keep-alive", "Content-Length": None, "Content-Type": "text/xml", "Date": None,
            "x-amzn-RequestId": None},
}
# JSON-protocol services not recorded are assumed to answer as SQS and Step Functions do.
_DEFAULT_HEADERS: dict[str, str | None] = {"connection": "keep-alive", "Content-Length": None, "Content-Type": None,
                                           "Date": None, "x-amzn-RequestId": None}


def sdk_metadata(service: str, *, body: bytes, content_type: str, request_id: str, date: datetime,
                 extra: dict[str, str] | None = None) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` for a 200 response of ``service`` (a boto3 client
    name) whose body was ``body``."""
    values = {"Content-Length": str(len(body)), "Content-Type": content_type, "Date": format_datetime(date, True),
              "x-amzn-RequestId": request_id, "x-amz-crc32": str(zlib.crc32(body)),
              "X-Amzn-Trace-Id": f"Root=1-{request_id[:8]}", **(extra or {})}
    headers = {}
    for name, fixed in _HEADERS.get(service, _DEFAULT_HEADERS).items():
        value = fixed if fixed is not None and name not in (extra or {}) else values.get(name)
        if value is not None:
            headers[name] = value
    for name, value in (extra or {}).items():
        headers.setdefault(name, value)
    return {"SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                                "HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": request_id}}


def json_body(wire: Any) -> bytes:
    """A JSON-protocol response body as AWS's servers write it: compact, with dates as epoch seconds in E
    notation (``"startDate":1.762438963513E9``)."""
    dates: list[str] = []

    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            dates.append(java_double(value.timestamp()))
            return f"@@asl-date-{len(dates) - 1}@@"
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode("utf-8", "replace")
        raise TypeError(type(value).__name__)

    body = {k: v for k, v in wire.items() if k != "ResponseMetadata"} if isinstance(wire, dict) else wire
    text = json.dumps(body, separators=(",", ":"), default=encode, ensure_ascii=False)
    for i, number in enumerate(dates):  # the dates are numbers, not quoted strings
        text = text.replace(f'"@@asl-date-{i}@@"', number)
    return text.encode()


def java_double(value: float) -> str:
    """Java's ``Double.toString`` for a large value: ``1.762438963513E9``."""
    sign, digits, exponent = Decimal(repr(float(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    power = len(text) - 1 + int(exponent)
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def query_xml_body(operation: str, namespace: str, result: dict[str, Any], request_id: str) -> str:
    """A query-protocol (SNS, SQS of old) response body, indented by two spaces as AWS sends it."""
    lines = [f'<{operation}Response xmlns="{namespace}">', f"  <{operation}Result>"]
    _xml(result, 2, lines)
    lines += [f"  </{operation}Result>", "  <ResponseMetadata>", f"    <RequestId>{request_id}</RequestId>",
              "  </ResponseMetadata>", f"</{operation}Response>"]
    return "\n".join(lines) + "\n"


def _xml(node: dict[str, Any], depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    for key, value in node.items():
        if key == "ResponseMetadata":
            continue
        if isinstance(value, dict):
            lines.append(f"{pad}<{key}>")
            _xml(value, depth + 1, lines)
            lines.append(f"{pad}</{key}>")
        elif isinstance(value, list):
            lines.append(f"{pad}<{key}>")
            for item in value:
                _xml({"member": item}, depth + 1, lines)
            lines.append(f"{pad}</{key}>")
        else:
            lines.append(f"{pad}<{key}>{value}</{key}>")
