"""The targets EventBridge can call, one invoker per ARN service, behind ``Invokers``.

Local targets are injected objects (a Step Functions engine, Lambda handlers,
other buses); AWS service targets (SQS, SNS, CloudWatch Logs, Batch,
SageMaker, Scheduler's universal ``aws-sdk`` targets) go through boto3
clients from an injected factory, so tests point them at moto and a real run
at AWS or a local endpoint. Errors are turned into DeliveryFailure with the
retryability AWS gives them: a missing resource or a permission problem is not
retried, a throttle or a 5xx is.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from botocore import xform_name
from botocore.exceptions import ClientError

from . import arns
from .delivery import DeliveryFailure, Invocation, TargetInvoker
from .envelope import as_datetime

ClientFactory = Callable[[str], Any]
"""``client(service_name)`` -> a boto3 client (``boto3.client``, or a moto-backed one in tests)."""


class StateMachineStarter(Protocol):
    def start_execution(self, state_machine_arn: str, input_json: str, name: str | None = None) -> Any: ...


def client_failure(exc: ClientError) -> DeliveryFailure:
    """A boto3 error as a delivery failure, retryable unless retrying cannot help.

    A missing resource (``*NotFound*``, ``*NonExistent*`` as in SQS's ``AWS.SimpleQueueService.NonExistentQueue``,
    ``*DoesNotExist*`` as in Step Functions' ``StateMachineDoesNotExist``) is RESOURCE_NOT_FOUND and a refused
    permission NO_PERMISSIONS, neither retried (AWS sends such an event straight to the dead-letter queue); a
    throttle is THROTTLING and anything else SDK_CLIENT_ERROR, both retried."""
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", str(exc))
    if any(part in code for part in _MISSING) or code == "ResourceNotFoundException":
        return DeliveryFailure("RESOURCE_NOT_FOUND", message, retryable=False)
    if "AccessDenied" in code or "Unauthorized" in code or code == "AuthorizationError":
        return DeliveryFailure("NO_PERMISSIONS", message, retryable=False)
    if "Throttl" in code or "TooManyRequests" in code:
        return DeliveryFailure("THROTTLING", message)
    return DeliveryFailure("SDK_CLIENT_ERROR", f"{code}: {message}")


_MISSING = ("NotFound", "NonExistent", "DoesNotExist")  # parts of the error codes of a missing resource


class _Boto:
    """Base for invokers that call an AWS service: one client per invoker, errors mapped once."""

    service = ""

    def __init__(self, client: ClientFactory) -> None:
        self._factory = client
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._factory(self.service)
        return self._client

    def invoke(self, invocation: Invocation) -> None:
        try:
            self.call(invocation)
        except ClientError as exc:
            raise client_failure(exc) from exc

    def call(self, invocation: Invocation) -> None:
        raise NotImplementedError


class SqsInvoker(_Boto):
    """SendMessage; a FIFO queue gets SqsParameters.MessageGroupId and the event id as deduplication id."""

    service = "sqs"

    def url(self, queue_arn: str) -> str:
        """The queue URL of a queue ARN (GetQueueUrl with the owner's account)."""
        name, owner = arns.resource(queue_arn), arns.account(queue_arn)
        return self.client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]

    def call(self, invocation: Invocation) -> None:
        name = arns.resource(invocation.arn)
        params: dict[str, Any] = {"QueueUrl": self.url(invocation.arn), "MessageBody": invocation.payload}
        if name.endswith(".fifo"):
            params["MessageGroupId"] = invocation.target.get("SqsParameters", {}).get("MessageGroupId")
            params["MessageDeduplicationId"] = str(invocation.event.get("id", ""))[:128]
        self.client.send_message(**params)


class SnsInvoker(_Boto):
    service = "sns"

    def call(self, invocation: Invocation) -> None:
        self.client.publish(TopicArn=invocation.arn, Message=invocation.payload)


class LogsInvoker(_Boto):
    """PutLogEvents into the log group, one stream per event (named by the event id)."""

    service = "logs"

    def call(self, invocation: Invocation) -> None:
        group = arns.resource(invocation.arn).removeprefix("log-group:").removesuffix(":*")
        stream = str(invocation.event.get("id", "events"))
        try:
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
        millis = int(_event_epoch(invocation.event) * 1000)
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": millis, "message": invocation.payload}],
        )


class BatchInvoker(_Boto):
    """SubmitJob on the job queue with BatchParameters (JobDefinition, JobName, array size, attempts)."""

    service = "batch"

    def call(self, invocation: Invocation) -> None:
        parameters = invocation.target.get("BatchParameters") or {}
        request: dict[str, Any] = {
            "jobName": parameters["JobName"],
            "jobQueue": invocation.arn,
            "jobDefinition": parameters["JobDefinition"],
        }
        if "ArrayProperties" in parameters:
            request["arrayProperties"] = {"size": parameters["ArrayProperties"]["Size"]}
        if "RetryStrategy" in parameters:
            request["retryStrategy"] = {"attempts": parameters["RetryStrategy"]["Attempts"]}
        self.client.submit_job(**request)


class SageMakerInvoker(_Boto):
    """StartPipelineExecution with SageMakerPipelineParameters.PipelineParameterList."""

    service = "sagemaker"

    def call(self, invocation: Invocation) -> None:
        parameters = (invocation.target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList", [])
        self.client.start_pipeline_execution(
            PipelineName=arns.resource(invocation.arn).removeprefix("pipeline/"),
            PipelineParameters=[{"Name": p["Name"], "Value": p["Value"]} for p in parameters],
        )


class UniversalInvoker:
    """Scheduler's ``arn:aws:scheduler:::aws-sdk:SERVICE:ACTION``: the Input is the API request."""

    def __init__(self, client: ClientFactory) -> None:
        self._factory = client

    def invoke(self, invocation: Invocation) -> None:
        _, service, action = arns.resource(invocation.arn).split(":", 2)
        try:
            request = json.loads(invocation.payload)
        except ValueError:
            raise DeliveryFailure("INVALID_JSON", "Target input is not valid JSON.", retryable=False) from None
        client = self._factory(service)
        try:
            getattr(client, xform_name(action[:1].upper() + action[1:]))(**request)
        except ClientError as exc:
            raise client_failure(exc) from exc


class StepFunctionsInvoker:
    """StartExecution on the injected engine (any object with ``start_execution``)."""

    def __init__(self, engine: StateMachineStarter) -> None:
        self._engine = engine

    def invoke(self, invocation: Invocation) -> None:
        try:
            self._engine.start_execution(invocation.arn, invocation.payload)
        except ClientError as exc:  # an engine that refuses as the service does (StateMachineDoesNotExist...)
            raise client_failure(exc) from exc


class LambdaInvoker:
    """Calls a handler by function name or ARN (``handler(event, context)``) with the parsed payload."""

    def __init__(self, functions: Mapping[str, Callable[[Any, Any], Any]]) -> None:
        self._functions = functions

    def invoke(self, invocation: Invocation) -> None:
        name = arns.resource(invocation.arn).removeprefix("function:").split(":")[0]
        handler = self._functions.get(invocation.arn) or self._functions.get(name)
        if handler is None:
            raise DeliveryFailure("RESOURCE_NOT_FOUND", f"Function not found: {invocation.arn}", retryable=False)
        handler(json.loads(invocation.payload), None)


class HttpInvoker:
    """API destinations: an HTTP call to the destination's endpoint with the target's HttpParameters.

    ``destinations`` maps an API destination ARN to its ``InvocationEndpoint``
    and ``HttpMethod`` (what CreateApiDestination holds).
    """

    def __init__(self, destinations: Mapping[str, Mapping[str, str]], timeout: float = 5.0) -> None:
        self._destinations = destinations
        self._timeout = timeout

    def invoke(self, invocation: Invocation) -> None:
        destination = self._destinations.get(invocation.arn)
        if destination is None:
            raise DeliveryFailure("RESOURCE_NOT_FOUND", f"API destination {invocation.arn} does not exist.", False)
        http = invocation.target.get("HttpParameters") or {}
        url = destination["InvocationEndpoint"]
        for value in http.get("PathParameterValues", []):
            url = url.replace("*", urllib.parse.quote(value, safe=""), 1)
        if http.get("QueryStringParameters"):
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(http["QueryStringParameters"])
        request = urllib.request.Request(
            url,
            data=invocation.payload.encode(),
            method=destination.get("HttpMethod", "POST"),
            headers={"Content-Type": "application/json; charset=utf-8", **http.get("HeaderParameters", {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout):
                return
        except urllib.error.HTTPError as exc:
            retryable = exc.code == 429 or exc.code >= 500
            raise DeliveryFailure("SDK_CLIENT_ERROR", f"HTTP {exc.code}", retryable) from exc
        except OSError as exc:
            raise DeliveryFailure("SDK_CLIENT_ERROR", str(exc)) from exc


class BusInvoker:
    """Another event bus: the event is put on it as it is (``resolve`` finds the bus's EventBridge)."""

    def __init__(self, resolve: Callable[[str], Any]) -> None:
        self._resolve = resolve

    def invoke(self, invocation: Invocation) -> None:
        target = self._resolve(invocation.arn)
        if target is None:
            raise DeliveryFailure("RESOURCE_NOT_FOUND", f"Event bus {invocation.arn} does not exist.", False)
        target.accept_event(arns.bus_name(invocation.arn), dict(invocation.event))


class Invokers:
    """Picks the invoker for a target ARN by its service; ``register`` adds or replaces one."""

    def __init__(
        self,
        *,
        client: ClientFactory | None = None,
        state_machines: StateMachineStarter | None = None,
        functions: Mapping[str, Callable[[Any, Any], Any]] | None = None,
        api_destinations: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._by_service: dict[str, TargetInvoker] = {}
        if client is not None:
            for invoker in (SqsInvoker, SnsInvoker, LogsInvoker, BatchInvoker, SageMakerInvoker):
                self._by_service[invoker.service] = invoker(client)
            self._by_service["scheduler"] = UniversalInvoker(client)
        if state_machines is not None:
            self._by_service["states"] = StepFunctionsInvoker(state_machines)
        if functions is not None:
            self._by_service["lambda"] = LambdaInvoker(functions)
        self._http = HttpInvoker(api_destinations or {})
        self._bus: TargetInvoker | None = None

    def register(self, service: str, invoker: TargetInvoker) -> None:
        self._by_service[service] = invoker

    def connect_buses(self, resolve: Callable[[str], Any]) -> None:
        """Lets ``event-bus/...`` targets reach buses (the EventBridge objects wire this themselves)."""
        self._bus = BusInvoker(resolve)

    def invoke(self, invocation: Invocation) -> None:
        service = arns.service(invocation.arn)
        if service == "events" and arns.resource(invocation.arn).startswith("api-destination/"):
            invoker: TargetInvoker | None = self._http
        elif service == "events" and arns.resource(invocation.arn).startswith("event-bus/"):
            invoker = self._bus
        else:
            invoker = self._by_service.get(service)
        if invoker is None:
            raise DeliveryFailure("UNSUPPORTED_TARGET", f"No invoker for target {invocation.arn}.", retryable=False)
        invoker.invoke(invocation)

    def send_dead_letter(self, queue_arn: str, body: str, attributes: Mapping[str, str]) -> None:
        """SendMessage to a dead-letter queue with string message attributes."""
        sqs = self._by_service.get("sqs")
        if not isinstance(sqs, SqsInvoker):
            raise DeliveryFailure("NO_RESOURCE", f"No SQS client for dead-letter queue {queue_arn}.", False)
        sqs.client.send_message(
            QueueUrl=sqs.url(queue_arn),
            MessageBody=body,
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )


def _event_epoch(event: Mapping[str, Any]) -> float:
    try:
        return as_datetime(str(event["time"])).timestamp()
    except (KeyError, ValueError):
        return 0.0
