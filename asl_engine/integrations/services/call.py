"""One boto3 call for an integration: parameters checked as the service would, the call off the event loop.

Shared by the optimized and aws-sdk integrations so both see a service's
refusal the same way (a ``ServiceFailure``) and differ only in how they name it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from botocore.model import OperationModel

from asl_engine.botocore_validation import member_path, null_problem, report
from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.integrations.errors import ServiceFailure
from asl_engine.integrations.services.state_machines import LocalSfnClient


class ServiceCallError(Exception):
    """The service refused the call (``failure`` is its error response), or with ``client_side`` the
    request never got an answer (no such host, connection refused): the SDK's SdkClientException."""

    def __init__(self, failure: ServiceFailure, client_side: bool = False) -> None:
        super().__init__(f"{failure.code}: {failure.message}")
        self.failure = failure
        self.client_side = client_side


def check_required(op: OperationModel, params: dict[str, Any]) -> None:
    """The service's own validation error for a required member sent as JSON null (the SDKs send the null
    on): query-protocol services (SQS, SNS) say MissingParameter, the others a Coral ValidationException."""
    shape = op.input_shape
    if shape is None:
        return
    nulls = [name for name in shape.required_members if name in params and params[name] is None]
    meta = op.service_model.metadata
    if nulls and (meta.get("protocol") == "query" or meta.get("awsQueryCompatible") is not None):
        raise ServiceCallError(ServiceFailure("MissingParameter", f"The request must contain the parameter "
                                                                  f"{nulls[0]}.", 400, "local"))
    message = report([null_problem(member_path("", name, lower_members=True)) for name in nulls])
    if message:
        raise ServiceCallError(ServiceFailure("ValidationException", message, 400, "local"))


async def call_operation(client: Any, op: OperationModel, params: dict[str, Any], clock: Any) -> dict[str, Any]:
    """Call ``op`` with boto3 keyword arguments; raises ServiceCallError with the service's error."""
    check_required(op, params)
    params = {k: v for k, v in params.items() if v is not None}  # the SDKs send a null member as absent
    method = getattr(client, xform_name(op.name))
    try:
        if isinstance(client, LocalSfnClient):  # in-process: runs on the execution's own loop
            return method(**params)
        with clock.busy():
            return await asyncio.to_thread(method, **params)
    except ClientError as exc:
        raise ServiceCallError(ServiceFailure.from_client_error(exc)) from None
    except EventBridgeError as exc:  # the in-process EventBridge (ClientFactory.event_bus) refuses as AWS does
        raise ServiceCallError(ServiceFailure(exc.code, exc.message, 400, "local")) from None
    except ParamValidationError as exc:
        raise ServiceCallError(ServiceFailure("ValidationException", str(exc.kwargs.get("report", exc)).strip(),
                                              400, "local")) from None
    except (BotoCoreError, OSError) as exc:
        raise ServiceCallError(ServiceFailure("SdkClientException", f"Unable to execute HTTP request: {exc}", 0,
                                              "local"), client_side=True) from None
    except Exception as exc:  # a backend's own failure (moto: an action it lacks) is the service's 500
        raise ServiceCallError(ServiceFailure("InternalFailure", str(exc), 500, "local")) from None
