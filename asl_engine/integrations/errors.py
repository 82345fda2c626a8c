"""AWS's names for the errors a service call raises inside an execution.

Step Functions reports a failed service call differently for the two kinds
of integration, and Retry/Catch match these names, so they must be exact:

* optimized integrations (``arn:aws:states:::sqs:sendMessage``) run on the
  AWS SDK for Java v1: ``SQS.AmazonSQSException``, cause ``"<message>
  (Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter;
  Request ID: ...; Proxy: null)"``;
* aws-sdk integrations run on the SDK v2: ``S3.NoSuchBucketException``,
  ``DynamoDb.DynamoDbException``, cause ``"<message> (Service: S3, Status
  Code: 404, Request ID: ...)"``.

A modeled error keeps its own name (``ResourceNotFoundException``); an
error the service model does not declare becomes the client's base
exception (``AmazonDynamoDBException`` / ``DynamoDbException``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from asl_engine.errors import StatesError


@dataclass(frozen=True, slots=True)
class V1Client:
    """How the SDK v1 client of an optimized integration names itself."""

    prefix: str  # the error name's prefix: "DynamoDB"
    service: str  # "(Service: AmazonDynamoDBv2; ..."
    base_exception: str  # for unmodeled errors: "AmazonDynamoDBException"


# Optimized integrations: boto3 client name -> the SDK v1 client Step Functions calls it with.
V1_CLIENTS = {
    "batch": V1Client("Batch", "AWSBatch", "AWSBatchException"),
    "dynamodb": V1Client("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "ecs": V1Client("ECS", "AmazonECS", "AmazonECSException"),
    "events": V1Client("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    "glue": V1Client("Glue", "AWSGlue", "AWSGlueException"),
    "lambda": V1Client("Lambda", "AWSLambda", "AWSLambdaException"),
    "sagemaker": V1Client("SageMaker", "AmazonSageMaker", "AmazonSageMakerException"),
    "sns": V1Client("SNS", "AmazonSNS", "AmazonSNSException"),
    "sqs": V1Client("SQS", "AmazonSQS", "AmazonSQSException"),
    "stepfunctions": V1Client("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
}

# The SDK v2 appends the attempt count to every service exception's message since aws/aws-sdk-java-v2 PR #5834
# ("Adding attempt count to error message", opened 2025-01-28). Every recording made after it has the suffix
# (services/TestTaskServiceAwsSdk__test_sfn_send_task_outcome_*, November 2025) and every one without it is
# older (error_handling/TestAwsSdk__*: June/July 2023, and 2025-01-22 for test_s3_no_such_key), so those five
# record AWS before the change, not AWS today.
SDK_V2_ATTEMPTS = " (SDK Attempt Count: 1)"


@dataclass(frozen=True, slots=True)
class ServiceFailure:
    """A service's error response, whatever client produced it."""

    code: str
    message: str
    status: int
    request_id: str
    extended_request_id: str | None = None

    @classmethod
    def from_client_error(cls, exc: Any) -> ServiceFailure:
        """From a botocore ClientError."""
        response = getattr(exc, "response", None) or {}
        error = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        headers = meta.get("HTTPHeaders") or {}
        return cls(str(error.get("Code") or "UnknownError"), str(error.get("Message") or ""),
                   int(meta.get("HTTPStatusCode") or 400), str(meta.get("RequestId") or _request_id(headers)),
                   meta.get("HostId") or headers.get("x-amz-id-2"))


def _request_id(headers: dict) -> str:
    return headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or "local"


def _exception_name(code: str) -> str:
    code = code.rsplit(".", 1)[-1].rsplit("#", 1)[-1]
    return code if code.endswith("Exception") else f"{code}Exception"


def optimized_error(service: str, failure: ServiceFailure, modeled: bool) -> StatesError:
    """The error of an optimized integration (SDK v1 naming) for ``service`` (a boto3 client name)."""
    client = V1_CLIENTS.get(service) or V1Client(sdk_v2_prefix(service), service, f"{service}Exception")
    name = _exception_name(failure.code) if modeled else client.base_exception
    cause = (f"{failure.message} (Service: {client.service}; Status Code: {failure.status}; Error Code: "
             f"{failure.code}; Request ID: {failure.request_id}; Proxy: null)")
    return StatesError(f"{client.prefix}.{name}", cause)


def sdk_error(prefix: str, failure: ServiceFailure, modeled: bool) -> StatesError:
    """The error of an aws-sdk integration (SDK v2 naming); ``prefix`` comes from ``sdk_v2_prefix``."""
    name = _exception_name(failure.code) if modeled else f"{prefix}Exception"
    ids = f"Request ID: {failure.request_id}"
    extended = failure.extended_request_id
    if extended is None and prefix == "S3":  # S3 always answers with one (x-amz-id-2); some emulators do not
        extended = base64.b64encode(failure.request_id.encode()).decode()
    if extended:
        ids += f", Extended Request ID: {extended}"
    cause = f"{failure.message} (Service: {prefix}, Status Code: {failure.status}, {ids}){SDK_V2_ATTEMPTS}"
    return StatesError(f"{prefix}.{name}", cause)


_UPPER_RUN = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)")


def sdk_v2_prefix(service_id: str) -> str:
    """The SDK v2 client name for a service id: ``DynamoDB`` -> ``DynamoDb``, ``SFN`` -> ``Sfn``,
    ``Secrets Manager`` -> ``SecretsManager``, ``S3`` -> ``S3`` (how its code generator pascal-cases)."""
    words = re.split(r"[\s\-_]+", service_id.strip())
    return "".join(_UPPER_RUN.sub(lambda m: m.group(0).capitalize(), w[:1].upper() + w[1:]) for w in words if w)


def sdk_client_exception(prefix: str, message: str) -> StatesError:
    """A request the SDK could not send at all (no such host): ``SQS.SdkClientException``."""
    return StatesError(f"{prefix}.SdkClientException", message)
