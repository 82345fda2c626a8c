"""``mock.fieldValidationMode``: a mocked Task result checked against the output shape of the API it stands for.

AWS checks only the members the API model defines, named as Step Functions
names them (PascalCase, ``ExecutionArn`` for Step Functions' own
``executionArn``); any other member is ignored, so ``{}`` passes wherever
nothing is required.  STRICT also requires the required members; PRESENT
checks only what is there; NONE checks nothing.  A ``.sync`` task's mock is
checked against the API that Step Functions polls (``DescribeExecution`` for
``startExecution.sync``); a ``.waitForTaskToken`` result is the worker's, so
nothing checks it.  Results of Lambda function ARNs, activities, the
HTTP Task, API Gateway and EKS are not checked (AWS: "Mock validation is not
supported for HTTP Task, API Gateway, EKS Call, and EKS RunJob").

The wording of each refusal is AWS's, as recorded (LocalStack's
test_field_validation_mode* snapshots, 2025-11).
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, Shape

from asl_engine.integrations.arns import parse_resource
from asl_engine.integrations.services.model import client_name, operation, service_model
from asl_engine.integrations.services.supported import SUPPORTED
from asl_engine.integrations.services.sync import SYNC_JOBS
from asl_engine.server.errors import validation

_UNCHECKED = frozenset({"http", "apigateway", "eks"})
_TYPE_WORDS = {"structure": "an object", "map": "an object", "list": "an array", "string": "a string",
               "blob": "a string", "timestamp": "a string", "boolean": "a boolean", "integer": "a number",
               "long": "a number", "float": "a number", "double": "a number"}


def check_mock_result(resource: str, result: Any, mode: str) -> None:
    """Raise AWS's ValidationException when ``result`` does not fit the output of ``resource``'s API."""
    if mode == "NONE":
        return
    shape = _output_shape(resource)
    if shape is None:
        return
    problem = _problem(shape, result, "", mode == "STRICT")
    if problem is not None:
        raise validation(f"Mock result schema validation error: {problem}")


def _output_shape(resource: str) -> Shape | None:
    op = _operation(resource)
    return op.output_shape if op is not None else None


def _operation(resource: str) -> OperationModel | None:
    """The API call a Task resource stands for (the polled one for ``.sync``), or None when AWS checks nothing."""
    spec = parse_resource(resource)
    if spec.kind != "service" or spec.service in _UNCHECKED or spec.pattern == "waitForTaskToken":
        return None  # a callback's result is whatever the worker sends with the token
    if spec.service.startswith("aws-sdk:"):
        name = client_name(spec.service.removeprefix("aws-sdk:"))
        return operation(name, spec.action) if name else None
    entry = SUPPORTED.get(spec.service)
    if entry is None:
        return None
    client = entry[0]
    if spec.pattern in ("sync", "sync:2"):
        job = SYNC_JOBS.get((client, spec.action))
        if job is not None:
            return operation(client, job.describe.replace("_", ""))
        if client == "stepfunctions":
            return service_model(client).operation_model("DescribeExecution")
    return operation(client, spec.action)


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _problem(shape: Shape, value: Any, name: str, strict: bool) -> str | None:
    """The first way ``value`` breaks ``shape`` (``name`` is the member it is, as AWS names it), or None."""
    kind = shape.type_name
    if shape.metadata.get("document") or value is None:
        return None
    if not _is_type(kind, value):
        subject = f"Field '{name}'" if name else "The mocked result"
        return f"{subject} must be {_TYPE_WORDS.get(kind, 'valid')}"
    if kind == "structure":
        for member, member_shape in shape.members.items():
            key = _pascal(member)
            if key not in value:
                if strict and member in shape.required_members:
                    return f"Required field '{key}' is missing"
                continue
            found = _problem(member_shape, value[key], key, strict)
            if found is not None:
                return found
        return None
    if kind == "list":
        for item in value:
            found = _problem(shape.member, item, name, strict)
            if found is not None:
                return found
        return None
    if kind == "map":
        for item in value.values():
            found = _problem(shape.value, item, name, strict)
            if found is not None:
                return found
        return None
    return _bounds(shape, value, name)


def _is_type(kind: str, value: Any) -> bool:
    if kind in ("structure", "map"):
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind in ("string", "blob", "timestamp"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in _TYPE_WORDS:  # the numbers
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _bounds(shape: Shape, value: Any, name: str) -> str | None:
    meta = shape.metadata
    if shape.type_name in ("string", "blob"):
        if getattr(shape, "enum", None) and value not in shape.enum:
            return f"Field '{name}' is not an expected value"
        if "min" in meta and len(value) < meta["min"]:
            return f"Field '{name}' is smaller than the minimum length"
        if "max" in meta and len(value) > meta["max"]:
            return f"Field '{name}' is larger than the maximum length"
    elif shape.type_name in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            return f"Field '{name}' is less than the minimum value"
        if "max" in meta and value > meta["max"]:
            return f"Field '{name}' exceeds the maximum value"
    return None

