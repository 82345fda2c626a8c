"""botocore's service models: how Step Functions' names and shapes map onto boto3 calls.

Step Functions spells services as the AWS SDK for Java does (``sfn``,
``eventbridge``, ``cloudwatchlogs``), actions in camelCase (``getObject``)
and every parameter and response member in PascalCase, even where the wire
protocol is camelCase (``StateMachineArn`` for Step Functions' own
``stateMachineArn``).  Everything here is derived from the models botocore
ships, so any service boto3 knows works without hand-written shapes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore
import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from asl_engine import isotime
from asl_engine.errors import StatesError
from asl_engine.integrations.errors import sdk_v2_prefix

_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.lru_cache(maxsize=256)
def service_model(client_name: str) -> ServiceModel:
    """The model of a boto3 client (``s3``, ``stepfunctions``)."""
    with _LOCK:
        return _session().get_service_model(client_name)


@functools.lru_cache(maxsize=1)
def _java_names() -> dict[str, str]:
    """Every boto3 client by its SDK v2 name in lower case (``sfn`` -> ``stepfunctions``).

    Deriving it loads every model botocore ships (2-4 s), so it is kept on disk, one file per set of models.
    """
    services = _session().get_available_services()
    digest = hashlib.sha256(json.dumps([botocore.__version__, services]).encode()).hexdigest()[:16]
    path = _cache_directory() / f"sdk-v2-names-{digest}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    names: dict[str, str] = {}
    for name in services:
        try:
            names.setdefault(sdk_v2_prefix(service_model(name).service_id).lower(), name)
        except Exception:
            continue
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(names))
        partial.replace(path)  # whole or not at all, whoever else writes it at the same time
    except OSError:
        pass  # a read-only home: derive it again next time
    return names


def _cache_directory() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "asl-engine"


def client_name(sdk_service: str) -> str | None:
    """The boto3 client for an aws-sdk service name, or None when no SDK has it."""
    lowered = sdk_service.lower()
    if lowered in _session().get_available_services() and \
            sdk_v2_prefix(service_model(lowered).service_id).lower() == lowered:
        return lowered
    return _java_names().get(lowered) or (lowered if lowered in _session().get_available_services() else None)


def sdk_prefix(client: str) -> str:
    """The error prefix of an aws-sdk integration: ``S3``, ``DynamoDb``, ``Sfn``, ``SecretsManager``."""
    return sdk_v2_prefix(service_model(client).service_id)


def operation(client: str, action: str) -> OperationModel | None:
    """``getObject`` -> the GetObject operation model (case-insensitive, as Step Functions matches)."""
    model = service_model(client)
    by_lower = {name.lower(): name for name in model.operation_names}
    name = by_lower.get(action.lower())
    return model.operation_model(name) if name else None


def is_modeled_error(client: str, code: str) -> bool:
    """Whether the service model declares ``code`` as an exception shape (its SDKs have a class for it)."""
    model = service_model(client)
    short = code.rsplit(".", 1)[-1].rsplit("#", 1)[-1]
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.metadata.get("exception") and short in (name, shape.metadata.get("error", {}).get("code")):
            return True
    return False


# ---- parameters: Step Functions' PascalCase JSON -> boto3 keyword arguments


def to_boto(shape: Shape | None, value: Any, where: str = "") -> Any:
    """Convert ``value`` to what boto3 expects for ``shape``: member names matched case-insensitively, and
    JSON where the API wants text, as Step Functions serializes it: a blob is the value's JSON text (a
    string too: recorded services/TestTaskServiceAwsSdk__test_s3_put_object_str stores ``"text data"``
    with its quotes), a string member given an object, array, number or boolean gets its JSON text."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        if shape.metadata.get("document"):
            return value
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(key.lower())
            if name is None:
                raise StatesError("States.Runtime", f"The field '{key}' is not supported by Step Functions"
                                                    f"{' in ' + where if where else ''}")
            out[name] = to_boto(shape.members[name], item, name)
        return out
    if kind == "list" and isinstance(value, list):
        return [to_boto(shape.member, item, where) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_boto(shape.value, item, where) for key, item in value.items()}
    if kind == "blob" and value is not None:
        return json.dumps(value, separators=(",", ":")).encode()
    if kind == "string" and value is not None and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    return value


def to_boto_params(op: OperationModel, params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise StatesError("States.Runtime", f"The parameters of {op.name} must be a JSON object")
    if op.input_shape is None:
        return {}
    return to_boto(op.input_shape, params, op.name)


# ---- responses: boto3's -> Step Functions' PascalCase JSON


def from_boto(shape: Shape | None, value: Any, dates: Any = None) -> Any:
    """boto3's parsed response as Step Functions shows it: PascalCase members, blobs as text, dates via ``dates``."""
    dates = dates or isotime.millis  # as the SDK v2 writes dates into JSON
    if shape is None:
        return _plain(value, dates)
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            member = shape.members.get(key)
            out[key[:1].upper() + key[1:]] = from_boto(member, item, dates)
        return out
    if kind == "list" and isinstance(value, list):
        return [from_boto(shape.member, item, dates) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: from_boto(shape.value, item, dates) for key, item in value.items()}
    return _plain(value, dates)


def _plain(value: Any, dates: Any) -> Any:
    if isinstance(value, datetime):
        return dates(value)
    if hasattr(value, "read"):  # a streaming body
        value = value.read()
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: _plain(v, dates) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, dates) for v in value]
    return value


