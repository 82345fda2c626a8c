"""The README's main job: drift measured -> alarm -> retraining -> approval -> guarded canary deployment.

The drift is a FeatureDrift datapoint put in CloudWatch: the template's
drift alarm evaluates it and its state change reaches the bus, as on AWS.

``canary``: the candidate beats production, the reviewer approves it in the
model registry, and the canary takes 25 % of the traffic, bakes, then takes
it all.  ``rollback``: the same, but the endpoint's 5xx alarm goes into
ALARM two minutes into the canary; SageMaker rolls the traffic back and the
retraining ends with the failure notification.  Both run on a VirtualClock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from asl_engine.local.report import Progress, states_table, traffic_chart
from asl_engine.local.stack import LocalStack
from asl_engine.local.world import WorldSettings
from asl_engine.runtime.clock import VirtualClock
from asl_engine.sam.application import Application

START = datetime(2026, 11, 27, 0, 55, tzinfo=UTC)
SCENARIOS = {
    "canary": (WorldSettings(), "SUCCEEDED", "DEPLOYED"),
    "rollback": (WorldSettings(alarm_after_canary=120.0), "FAILED", "ROLLED_BACK"),
}


@dataclass(frozen=True)
class Outcome:
    scenario: str
    retraining: str  # the retraining execution's status
    deployment: str  # DEPLOYED / ROLLED_BACK / ... from the endpoint-update execution
    endpoint_config: str  # what the endpoint serves at the end

    @property
    def as_designed(self) -> bool:
        _, retraining, deployment = SCENARIOS[self.scenario]
        return (self.retraining, self.deployment) == (retraining, deployment)


def measure_drift(stack: LocalStack, value: float) -> None:
    """The model monitor's FeatureDrift measurement, put on the metric the template's drift alarm watches."""
    [alarm] = stack.client("cloudwatch").describe_alarms(AlarmNames=[str(stack.app.ref("DriftAlarm"))])["MetricAlarms"]
    stack.client("cloudwatch").put_metric_data(Namespace=alarm["Namespace"], MetricData=[{
        "MetricName": alarm["MetricName"], "Dimensions": alarm["Dimensions"], "Value": value,
        "Timestamp": stack.clock.now()}])


def run_scenario(name: str, app: Application, out: TextIO, function_log: Path | None = None) -> Outcome:
    settings, _, _ = SCENARIOS[name]
    clock = VirtualClock(START)
    stack = LocalStack(app, clock=clock, world=settings)
    endpoint = str(app.ref("EndpointName"))

    async def scenario(stack: LocalStack) -> Outcome:
        stack.timeline.subscribe(Progress(START, out))
        await stack.idle(300)  # the production endpoint comes up
        print(f"--- feature drift 0.31 measured at {clock.now():%H:%M:%S} (the drift alarm's threshold is 0.2)",
              file=out, flush=True)
        measure_drift(stack, 0.31)
        [retraining] = await stack.finished("RetrainingStateMachine")
        [update] = await stack.finished("EndpointUpdateStateMachine")
        await stack.idle(60)  # the last deployment events reach the notifier
        result = update.result
        deployment = result.output["status"] if result.status == "SUCCEEDED" else (
            "ROLLED_BACK" if result.error == "DeploymentRolledBack" else result.error or result.status)
        config = stack.client("sagemaker").describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        return Outcome(name, retraining.result.status, deployment, config)

    outcome = stack.run(scenario)
    if function_log is not None:
        function_log.write_text(stack.function_output.getvalue())
    print(f"\n=== timeline: {name}\n{traffic_chart(stack.timeline, endpoint, START)}\n", file=out)
    print(states_table(stack.timeline, START), file=out)
    verdict = "as designed" if outcome.as_designed else "NOT as designed"
    print(f"\n=== {name}: retraining {outcome.retraining}, deployment {outcome.deployment}, endpoint serves "
          f"{outcome.endpoint_config} ({verdict})\n", file=out, flush=True)
    return outcome
