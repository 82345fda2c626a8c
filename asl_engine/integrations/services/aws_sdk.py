"""``arn:aws:states:::aws-sdk:<service>:<action>``: any API call boto3 knows.

The service and action are resolved through botocore's models
(``services.model``), the PascalCase parameters mapped onto the operation's
input shape, and the response returned PascalCase without HTTP metadata, as
the SDK v2 behind AWS's aws-sdk integrations returns it.  Errors carry the
SDK v2 names (``S3.NoSuchBucketException``, ``DynamoDb.DynamoDbException``).
"""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.errors import sdk_client_exception, sdk_error
from asl_engine.integrations.services.call import ServiceCallError, call_operation
from asl_engine.integrations.services.model import (
    client_name,
    from_boto,
    is_modeled_error,
    operation,
    sdk_prefix,
    to_boto_params,
)
from asl_engine.integrations.services.optimized import requested_only


async def run_aws_sdk(call: TaskCall, client_for: Any) -> Any:
    """Run the call; ``client_for(name, region)`` gives the boto3 client (or the in-process Step Functions)."""
    spec = call.spec
    service = spec.service.removeprefix("aws-sdk:")
    name = client_name(service)
    op = operation(name, spec.action) if name else None
    if name is None or op is None:
        raise StatesError("States.Runtime", f"The resource '{spec.arn}' names no API action the AWS SDK has")
    params = to_boto_params(op, call.payload)
    try:
        response = await call_operation(client_for(name, spec.region or call.region), op, params, call.clock)
    except ServiceCallError as exc:
        if exc.client_side:
            raise sdk_client_exception(sdk_prefix(name), exc.failure.message) from None
        raise sdk_error(sdk_prefix(name), exc.failure, is_modeled_error(name, exc.failure.code)) from None
    return from_boto(op.output_shape, requested_only(name, params, response))
