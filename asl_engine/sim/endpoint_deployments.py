"""SageMaker endpoints that deploy like AWS's: creation takes time, updates shift traffic blue → green.

CreateEndpoint leaves the endpoint ``Creating`` while its fleet launches.
UpdateEndpoint (absent from moto) runs a deployment-guardrails deployment on
the clock:

1. ``Updating``: the green fleet of the new endpoint config launches
   (PendingDeploymentSummary variants ``Creating``);
2. traffic shifts in the plan's steps (ALL_AT_ONCE, CANARY, LINEAR, or the
   batches of a RollingUpdatePolicy): each shift is ``ActivatingTraffic``,
   then ``Baking`` for WaitIntervalInSeconds, and the last one bakes for
   TerminationWaitInSeconds;
3. the blue fleet terminates (its variants ``Deleting``) and the endpoint is
   ``InService`` on the new config, with LastDeploymentConfig.

During every baking period the AutoRollbackConfiguration alarms are read
from moto's CloudWatch (``set_alarm_state`` drives them); an alarm in ALARM,
an injected fleet failure or MaximumExecutionTimeoutInSeconds running out
returns all traffic to blue: ``RollingBack``, then ``InService`` on the old
config with the cause in FailureReason (``UpdateRollbackFailed`` when the
rollback itself is made to fail).  Every phase emits a "SageMaker Endpoint
Deployment State Change" event and every status change a "SageMaker Endpoint
State Change" event, each with DescribeEndpoint's view as detail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asl_engine.sim.agenda import Scheduled
from asl_engine.sim.context import SimContext
from asl_engine.sim.deployment_config import DEFAULT, InvalidDeploymentConfig, Plan, plan, validate

Param = Callable[[str], Any]


def _instances(variants: list[dict[str, Any]]) -> int:
    return sum(int(v.get("InitialInstanceCount") or 1) for v in variants)


def _event_status(status: str) -> str:
    """EventBridge detail spells statuses IN_SERVICE where the API says InService."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", status).upper()


@dataclass
class _Deployment:
    endpoint: str
    config_name: str
    green: list[dict[str, Any]]
    shadow: list[dict[str, Any]]
    plan: Plan
    deployment_config: dict[str, Any] | None
    active: int = 0  # green instances taking traffic
    handles: list[Scheduled] = field(default_factory=list)

    @property
    def total(self) -> int:
        return _instances(self.green)


class EndpointDeployments:
    def __init__(self, ctx: SimContext) -> None:
        self._ctx = ctx
        self._deployments: dict[str, _Deployment] = {}

    @property
    def _backend(self) -> Any:
        return self._ctx.backend("sagemaker")

    # -- requests -----------------------------------------------------------------------------------------

    def check_create(self, param: Param) -> None:
        """Before moto's CreateEndpoint: refuse an invalid DeploymentConfig (an unknown config is moto's error)."""
        config = param("DeploymentConfig")
        stored = self._backend.endpoint_configs.get(param("EndpointConfigName"))
        if config and stored is not None:
            self._validated(config, _instances(stored.production_variants))

    def created(self, param: Param) -> None:
        """After moto's CreateEndpoint: the endpoint is Creating until its fleet has launched."""
        endpoint = self._backend.endpoints[param("EndpointName")]
        stored = self._backend.endpoint_configs[param("EndpointConfigName")]
        endpoint.creation_time = endpoint.last_modified_time = self._ctx.moto_now()
        endpoint.last_deployment_config = param("DeploymentConfig")
        endpoint.shadow_production_variants = self._summaries(getattr(stored, "shadow_production_variants", None))
        launching = self._variant_status("Creating", f"Launching {_instances(stored.production_variants)} "
                                                     "instance(s).")
        endpoint.production_variants = [{**v, "VariantStatus": launching} for v in endpoint.production_variants]
        self._set_status(endpoint, "Creating", deployment=False)

        def launched() -> None:
            endpoint.production_variants = [{k: v for k, v in pv.items() if k != "VariantStatus"}
                                            for pv in endpoint.production_variants]
            self._set_status(endpoint, "InService", deployment=False)

        self._later(endpoint.endpoint_name, self._ctx.durations.endpoint_provisioning, launched)

    def keep_shadow_variants(self, param: Param) -> None:
        """After moto's CreateEndpointConfig, which drops ShadowProductionVariants: keep them on the config."""
        shadow = param("ShadowProductionVariants")
        if shadow:
            self._backend.endpoint_configs[param("EndpointConfigName")].shadow_production_variants = shadow

    def update(self, param: Param) -> dict[str, Any]:
        """UpdateEndpoint: validate, then start the deployment; answers like the API ({"EndpointArn": ...})."""
        from moto.sagemaker.exceptions import ValidationError

        name = param("EndpointName")
        self._backend.describe_endpoint(name)  # moto's "Could not find endpoint" error
        endpoint = self._backend.endpoints[name]
        if endpoint.endpoint_status != "InService":
            raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
        stored = self._backend.describe_endpoint_config(param("EndpointConfigName"))
        green = stored["ProductionVariants"]
        config = param("DeploymentConfig") or (
            getattr(endpoint, "last_deployment_config", None) if param("RetainDeploymentConfig") else None)
        planned = self._validated(config or DEFAULT, _instances(green))
        deployment = _Deployment(name, param("EndpointConfigName"), green,
                                 stored.get("ShadowProductionVariants") or [], planned, config)
        self._deployments[name] = deployment
        self._start(deployment)
        return {"EndpointArn": endpoint.arn}

    def _validated(self, config: dict[str, Any], green_instances: int) -> Plan:
        from moto.sagemaker.exceptions import ValidationError

        try:
            validate(config, green_instances)
        except InvalidDeploymentConfig as e:
            raise ValidationError(message=str(e)) from None
        return plan(config, green_instances)

    # -- the deployment -----------------------------------------------------------------------------------

    def _later(self, endpoint: str, seconds: float, action: Callable[[], None]) -> Scheduled:
        """Schedules ``action`` for an endpoint; it is dropped if the endpoint was deleted meanwhile."""
        def run() -> None:
            if endpoint in self._backend.endpoints:
                action()
            elif endpoint in self._deployments:
                self._end(self._deployments[endpoint])

        return self._ctx.agenda.after(seconds, run)

    def _after(self, d: _Deployment, seconds: float, action: Callable[[], None]) -> None:
        """A step of deployment ``d``: cancelled together when it completes or rolls back."""
        d.handles.append(self._later(d.endpoint, seconds, action))

    def _start(self, d: _Deployment) -> None:
        endpoint = self._backend.endpoints[d.endpoint]
        if d.deployment_config is not None:
            endpoint.last_deployment_config = d.deployment_config
        endpoint.pending_deployment_summary = {"EndpointConfigName": d.config_name,
                                               "StartTime": self._ctx.moto_now(),
                                               "ProductionVariants": self._green_summaries(d, launched=False)}
        if d.shadow:
            endpoint.pending_deployment_summary["ShadowProductionVariants"] = self._summaries(d.shadow)
        self._green_status(d, "Creating", f"Launching {d.total} instance(s).", event=False)
        self._set_status(endpoint, "Updating")
        self._record_traffic(d, "blue")
        if d.plan.timeout is not None:
            self._after(d, d.plan.timeout, lambda: self._rollback(
                d, f"Deployment exceeded MaximumExecutionTimeoutInSeconds ({d.plan.timeout} seconds)."))
        self._after(d, self._ctx.durations.endpoint_provisioning, lambda: self._launched(d))

    def _launched(self, d: _Deployment) -> None:
        reason = self._ctx.failures.reason_for("EndpointDeployment", d.endpoint)
        if reason is not None:
            self._rollback(d, reason)
            return
        self._backend.endpoints[d.endpoint].pending_deployment_summary["ProductionVariants"] = (
            self._green_summaries(d, launched=True))
        self._shift(d, 0)

    def _shift(self, d: _Deployment, step: int) -> None:
        d.active = d.plan.steps[step]
        last = step == len(d.plan.steps) - 1
        label = "full" if last else d.plan.label
        self._green_status(d, "ActivatingTraffic", f"Activating traffic on {label} capacity of {d.active} instance(s).")
        self._record_traffic(d, label)
        then = (lambda: self._shift(d, step + 1)) if not last else (lambda: self._final_bake(d))
        self._bake(d, d.plan.bake_after(step), "WaitIntervalInSeconds", label, then)

    def _final_bake(self, d: _Deployment) -> None:
        self._bake(d, d.plan.termination_wait, "TerminationWaitInSeconds", "full", lambda: self._terminate_blue(d))

    def _bake(self, d: _Deployment, seconds: int, which: str, label: str, then: Callable[[], None]) -> None:
        if seconds <= 0:
            then()
            return
        self._green_status(d, "Baking", f"Baking for {seconds} seconds ({which}) with traffic enabled on {label} "
                                        f"capacity of {d.active} instance(s).")
        ends = self._ctx.now.timestamp() + seconds

        def check() -> None:
            alarm = self._alarm_firing(d)
            if alarm is not None:
                self._rollback(d, f"Alarm {alarm} is in ALARM state; rolling back to the previous fleet.")
                return
            remaining = ends - self._ctx.now.timestamp()
            if remaining <= 0:
                then()
            else:
                self._after(d, min(self._ctx.durations.alarm_poll, remaining), check)

        check()

    def _alarm_firing(self, d: _Deployment) -> str | None:
        if not d.plan.alarms:
            return None
        alarms = self._ctx.backend("cloudwatch").alarms
        return next((name for name in d.plan.alarms if name in alarms and alarms[name].state_value == "ALARM"), None)

    def _terminate_blue(self, d: _Deployment) -> None:
        endpoint = self._backend.endpoints[d.endpoint]
        blue = sum(int(v.get("CurrentInstanceCount") or 1) for v in endpoint.production_variants)
        deleting = self._variant_status("Deleting", f"Terminating {blue} instance(s).")
        endpoint.production_variants = [{**v, "VariantStatus": deleting} for v in endpoint.production_variants]
        self._ctx.timeline.status(self._ctx.now, f"endpoint/{d.endpoint}", "Deleting",
                                  reason=f"Terminating {blue} instance(s) of the previous fleet.")
        self._deployment_event(endpoint)
        self._after(d, self._ctx.durations.endpoint_termination, lambda: self._complete(d))

    def _complete(self, d: _Deployment) -> None:
        self._end(d)
        self._record_traffic(d, "complete", green=1.0)
        endpoint = self._backend.endpoints[d.endpoint]
        endpoint.endpoint_config_name = d.config_name
        endpoint.production_variants = self._summaries(d.green)
        endpoint.shadow_production_variants = self._summaries(d.shadow)
        endpoint.pending_deployment_summary = None
        endpoint.failure_reason = None
        self._set_status(endpoint, "InService")

    def _rollback(self, d: _Deployment, reason: str) -> None:
        """All traffic back to the previous fleet: at once for blue/green, in batches of
        RollbackMaximumBatchSize for a rolling update."""
        self._end(d)
        batch = d.plan.rollback_batch if d.plan.mode == "ROLLING" and d.plan.rollback_batch else d.total
        self._roll_back(d, batch, reason)
        self._set_status(self._backend.endpoints[d.endpoint], "RollingBack", reason)

    def _roll_back(self, d: _Deployment, batch: int, reason: str) -> None:
        d.active = max(d.active - batch, 0)
        self._green_status(d, "Deleting", f"Terminating {batch} instance(s).", event=False)
        self._record_traffic(d, "rollback")
        if d.active:
            self._later(d.endpoint, self._ctx.durations.endpoint_rollback, lambda: self._roll_back(d, batch, reason))
        else:
            self._later(d.endpoint, self._ctx.durations.endpoint_rollback, lambda: self._rolled_back(d, reason))

    def _rolled_back(self, d: _Deployment, reason: str) -> None:
        endpoint = self._backend.endpoints[d.endpoint]
        failure = self._ctx.failures.reason_for("EndpointRollback", d.endpoint)
        if failure is not None:
            endpoint.failure_reason = failure
            self._set_status(endpoint, "UpdateRollbackFailed", failure)
            return
        endpoint.pending_deployment_summary = None
        endpoint.failure_reason = reason
        self._set_status(endpoint, "InService", reason)

    def _end(self, d: _Deployment) -> None:
        for handle in d.handles:
            handle.cancel()
        self._deployments.pop(d.endpoint, None)

    # -- what DescribeEndpoint shows ---------------------------------------------------------------------

    def _variant_status(self, status: str, message: str) -> list[dict[str, Any]]:
        return [{"Status": status, "StatusMessage": message, "StartTime": self._ctx.moto_now()}]

    def _summaries(self, variants: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if not variants:
            return None
        return [{"VariantName": v["VariantName"], "CurrentWeight": float(v.get("InitialVariantWeight", 1.0)),
                 "DesiredWeight": float(v.get("InitialVariantWeight", 1.0)),
                 "CurrentInstanceCount": int(v.get("InitialInstanceCount") or 1),
                 "DesiredInstanceCount": int(v.get("InitialInstanceCount") or 1)} for v in variants]

    def _green_summaries(self, d: _Deployment, *, launched: bool) -> list[dict[str, Any]]:
        return [{**s, "InstanceType": v.get("InstanceType"), "CurrentInstanceCount": s["DesiredInstanceCount"]
                 if launched else 0} for s, v in zip(self._summaries(d.green) or [], d.green, strict=True)]

    def _green_status(self, d: _Deployment, status: str, message: str, *, event: bool = True) -> None:
        endpoint = self._backend.endpoints[d.endpoint]
        summary = endpoint.pending_deployment_summary
        summary["ProductionVariants"] = [{**v, "VariantStatus": self._variant_status(status, message)}
                                         for v in summary["ProductionVariants"]]
        endpoint.last_modified_time = self._ctx.moto_now()
        self._ctx.timeline.status(self._ctx.now, f"endpoint/{d.endpoint}", status, reason=message)
        if event:
            self._deployment_event(endpoint)

    def _record_traffic(self, d: _Deployment, phase: str, *, green: float | None = None) -> None:
        """Traffic share per fleet and variant: green takes active/total, split by the variants' weights."""
        endpoint = self._backend.endpoints[d.endpoint]
        to_green = d.active / d.total if green is None else green
        shares: dict[str, float] = {}
        for fleet, variants, share in (("blue", endpoint.production_variants, 1 - to_green),
                                       ("green", self._summaries(d.green) or [], to_green)):
            weights = {v["VariantName"]: float(v.get("CurrentWeight", 1.0)) for v in variants}
            total = sum(weights.values()) or 1.0
            for name, weight in weights.items():
                shares[f"{fleet}/{name}"] = share * weight / total
        self._ctx.timeline.traffic(self._ctx.now, f"endpoint/{d.endpoint}", phase, shares)

    def _describe(self, endpoint: Any) -> dict[str, Any]:
        detail = {k: v for k, v in endpoint.response_object.items() if v is not None}
        detail["EndpointStatus"] = _event_status(endpoint.endpoint_status)
        detail["Tags"] = {t["Key"]: t["Value"] for t in endpoint.tags or []}
        return detail

    def _deployment_event(self, endpoint: Any) -> None:
        self._ctx.events.emit("aws.sagemaker", "SageMaker Endpoint Deployment State Change", [endpoint.arn],
                              self._describe(endpoint), self._ctx.now)

    def _set_status(self, endpoint: Any, status: str, reason: str | None = None, *, deployment: bool = True) -> None:
        """A new EndpointStatus; ``deployment``: the change belongs to an update (also a deployment event)."""
        endpoint.endpoint_status = status
        endpoint.last_modified_time = self._ctx.moto_now()
        self._ctx.timeline.status(self._ctx.now, f"endpoint/{endpoint.endpoint_name}", status, reason=reason)
        if deployment:
            self._deployment_event(endpoint)
        self._ctx.events.emit("aws.sagemaker", "SageMaker Endpoint State Change", [endpoint.arn],
                              self._describe(endpoint), self._ctx.now)
