"""The template deployed locally: moto holds the resources, the engine runs the state machines, the simulator
makes SageMaker and Batch take time, all on one VirtualClock.

What the local EventBridge bus will do once it is wired to this template
(deliver the service events to the rules' targets) is done here by hand,
only for Lambda targets, when ``deliver()`` is called: the approver's
decision reaches the approval callback as the "SageMaker Model Package State
Change" event the simulator emits, and deployment state changes reach the
deployment notifier.  The training job's evaluation report is written when
the simulator emits the job's completion, as the training script would.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3

from asl_engine import Resources, Services, StateMachine, VirtualClock
from asl_engine.eventbridge.patterns import test_event_pattern as matches_pattern
from asl_engine.integrations.clients import ClientFactory
from asl_engine.sim import Simulator
from tests.app.conftest import LambdaContext
from tests.app.sam import TEMPLATE, Template

START = datetime(2026, 11, 27, tzinfo=UTC)


class LocalStack:
    def __init__(self, monkeypatch: Any, *, auc: float = 0.91, approve: bool = True) -> None:
        self.template = Template()
        self.clock = VirtualClock(START)
        self.events: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []  # emitted, not yet delivered by the bus
        self.sim = Simulator(self.clock, sink=self._on_service_event).attach()
        self.auc = auc
        self.approve = approve
        self.sagemaker = boto3.client("sagemaker")
        self._environment(monkeypatch)
        self._create_resources()
        self.resources = Resources.from_template(TEMPLATE, clients=ClientFactory("aws"))
        self.machines = {}
        for logical_id in self.template.of_type("AWS::Serverless::StateMachine"):
            name = self.template.resolve(self.template.resources[logical_id]["Properties"]["Name"])
            machine = StateMachine(self.template.definition(logical_id), name=name)
            self.resources.state_machines.add(machine)
            self.machines[logical_id] = machine
        self._wire_approvals()

    def ref(self, logical_id: str) -> str:
        return self.template.ref(logical_id)

    def _environment(self, monkeypatch: Any) -> None:
        for key, logical_id in (("IDEMPOTENCY_TABLE", "IdempotencyTable"), ("APPROVALS_TABLE", "ApprovalsTable"),
                                ("NOTIFICATION_TOPIC_ARN", "NotificationTopic"),
                                ("RETRAINING_STATE_MACHINE_ARN", "RetrainingStateMachine")):
            monkeypatch.setenv(key, self.ref(logical_id))
        # The engine applies a function's Environment only while it runs; Powertools reads these at import.
        for key, value in self.template.raw["Globals"]["Function"]["Environment"]["Variables"].items():
            if isinstance(value, str):
                monkeypatch.setenv(key, value)
        monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")

    def _create_resources(self) -> None:
        ddb = boto3.client("dynamodb")
        for table, key in (("IdempotencyTable", "id"), ("ApprovalsTable", "ModelPackageArn")):
            ddb.create_table(TableName=self.ref(table), BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])
        boto3.client("sns").create_topic(Name=self.ref("NotificationTopic").rsplit(":", 1)[1])
        boto3.client("events").create_event_bus(Name=self.ref("MlopsBus"))
        s3 = boto3.client("s3")
        for bucket in ("DataBucket", "ModelBucket"):
            s3.create_bucket(Bucket=self.ref(bucket))
        cloudwatch = boto3.client("cloudwatch")
        for alarm in ("DriftAlarm", "RollbackAlarm"):
            props = self.template.resolve(self.template.resources[alarm]["Properties"])
            cloudwatch.put_metric_alarm(**{k: v for k, v in props.items() if k != "AlarmDescription"})
        self._create_batch()
        self.sagemaker.create_model_package_group(ModelPackageGroupName=self.ref("ModelPackageGroupName"))
        self.sagemaker.create_model(ModelName="churn-v1", ExecutionRoleArn=self.template.get_att(
            "SageMakerExecutionRole", "Arn"), PrimaryContainer={"Image": "xgboost"})
        self.sagemaker.create_endpoint_config(EndpointConfigName="churn-v1-cfg", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": "churn-v1", "InitialInstanceCount": 4,
            "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 1.0}])
        self.sagemaker.create_endpoint(EndpointName=self.ref("EndpointName"), EndpointConfigName="churn-v1-cfg")
        self.clock.advance(300)  # the production endpoint is InService before the scenario starts
        self.sim.tick()

    def _create_batch(self) -> None:
        """The scoring queue and job definition the template's parameters name."""
        role = boto3.client("iam").create_role(RoleName="batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        batch = boto3.client("batch")
        environment = batch.create_compute_environment(computeEnvironmentName="scoring", type="UNMANAGED",
                                                       state="ENABLED", serviceRole=role)["computeEnvironmentArn"]
        queue = self.ref("BatchJobQueueArn").rsplit("/", 1)[1]
        batch.create_job_queue(jobQueueName=queue, state="ENABLED", priority=1,
                               computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])
        definition = self.ref("BatchJobDefinitionArn").rsplit("/", 1)[1].split(":")[0]
        batch.register_job_definition(jobDefinitionName=definition, type="container",
                                      containerProperties={"image": "score:1", "vcpus": 1, "memory": 1024})

    # -- what the bus and the training script would do ------------------------------------------------------

    def _on_service_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._pending.append(event)
        detail = event["detail"]
        if event["detail-type"] == "SageMaker Training Job State Change" and detail["TrainingJobStatus"] == "Completed":
            from moto.backends import get_backend

            report = {"metrics": {"auc": {"value": self.auc}}}
            get_backend("s3")["123456789012"]["aws"].put_object(
                self.ref("ModelBucket"), f"evaluation/{detail['TrainingJobName']}/evaluation.json",
                json.dumps(report).encode())

    def _wire_approvals(self) -> None:
        """The approver decides as soon as approval is requested, through UpdateModelPackage; the simulator
        emits the model-package event and the bus delivers it to the approval callback, which resumes the
        engine's execution through its task token (its Step Functions client is the engine's)."""
        functions = self.resources.functions
        callback = functions.get("ApprovalCallbackFunction")
        sys.modules[callback.handler.__module__].stepfunctions = self.resources.state_machines.client(
            self.resources, self.clock, Services())
        request = functions.get("RequestApprovalFunction")

        def request_and_decide(event: dict[str, Any], context: Any) -> Any:
            answer = request.handler(event, context)
            status = "Approved" if self.approve else "Rejected"
            self.sagemaker.update_model_package(ModelPackageArn=event["ModelPackageArn"], ModelApprovalStatus=status,
                                                ApprovalDescription=f"{status} by the scenario's approver")
            self.deliver()
            return answer

        functions.add(replace(request, handler=request_and_decide))

    def deliver(self) -> list[tuple[str, Any]]:
        """What the mlops bus does for Lambda targets: every event emitted since the last delivery goes to the
        functions whose rule in the template matches it.  Returns (function, result) per delivery."""
        pending, self._pending = self._pending, []
        delivered = []
        for event in pending:
            for function, pattern in self._function_rules():
                if matches_pattern(json.dumps(pattern), json.dumps(event)):
                    handler = self.resources.functions.get(function).handler
                    delivered.append((function, handler(event, LambdaContext(function_name=function))))
        return delivered

    def _function_rules(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, self.template.resolve(event["Properties"]["Pattern"]))
                for name, resource in self.template.of_type("AWS::Serverless::Function").items()
                for event in (resource["Properties"].get("Events") or {}).values()
                if event["Type"] == "EventBridgeRule"]

    def run(self, logical_id: str, execution_input: dict[str, Any]) -> Any:
        return self.machines[logical_id].run(execution_input, clock=self.clock, resources=self.resources,
                                             services=Services(seed=7))
