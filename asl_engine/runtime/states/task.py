"""Task: calls a resource through the resource layer and writes AWS's task events around the call."""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StateFailure, StatesError
from asl_engine.integrations.arns import ResourceSpec
from asl_engine.integrations.call import TaskCall
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.interpreter import check_size
from asl_engine.runtime.states.base import Outcome, RecoverableState
from asl_engine.runtime.states.fields import read_field
from asl_engine.runtime.timeouts import wait_for

# Event-type prefix and detail fields per resource kind.
_LAMBDA, _ACTIVITY = "lambda", "activity"
_TIMEOUTS = frozenset({"States.Timeout", "States.HeartbeatTimeout"})


class TaskState(RecoverableState):
    __slots__ = ("heartbeat", "heartbeat_path", "spec", "timeout", "timeout_path")

    def __init__(self, name: str, next_name: str | None, io: Any, retriers: tuple, catchers: tuple,
                 spec: ResourceSpec, timeout: int | None, timeout_path: Any, heartbeat: int | None,
                 heartbeat_path: Any) -> None:
        super().__init__(name, "Task", next_name, io, retriers, catchers)
        self.spec = spec
        self.timeout, self.timeout_path = timeout, timeout_path
        self.heartbeat, self.heartbeat_path = heartbeat, heartbeat_path

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        return await self.recover(frame, raw, lambda: self._attempt(frame, raw))

    async def _attempt(self, frame: Frame, raw: Any) -> Outcome:
        io, spec, run = self.io, self.spec, frame.run
        effective = io.effective_input(frame, raw)
        if spec.pattern or spec.kind == _ACTIVITY:
            # issued before Parameters are evaluated: they pass it on as $$.Task.Token (.sync tasks too: a
            # client may end one early with it, recorded: callback/TestCallback__test_sync_with_task_token)
            frame.task_token = run.resources.callbacks.issue(run.services, run.execution_arn)
        try:
            payload = io.task_input(frame, effective)
            credentials = io.task_credentials(frame, effective)
            call = TaskCall(spec, payload, self.name, run.execution_arn, run.state_machine_name, run.region,
                            run.services.uuid4(),
                            timeout=self._seconds(self.timeout, self.timeout_path, "TimeoutSecondsPath", frame,
                                                  effective),
                            heartbeat=self._seconds(self.heartbeat, self.heartbeat_path, "HeartbeatSecondsPath",
                                                    frame, effective),
                            task_token=frame.task_token, credentials=credentials, clock=run.clock,
                            services=run.services,
                            on_submitted=lambda output: self._submitted(frame, output))
            result = await self._call(frame, call)
        finally:
            if frame.task_token is not None:
                run.resources.callbacks.release(frame.task_token)
        return self.next, io.output(frame, raw, result)

    async def _call(self, frame: Frame, call: TaskCall) -> Any:
        spec, run = self.spec, frame.run
        kind = spec.kind
        payload, timeout, heartbeat = call.payload, call.timeout, call.heartbeat
        run.resources.check(call)
        if kind == _LAMBDA:
            details: dict[str, Any] = {"resource": spec.arn, "input": payload}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            _with_credentials(details, call)
            frame.emit("LambdaFunctionScheduled", details)
            frame.emit("LambdaFunctionStarted")
        elif kind == _ACTIVITY:
            details = {"resource": spec.arn, "input": payload}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            if heartbeat is not None:
                details["heartbeatInSeconds"] = heartbeat
            frame.emit("ActivityScheduled", details)
        else:
            details = {"resourceType": spec.service, "resource": spec.resource, "region": spec.region or run.region,
                       "parameters": payload}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            if heartbeat is not None:
                details["heartbeatInSeconds"] = heartbeat
            _with_credentials(details, call)
            frame.emit("TaskScheduled", details)
            frame.emit("TaskStarted", {"resourceType": spec.service, "resource": spec.resource})
        try:
            invocation = run.resources.invoke(call)
            result = await wait_for(invocation, timeout)
            if run.payload_limit is not None:
                # AWS fails the task itself (Task/LambdaFunctionFailed, catchable) when the result is over
                # the quota, naming the function ARN or the integration's service (recorded cases:
                # error_handling/TestStatesErrors__test_*lambda*_data_limit_exceeded_on_large_utf8_response).
                check_size(result, run.payload_limit, spec.arn if kind == _LAMBDA else spec.service,
                           run.payload_meter)
        except TimeoutError:
            self._emit_end(frame, "TimedOut", {"error": "States.Timeout"})
            # the cause is empty, not absent: a Catch sees {"Error": "States.Timeout", "Cause": ""} (recorded:
            # error_handling/TestTaskServiceLambda__test_invoke_timeout); the execution's events omit it
            raise StatesError("States.Timeout", "") from None
        except StatesError as e:
            # a SendTaskFailure without error or cause records neither (recorded: callback/TestCallback__test_
            # sqs_failure_in_wait_for_task_tok_no_error_field_*); a timeout's empty cause is left out too
            timed_out = e.error in _TIMEOUTS
            failure = {key: value for key, value in (("error", e.error), ("cause", e.cause))
                       if value is not None and not (timed_out and value == "")}
            self._emit_end(frame, "TimedOut" if timed_out else "Failed", failure)
            raise
        self._emit_end(frame, "Succeeded", {"output": result})
        return result

    def _submitted(self, frame: Frame, output: Any) -> None:
        """TaskSubmitted (.sync, callbacks); for an activity, ActivityStarted with the worker's name, if any."""
        spec = self.spec
        if spec.kind == _ACTIVITY:
            frame.emit("ActivityStarted", {} if output is None else {"workerName": output})
        else:
            frame.emit("TaskSubmitted", {"resourceType": spec.service, "resource": spec.resource, "output": output})

    def _emit_end(self, frame: Frame, outcome: str, details: dict) -> None:
        spec = self.spec
        if spec.kind == _LAMBDA:
            frame.emit(f"LambdaFunction{outcome}", details)
        elif spec.kind == _ACTIVITY:
            frame.emit(f"Activity{outcome}", details)
        else:
            frame.emit(f"Task{outcome}", {"resourceType": spec.service, "resource": spec.resource, **details})

    @staticmethod
    def _seconds(value: int | None, path: Any, field: str, frame: Frame, effective: Any) -> int | None:
        if path is None:
            return value
        seconds = read_field(path, frame.scope(effective), field)
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
            raise StateFailure("States.Runtime", f"The {field} parameter references an invalid value: "
                                                 f"{path.text} == {seconds}")
        return seconds


def _with_credentials(details: dict[str, Any], call: TaskCall) -> None:
    """The role a Task's ``Credentials`` names, as AWS records it on the scheduled event (``taskCredentials``;
    recorded: credentials/TestCredentialsBase__test_cross_account_*)."""
    if isinstance(call.credentials, dict) and "RoleArn" in call.credentials:
        details["taskCredentials"] = {"roleArn": call.credentials["RoleArn"]}
