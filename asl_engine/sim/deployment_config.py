"""UpdateEndpoint / CreateEndpoint ``DeploymentConfig``: refused as SageMaker refuses it, or planned into steps.

Validation runs in two passes, as the service does: the model's constraints
(ranges, enums, required members; see ``constraints``), then the rules of
deployment guardrails that depend on the green fleet: a canary is at most
half of its capacity, a linear step between 10 % and 50 %, a rolling batch
between 5 % and 50 %, and the deployment's time budget larger than its waits.
Both refusals are SageMaker's ``ValidationException`` (HTTP 400).

Where the second pass's rules and words come from (checked 2026-11): no
recording of the live API's text for these refusals was found (GitHub issues,
AWS docs, RESEARCH.md §4.1), so each message states the documented rule in
the words of its source, and says which source in a comment:
- botocore ``sagemaker/2017-07-24`` shape docs: ``TrafficRoutingConfig.CanarySize`` ("less than or equal to
  50% of the variant's total instance count"), ``.LinearStepSize`` ("10-50%"), ``RollingUpdatePolicy.
  MaximumBatchSize`` ("between 5% to 50%"), ``BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds``
  ("should be larger than the total waiting time"), ``DeploymentConfig.BlueGreenUpdatePolicy`` ("Only one
  update policy should be used"); the same sentences are in the API reference and CloudFormation pages;
- the SageMaker guide, deployment-guardrails-blue-green-canary ("the canary size should be less than or
  equal to 50% of the new fleet's capacity").

Planning turns a valid config into the traffic steps the controller
executes: the number of green instances taking traffic after each shift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from asl_engine.sim.constraints import violations

DEFAULT = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE",
                                                                     "WaitIntervalInSeconds": 0}}}


class InvalidDeploymentConfig(ValueError):
    """SageMaker's ValidationException message for a DeploymentConfig it refuses."""


@dataclass(frozen=True, slots=True)
class Plan:
    mode: str  # ALL_AT_ONCE | CANARY | LINEAR | ROLLING
    steps: tuple[int, ...]  # green instances taking traffic after each shift; the last is the whole fleet
    wait: int  # WaitIntervalInSeconds: baking period after each shift
    termination_wait: int  # TerminationWaitInSeconds: final baking before blue is terminated
    timeout: int | None  # MaximumExecutionTimeoutInSeconds
    alarms: tuple[str, ...]  # AutoRollbackConfiguration alarm names
    rollback_batch: int | None = None  # RollingUpdatePolicy.RollbackMaximumBatchSize, in instances

    @property
    def label(self) -> str:
        return {"CANARY": "canary", "LINEAR": "linear", "ROLLING": "rolling"}.get(self.mode, "full")

    def bake_after(self, step: int) -> int:
        """Seconds of baking (WaitIntervalInSeconds) after shift ``step``: every shift bakes, except that the
        last shift of a canary or linear deployment goes straight to the final TerminationWaitInSeconds bake."""
        last = step == len(self.steps) - 1
        return 0 if last and self.mode in ("CANARY", "LINEAR") else self.wait

    @property
    def total_wait(self) -> int:
        return sum(self.bake_after(i) for i in range(len(self.steps))) + self.termination_wait


def _instances(size: dict[str, Any], total: int) -> int:
    if size["Type"] == "INSTANCE_COUNT":
        return int(size["Value"])
    return max(1, math.floor(total * size["Value"] / 100))


def _fraction(size: dict[str, Any], total: int) -> float:
    return size["Value"] / 100 if size["Type"] == "CAPACITY_PERCENT" else size["Value"] / total


def validate(config: dict[str, Any], green_instances: int, *, path: str = "deploymentConfig") -> None:
    """Raises InvalidDeploymentConfig with SageMaker's message when ``config`` is refused."""
    message = violations("sagemaker", "DeploymentConfig", config, path)
    if message:
        raise InvalidDeploymentConfig(message)
    blue_green, rolling = config.get("BlueGreenUpdatePolicy"), config.get("RollingUpdatePolicy")
    if blue_green and rolling:  # wording: the botocore doc of DeploymentConfig.BlueGreenUpdatePolicy
        raise InvalidDeploymentConfig("Only one update policy can be specified in the DeploymentConfig: "
                                      "BlueGreenUpdatePolicy or RollingUpdatePolicy.")
    if blue_green:
        routing = blue_green["TrafficRoutingConfiguration"]
        kind = routing["Type"]
        if kind == "CANARY":
            size = routing.get("CanarySize")
            if size is None:  # undocumented (the model has CanarySize optional): a canary without a size is refused
                raise InvalidDeploymentConfig("CanarySize must be specified when TrafficRoutingConfiguration "
                                              "Type is CANARY.")
            if _fraction(size, green_instances) > 0.5:  # wording: the guide's canary page
                raise InvalidDeploymentConfig("CanarySize must be less than or equal to 50% of the new fleet's "
                                              f"capacity ({green_instances} instance(s)).")
        if kind == "LINEAR":
            size = routing.get("LinearStepSize")
            if size is None:  # undocumented, as for CanarySize
                raise InvalidDeploymentConfig("LinearStepSize must be specified when TrafficRoutingConfiguration "
                                              "Type is LINEAR.")
            if not 0.1 <= _fraction(size, green_instances) <= 0.5:  # rule: botocore's LinearStepSize doc
                raise InvalidDeploymentConfig("LinearStepSize must be between 10% and 50% of the new fleet's "
                                              f"capacity ({green_instances} instance(s)).")
    # rule and wording: botocore's RollingUpdatePolicy.MaximumBatchSize doc (5 % is the lower bound too)
    if rolling and not 0.05 <= _fraction(rolling["MaximumBatchSize"], green_instances) <= 0.5:
        raise InvalidDeploymentConfig("MaximumBatchSize must be between 5% and 50% of the variant's total instance "
                                      f"count ({green_instances} instance(s)).")
    planned = plan(config, green_instances)
    # rule: botocore's MaximumExecutionTimeoutInSeconds doc; the total counts the waits the plan bakes
    if planned.timeout is not None and planned.timeout <= planned.total_wait:
        raise InvalidDeploymentConfig(f"MaximumExecutionTimeoutInSeconds ({planned.timeout}) must be larger than the "
                                      f"total waiting time of the deployment ({planned.total_wait} seconds).")


def _steps(config: dict[str, Any], total: int) -> tuple[int, ...]:
    if "RollingUpdatePolicy" in config:
        step = _instances(config["RollingUpdatePolicy"]["MaximumBatchSize"], total)
    else:
        routing = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
        if routing["Type"] == "ALL_AT_ONCE":
            return (total,)
        if routing["Type"] == "CANARY":
            return (_instances(routing["CanarySize"], total), total)
        step = _instances(routing["LinearStepSize"], total)
    return tuple(min(n, total) for n in range(step, total + step, step))


def plan(config: dict[str, Any], green_instances: int) -> Plan:
    """The steps of a validated config for a green fleet of ``green_instances``."""
    alarms = tuple(a["AlarmName"] for a in (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or [])
    steps = _steps(config, green_instances)
    if "RollingUpdatePolicy" in config:
        rolling = config["RollingUpdatePolicy"]
        rollback = rolling.get("RollbackMaximumBatchSize")
        return Plan("ROLLING", steps, rolling["WaitIntervalInSeconds"], 0,
                    rolling.get("MaximumExecutionTimeoutInSeconds"), alarms,
                    _instances(rollback, green_instances) if rollback else None)
    blue_green = config["BlueGreenUpdatePolicy"]
    routing = blue_green["TrafficRoutingConfiguration"]
    return Plan(routing["Type"], steps, routing["WaitIntervalInSeconds"], blue_green.get("TerminationWaitInSeconds", 0),
                blue_green.get("MaximumExecutionTimeoutInSeconds"), alarms)
