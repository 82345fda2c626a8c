"""What a recorded case created before its execution, created again against the run's moto.

``setup_calls`` are replayed through the run's ClientFactory (queues, topics,
tables, buckets), ``lambda_functions`` become in-process functions from
``lambdas/`` (one directory per handler file of LAMBDA_HANDLERS.md) and
``auxiliary_state_machines`` are registered for ``states:startExecution``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from moto.moto_api._internal.models import moto_api_backend

from asl_engine import Resources, StateMachine
from asl_engine.integrations.lambda_.handlers import load_handler
from asl_engine.integrations.lambda_.providers import LocalFunction

LAMBDAS = Path(__file__).resolve().parent / "lambdas"


def _decode(value: Any) -> Any:
    """Recorded parameters spell bytes as ``{"__bytes__": base64}``."""
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def function(spec: dict) -> LocalFunction:
    """The case's function: its handler file's behaviour, with its code directory as /var/task."""
    code = LAMBDAS / spec["handler_file"].rsplit("/", 1)[-1].removesuffix(".py")
    return LocalFunction(spec["function_name"], load_handler(f"{code / 'handler.py'}:handler"), code)


def _create(resources: Resources, region: str, resource: dict) -> None:
    """A resource ``other_resources`` names (the recorded setup calls do not always carry the name)."""
    kind, name = resource.get("kind"), resource.get("name")
    clients = resources.clients
    if kind == "sqs_queue":
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        clients.client("sqs", region).create_queue(QueueName=name, Attributes=attributes)
    elif kind == "sns_topic":
        attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
        clients.client("sns", region).create_topic(Name=name, Attributes=attributes)
    elif kind == "s3_bucket":
        clients.client("s3", region).create_bucket(Bucket=name)
    elif kind == "dynamodb_table":
        key = resource.get("partition_key") or "id"
        clients.client("dynamodb", region).create_table(
            TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def provision(case: dict, resources: Resources, region: str, account: str, role_arn: str) -> None:
    """Create what the recorded test created, in a fresh moto (no case sees another's queues or secrets)."""
    moto_api_backend.reset()
    for resource in case.get("other_resources") or []:
        _create(resources, region, resource)
    for call in case.get("setup_calls") or []:
        client = resources.clients.client(call["service"], region)
        try:
            getattr(client, call["op"])(**_decode(call.get("params") or {}))
        except ParamValidationError:  # a call recorded without its parameters: other_resources made it
            continue
        except ClientError as exc:  # made from other_resources already
            if not any(code in exc.response["Error"]["Code"] for code in ("AlreadyExists", "ResourceInUse",
                                                                          "BucketAlreadyOwnedByYou")):
                raise
    for spec in case.get("lambda_functions") or []:
        resources.functions.add(function(spec))
    for aux in case.get("auxiliary_state_machines") or []:
        if aux.get("definition"):  # in the account its ARN names (a second account for cross-account cases)
            parts = (aux.get("arn") or "").split(":")
            resources.state_machines.add(StateMachine(
                aux["definition"], name=aux["name"], type=aux.get("type") or "STANDARD",
                region=parts[3] if len(parts) > 4 else region, account=parts[4] if len(parts) > 4 else account,
                role_arn=role_arn))
