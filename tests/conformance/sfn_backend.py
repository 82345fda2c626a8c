"""An in-process backend for ``../shared/conformance/tools/sfn_conformance.py``.

The runner calls ``factory(region=..., endpoint_url=...)`` and then
``run_case(case, timeout)``; we answer with the observation it expects
(DescribeExecution fields plus GetExecutionHistory events), running the
execution on a virtual clock so recorded Waits cost no time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moto.moto_api._internal.models import moto_api_backend

from asl_engine import InvalidDefinition, Resources, StateMachine, VirtualClock
from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.lambda_.handlers import load_handler
from asl_engine.integrations.lambda_.providers import LocalFunction
from asl_engine.integrations.mocks import MockConfig, Mocks
from asl_engine.runtime.services import Services
from tests.conformance import interactions
from tests.conformance.provision import provision

ACCOUNT = "111111111111"
# Recorded TimestampPath inputs are relative to the recording's "now": start the virtual clock at ours. AWS's
# dates carry milliseconds, and a response body holding one (StartExecution's startDate, as 1.762432523513E9)
# is as long as its digits: a fixed millisecond without a trailing zero keeps such Content-Lengths AWS's usual
# length, the same in every run.
START = datetime.now(UTC).replace(microsecond=513_000)


def case_names(case: dict, region: str) -> dict[str, str]:
    """The names a case runs under, as the runner's normalizer reads them from an observation."""
    execution = case.get("execution") or {}
    return {"state_machine_name": (case.get("state_machine") or {}).get("name") or "statemachine",
            "execution_name": execution.get("name") or execution.get("recorded_name") or "execution",
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/sfn-conformance-role", "account": ACCOUNT, "region": region}


class InProcessBackend:
    name = "asl-engine (in-process)"

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.clients = ClientFactory(region=region, account=ACCOUNT)  # moto, as the recorded account

    def run_case(self, case: dict, timeout: float) -> dict[str, Any]:
        names = case_names(case, self.region)
        sm_name, exec_name, role_arn = names["state_machine_name"], names["execution_name"], names["role_arn"]
        sm_info, execution = case.get("state_machine") or {}, case.get("execution") or {}
        obs: dict[str, Any] = {"names": names, "history": None}
        try:
            sm = StateMachine(case["definition"], name=sm_name, type=sm_info.get("type") or "STANDARD",
                              region=self.region, account=ACCOUNT, role_arn=role_arn)
        except InvalidDefinition as e:
            obs["api_error"] = f"create_state_machine: InvalidDefinition: {e}"
            return obs
        # interactive cases: interactions.run plays the recorded client (callbacks, activity workers) beside
        # the execution, and is plain sm.run for the others (owner of interactions.py: callbacks/activities)
        resources = self.resources(case)
        provision(case, InProcessTarget(resources, self.region, ACCOUNT, role_arn), self.region, ACCOUNT)
        result = interactions.run(sm, case, resources, case.get("input") or "{}", name=exec_name,
                                  clock=VirtualClock(START), services=Services(seed=0), run_for=timeout)
        names["execution_arn"] = result.execution_arn
        describe = {"executionArn": result.execution_arn, "stateMachineArn": sm.arn, "name": result.name,
                    "status": result.status, "startDate": result.start_date, "stopDate": result.stop_date,
                    "input": json.dumps(result.input), "inputDetails": {"included": True}}
        if result.status == "SUCCEEDED":
            describe["output"] = result.output_json
            describe["outputDetails"] = {"included": True}
        for key in ("error", "cause"):
            if getattr(result, key) is not None:
                describe[key] = getattr(result, key)
        obs["describe"] = describe
        obs.update(status=result.status, output=describe.get("output"), error=result.error, cause=result.cause)
        if execution.get("api") != "start_sync_execution":
            obs["history"] = result.history
        return obs

    def resources(self, case: dict) -> Resources:
        """The run's resource layer; a case recorded with a MockConfigFile answers its Task states from it."""
        config = case.get("mock_config")
        mocks = Mocks(MockConfig(config), case["execution"]["mock_test_case"]) if config else None
        return Resources(mocks=mocks, clients=self.clients)


class InProcessTarget:
    """A case's resources in the engine's registries and the process's moto."""

    def __init__(self, resources: Resources, region: str, account: str, role_arn: str) -> None:
        self.resources, self.region, self.role_arn = resources, region, role_arn
        resources.activities.region, resources.activities.account = region, account

    def reset(self) -> None:
        moto_api_backend.reset()

    def client(self, service: str) -> Any:
        return self.resources.clients.client(service, self.region)

    def add_function(self, name: str, code: Path) -> None:
        self.resources.functions.add(LocalFunction(name, load_handler(f"{code / 'handler.py'}:handler"), code))

    def add_state_machine(self, aux: dict, region: str, account: str) -> None:
        self.resources.state_machines.add(StateMachine(aux["definition"], name=aux["name"],
                                                       type=aux.get("type") or "STANDARD", region=region,
                                                       account=account, role_arn=self.role_arn))

    def add_activity(self, name: str) -> None:
        self.resources.activities.create_activity(name)


def factory(region: str = "us-east-1", endpoint_url: str | None = None) -> InProcessBackend:
    return InProcessBackend(region)
