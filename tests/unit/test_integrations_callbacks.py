""".waitForTaskToken through the optimized integrations against moto (ClientFactory), on the virtual clock:
the token travels in the Lambda payload, the EventBridge event's detail, a child execution's input and an ECS
task's container overrides; the task waits for SendTaskSuccess / SendTaskFailure, or for its heartbeat."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from callback_helpers import run_beside
from runtime_helpers import ACCOUNT, REGION, details, event, fn_arn, machine, simple_task, types

from asl_engine import Resources
from asl_engine.integrations.clients import ClientFactory


@pytest.fixture
def clients() -> ClientFactory:
    return ClientFactory(account=ACCOUNT)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return simple_task(f"arn:aws:states:::{resource}.waitForTaskToken", Parameters=parameters, **fields)


def caught(definition: dict[str, Any]) -> dict[str, Any]:
    """``definition``'s task with a Catch of everything into ``$.error``."""
    [name] = definition["States"]
    definition["States"][name]["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                           "Next": "Caught"}]
    definition["States"][name].pop("End")
    definition["States"][name]["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    return definition


class Tokens:
    """Tokens a fake worker sees, and a coroutine to wait for the nth one on the execution's clock."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def nth(self, n: int = 0, poll: Any = None) -> str:
        for _ in range(60):
            if poll is not None:
                poll()
            if len(self.seen) > n:
                return self.seen[n]
            await asyncio.sleep(1)
        raise AssertionError("no token reached the worker in a minute")


class TestLambdaInvoke:
    def resources(self, clients: ClientFactory, tokens: Tokens) -> Resources:
        res = Resources(clients=clients)

        def approval(event: dict[str, Any], context: Any) -> dict[str, Any]:
            tokens.seen.append(event["TaskToken"])  # keeps the token and answers nothing about it
            return {"queued": True}

        res.register(fn_arn("approval"), approval)
        return res

    def definition(self, **fields: Any) -> dict[str, Any]:
        return wait_task("lambda:invoke", {"FunctionName": fn_arn("approval"),
                                           "Payload": {"TaskToken.$": "$$.Task.Token", "item.$": "$.item"}},
                         **fields)

    def test_send_task_success_completes_the_task_with_its_output(self, clients: ClientFactory) -> None:
        tokens = Tokens()
        res = self.resources(clients, tokens)

        async def approver() -> None:
            token = await tokens.nth()
            await asyncio.sleep(3600)  # an hour later
            res.state_machines.client(res, None, None).send_task_success(taskToken=token,
                                                                         output='{"approved": true}')

        ex = run_beside(self.definition(), approver, res, input={"item": 7})
        assert (ex.status, ex.output) == ("SUCCEEDED", {"approved": True})
        submitted = json.loads(details(event(ex, "TaskSubmitted"))["output"])
        assert submitted["Payload"] == {"queued": True} and submitted["StatusCode"] == 200  # the invoke's answer
        assert (ex.stop_date - ex.start_date).total_seconds() >= 3600
        assert types(ex)[-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]

    def test_no_heartbeat_times_the_task_out_as_a_heartbeat_timeout(self, clients: ClientFactory) -> None:
        # AWS records a heartbeat timeout as States.Timeout on the events, but only a Catch (or Retry) of
        # States.HeartbeatTimeout (or States.Timeout / States.ALL) matches it (see test_callbacks.TestHeartbeats)
        tokens = Tokens()
        res = self.resources(clients, tokens)

        async def silent() -> None:
            await tokens.nth()

        definition = self.definition(HeartbeatSeconds=30, TimeoutSeconds=600)
        definition["States"]["T"].update(Next="NoHeartbeat", Catch=[
            {"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error", "Next": "NoHeartbeat"},
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}])
        definition["States"]["T"].pop("End")
        definition["States"]["NoHeartbeat"] = {"Type": "Pass", "End": True}
        definition["States"]["TimedOut"] = {"Type": "Fail", "Error": "WrongCatcher"}
        ex = run_beside(definition, silent, res, input={"item": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output["error"] == {"Error": "States.Timeout", "Cause": ""}  # as AWS records it
        timed_out = event(ex, "TaskTimedOut")
        assert (timed_out["timestamp"] - ex.start_date).total_seconds() == 30  # the heartbeat, not TimeoutSeconds
        assert len(tokens.seen) == 1

    def test_heartbeats_keep_it_waiting_until_success(self, clients: ClientFactory) -> None:
        tokens = Tokens()
        res = self.resources(clients, tokens)

        async def beating() -> None:
            token = await tokens.nth()
            for _ in range(5):
                await asyncio.sleep(20)
                res.callbacks.send_heartbeat(token)
            res.callbacks.send_success(token, '"done"')

        ex = run_beside(self.definition(HeartbeatSeconds=30), beating, res, input={"item": 1})
        assert (ex.status, ex.output) == ("SUCCEEDED", "done")

    def test_send_task_failure_reaches_a_catch_with_its_error_and_cause(self, clients: ClientFactory) -> None:
        tokens = Tokens()
        res = self.resources(clients, tokens)

        async def rejecter() -> None:
            res.callbacks.send_failure(await tokens.nth(), "ModelRejected", "AUC below production")

        ex = run_beside(caught(self.definition()), rejecter, res, input={"item": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output["error"] == {"Error": "ModelRejected", "Cause": "AUC below production"}
        assert details(event(ex, "TaskFailed")) == {"resourceType": "lambda", "resource": "invoke.waitForTaskToken",
                                                    "error": "ModelRejected", "cause": "AUC below production"}


class TestEventsPutEvents:
    @pytest.mark.parametrize("answer", ["success", "failure"])
    def test_the_token_in_the_detail_reaches_the_bus_and_its_answer_ends_the_task(
            self, clients: ClientFactory, answer: str) -> None:
        # on moto, events:putEvents is answered by the runtime's own EventBridge (clients.event_bus()), whose rules
        # and observers see the event as a consumer would
        bus = unique("bus")
        events = clients.event_bus()
        events.create_event_bus(Name=bus)
        res = Resources(clients=clients)
        definition = caught(wait_task("events:putEvents", {"Entries": [{
            "EventBusName": bus, "Source": "mlops", "DetailType": "Approval Requested",
            "Detail": {"TaskToken.$": "$$.Task.Token", "model": "churn"}}]}, TimeoutSeconds=3600))
        tokens, details_seen = Tokens(), []

        def receive(bus_arn: str, event: dict[str, Any]) -> None:
            if bus_arn.endswith(f"/{bus}"):
                details_seen.append(event["detail"])
                tokens.seen.append(event["detail"]["TaskToken"])

        events.observers.append(receive)

        async def worker() -> None:
            token = await tokens.nth()
            if answer == "success":
                res.callbacks.send_success(token, '{"approved": "churn"}')
            else:
                res.callbacks.send_failure(token, "Rejected", "not this one")

        ex = run_beside(definition, worker, res)
        assert details_seen[0]["model"] == "churn"
        if answer == "success":
            assert ex.output == {"approved": "churn"} and "TaskFailed" not in types(ex)
        else:
            assert ex.output["error"] == {"Error": "Rejected", "Cause": "not this one"}
        submitted = json.loads(details(event(ex, "TaskSubmitted"))["output"])
        assert submitted["FailedEntryCount"] == 0 and len(submitted["Entries"]) == 1


class TestNestedExecution:
    CHILD = {"StartAt": "Work", "States": {
        "Work": {"Type": "Wait", "Seconds": 600, "Next": "CallBack"},
        "CallBack": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                     "Parameters": {"TaskToken.$": "$.token", "Output.$": "States.JsonToString($.result)"},
                     "End": True}}}
    FAILING_CHILD = {"StartAt": "CallBack", "States": {
        "CallBack": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskFailure",
                     "Parameters": {"TaskToken.$": "$.token", "Error": "ChildSaysNo", "Cause": "bad input"},
                     "End": True}}}

    def run_parent(self, clients: ClientFactory, child_definition: dict[str, Any], catch: bool = False) -> Any:
        from runtime_helpers import run

        res = Resources(clients=clients)
        child = machine(child_definition, name="child")
        res.state_machines.add(child)
        definition = wait_task("states:startExecution", {
            "StateMachineArn": child.arn, "Name": "kid",
            "Input": {"token.$": "$$.Task.Token", "result": {"score": 0.93}}})
        return run(caught(definition) if catch else definition, resources=res), res, child

    def test_the_child_calls_back_with_send_task_success(self, clients: ClientFactory) -> None:
        ex, res, child = self.run_parent(clients, self.CHILD)
        assert (ex.status, ex.output) == ("SUCCEEDED", {"score": 0.93})
        submitted = json.loads(details(event(ex, "TaskSubmitted"))["output"])
        assert submitted["ExecutionArn"] == child.arn.replace(":stateMachine:", ":execution:") + ":kid"
        kid = res.state_machines.execution(submitted["ExecutionArn"])
        assert kid is not None and kid.describe()["status"] == "SUCCEEDED"
        assert (ex.stop_date - ex.start_date).total_seconds() >= 600

    def test_the_childs_send_task_failure_is_caught(self, clients: ClientFactory) -> None:
        ex, _, _ = self.run_parent(clients, self.FAILING_CHILD, catch=True)
        assert ex.status == "SUCCEEDED"
        assert ex.output["error"] == {"Error": "ChildSaysNo", "Cause": "bad input"}


class TestEcsRunTask:
    """moto's ECS runs tasks without Docker (they stay RUNNING): the worker is played by the test."""

    def test_the_token_in_the_container_overrides(self, clients: ClientFactory) -> None:
        ecs = clients.client("ecs")
        cluster = unique("cluster")
        ecs.create_cluster(clusterName=cluster)
        ecs.register_task_definition(family="worker", containerDefinitions=[
            {"name": "worker", "image": "worker:1", "memory": 128}])
        res = Resources(clients=clients)
        definition = wait_task("ecs:runTask", {
            "Cluster": cluster, "TaskDefinition": "worker", "LaunchType": "FARGATE",
            "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["subnet-1"]}},
            "Overrides": {"ContainerOverrides": [{"Name": "worker", "Environment": [
                {"Name": "TASK_TOKEN", "Value.$": "$$.Task.Token"}]}]}}, HeartbeatSeconds=120)
        tokens = Tokens()

        def look() -> None:
            arns = ecs.list_tasks(cluster=cluster)["taskArns"]
            for task in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []:
                [override] = task["overrides"]["containerOverrides"]
                tokens.seen.extend(e["value"] for e in override["environment"] if e["name"] == "TASK_TOKEN")

        async def container() -> None:
            token = await tokens.nth(poll=look)
            await asyncio.sleep(100)
            res.callbacks.send_heartbeat(token)
            await asyncio.sleep(100)
            res.callbacks.send_success(token, '{"exit": 0}')

        ex = run_beside(definition, container, res)
        assert (ex.status, ex.output) == ("SUCCEEDED", {"exit": 0})
        submitted = json.loads(details(event(ex, "TaskSubmitted"))["output"])
        assert submitted["Tasks"][0]["LastStatus"] == "RUNNING" and submitted["Failures"] == []
        assert event(ex, "TaskScheduled")["taskScheduledEventDetails"]["region"] == REGION
