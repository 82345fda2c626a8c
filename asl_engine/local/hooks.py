"""boto3 clients answered in-process by the local stack's own services.

Functions create ``boto3.client("stepfunctions")`` at import and the
engine's integrations call EventBridge through its client factory; both must
reach the stack's engine and EventBridge service, not moto's stand-ins.
Rather than serve those APIs over HTTP (``asl serve``: a second event loop
and clock to keep in step), one botocore ``before-call`` handler answers the
operations of the services the active stack serves: the caller keeps boto3's
request and response shapes and gets a ClientError with AWS's code, and every
other service still goes to moto (or AWS).

The handler is on boto3's default session (clients made from it afterwards
copy it, which is why the stack installs it before it imports functions) and
on each client of the stack's ``LocalClients``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asl_engine.integrations.clients import ClientFactory

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]
"""``answer(operation name, request params)`` -> the response dict; raises ClientError to refuse."""

_UNIQUE_ID = "asl-engine-local-services"
_answers: dict[str, Answer] = {}
_hooked_session: Any = None
_lock = threading.Lock()


@dataclass
class _Http:
    status_code: int = 200


def serve(answers: dict[str, Answer], loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Routes the hooked clients of these services (botocore service ids: "sfn", "eventbridge") to the
    answers, run on ``loop`` whichever thread calls (the engine calls AWS from worker threads; the services
    start executions and invoke functions on the loop); an empty dict hands every service back."""
    install()
    with _lock:
        _answers.clear()
        _answers.update({service: _on_loop(answer, loop) for service, answer in answers.items()})


def _on_loop(answer: Answer, loop: asyncio.AbstractEventLoop | None) -> Answer:
    return lambda operation, params: call_on_loop(loop, lambda: answer(operation, params))


def call_on_loop(loop: asyncio.AbstractEventLoop | None, fn: Callable[[], Any]) -> Any:
    """``fn()`` run on ``loop`` (at once when already there), its result or exception handed back."""
    if loop is None or _running_loop() is loop:
        return fn()
    result: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            result.set_result(fn())
        except Exception as exc:
            result.set_exception(exc)

    loop.call_soon_threadsafe(run)
    return result.result()


class OnLoop:
    """``target``'s methods, called from any thread, run on ``loop``."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target, self._loop = target, loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._target, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: call_on_loop(self._loop, lambda: method(*args, **kwargs))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def install() -> None:
    global _hooked_session
    import boto3

    with _lock:
        session = boto3._get_default_session()
        if session is not _hooked_session:
            session.events.register("before-call", _before_call, unique_id=_UNIQUE_ID)
            _hooked_session = session


def _before_call(model: Any, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    answer = _answers.get(model.service_model.service_id.hyphenize())
    if answer is None:
        return None
    response = answer(model.name, json.loads(params.get("body") or b"{}"))
    return _Http(), {**response, "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "local"}}


class LocalClients(ClientFactory):
    """The stack's client factory: moto for everything but the services the stack answers itself.

    ``events`` is the stack's EventBridge: the engine's ``events:putEvents`` reaches it through
    ``event_bus`` (from a worker thread, hence ``OnLoop``), the ``aws-sdk:eventbridge`` calls through the hook.
    """

    events: OnLoop | None = None

    def event_bus(self, region: str | None = None, account: str | None = None) -> Any:
        return self.events if self.events is not None else super().event_bus(region, account)

    def client(self, service: str, region: str | None = None, account: str | None = None) -> Any:
        client = super().client(service, region, account)
        client.meta.events.register("before-call", _before_call, unique_id=_UNIQUE_ID)
        return client
