"""The execution actions: start (async, sync), stop, describe, list, history, and task callbacks."""

from __future__ import annotations

import math
import random
from typing import Any

from asl_engine.integrations.callbacks import TaskTokenError
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.history import _DATA_FIELDS
from asl_engine.runtime.services import Services
from asl_engine.server.arns import execution_arn, is_express_execution, machine_of_execution, parse_machine
from asl_engine.server.catalog import Catalog, check_name, describe_for_execution
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, does_not_exist, invalid_arn, validation
from asl_engine.server.pagination import page
from asl_engine.server.runner import Runner
from asl_engine.state_machine import InvalidExecutionInput, StateMachine, parse_input
from asl_engine.store import ExecutionRecord, StateMachineRecord, Store


class _Target:
    """What a StartExecution ARN resolves to: the machine record and the definition that will run."""

    def __init__(self, machine: StateMachineRecord, definition: str, role_arn: str,
                 version_arn: str | None = None, alias_arn: str | None = None) -> None:
        self.machine = machine
        self.definition = definition
        self.role_arn = role_arn
        self.version_arn = version_arn
        self.alias_arn = alias_arn


class Executions:
    """StartExecution & co. ``rng`` picks an alias's version by weight (inject a seeded one for tests)."""

    def __init__(self, store: Store, clock: Clock, catalog: Catalog, runner: Runner, services: Services,
                 rng: random.Random) -> None:
        self.store = store
        self.clock = clock
        self.catalog = catalog
        self.runner = runner
        self.services = services
        self.rng = rng

    # -- starting
    def start_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        target = self._target(params["stateMachineArn"])
        name, text, value = self._name_and_input(params)
        machine = self._compile(target, caller)
        seed = self.rng.getrandbits(63)
        if target.machine.type == "EXPRESS":
            arn = _express_arn(machine, name, seed)
            self.runner.start_detached(machine, value, name, seed)
            return {"executionArn": arn, "startDate": self.clock.time()}
        arn = execution_arn(target.machine.arn, name)
        existing = self.store.get_execution(arn)
        if existing is not None:
            if existing.status == "RUNNING" and existing.input == text:
                return {"executionArn": arn, "startDate": existing.start}
            raise ApiError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        record = ExecutionRecord(arn=arn, state_machine_arn=target.machine.arn, name=name, type="STANDARD",
                                 definition=target.definition, role_arn=target.role_arn, input=text,
                                 start=self.clock.time(), seed=seed, version_arn=target.version_arn,
                                 alias_arn=target.alias_arn)
        self.store.put_execution(record)
        self.runner.start(record, machine, value)
        return {"executionArn": arn, "startDate": record.start}

    async def start_sync_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        target = self._target(params["stateMachineArn"])
        if target.machine.type != "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine")
        name, text, value = self._name_and_input(params)
        result = await self.runner.run(self._compile(target, caller), value, name, self.rng.getrandbits(63))
        start, stop = result.start_date.timestamp(), result.stop_date.timestamp()
        out: dict[str, Any] = {"executionArn": result.execution_arn, "stateMachineArn": target.machine.arn,
                               "name": name, "startDate": start, "stopDate": stop, "status": result.status,
                               "input": text, "inputDetails": {"included": True},
                               "billingDetails": {"billedMemoryUsedInMB": 64,
                                                  "billedDurationInMilliseconds":
                                                      max(100, math.ceil((stop - start) * 10) * 100)}}
        if result.status == "SUCCEEDED":
            out.update(output=result.output_json, outputDetails={"included": True})
        for key in ("error", "cause"):
            if getattr(result, key) is not None:
                out[key] = getattr(result, key)
        return out

    def _target(self, arn: str) -> _Target:
        ref = parse_machine(arn)
        machine = self.catalog.machine(ref.arn)
        if ref.version is not None:
            version = self.catalog.version(ref, arn)
            return _Target(machine, version.definition, version.role_arn, version_arn=version.arn)
        if ref.alias is not None:
            alias = self.catalog.alias(arn)
            version = self.store.get_version(self._route(alias.routing))
            if version is None:
                raise does_not_exist("StateMachine", arn)
            return _Target(machine, version.definition, version.role_arn, version_arn=version.arn,
                           alias_arn=alias.arn)
        return _Target(machine, machine.definition, machine.role_arn)

    def _route(self, routing: list[dict[str, Any]]) -> str:
        """A version of the alias, drawn by weight."""
        draw = self.rng.uniform(0, 100)
        for route in routing:
            draw -= route["weight"]
            if draw < 0:
                return route["stateMachineVersionArn"]
        return routing[-1]["stateMachineVersionArn"]

    def _name_and_input(self, params: dict[str, Any]) -> tuple[str, str, Any]:
        name = params.get("name") or self.services.uuid4()
        check_name(name)
        text = params.get("input", "{}")
        try:
            value = parse_input(text)
        except InvalidExecutionInput as e:
            raise ApiError("InvalidExecutionInput", str(e)) from None
        return name, text, value

    def _compile(self, target: _Target, caller: Caller) -> StateMachine:
        return self.catalog.compiler.get(target.definition, target.machine.name, target.machine.type,
                                         target.role_arn, caller)

    # -- stopping and reading
    def stop_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        record = self._execution(params["executionArn"])
        if record.status == "RUNNING":
            self.runner.stop(record, params.get("error"), params.get("cause"))
        return {"stopDate": record.stop}

    def describe_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        r = self._execution(params["executionArn"])
        out: dict[str, Any] = {"executionArn": r.arn, "stateMachineArn": r.state_machine_arn, "name": r.name,
                               "status": r.status, "startDate": r.start, "input": r.input,
                               "inputDetails": {"included": True}, "redriveCount": 0}
        if r.stop is not None:
            out["stopDate"] = r.stop
        if r.output is not None:
            out.update(output=r.output, outputDetails={"included": True})
        for key in ("error", "cause"):
            if getattr(r, key) is not None:
                out[key] = getattr(r, key)
        if r.version_arn:
            out["stateMachineVersionArn"] = r.version_arn
        if r.alias_arn:
            out["stateMachineAliasArn"] = r.alias_arn
        if r.status in ("FAILED", "TIMED_OUT", "ABORTED"):
            out["redriveStatus"] = "NOT_REDRIVABLE"
            out["redriveStatusReason"] = "Execution redrive is not supported by this endpoint yet"
        else:
            out["redriveStatus"] = "NOT_REDRIVABLE"
            out["redriveStatusReason"] = f"Execution is {r.status} and cannot be redriven"
        return out

    def list_executions(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params.get("stateMachineArn")
        if arn is None:
            raise validation("Must provide a StateMachine ARN or MapRun ARN")
        ref = parse_machine(arn)
        machine = self.catalog.machine(ref.arn)
        if machine.type == "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine")
        records = self.store.list_executions(arn, params.get("statusFilter"))
        items, token = page(records, params, scope=f"executions:{arn}:{params.get('statusFilter')}")
        out: dict[str, Any] = {"executions": [_summary(r) for r in items]}
        if token:
            out["nextToken"] = token
        return out

    def get_execution_history(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["executionArn"]
        self._execution(arn)
        events = self.store.events(arn)
        if params.get("reverseOrder"):
            events.reverse()
        items, token = page(events, params, scope=f"history:{arn}:{bool(params.get('reverseOrder'))}")
        if not params.get("includeExecutionData", True):
            items = [_without_data(e) for e in items]
        out: dict[str, Any] = {"events": list(items)}
        if token:
            out["nextToken"] = token
        return out

    def describe_state_machine_for_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        r = self._execution(params["executionArn"])
        machine = self.store.get_state_machine(r.state_machine_arn)
        if machine is None:  # deleted since: describe what the execution ran
            machine = StateMachineRecord(arn=r.state_machine_arn, name=r.state_machine_arn.rsplit(":", 1)[1],
                                         type=r.type, definition=r.definition, role_arn=r.role_arn, created=r.start,
                                         updated=r.start, revision_id="")
        out = describe_for_execution(machine)
        out.update(definition=r.definition, roleArn=r.role_arn, updateDate=machine.updated)
        if not out["revisionId"]:
            del out["revisionId"]
        return out

    def _execution(self, arn: str) -> ExecutionRecord:
        if is_express_execution(arn):
            raise invalid_arn(arn)  # AWS keeps no record of EXPRESS executions to describe
        machine_of_execution(arn)
        record = self.store.get_execution(arn)
        if record is None:
            raise does_not_exist("Execution", arn)
        return record

    # -- task tokens
    def send_task_success(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        try:
            output = parse_input(params["output"])
        except InvalidExecutionInput as e:
            raise ApiError("InvalidOutput", str(e).replace("execution input", "output")) from None
        return _callback(self.runner.resources.callbacks.send_success, params["taskToken"], output)

    def send_task_failure(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return _callback(self.runner.resources.callbacks.send_failure, params["taskToken"], params.get("error"),
                         params.get("cause"))

    def send_task_heartbeat(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return _callback(self.runner.resources.callbacks.send_heartbeat, params["taskToken"])


def _callback(send: Any, *args: Any) -> dict[str, Any]:
    try:
        send(*args)
    except TaskTokenError as e:
        raise ApiError(e.code, e.message) from None
    return {}


def _express_arn(machine: StateMachine, name: str, seed: int) -> str:
    """The ARN ``run_async`` gives an EXPRESS execution run with ``Services(seed)`` and a name: its first UUID."""
    return f"arn:aws:states:{machine.region}:{machine.account}:express:{machine.name}:{name}:" \
           f"{Services(seed).uuid4()}"


def _summary(r: ExecutionRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"executionArn": r.arn, "stateMachineArn": r.state_machine_arn, "name": r.name,
                           "status": r.status, "startDate": r.start, "redriveCount": 0}
    if r.stop is not None:
        out["stopDate"] = r.stop
    if r.version_arn:
        out["stateMachineVersionArn"] = r.version_arn
    if r.alias_arn:
        out["stateMachineAliasArn"] = r.alias_arn
    return out


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    """An event as ``includeExecutionData=false`` shows it: no input or output, marked not included."""
    out = {}
    for key, value in event.items():
        if isinstance(value, dict) and any(f in value for f in _DATA_FIELDS):
            value = {k: v for k, v in value.items() if k not in _DATA_FIELDS}
            for f in _DATA_FIELDS:
                if f + "Details" in value:
                    value[f + "Details"] = {"included": False}
        out[key] = value
    return out
