"""What moto answers differently from AWS, answered as AWS does, on the clients of the ``moto`` backend.

moto is the default backend, so where it omits a field AWS always returns, or
accepts a request AWS always refuses, an execution against it would differ
from the same execution on AWS.  Each gap is closed here with a botocore event
handler registered on a moto client only (a real endpoint is never touched),
after checking that AWS really always behaves so:

* S3 has encrypted every new object with SSE-S3 since January 2023 and says so
  in ``x-amz-server-side-encryption`` on PutObject, GetObject and HeadObject:
  ``ServerSideEncryption: AES256`` is added where moto leaves it out;
* S3 PutObject with a checksum (the SDKs send CRC32 by default) answers
  ``x-amz-checksum-type: FULL_OBJECT`` for a single-part upload;
* SNS refuses a publish to a FIFO topic without MessageGroupId with
  InvalidParameter (moto: MissingParameter), and answers a FIFO publish with
  a ``SequenceNumber`` (20 digits, increasing; here one counter per client, where AWS counts per topic);
* Secrets Manager refuses a secret name outside ``[A-Za-z0-9/_+=.@!-]``.
"""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

from botocore.exceptions import ClientError

_SSE_OPERATIONS = ("PutObject", "GetObject", "HeadObject")
_CHECKSUMS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256")
_FIFO_TOPIC = "asl_engine.fifo_topic"
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@!-]+")
_SEQUENCE_START = 10**19  # AWS's sequence numbers are 20 digits


def register(client: Any) -> None:
    """Hook the handlers that concern ``client``'s service into its (own) event system."""
    events = client.meta.events
    service = client.meta.service_model.service_id.hyphenize()
    if service == "s3":
        for operation in _SSE_OPERATIONS:
            events.register(f"after-call.s3.{operation}", _default_encryption)
        events.register("after-call.s3.PutObject", _checksum_type)
    elif service == "sns":
        sequence = itertools.count(_SEQUENCE_START)
        events.register("before-parameter-build.sns.Publish", _fifo_group_required)
        events.register("after-call.sns.Publish",
                        lambda parsed, context, **_: _sequence_number(parsed, context, sequence))
    elif service == "secrets-manager":
        events.register("before-parameter-build.secrets-manager.CreateSecret", _secret_name)


def _succeeded(parsed: dict[str, Any]) -> bool:
    return "Error" not in parsed


def _default_encryption(parsed: dict[str, Any], **_: Any) -> None:
    if _succeeded(parsed):
        parsed.setdefault("ServerSideEncryption", "AES256")


def _checksum_type(parsed: dict[str, Any], **_: Any) -> None:
    if _succeeded(parsed) and any(name in parsed for name in _CHECKSUMS):
        parsed.setdefault("ChecksumType", "FULL_OBJECT")


def _fifo_group_required(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Remembers whether the publish goes to a FIFO topic (their names end in ``.fifo``); refuses it
    without a MessageGroupId as AWS does."""
    fifo = str(params.get("TopicArn") or params.get("TargetArn") or "").endswith(".fifo")
    context[_FIFO_TOPIC] = fifo
    if fifo and not params.get("MessageGroupId"):
        raise _refusal("Publish", "InvalidParameter",
                      "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")


def _sequence_number(parsed: dict[str, Any], context: dict[str, Any], sequence: Any) -> None:
    if _succeeded(parsed) and context.get(_FIFO_TOPIC):
        parsed.setdefault("SequenceNumber", str(next(sequence)))


def _secret_name(params: dict[str, Any], **_: Any) -> None:
    name = params.get("Name")
    if isinstance(name, str) and not _SECRET_NAME.fullmatch(name):
        raise _refusal("CreateSecret", "ValidationException",
                      "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
                      "following: -/_+=.@!")


def _refusal(operation: str, code: str, message: str) -> ClientError:
    """The ClientError botocore raises for a 400 answer of ``code`` (with a request id, as AWS sends one)."""
    request_id = str(uuid.uuid4())
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": request_id,
                                             "HTTPHeaders": {"x-amzn-requestid": request_id}}}, operation)
