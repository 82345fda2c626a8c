"""Batch scoring with failing partitions, and a malformed event on the bus."""

from __future__ import annotations

import json

from tests.e2e.conftest import APP, run

SCORING = APP.state_machines["BatchScoringStateMachine"]
PREFIX = "scoring/2026-11-27/"


def score(*failing: str):
    async def scenario(stack):
        s3 = stack.client("s3")
        for index in range(10):
            s3.put_object(Bucket=APP.ref("DataBucket"), Key=f"{PREFIX}part-{index}.csv", Body=b"id,x\n1,2\n")
        for pattern in failing:
            stack.sim.failures.add("BatchJob", pattern, "Essential container in task exited")
        stack.stepfunctions.start_execution(SCORING.arn, json.dumps({"prefix": PREFIX}), "score")
        [execution] = await stack.finished("BatchScoringStateMachine")
        await stack.idle(60)
        return execution.result

    return scenario


def failed_job_events(stack) -> set[str]:
    return {e["detail"]["jobName"] for e in stack.service_events
            if e["detail-type"] == "Batch Job State Change" and e["detail"]["status"] == "FAILED"}


def test_one_failed_partition_is_tolerated_and_notified():
    stack, result = run(score("score-partition-3"))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert (result.output["partitions"], result.output["succeeded"]) == (10, 9)
    assert failed_job_events(stack) == {"score-partition-3"}
    # BatchJobFailedRule's SNS target got the transformed message (the topic has no subscriber: count it)
    deliveries = [f for f in stack.events.deliverer.failures if "sns" in f["Arn"]]
    assert deliveries == []


def test_failures_past_the_tolerance_fail_the_scoring():
    _, result = run(score("score-partition-[37]"))
    assert (result.status, result.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_malformed_event_matches_nothing_and_is_archived():
    async def scenario(stack):
        archive = APP.archives[0].request["ArchiveName"]
        before = stack.events.describe_archive(ArchiveName=archive)["EventCount"]
        answer = stack.put_events({"EventBusName": APP.ref("MlopsBus"), "Source": "mlops.monitoring",
                                   "DetailType": "CloudWatch Alarm State Change",
                                   "Detail": json.dumps({"alarm": "churn-feature-drift", "state": "no value"})})
        after = stack.events.describe_archive(ArchiveName=archive)["EventCount"]  # archived as it is accepted
        await stack.idle(600)  # anything it had started would have run by now
        return answer, after - before

    stack, (answer, archived) = run(scenario)
    assert answer["FailedEntryCount"] == 0
    assert archived == 1
    assert stack.lambda_results == [] and stack.stepfunctions.executions == []
