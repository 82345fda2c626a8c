"""An in-process backend for ``../shared/conformance/tools/sfn_conformance.py``.

The runner calls ``factory(region=..., endpoint_url=...)`` and then
``run_case(case, timeout)``; we answer with the observation it expects
(DescribeExecution fields plus GetExecutionHistory events), running the
execution on a virtual clock so recorded Waits cost no time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from asl_engine import InvalidDefinition, Resources, StateMachine, VirtualClock
from asl_engine.integrations.mocks import MockConfig, Mocks
from asl_engine.runtime.services import Services

ACCOUNT = "111111111111"
# Recorded TimestampPath inputs are relative to the recording's "now": start the virtual clock at ours.
START = datetime.now(UTC).replace(microsecond=0)


class InProcessBackend:
    name = "asl-engine (in-process)"

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region

    def run_case(self, case: dict, timeout: float) -> dict[str, Any]:
        sm_info = case.get("state_machine") or {}
        execution = case.get("execution") or {}
        sm_name = sm_info.get("name") or "statemachine"
        exec_name = execution.get("name") or execution.get("recorded_name") or "execution"
        role_arn = f"arn:aws:iam::{ACCOUNT}:role/sfn-conformance-role"
        names = {"state_machine_name": sm_name, "execution_name": exec_name, "role_arn": role_arn,
                 "account": ACCOUNT, "region": self.region}
        obs: dict[str, Any] = {"names": names, "history": None}
        try:
            sm = StateMachine(case["definition"], name=sm_name, type=sm_info.get("type") or "STANDARD",
                              region=self.region, account=ACCOUNT, role_arn=role_arn)
        except InvalidDefinition as e:
            obs["api_error"] = f"create_state_machine: InvalidDefinition: {e}"
            return obs
        result = sm.run(case.get("input") or "{}", name=exec_name, clock=VirtualClock(START),
                        resources=self.resources(case), services=Services(seed=0), run_for=timeout)
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
        return Resources(mocks=mocks)


def factory(region: str = "us-east-1", endpoint_url: str | None = None) -> InProcessBackend:
    return InProcessBackend(region)
