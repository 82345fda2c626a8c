"""The client of an interactive case: what the recorded test did while its execution ran.

The callback and activity cases were recorded with a client acting mid-execution:
a helper state machine or a thread reading the task token from an SQS message
and calling SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, or an
activity worker polling GetActivityTask.  The cases name those clients
(``interactive_reasons``) but do not carry them, so each is written here once,
as the recorded test's helper did it, and runs as a coroutine beside the
execution, on its clock: its Waits and long polls cost no wall time and race
the execution's timeouts exactly as on AWS.  Everything goes through the
engine's public API (``resources.callbacks``, ``resources.activities``) and
the run's AWS clients (moto), like any user's client would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from asl_engine import Resources, StateMachine
from asl_engine.runtime.execution import ExecutionResult

ACTIVITY_WORKER = "BASE_ID_ACTIVITY_CONSUMER"  # the worker name LocalStack's consumer state machines send


class CaseClient:
    """The actions a recorded client takes, beside the execution and on its clock.

    A backend supplies the primitives (``sqs``, ``callbacks``, ``poll_activity``, ``sleep``): in-process they
    are the engine's API on the execution's loop, over HTTP the service's API.
    """

    callbacks: Any  # send_success(token, output), send_failure(token, error=None, cause=None), send_heartbeat(token)

    def __init__(self, case: dict) -> None:
        self.case = case

    def sqs(self) -> Any:
        raise NotImplementedError

    async def poll_activity(self, arn: str, worker_name: str | None) -> dict | None:
        """One GetActivityTask long poll: the task (``taskToken``, ``input``), or None when none came."""
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _resource(self, kind: str) -> dict:
        return next(r for r in self.case.get("other_resources") or [] if r.get("kind") == kind)

    async def messages(self) -> Any:
        """Each message on the case's queue carrying a task token: ``(body text, parsed body)``.

        Polls every second as the helper state machines do (a Wait of 1 s, then sqs:receiveMessage); an SNS
        notification is unwrapped to the message it carries.
        """
        sqs = self.sqs()
        url = self._resource("sqs_queue")["url"]
        while True:
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                text = message["Body"]
                body = json.loads(text)
                if "TaskToken" not in body and isinstance(body.get("Message"), str):  # SNS -> SQS envelope
                    text = body["Message"]
                    body = json.loads(text)
                if "TaskToken" in body:
                    yield text, body
            await self.sleep(1)

    async def activity_task(self, worker_name: str | None = ACTIVITY_WORKER) -> dict:
        """GetActivityTask on the case's activity until a task comes (each poll is 60 s long)."""
        arn = self._resource("activity")["arn"]
        while True:
            task = await self.poll_activity(arn, worker_name)
            if task:
                return task


class InProcessClient(CaseClient):
    """The client on the engine's API, in the execution's loop."""

    def __init__(self, case: dict, resources: Resources) -> None:
        super().__init__(case)
        self.resources = resources
        self.callbacks = resources.callbacks

    def sqs(self) -> Any:
        return self.resources.clients.client("sqs")

    async def poll_activity(self, arn: str, worker_name: str | None) -> dict | None:
        return await self.resources.activities.get_activity_task_async(arn, worker_name)


# -- the helper state machines of LocalStack's fixtures (interactive_reasons "helper_sm_...") ---------------

async def sends_task_success(client: CaseClient) -> None:
    """sqs_send_task_success_state_machine: SendTaskSuccess with States.JsonToString($.Body.Message)."""
    async for _, body in client.messages():
        client.callbacks.send_success(body["TaskToken"], json.dumps(body["Message"], separators=(",", ":")))


async def sends_task_failure(client: CaseClient) -> None:
    """sqs_send_task_failure_state_machine: SendTaskFailure with a fixed error and cause."""
    async for _, body in client.messages():
        client.callbacks.send_failure(body["TaskToken"], "Failure error", "Failure cause")


async def sends_heartbeat_and_success(client: CaseClient) -> None:
    """sqs_send_heartbeat_and_task_success_state_machine: Wait 5 s, a heartbeat, then the success."""
    async for _, body in client.messages():
        await client.sleep(5)
        client.callbacks.send_heartbeat(body["TaskToken"])
        client.callbacks.send_success(body["TaskToken"], json.dumps(body["Message"], separators=(",", ":")))


# -- clients written inline in the recorded tests (by test name) ------------------------------------------

async def sns_publish_success(client: CaseClient) -> None:
    """test_sns_publish_wait_for_task_token: the SNS message's token answered with ``{}``."""
    async for _, body in client.messages():
        client.callbacks.send_success(body["TaskToken"], json.dumps({}))


async def empty_failure(client: CaseClient) -> None:
    """test_sqs_failure_in_wait_for_task_tok_no_error_field: SendTaskFailure with neither error nor cause."""
    async for _, body in client.messages():
        client.callbacks.send_failure(body["TaskToken"])


async def ten_heartbeats_and_success(client: CaseClient) -> None:
    """test_multiple_heartbeat_notifications: ten heartbeats, then the message body as the output."""
    async for text, body in client.messages():
        for _ in range(10):
            client.callbacks.send_heartbeat(body["TaskToken"])
        client.callbacks.send_success(body["TaskToken"], text)


# -- the activity consumers (LocalStack's templates/activities/statemachines/*_activity_consumer*) ---------

async def activity_consumer(client: CaseClient) -> None:
    """BASE_ID_ACTIVITY_CONSUMER: SendTaskSuccess with the task's input as the output."""
    task = await client.activity_task()
    client.callbacks.send_success(task["taskToken"], task["input"])


async def anonymous_activity_consumer(client: CaseClient) -> None:
    """The same consumer without a WorkerName (ActivityStarted then has no workerName)."""
    task = await client.activity_task(None)
    client.callbacks.send_success(task["taskToken"], task["input"])


async def failing_activity_consumer(client: CaseClient) -> None:
    """BASE_ID_ACTIVITY_CONSUMER_FAIL: SendTaskFailure "Programmatic Error" with the input as the cause."""
    task = await client.activity_task()
    client.callbacks.send_failure(task["taskToken"], "Programmatic Error", task["input"])


async def silent_activity_consumer(client: CaseClient) -> None:
    """BASE_ID_ACTIVITY_CONSUMER_TIMEOUT: takes the task and never answers."""
    await client.activity_task()


async def heartbeat_activity_consumer(client: CaseClient) -> None:
    """HEARTBEAT_ID_ACTIVITY_CONSUMER: Wait 2 s, a heartbeat, Wait 2 s, then the input as the output."""
    task = await client.activity_task()
    await client.sleep(2)
    client.callbacks.send_heartbeat(task["taskToken"])
    await client.sleep(2)
    client.callbacks.send_success(task["taskToken"], task["input"])


Driver = Callable[[CaseClient], Awaitable[None]]
BY_REASON: dict[str, Driver] = {
    "helper_sm_sends_task_success": sends_task_success,
    "helper_sm_sends_task_failure": sends_task_failure,
    "helper_sm_sends_heartbeat_and_success": sends_heartbeat_and_success,
}
BY_TEST: dict[str, Driver] = {
    "test_sns_publish_wait_for_task_token": sns_publish_success,
    "test_sqs_failure_in_wait_for_task_tok_no_error_field": empty_failure,
    "test_multiple_heartbeat_notifications": ten_heartbeats_and_success,
    "test_activity_task": activity_consumer,
    "test_activity_task_no_worker_name": anonymous_activity_consumer,
    "test_activity_task_failure": failing_activity_consumer,
    "test_activity_task_start_timeout": silent_activity_consumer,
    "test_activity_task_with_heartbeat": heartbeat_activity_consumer,
}


def driver_for(case: dict) -> Driver | None:
    """The recorded client of ``case``; None when it had none (it waited for a timeout, say)."""
    for reason in case.get("interactive_reasons") or []:
        if reason in BY_REASON:
            return BY_REASON[reason]
    test = case["id"].rsplit("::", 1)[-1].split("[", 1)[0].split("@", 1)[0]
    return BY_TEST.get(test)


def run(sm: StateMachine, case: dict, resources: Resources, input: Any, **kwargs: Any) -> ExecutionResult:
    """``sm.run(input, resources=resources, **kwargs)`` with the case's recorded client beside the execution."""
    drive = driver_for(case) if case.get("interactive") else None
    if drive is None:
        return sm.run(input, resources=resources, **kwargs)
    clock = kwargs.pop("clock")

    async def main() -> ExecutionResult:
        client = asyncio.ensure_future(drive(InProcessClient(case, resources)))
        result = await sm.run_async(input, clock=clock, resources=resources, **kwargs)
        if client.done():
            client.result()  # a client that crashed says why
        return result

    return clock.run(main())
