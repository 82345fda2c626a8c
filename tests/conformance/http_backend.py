"""The recorded cases through a real ``asl serve`` on loopback, as a client of its APIs only.

Everything a case needs is made through the one endpoint, as a user's tests
would: queues, tables, buckets and secrets in the server's moto (``setup_calls``),
functions with Lambda's CreateFunction (a zip of the handler), auxiliary state
machines and activities with the Step Functions API, in the account their ARN
names (the access key id, as moto reads it), and a MockConfigFile through the
admin API.  The server runs on ``--virtual-clock``; time moves as it does
in-process (``VirtualClock``: when nothing can run, to the next timer) by a
co-simulation of the server's timers and the recorded client's
(``CoSimulation``), so a 600 s timeout costs no wall time and races the
client's heartbeats as on AWS.  The observation is what the shared runner
expects of any backend: DescribeExecution and GetExecutionHistory, as the
wire returned them.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import io
import itertools
import json
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conformance import interactions
from tests.conformance.provision import provision
from tests.conformance.sfn_backend import ACCOUNT, case_names

REGION = "us-east-1"
LAMBDA_ROLE = "lambda-conformance"
STUCK_PATIENCE = 30.0  # real seconds a case may wait on work in flight (a handler in a thread) before giving up
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# Long polls run here, not in asyncio's default executor, whose shutdown at the end of a case would wait out a
# poll still parked on the server (up to its 60 s).
_POLLS = ThreadPoolExecutor(4, thread_name_prefix="activity-poll")


class Endpoint:
    """boto3 clients of the server, in any account, and its admin API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, account: str = ACCOUNT) -> Any:
        """A client whose access key id is ``account``: the server (like moto) acts in that account."""
        key = (service, account)
        if key not in self._clients:
            client = self._clients[key] = boto3.session.Session().client(
                service, endpoint_url=self.url, region_name=REGION, aws_access_key_id=account,
                aws_secret_access_key="test",
                config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=120))
            client.meta.events.register("before-sign", functools.partial(_in_account, account))
        return self._clients[key]

    def admin(self, path: str, body: Any = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")


def _in_account(account: str, request: Any, **_: Any) -> None:
    """moto's way to name the account of a call (the server's Step Functions reads it too)."""
    request.headers["x-moto-account-id"] = account


class HttpTarget:
    """A case's resources made through the endpoint; ``cleanup`` deletes what is not moto's."""

    def __init__(self, endpoint: Endpoint, role_arn: str) -> None:
        self.endpoint = endpoint
        self.role_arn = role_arn
        self.functions: list[str] = []
        self.state_machines: list[tuple[str, str]] = []
        self.activities: list[str] = []

    def reset(self) -> None:
        self.endpoint.admin("/moto-api/reset", {})
        self.client("iam").create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))

    def client(self, service: str) -> Any:
        return self.endpoint.client(service)

    def add_function(self, name: str, code: Path) -> None:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for path in sorted(code.rglob("*.py")):
                zipped.write(path, path.relative_to(code).as_posix())
        self.client("lambda").create_function(
            FunctionName=name, Runtime="python3.12", Handler="handler.handler", Code={"ZipFile": archive.getvalue()},
            Role=f"arn:aws:iam::{ACCOUNT}:role/{LAMBDA_ROLE}", Timeout=900)
        self.functions.append(name)

    def add_state_machine(self, aux: dict, region: str, account: str) -> None:
        arn = self.endpoint.client("stepfunctions", account).create_state_machine(
            name=aux["name"], definition=aux["definition"], roleArn=self.role_arn,
            type=aux.get("type") or "STANDARD")["stateMachineArn"]
        self.state_machines.append((arn, account))

    def add_activity(self, name: str) -> None:
        self.activities.append(self.client("stepfunctions").create_activity(name=name)["activityArn"])

    def cleanup(self) -> None:
        for name in self.functions:
            self.client("lambda").delete_function(FunctionName=name)
        for arn, account in self.state_machines:
            self.endpoint.client("stepfunctions", account).delete_state_machine(stateMachineArn=arn)
        for arn in self.activities:
            self.client("stepfunctions").delete_activity(activityArn=arn)


class CoSimulation:
    """One clock for the server's executions and the recorded client: time moves only when neither can act.

    Each step lets the client act on what is due, asks the server to let its executions run until they all
    wait (``GET /_asl/clock?settle=true``), then advances the server to whichever timer comes first, its
    executions' or the client's (``sleep``). The client's time is the server's.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._wakes: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()
        self.threads = 0  # client calls in flight in threads (an activity long poll)
        self._sync(endpoint.admin("/_asl/clock")["epoch"])

    def _sync(self, epoch: float) -> None:
        self._epoch, self._at = epoch, time.monotonic()

    def now(self) -> float:
        return self._epoch + (time.monotonic() - self._at)  # the server's time runs at real speed between steps

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._wakes, (self.now() + seconds, next(self._order), future))
        await future

    def _wake_due(self) -> bool:
        woke = False
        while self._wakes and self._wakes[0][0] <= self.now():
            _, _, future = heapq.heappop(self._wakes)
            if not future.done():
                future.set_result(None)
                woke = True
        return woke

    async def run(self, finished: Callable[[], bool], run_for: float) -> None:
        """Step until ``finished()``, or until the next timer lies more than ``run_for`` seconds ahead."""
        end = self.now() + run_for
        patience = time.monotonic() + STUCK_PATIENCE
        while not finished():
            for _ in range(3):
                await asyncio.sleep(0)  # the client acts on what its last wake or call let it do
            state = self.endpoint.admin("/_asl/clock?settle=true")
            self._sync(state["epoch"])
            if self._wake_due():
                continue
            if self.threads:  # an answer may be on its way to the client: let it act on it first
                await asyncio.sleep(0.02)
            timers = [t for t in (state["nextTimer"], self._wakes[0][0] if self._wakes else None) if t is not None]
            if not state["settled"] or (not timers and self.threads):
                if time.monotonic() > patience:
                    return
                await asyncio.sleep(0.005)
                continue
            if not timers or min(timers) > end:
                return  # nothing will ever happen, or not within run_for (a case recorded still RUNNING)
            self._sync(self.endpoint.admin("/_asl/clock/advance", {"until": min(timers)})["epoch"])
            self._wake_due()
            patience = time.monotonic() + STUCK_PATIENCE


class HttpClient(interactions.CaseClient):
    """The recorded client over the endpoint: SQS from its moto, callbacks and activities from its API."""

    def __init__(self, case: dict, endpoint: Endpoint, simulation: CoSimulation) -> None:
        super().__init__(case)
        self.sfn = endpoint.client("stepfunctions")
        self._sqs = endpoint.client("sqs")
        self.simulation = simulation
        self.callbacks = _Callbacks(self.sfn)

    def sqs(self) -> Any:
        return self._sqs

    async def sleep(self, seconds: float) -> None:
        await self.simulation.sleep(seconds)

    async def poll_activity(self, arn: str, worker_name: str | None) -> dict | None:
        params = {"activityArn": arn} | ({"workerName": worker_name} if worker_name else {})
        self.simulation.threads += 1
        try:
            task = await asyncio.get_running_loop().run_in_executor(
                _POLLS, lambda: self.sfn.get_activity_task(**params))
        finally:
            self.simulation.threads -= 1
        return task if task.get("taskToken") else None


class _Callbacks:
    """SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, with the engine API's signatures."""

    def __init__(self, sfn: Any) -> None:
        self.sfn = sfn

    def send_success(self, token: str, output: str) -> None:
        self.sfn.send_task_success(taskToken=token, output=output)

    def send_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        params = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        self.sfn.send_task_failure(taskToken=token, **params)

    def send_heartbeat(self, token: str) -> None:
        self.sfn.send_task_heartbeat(taskToken=token)


class HttpBackend:
    """``run_case`` for the shared runner's ``evaluate``, against the server at ``url``."""

    name = "asl serve (HTTP)"

    def __init__(self, url: str) -> None:
        self.endpoint = Endpoint(url)

    def run_case(self, case: dict, timeout: float) -> dict[str, Any]:
        names = case_names(case, REGION)
        sm_name, exec_name, role_arn = names["state_machine_name"], names["execution_name"], names["role_arn"]
        sm_info, execution = case.get("state_machine") or {}, case.get("execution") or {}
        obs: dict[str, Any] = {"names": names, "history": None}
        target = HttpTarget(self.endpoint, role_arn)
        sfn = self.endpoint.client("stepfunctions")
        try:
            provision(case, target, REGION, ACCOUNT)
            if case.get("mock_config"):
                self.endpoint.admin("/_asl/mock-config", case["mock_config"])
            try:
                sm_arn = sfn.create_state_machine(name=sm_name, definition=case["definition"], roleArn=role_arn,
                                                  type=sm_info.get("type") or "STANDARD")["stateMachineArn"]
            except sfn.exceptions.InvalidDefinition as e:
                obs["api_error"] = f"create_state_machine: InvalidDefinition: {e.response['Error']['Message']}"
                return obs
            target.state_machines.append((sm_arn, ACCOUNT))
            start_arn = sm_arn + (f"#{execution['mock_test_case']}" if case.get("mock_config") else "")
            describe = asyncio.run(self._execute(case, sfn, start_arn, exec_name, timeout))
            names["execution_arn"] = describe["executionArn"]
            obs["describe"] = {k: v for k, v in describe.items() if k != "ResponseMetadata"}
            obs.update({k: describe.get(k) for k in ("status", "output", "error", "cause")})
            if execution.get("api") != "start_sync_execution":
                obs["history"] = self._history(sfn, describe["executionArn"])
                if describe["status"] == "RUNNING":
                    sfn.stop_execution(executionArn=describe["executionArn"])
            return obs
        finally:
            target.cleanup()

    async def _execute(self, case: dict, sfn: Any, arn: str, name: str, timeout: float) -> dict:
        """Start the execution and co-simulate it (with its recorded client) to its end or ``timeout``."""
        simulation = CoSimulation(self.endpoint)
        drive = interactions.driver_for(case) if case.get("interactive") else None
        client = asyncio.ensure_future(drive(HttpClient(case, self.endpoint, simulation))) if drive else None
        answer: dict = {}
        if (case.get("execution") or {}).get("api") == "start_sync_execution":
            done = threading.Event()

            def call() -> None:
                try:
                    answer.update(sfn.start_sync_execution(stateMachineArn=arn, input=case.get("input") or "{}",
                                                           name=name))
                finally:
                    done.set()

            worker = threading.Thread(target=call, daemon=True)
            worker.start()
            await simulation.run(done.is_set, timeout)
            worker.join(STUCK_PATIENCE)
        else:
            execution_arn = sfn.start_execution(stateMachineArn=arn, input=case.get("input") or "{}",
                                                name=name)["executionArn"]

            def finished() -> bool:
                answer.update(sfn.describe_execution(executionArn=execution_arn))
                return answer["status"] in TERMINAL

            await simulation.run(finished, timeout)
            answer.update(sfn.describe_execution(executionArn=execution_arn))
        if client is not None:
            if client.done():
                client.result()  # a client that crashed says why
            client.cancel()
        return answer

    @staticmethod
    def _history(sfn: Any, arn: str) -> list[dict]:
        events: list[dict] = []
        token = None
        while True:
            page = sfn.get_execution_history(executionArn=arn, maxResults=1000,
                                             **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events
