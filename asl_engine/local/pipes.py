"""The template's EventBridge Pipes, run on the local stack by the same code that runs them in ``asl serve``.

``Pipes`` (the API: CreatePipe validated against botocore's model) and
``PipeSupervisor`` (one poller per RUNNING pipe) are ``asl serve``'s; what
differs is only how a pipe reaches its targets, which is this module's
``LocalPipeTargets``: the stack's engine, its Python functions, its
EventBridge and its moto clients.  Pollers poll an idle queue once per
``IDLE_POLL`` of the clock and at once when a message is sent to it
(``service_events`` wakes them), so hours of virtual time cost no polls.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.pipes.environment import PipeFailure, function_answer
from asl_engine.eventbridge.pipes.service import Pipes
from asl_engine.eventbridge.pipes.supervisor import PipeSupervisor
from asl_engine.integrations.lambda_.providers import LambdaRequest, LocalFunctions
from asl_engine.sam.application import Application
from asl_engine.sam.model import TemplateError

IDLE_POLL = 300.0  # seconds of the clock between polls of an idle source; a message wakes the poller at once
# CreatePipe's request members (the template's other properties have no API counterpart)
_REQUEST = ("Description", "DesiredState", "Source", "SourceParameters", "Enrichment", "EnrichmentParameters",
            "Target", "TargetParameters", "RoleArn", "Tags", "LogConfiguration", "KmsKeyIdentifier")


class LocalPipeTargets:
    """The ``PipeEnvironment`` of the local stack's pipes."""

    def __init__(self, client: Any, stepfunctions: Any, functions: LocalFunctions, events: Any, clock: Any, *,
                 region: str, account: str) -> None:
        self._client, self._sfn, self._functions, self._events = client, stepfunctions, functions, events
        self._clock, self._region, self._account = clock, region, account
        self._ids = itertools.count(1)
        self._background: set[asyncio.Task[Any]] = set()

    def client(self, service: str) -> Any:
        return self._client(service)

    async def invoke_function(self, arn: str, payload: str, wait: bool) -> str | None:
        if self._functions.get(arn) is None:
            raise PipeFailure(f"Function not found: {arn}")
        request = LambdaRequest(arn, payload.encode(), self._region, self._account,
                                f"00000000-0000-4000-9000-{next(self._ids):012d}",
                                invocation_type="RequestResponse" if wait else "Event")
        if not wait:  # the pipe does not wait, and what the function then does is the function's business
            task = asyncio.ensure_future(self._functions.invoke(request, self._clock))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return None
        return await function_answer(arn, self._functions.invoke(request, self._clock))

    async def run_state_machine(self, arn: str, payload: str, wait: bool) -> str | None:
        try:
            started = self._sfn.client.start_execution(stateMachineArn=arn, input=payload)
        except ClientError as e:
            raise PipeFailure(f"{e.response['Error']['Code']}: {e.response['Error']['Message']}") from e
        if not wait:
            return None
        described = await self._sfn.client.wait(started["executionArn"])
        if described["status"] != "SUCCEEDED":
            raise PipeFailure(f"{arn} {described['status']}: {described.get('error')} {described.get('cause')}")
        return described.get("output")

    def put_events(self, entries: list[Mapping[str, Any]]) -> Mapping[str, Any]:
        return self._events.put_events(Entries=[dict(e) for e in entries])


def deploy_pipes(app: Application, targets: LocalPipeTargets, clock: Any) -> tuple[Pipes, PipeSupervisor]:
    """The template's pipes created through the Pipes API (a pipe AWS would refuse is refused here too) and
    started; must run on the stack's event loop (each running pipe's poller is a task on it)."""
    region, account = app.resolver.naming.region, app.resolver.naming.account
    supervisor = PipeSupervisor(targets, clock.time, interval=IDLE_POLL)
    pipes = Pipes(account=account, region=region, now=clock.now, on_change=supervisor.sync)
    create_pipes(app, pipes)
    return pipes, supervisor


def create_pipes(app: Application, pipes: Pipes) -> None:
    """The template's pipes on a running Pipes service (the local stack's, or a region of ``asl serve``'s);
    TemplateError names the pipe the service refused and why."""
    for resource in app.resources.values():
        if resource.type == "AWS::Pipes::Pipe":
            try:
                pipes.create_pipe(Name=resource.name,
                                  **{k: v for k, v in resource.properties.items() if k in _REQUEST})
            except EventBridgeError as exc:
                raise TemplateError(f"{resource.logical_id} (AWS::Pipes::Pipe): {exc.code}: {exc.message}") from None
