"""What a pipe calls outside itself, injected: functions, state machines, buses and AWS clients.

The pipe code decides *what* to call (batch arrays, invocation types,
partial failures); the environment only knows *how* to reach a target in
this process (``asl serve``'s executions and ``--resource`` handlers, moto
clients), so the same pipe runs against fakes in unit tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from asl_engine.errors import StatesError

Record = dict[str, Any]
"""One source record as the pipe passes it on (an SQS message, a Kinesis record), in AWS's documented shape."""


class PipeFailure(Exception):
    """A call out of the pipe failed: the batch (or the records it names) stays in the source to be retried."""


async def function_answer(arn: str, invoked: Awaitable[Any]) -> str:
    """What a local function (a LocalFunctions invoke) answered a waiting pipe; its error is a PipeFailure."""
    try:
        answer = await invoked
    except StatesError as e:
        raise PipeFailure(f"{arn} failed: {e.error} {e.cause or ''}") from e
    assert answer is not None, "the function was checked to be local"
    if answer.function_error:
        raise PipeFailure(f"{arn} failed: {answer.payload.decode()}")
    return answer.payload.decode()


class PipeEnvironment(Protocol):
    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` in the pipe's account and region."""

    async def invoke_function(self, arn: str, payload: str, wait: bool) -> str | None:
        """Lambda Invoke; with ``wait`` the function's response text, PipeFailure when the function failed."""

    async def run_state_machine(self, arn: str, payload: str, wait: bool) -> str | None:
        """StartExecution, or with ``wait`` StartSyncExecution's output (PipeFailure unless it succeeded)."""

    def put_events(self, entries: list[Mapping[str, Any]]) -> Mapping[str, Any]:
        """PutEvents in the pipe's region (entries name their bus); the PutEvents response."""
