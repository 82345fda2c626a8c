"""What the template assumes already exists or acts outside it, played locally.

- production: the endpoint already serving the current model (UpdateEndpoint needs one) and the Batch
  job queue and job definition the template's parameters name;
- the training script, which writes the evaluation report next to the model when a training job completes;
- the approver, who reviews a registered model package and approves or rejects it in the registry
  (UpdateModelPackage), which is what emits the model-package event the approval callback reacts to;
- optionally an incident: the endpoint answering with server errors some time after a canary started, which
  the endpoint's Invocation5XXErrors metric records, and the rollback alarm on it goes into ALARM.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from asl_engine.sam.application import Application
from asl_engine.sim import Simulator
from asl_engine.sim.timeline import Entry

Client = Callable[[str], Any]


@dataclass(frozen=True)
class WorldSettings:
    auc: float = 0.91  # what the candidate scores in its evaluation report
    decision: str = "Approved"  # or "Rejected"
    review_seconds: float = 900.0  # how long the approver takes
    alarm_after_canary: float | None = None  # seconds after a canary starts that the rollback alarm fires
    production_instances: int = 4


class World:
    def __init__(self, app: Application, client: Client, sim: Simulator, settings: WorldSettings) -> None:
        self.app, self.client, self.sim, self.settings = app, client, sim, settings
        self.endpoint = str(app.ref("EndpointName"))
        if settings.alarm_after_canary is not None:
            sim.timeline.subscribe(self._incident)

    def create_production(self) -> None:
        sagemaker = self.client("sagemaker")
        model = f"{self.endpoint}-v1"
        sagemaker.create_model(ModelName=model, ExecutionRoleArn=self.app.resolver.arn("SageMakerExecutionRole"),
                               PrimaryContainer={"Image": str(self.app.ref("InferenceImage"))})
        sagemaker.create_endpoint_config(EndpointConfigName=f"{model}-cfg", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": model, "InstanceType": "ml.m5.xlarge",
            "InitialInstanceCount": self.settings.production_instances, "InitialVariantWeight": 1.0}])
        sagemaker.create_endpoint(EndpointName=self.endpoint, EndpointConfigName=f"{model}-cfg")
        self._create_batch()

    def _create_batch(self) -> None:
        role = self.client("iam").create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        batch = self.client("batch")
        environment = batch.create_compute_environment(computeEnvironmentName="scoring", type="UNMANAGED",
                                                       state="ENABLED", serviceRole=role)["computeEnvironmentArn"]
        batch.create_job_queue(jobQueueName=str(self.app.ref("BatchJobQueueArn")).rsplit("/", 1)[1], state="ENABLED",
                               priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])
        definition = str(self.app.ref("BatchJobDefinitionArn")).rsplit("/", 1)[1].split(":")[0]
        batch.register_job_definition(jobDefinitionName=definition, type="container",
                                      containerProperties={"image": "score:1", "vcpus": 1, "memory": 1024})

    def observe(self, event: dict[str, Any]) -> None:
        """Reacts to a service event (on the stack's event loop)."""
        detail = event["detail"]
        if event["detail-type"] == "SageMaker Training Job State Change" and detail["TrainingJobStatus"] == "Completed":
            report = {"metrics": {"auc": {"value": self.settings.auc}}}
            self.client("s3").put_object(Bucket=str(self.app.ref("ModelBucket")),
                                         Key=f"evaluation/{detail['TrainingJobName']}/evaluation.json",
                                         Body=json.dumps(report).encode())
        elif event["detail-type"] == "SageMaker Model Package State Change" and \
                detail.get("ModelApprovalStatus") == "PendingManualApproval":
            asyncio.get_running_loop().call_later(self.settings.review_seconds, self._decide,
                                                  detail["ModelPackageArn"])

    def _decide(self, arn: str) -> None:
        status = self.settings.decision
        self.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status,
                                                      ApprovalDescription=f"{status} by the reviewer")

    def _incident(self, entry: Entry) -> None:
        if entry.kind == "traffic" and entry.state == "canary" and entry.resource == f"endpoint/{self.endpoint}":
            delay = timedelta(seconds=self.settings.alarm_after_canary or 0)
            self.sim.at(entry.time + delay, self._errors_on_endpoint)

    def _errors_on_endpoint(self) -> None:
        """Two minutes of 5xx answers on the endpoint, as SageMaker reports them per minute: the rollback alarm
        (Sum > 5 over 2 periods of 60 s) breaches on its own evaluation, as it would in CloudWatch."""
        alarm = str(self.app.ref("RollbackAlarm"))
        [config] = self.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        now = self.sim.clock.now()
        self.client("cloudwatch").put_metric_data(Namespace=config["Namespace"], MetricData=[
            {"MetricName": config["MetricName"], "Dimensions": config["Dimensions"], "Value": 12.0, "Unit": "Count",
             "Timestamp": now - timedelta(seconds=seconds)} for seconds in (60, 0)])
        [after] = self.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        self.sim.timeline.status(now, f"alarm/{alarm}", after["StateValue"], reason=after["StateReason"])
