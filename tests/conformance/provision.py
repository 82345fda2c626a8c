"""What a recorded case created before its execution, created again against the run's moto.

``setup_calls`` are replayed through the run's AWS clients (queues, topics,
tables, buckets), ``lambda_functions`` become functions running a handler
from ``lambdas/`` (one directory per handler file of LAMBDA_HANDLERS.md),
``auxiliary_state_machines`` are created for ``states:startExecution`` and
activities for the activity workers.  Where they are created is the
backend's (``Target``): in-process in the engine's registries, or through
``asl serve``'s API like any client.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError, ParamValidationError

LAMBDAS = Path(__file__).resolve().parent / "lambdas"


class Target(Protocol):
    """Where a case's resources are made."""

    def reset(self) -> None:
        """Start from an empty moto (no case sees another's queues or secrets)."""

    def client(self, service: str) -> Any:
        """A boto3 client of the run's AWS (moto)."""

    def add_function(self, name: str, code: Path) -> None:
        """A Lambda function ``name`` whose code directory ``code`` holds ``handler.py``."""

    def add_state_machine(self, aux: dict, region: str, account: str) -> None:
        """An auxiliary state machine of the case, in the region and account its ARN names."""

    def add_activity(self, name: str) -> None:
        """An activity for the case's worker."""


def _decode(value: Any) -> Any:
    """Recorded parameters spell bytes as ``{"__bytes__": base64}``."""
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def code_directory(spec: dict) -> Path:
    """The handler file's behaviour: ``lambdas/<file name>/handler.py``, its directory as /var/task."""
    return LAMBDAS / spec["handler_file"].rsplit("/", 1)[-1].removesuffix(".py")


def _create(target: Target, resource: dict) -> None:
    """A resource ``other_resources`` names (the recorded setup calls do not always carry the name)."""
    kind, name = resource.get("kind"), resource.get("name")
    if kind == "sqs_queue":
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        target.client("sqs").create_queue(QueueName=name, Attributes=attributes)
    elif kind == "sns_topic":
        attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
        target.client("sns").create_topic(Name=name, Attributes=attributes)
    elif kind == "s3_bucket":
        target.client("s3").create_bucket(Bucket=name)
    elif kind == "dynamodb_table":
        key = resource.get("partition_key") or "id"
        target.client("dynamodb").create_table(
            TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    elif kind == "activity":
        target.add_activity(name)


def provision(case: dict, target: Target, region: str, account: str) -> None:
    """Create what the recorded test created, in a fresh moto (a self-contained case needs no AWS)."""
    if not case.get("self_contained"):
        target.reset()
    for resource in case.get("other_resources") or []:
        _create(target, resource)
    if case.get("self_contained"):
        return
    for call in case.get("setup_calls") or []:
        client = target.client(call["service"])
        try:
            getattr(client, call["op"])(**_decode(call.get("params") or {}))
        except ParamValidationError:  # a call recorded without its parameters: other_resources made it
            continue
        except ClientError as exc:  # made from other_resources already
            if not any(code in exc.response["Error"]["Code"] for code in ("AlreadyExists", "ResourceInUse",
                                                                          "BucketAlreadyOwnedByYou")):
                raise
    for spec in case.get("lambda_functions") or []:
        target.add_function(spec["function_name"], code_directory(spec))
    for aux in case.get("auxiliary_state_machines") or []:
        if aux.get("definition"):  # in the account its ARN names (a second account for cross-account cases)
            parts = (aux.get("arn") or "").split(":")
            target.add_state_machine(aux, parts[3] if len(parts) > 4 else region,
                                     parts[4] if len(parts) > 4 else account)
