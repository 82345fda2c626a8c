"""Optimized integrations (``arn:aws:states:::sqs:sendMessage``...): AWS's parameter and response shapes.

The parameters are the API's own, in PascalCase; they are mapped onto the
boto3 operation through its model.  The response is returned as Step
Functions' SDK v1 client shows it: PascalCase members, dates as epoch
milliseconds, and the HTTP response's ``SdkHttpMetadata`` (EventBridge's
excepted).  Errors carry SDK v1 names (``SQS.AmazonSQSException``).
``supported.SUPPORTED`` is AWS's list of actions and the patterns each one allows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.model import OperationModel

from asl_engine.errors import StatesError
from asl_engine.integrations.call import TaskCall
from asl_engine.integrations.errors import V1_CLIENTS, optimized_error, sdk_client_exception
from asl_engine.integrations.services.call import ServiceCallError, call_operation
from asl_engine.integrations.services.http_metadata import json_body, query_xml_body, sdk_metadata
from asl_engine.integrations.services.model import from_boto, is_modeled_error, operation, service_model, to_boto_params
from asl_engine.integrations.services.supported import SUPPORTED
from asl_engine.integrations.services.sync import SYNC_JOBS, wait_for_job

_NO_METADATA = frozenset({"events"})
_SYNC = "sync"


def epoch_millis(value: datetime) -> int:
    """A date as Step Functions' SDK v1 client writes it into JSON."""
    return round(value.timestamp() * 1000)


def render(op: OperationModel | None, response: dict[str, Any]) -> Any:
    """A boto3 response in Step Functions' optimized shape (without HTTP metadata)."""
    return from_boto(op.output_shape if op else None, response, epoch_millis)


def with_metadata(client: str, op: OperationModel, response: dict[str, Any], call: TaskCall) -> dict[str, Any]:
    """The optimized output: the rendered response plus ``SdkHttpMetadata`` for the body the service sent."""
    output = render(op, response)
    if client in _NO_METADATA:
        return output
    meta = service_model(client).metadata
    request_id = call.request_id  # a uuid, as AWS's are (emulators' ids differ in length, and so would the body)
    if meta.get("protocol") == "query":
        body = query_xml_body(op.name, meta.get("xmlNamespace", ""), output, request_id).encode()
        content_type = "text/xml"
    else:
        body = json_body(response)
        content_type = "application/json" if meta.get("protocol") == "rest-json" else \
            f"application/x-amz-json-{meta.get('jsonVersion', '1.0')}"
    output.update(sdk_metadata(client, body=body, content_type=content_type, request_id=request_id,
                               date=call.clock.now()))
    return output


def _precheck(client: str, params: dict[str, Any]) -> None:
    """What the SDK v1 client refuses before any request: SQS sends to the QueueUrl's own host."""
    url = params.get("QueueUrl") if client == "sqs" else None
    if isinstance(url, str):
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        if "." not in host and host != "localhost":
            raise sdk_client_exception("SQS", f"Unable to execute HTTP request: {host}: Name or service not known")


def _check_events(output: dict[str, Any]) -> None:
    """PutEvents answers 200 with failed entries; Step Functions fails the task with them."""
    if output.get("FailedEntryCount"):
        raise StatesError("EventBridge.FailedEntry", json.dumps(output, separators=(",", ":")))


async def run_optimized(call: TaskCall, client_for: Any) -> Any:
    """Request-response or ``.sync`` for sqs, sns, events, dynamodb, batch, sagemaker, ecs and glue
    (``.waitForTaskToken`` is the request-response call; the registry then waits on the token)."""
    spec = call.spec
    client_name = SUPPORTED[spec.service][0]
    op = operation(client_name, spec.action)
    if op is None:
        raise StatesError("States.Runtime", f"No API action for the resource '{spec.arn}'")
    params = to_boto_params(op, call.payload)
    _precheck(client_name, params)
    client = client_for(client_name, spec.region or call.region)
    try:
        response = await call_operation(client, op, params, call.clock)
    except ServiceCallError as exc:
        raise named_error(client_name, exc) from None
    output = with_metadata(client_name, op, requested_only(client_name, params, response), call)
    if client_name == "events":
        _check_events(output)
    if spec.pattern != _SYNC:
        return output
    call.submitted(output)
    job = SYNC_JOBS[(client_name, spec.action)]
    describe = service_model(client_name).operation_model(_pascal(job.describe))
    return await wait_for_job(job, client, params, response, call.clock,
                              lambda whole, part: from_boto(_part_shape(describe, whole, part), part, epoch_millis))


# Members a service returns only when the request asks for them (emulators may send them regardless).
_ON_REQUEST = {("dynamodb", "ConsumedCapacity"): "ReturnConsumedCapacity",
               ("dynamodb", "ItemCollectionMetrics"): "ReturnItemCollectionMetrics"}


def requested_only(client: str, params: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """``response`` without the members its request did not ask for."""
    return {key: value for key, value in response.items()
            if (client, key) not in _ON_REQUEST or params.get(_ON_REQUEST[client, key], "NONE") != "NONE"}


def named_error(client: str, exc: ServiceCallError) -> StatesError:
    """A failed call as an optimized integration names it (SDK v1)."""
    if exc.client_side:
        return sdk_client_exception(V1_CLIENTS[client].prefix, exc.failure.message)
    return optimized_error(client, exc.failure, is_modeled_error(client, exc.failure.code))


def _pascal(snake: str) -> str:
    return "".join(word.capitalize() for word in snake.split("_"))


def _part_shape(op: OperationModel, whole: dict[str, Any], part: Any) -> Any:
    """The shape of the job description inside the describe response (``jobs[0]``, ``tasks[0]``, ``JobRun``)."""
    shape = op.output_shape
    if shape is None or part is whole:
        return shape
    for key, value in whole.items():
        member = shape.members.get(key)
        if member is not None and (value is part or (isinstance(value, list) and value and value[0] is part)):
            return member.member if member.type_name == "list" else member
    return None
