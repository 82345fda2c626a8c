"""Activities: the API, GetActivityTask's long poll, the Activity* events, and Python workers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from callback_helpers import run_beside
from runtime_helpers import ACCOUNT, REGION, START, details, event, machine, run, seconds_after_start, types

from asl_engine import Resources, Services, VirtualClock
from asl_engine.integrations.api_errors import ApiError
from asl_engine.integrations.callbacks.activity_worker import ActivityWorker
from asl_engine.integrations.mocks import Mocks


def resources_with_activity(name: str = "work") -> tuple[Resources, str]:
    resources = Resources()
    resources.activities.region, resources.activities.account = REGION, ACCOUNT
    return resources, resources.activities.create_activity(name)["activityArn"]


def activity_task(arn: str, **fields) -> dict:
    return {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": arn, "End": True, **fields}}}


class TestApi:
    def test_create_describe_list_delete(self):
        resources, arn = resources_with_activity("work")
        activities = resources.activities
        assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:activity:work"
        described = activities.describe_activity(arn)
        assert (described["activityArn"], described["name"]) == (arn, "work")
        assert activities.create_activity("work") == {"activityArn": arn, "creationDate": described["creationDate"]}
        activities.create_activity("other")
        assert [a["name"] for a in activities.list_activities()["activities"]] == ["work", "other"]
        page = activities.list_activities(max_results=1)
        assert [a["name"] for a in page["activities"]] == ["work"]
        assert [a["name"] for a in activities.list_activities(1, page["nextToken"])["activities"]] == ["other"]
        activities.delete_activity(arn)
        activities.delete_activity(arn)  # deleting twice is not an error
        with pytest.raises(ApiError) as e:
            activities.describe_activity(arn)
        assert (e.value.code, e.value.message) == ("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")

    def test_creation_date_follows_the_clock_the_resources_are_given(self):
        clock = VirtualClock(START)
        activities = Resources(now=clock.now).activities
        arn = activities.create_activity("work")["activityArn"]
        assert activities.describe_activity(arn)["creationDate"] == START

    @pytest.mark.parametrize("name", ["", "a" * 81, "has space", "a:b", "tab\t"])
    def test_invalid_names(self, name):
        with pytest.raises(ApiError) as e:
            Resources().activities.create_activity(name)
        assert (e.value.code, e.value.message) == ("InvalidName", f"Invalid Name: '{name}'")

    def test_invalid_arn(self):
        with pytest.raises(ApiError) as e:
            Resources().activities.describe_activity("arn:aws:states:us-east-1:1:stateMachine:x")
        assert e.value.code == "InvalidArn"

    def test_polling_an_unknown_activity(self):
        with pytest.raises(ApiError) as e:
            Resources().activities.get_activity_task(f"arn:aws:states:{REGION}:{ACCOUNT}:activity:nope", timeout=0)
        assert e.value.code == "ActivityDoesNotExist"


class TestLongPoll:
    def test_an_empty_poll_returns_nothing_after_60_seconds_of_clock_time(self):
        resources, arn = resources_with_activity()
        clock = VirtualClock(START)
        assert clock.run(resources.activities.get_activity_task_async(arn)) == {}
        assert clock.now() == START + timedelta(seconds=60)

    def test_a_thread_poll_waits_in_wall_time(self):
        resources, arn = resources_with_activity()
        assert resources.activities.get_activity_task(arn, "w", timeout=0.01) == {}

    def test_a_task_scheduled_before_the_poll_is_waiting_for_it(self):
        resources, arn = resources_with_activity()
        got = []

        async def worker():
            await asyncio.sleep(30)
            task = await resources.activities.get_activity_task_async(arn, "late")
            got.append(task)
            resources.callbacks.send_success(task["taskToken"], task["input"])

        ex = run_beside(activity_task(arn), worker, resources, {"n": 1})
        assert (ex.status, ex.output) == ("SUCCEEDED", {"n": 1})
        assert got[0]["input"] == '{"n":1}' and len(got[0]["taskToken"]) > 600
        assert seconds_after_start(event(ex, "ActivityStarted")) == 30

    def test_a_cancelled_poll_takes_no_task(self):
        resources, arn = resources_with_activity()

        async def worker():
            gone = asyncio.ensure_future(resources.activities.get_activity_task_async(arn, "gone"))
            await asyncio.sleep(0)
            gone.cancel()
            task = await resources.activities.get_activity_task_async(arn, "present")
            resources.callbacks.send_success(task["taskToken"], "{}")

        definition = activity_task(arn)  # scheduled after a Wait, once the first poll is gone
        definition["States"]["W"] = {"Type": "Wait", "Seconds": 5, "Next": "A"}
        definition["StartAt"] = "W"
        ex = run_beside(definition, worker, resources)
        assert details(event(ex, "ActivityStarted")) == {"workerName": "present"}


class TestEvents:
    def test_success(self):
        resources, arn = resources_with_activity()

        async def worker():
            task = await resources.activities.get_activity_task_async(arn, "worker-1")
            resources.callbacks.send_success(task["taskToken"], json.dumps({"done": 1}))

        ex = run_beside(activity_task(arn, TimeoutSeconds=60, HeartbeatSeconds=10), worker, resources, {"n": 1})
        assert (ex.status, ex.output) == ("SUCCEEDED", {"done": 1})
        assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                             "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
        assert details(event(ex, "ActivityScheduled")) == {"resource": arn, "input": '{"n":1}',
                                                           "inputDetails": {"truncated": False},
                                                           "timeoutInSeconds": 60, "heartbeatInSeconds": 10}
        assert details(event(ex, "ActivityStarted")) == {"workerName": "worker-1"}
        assert details(event(ex, "ActivitySucceeded")) == {"output": '{"done":1}',
                                                           "outputDetails": {"truncated": False}}

    def test_no_worker_name(self):
        resources, arn = resources_with_activity()

        async def worker():
            task = await resources.activities.get_activity_task_async(arn)
            resources.callbacks.send_success(task["taskToken"], "{}")

        ex = run_beside(activity_task(arn), worker, resources)
        assert event(ex, "ActivityStarted")["activityStartedEventDetails"] == {}

    def test_failure(self):
        resources, arn = resources_with_activity()

        async def worker():
            task = await resources.activities.get_activity_task_async(arn, "w")
            resources.callbacks.send_failure(task["taskToken"], "Programmatic Error", task["input"])

        ex = run_beside(activity_task(arn), worker, resources, {"v": 1})
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "Programmatic Error", '{"v":1}')
        assert details(event(ex, "ActivityFailed")) == {"error": "Programmatic Error", "cause": '{"v":1}'}

    def test_timeout_with_no_worker(self):
        resources, arn = resources_with_activity()
        ex = run(activity_task(arn, TimeoutSeconds=5), resources=resources)
        assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
        assert types(ex)[2:4] == ["ActivityScheduled", "ActivityTimedOut"]
        assert details(event(ex, "ActivityTimedOut")) == {"error": "States.Timeout"}
        # the dead task is no longer handed out
        assert resources.activities.get_activity_task(arn, timeout=0) == {}

    def test_timeout_after_a_worker_took_the_task(self):
        # recorded: activities/TestActivities__test_activity_task_start_timeout
        resources, arn = resources_with_activity()

        async def worker():
            await resources.activities.get_activity_task_async(arn, "w")

        ex = run_beside(activity_task(arn, TimeoutSeconds=5), worker, resources)
        assert types(ex)[2:6] == ["ActivityScheduled", "ActivityStarted", "ActivityTimedOut", "ExecutionFailed"]
        assert seconds_after_start(event(ex, "ActivityTimedOut")) == 5

    def test_the_heartbeat_clock_starts_when_a_worker_takes_the_task(self):
        resources, arn = resources_with_activity()

        async def worker():
            await asyncio.sleep(20)
            await resources.activities.get_activity_task_async(arn, "w")

        ex = run_beside(activity_task(arn, HeartbeatSeconds=5), worker, resources)
        timed_out = event(ex, "ActivityTimedOut")
        assert (details(timed_out), seconds_after_start(timed_out)) == ({"error": "States.Timeout"}, 25)

    def test_a_deleted_activity_fails_the_state_before_scheduling(self):
        # LocalStack's test_activity_task_on_deleted snapshot (recorded against AWS)
        resources, arn = resources_with_activity()
        resources.activities.delete_activity(arn)
        ex = run(activity_task(arn), resources=resources)
        assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
        assert (ex.error, ex.cause) == ("States.Runtime", "An error occurred while executing the state 'A' "
                                                          f"(entered at the event id #2). The activity {arn} does "
                                                          "not exist.")

    def test_a_mocked_activity_state_needs_no_activity(self):
        resources = Resources(mocks=Mocks(overrides={"A": {"mocked": True}}))
        ex = run(activity_task(f"arn:aws:states:{REGION}:{ACCOUNT}:activity:none"), resources=resources)
        assert (ex.status, ex.output) == ("SUCCEEDED", {"mocked": True})


class TestPythonWorkers:
    def test_run_once_async_answers_with_the_handlers_result(self):
        resources, arn = resources_with_activity()
        worker = ActivityWorker(resources.activities, arn, lambda data: {"doubled": data["n"] * 2}, "py")
        ex = run_beside(activity_task(arn, HeartbeatSeconds=5), worker.run_once_async, resources, {"n": 21})
        assert (ex.status, ex.output) == ("SUCCEEDED", {"doubled": 42})

    def test_an_exception_fails_the_task(self):
        resources, arn = resources_with_activity()

        def handler(data):
            raise ValueError("bad input")

        ex = run_beside(activity_task(arn), ActivityWorker(resources.activities, arn, handler).run_once_async,
                        resources)
        assert details(event(ex, "ActivityFailed")) == {"error": "ValueError", "cause": "bad input"}

    def test_a_worker_thread_with_a_virtual_clock(self):
        # the task has timers, yet virtual time waits for the thread's real work
        resources, arn = resources_with_activity()
        beats = []

        def handler(data, heartbeat):
            heartbeat()
            beats.append(1)
            return data

        worker = ActivityWorker(resources.activities, arn, handler, "thread")
        worker.start(poll_seconds=0.02)
        try:
            ex = machine(activity_task(arn, TimeoutSeconds=30, HeartbeatSeconds=5)).run(
                {"x": 1}, "exec", VirtualClock(START), resources, services=Services(seed=1))
        finally:
            worker.stop()
        assert (ex.status, ex.output, beats) == ("SUCCEEDED", {"x": 1}, [1])
        assert details(event(ex, "ActivityStarted")) == {"workerName": "thread"}

    def test_an_answer_after_the_timeout_is_refused(self):
        resources, arn = resources_with_activity()
        refused = []

        async def worker():
            task = await resources.activities.get_activity_task_async(arn, "slow")
            await asyncio.sleep(10)
            with pytest.raises(ApiError) as e:
                resources.callbacks.send_success(task["taskToken"], "{}")
            refused.append(e.value.code)

        definition = activity_task(arn, TimeoutSeconds=5)
        definition["States"]["A"].pop("End")
        definition["States"]["A"]["Next"] = "W"
        definition["States"]["W"] = {"Type": "Wait", "Seconds": 20, "End": True}
        definition["States"]["A"]["Catch"] = [{"ErrorEquals": ["States.Timeout"], "Next": "W"}]
        ex = run_beside(definition, worker, resources)
        assert (ex.status, refused) == ("SUCCEEDED", ["TaskTimedOut"])
