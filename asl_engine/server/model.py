"""botocore's Step Functions service model: the single source of operation and shape definitions."""

from __future__ import annotations

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_MODEL: ServiceModel = botocore.session.get_session().get_service_model("stepfunctions")
TARGET_PREFIX: str = SERVICE_MODEL.metadata["targetPrefix"]  # "AWSStepFunctions"
SIGNING_NAME: str = SERVICE_MODEL.signing_name  # "states"
CONTENT_TYPE = f"application/x-amz-json-{SERVICE_MODEL.metadata['jsonVersion']}"


def operation(name: str) -> OperationModel | None:
    """The operation called ``name``, or None when Step Functions has no such action."""
    if name not in SERVICE_MODEL.operation_names:
        return None
    return SERVICE_MODEL.operation_model(name)
