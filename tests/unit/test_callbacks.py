"""Task tokens (.waitForTaskToken): answers, failures, heartbeats, timeouts and the API's errors."""

from __future__ import annotations

import asyncio
import base64
import json
import threading

import pytest
from callback_helpers import WAIT, TokenInbox, callback_task, run_beside
from runtime_helpers import details, event, run, seconds_after_start, types

from asl_engine import Resources
from asl_engine.integrations.api_errors import ApiError
from asl_engine.integrations.callbacks.tokens import INVALID_TOKEN, TASK_TIMED_OUT


def resources_with(inbox: TokenInbox) -> Resources:
    return Resources({WAIT: inbox})


def caught(**task_fields) -> dict:
    definition = callback_task(**task_fields)
    definition["States"]["T"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "C"}]
    definition["States"]["C"] = {"Type": "Pass", "End": True}
    return definition


class TestSuccess:
    def test_output_is_the_json_the_client_sends(self):
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            resources.callbacks.send_success(await inbox.token(), json.dumps({"done": True}))

        ex = run_beside(callback_task(), client, resources)
        assert ex.status == "SUCCEEDED" and ex.output == {"done": True}
        assert types(ex)[2:7] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
                                  "TaskStateExited"]
        assert details(event(ex, "TaskSubmitted"))["output"] == '{"MessageId":"m-1"}'
        assert details(event(ex, "TaskSucceeded")) == {"resourceType": "sns", "resource": "publish.waitForTaskToken",
                                                       "output": '{"done":true}',
                                                       "outputDetails": {"truncated": False}}

    def test_an_answer_during_the_integration_call_is_kept(self):
        # a resource that answers before the task starts waiting (a synchronous Lambda with the token)
        resources = Resources()
        resources.register(WAIT, TokenInbox(answer=lambda token: resources.callbacks.send_success(token, '"early"')))
        ex = run(callback_task(), resources=resources)
        assert (ex.status, ex.output) == ("SUCCEEDED", "early")

    def test_an_answer_from_another_thread_wakes_a_virtual_clock(self):
        resources = Resources()

        def answer_later(token: str) -> None:
            threading.Timer(0.02, resources.callbacks.send_success, (token, "[1, 2]")).start()

        resources.register(WAIT, TokenInbox(answer=answer_later))
        ex = run(callback_task(), resources=resources)
        assert (ex.status, ex.output) == ("SUCCEEDED", [1, 2])

    def test_the_token_is_opaque_base64_shaped_like_aws(self):
        inbox = TokenInbox(answer=lambda token: None)
        ex = run(callback_task(TimeoutSeconds=1), resources=resources_with(inbox))
        token = inbox.tokens[0]
        assert 600 < len(token) <= 1024 and base64.b64decode(token, validate=True)
        assert json.loads(details(event(ex, "TaskScheduled"))["parameters"]) == {"Token": token}


class TestFailure:
    def test_error_and_cause_reach_the_catch_exactly(self):
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            resources.callbacks.send_failure(await inbox.token(), "Failure error", "Failure cause")

        ex = run_beside(caught(), client, resources)
        assert ex.output["error"] == {"Error": "Failure error", "Cause": "Failure cause"}
        assert details(event(ex, "TaskFailed")) == {"resourceType": "sns", "resource": "publish.waitForTaskToken",
                                                    "error": "Failure error", "cause": "Failure cause"}

    def test_no_error_nor_cause_gives_nulls_to_the_catch_and_none_to_the_event(self):
        # recorded: callback/TestCallback__test_sqs_failure_in_wait_for_task_tok_no_error_field_*
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            resources.callbacks.send_failure(await inbox.token())

        ex = run_beside(caught(), client, resources)
        assert ex.output["error"] == {"Error": None, "Cause": None}
        assert details(event(ex, "TaskFailed")) == {"resourceType": "sns", "resource": "publish.waitForTaskToken"}

    def test_uncaught_failure_fails_the_execution(self):
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            resources.callbacks.send_failure(await inbox.token(), "Boom", "it broke")

        ex = run_beside(callback_task(), client, resources)
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "Boom", "it broke")


class TestHeartbeats:
    def test_silence_past_heartbeat_seconds_times_the_task_out_as_aws_records_it(self):
        # recorded: timeouts/TestHeartbeats__test_heartbeat_timeout (States.Timeout, no cause)
        ex = run(callback_task(TimeoutSeconds=600, HeartbeatSeconds=5), resources=resources_with(TokenInbox()))
        assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.Timeout", None)
        timed_out = event(ex, "TaskTimedOut")
        assert details(timed_out) == {"resourceType": "sns", "resource": "publish.waitForTaskToken",
                                      "error": "States.Timeout"}
        assert seconds_after_start(timed_out) == 5

    def test_heartbeats_reset_the_timer(self):
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            token = await inbox.token()
            for _ in range(3):
                await asyncio.sleep(4)
                resources.callbacks.send_heartbeat(token)
            await asyncio.sleep(4)
            resources.callbacks.send_success(token, '"alive"')

        ex = run_beside(callback_task(HeartbeatSeconds=5), client, resources)
        assert (ex.status, ex.output) == ("SUCCEEDED", "alive")
        assert seconds_after_start(event(ex, "TaskSucceeded")) == 16

    def test_timeout_seconds_bounds_the_wait_whatever_the_heartbeats(self):
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            token = await inbox.token()
            while True:
                await asyncio.sleep(3)
                resources.callbacks.send_heartbeat(token)

        ex = run_beside(callback_task(TimeoutSeconds=10, HeartbeatSeconds=5), client, resources)
        assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
        assert seconds_after_start(event(ex, "TaskTimedOut")) == 10

    @pytest.mark.parametrize(("heartbeat", "caught_by"), [(5, "heartbeat"), (None, "timeout")])
    def test_states_heartbeat_timeout_catches_only_heartbeat_timeouts(self, heartbeat, caught_by):
        definition = callback_task(TimeoutSeconds=20, **({"HeartbeatSeconds": heartbeat} if heartbeat else {}))
        definition["States"]["T"]["Catch"] = [
            {"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.heartbeat", "Next": "C"},
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "C"}]
        definition["States"]["C"] = {"Type": "Pass", "End": True}
        ex = run(definition, resources=resources_with(TokenInbox()))
        assert ex.output == {caught_by: {"Error": "States.Timeout", "Cause": ""}}


class TestApiErrors:
    def answered_token(self) -> tuple[Resources, str]:
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            resources.callbacks.send_success(await inbox.token(), "{}")

        run_beside(callback_task(), client, resources)
        return resources, inbox.tokens[0]

    def test_an_unknown_token_is_invalid(self):
        with pytest.raises(ApiError) as e:
            Resources().callbacks.send_success("NoSuchTaskToken", "{}")
        assert (e.value.code, e.value.message) == ("InvalidToken", "Invalid Token: 'Invalid token'")

    def test_a_token_issued_by_an_earlier_runtime_has_timed_out(self):
        _, token = self.answered_token()
        with pytest.raises(ApiError) as e:
            Resources().callbacks.send_heartbeat(token)
        assert e.value.code == "TaskTimedOut"
        with pytest.raises(ApiError) as e:
            Resources().callbacks.send_heartbeat(token[:-8] + "AAAAAAA=")
        assert e.value.code == "InvalidToken"

    @pytest.mark.parametrize("answer", ["send_success", "send_failure", "send_heartbeat"])
    def test_a_closed_task_has_timed_out(self, answer):
        resources, token = self.answered_token()
        args = (token, "{}") if answer == "send_success" else (token,)
        with pytest.raises(ApiError) as e:
            getattr(resources.callbacks, answer)(*args)
        assert (e.value.code, e.value.message) == ("TaskTimedOut", TASK_TIMED_OUT)

    def test_a_second_answer_is_refused_at_once(self):
        inbox = TokenInbox()
        resources = resources_with(inbox)
        refused = []

        async def client():
            token = await inbox.token()
            resources.callbacks.send_success(token, '"first"')
            with pytest.raises(ApiError) as e:
                resources.callbacks.send_failure(token, "Late")
            refused.append(e.value.code)

        ex = run_beside(callback_task(), client, resources)
        assert (ex.output, refused) == ("first", ["TaskTimedOut"])

    @pytest.mark.parametrize(("output", "code"), [("not json", "InvalidOutput"), ({"a": 1}, "InvalidOutput"),
                                                  ('"' + "x" * 262_144 + '"', "ValidationException")])
    def test_output_must_be_json_text_within_256_kib(self, output, code):
        inbox = TokenInbox()
        resources = resources_with(inbox)
        codes = []

        async def client():
            token = await inbox.token()
            with pytest.raises(ApiError) as e:
                resources.callbacks.send_success(token, output)
            codes.append(e.value.code)
            resources.callbacks.send_success(token, "null")  # the task is still open after a rejected answer

        ex = run_beside(callback_task(), client, resources)
        assert (codes, ex.status, ex.output) == ([code], "SUCCEEDED", None)

    def test_an_unknown_token_is_refused_before_the_output_is_parsed(self):
        with pytest.raises(ApiError) as e:
            Resources().callbacks.send_success("no-such-token", "not json")
        assert (e.value.code, e.value.message) == ("InvalidToken", INVALID_TOKEN)

    def test_error_and_cause_lengths_are_checked(self):
        callbacks = Resources().callbacks
        with pytest.raises(ApiError, match=r"'error'.*256"):
            callbacks.send_failure("t", "E" * 257)
        with pytest.raises(ApiError, match=r"'cause'.*32768"):
            callbacks.send_failure("t", "E", "c" * 32_769)


class TestSyncTasks:
    SYNC = "arn:aws:states:::glue:startJobRun.sync"

    def run_job(self, answer_early: bool):
        tokens: list[str] = []

        async def job(payload):
            tokens.append(payload["Token"])
            await asyncio.sleep(3600)
            return "job result"

        resources = Resources({self.SYNC: job})

        async def client():
            if answer_early:
                while not tokens:
                    await asyncio.sleep(1)
                resources.callbacks.send_success(tokens[0], '"ended early"')

        definition = callback_task()
        definition["States"]["T"]["Resource"] = self.SYNC
        return run_beside(definition, client, resources)

    def test_a_client_may_end_a_sync_task_early_with_its_token(self):
        # recorded: callback/TestCallback__test_sync_with_task_token
        ex = self.run_job(answer_early=True)
        assert (ex.output, seconds_after_start(event(ex, "TaskSucceeded"))) == ("ended early", 1)

    def test_otherwise_the_job_decides(self):
        ex = self.run_job(answer_early=False)
        assert (ex.output, seconds_after_start(event(ex, "TaskSucceeded"))) == ("job result", 3600)


class TestInParallel:
    def test_a_failed_callback_in_a_branch_is_aborted_before_the_parallel_fails(self):
        # recorded: callback/TestCallback__test_sqs_failure_in_wait_for_task_tok_no_error_field_SQS_PARALLEL_...
        inbox = TokenInbox()
        resources = resources_with(inbox)

        async def client():
            resources.callbacks.send_failure(await inbox.token())

        definition = {"StartAt": "P", "States": {"P": {
            "Type": "Parallel", "Branches": [callback_task(), {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 100, "End": True}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "C"}], "End": True},
            "C": {"Type": "Pass", "End": True}}}
        ex = run_beside(definition, client, resources)
        assert ex.output == {"error": {"Error": None, "Cause": None}}
        by_id = {e["id"]: e for e in ex.history}
        failed = event(ex, "TaskFailed")["id"]
        assert by_id[failed + 1]["type"] == "TaskStateAborted" and by_id[failed + 1]["previousEventId"] == failed
        assert event(ex, "WaitStateAborted")
        assert event(ex, "ParallelStateFailed")["previousEventId"] == failed
