"""The execution actions: start (async, sync), stop, redrive, describe, list, history, and task callbacks."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from asl_engine.integrations.api_errors import too_long
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.history import _DATA_FIELDS, BRANCH_FIELD
from asl_engine.runtime.redrive import not_redrivable_reason, redriven_event
from asl_engine.runtime.services import Services
from asl_engine.server.aliases import Aliases
from asl_engine.server.arns import execution_arn, is_express_execution, machine_of_execution, parse_machine
from asl_engine.server.catalog import Catalog, check_name, describe_for_execution
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, does_not_exist, invalid_arn, validation
from asl_engine.server.map_runs import MapRunChildren
from asl_engine.server.mock_config import MockConfigs, mocked_resources, split_test_case
from asl_engine.server.pagination import paged
from asl_engine.server.resume import Replay
from asl_engine.server.runner import Runner
from asl_engine.state_machine import InvalidExecutionInput, StateMachine, parse_input
from asl_engine.store import ExecutionRecord, StateMachineRecord, Store

INPUT_LIMIT = 262_144  # bytes of UTF-8, StartExecution's quota
# RedriveExecution answers again for "the last 10 client tokens used to successfully redrive the execution",
# "valid for up to 15 minutes after they are first used" (its API reference)
REDRIVE_TOKENS, REDRIVE_TOKEN_SECONDS = 10, 900


@dataclass(frozen=True)
class _Target:
    """What a StartExecution ARN resolves to: the machine record and the definition that will run."""

    machine: StateMachineRecord
    definition: str
    role_arn: str
    version_arn: str | None = None
    alias_arn: str | None = None


class Executions:
    """StartExecution & co. ``rng`` draws each execution's seed (inject a seeded one for tests)."""

    def __init__(self, store: Store, clock: Clock, catalog: Catalog, aliases: Aliases, runner: Runner,
                 services: Services, rng: random.Random, mock_configs: MockConfigs | None = None) -> None:
        self.store = store
        self.clock = clock
        self.catalog = catalog
        self.aliases = aliases
        self.runner = runner
        self.services = services
        self.rng = rng
        self.children = MapRunChildren(store)
        self.mock_configs = mock_configs or MockConfigs()  # what ``<arn>#<TestCase>`` starts run with

    # -- starting
    def start_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        machine_arn, test_case = split_test_case(params["stateMachineArn"])
        target = self._target(machine_arn)
        name, text = self._name_and_input(params)
        machine = self._compile(target)
        mock_config = self._mock_config(target, test_case)
        resources = mocked_resources(self.runner.resources, mock_config, test_case)
        seed = self.rng.getrandbits(63)
        if target.machine.type == "EXPRESS":
            arn = _express_arn(machine, name, seed)
            self.runner.start_detached(machine, text, name, seed, resources)
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
                                 alias_arn=target.alias_arn, test_case=test_case, mock_config=mock_config)
        self.store.put_execution(record)
        self.runner.start(record, machine, text, resources=resources)
        return {"executionArn": arn, "startDate": record.start}

    async def start_sync_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        machine_arn, test_case = split_test_case(params["stateMachineArn"])
        target = self._target(machine_arn)
        if target.machine.type != "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine")
        name, text = self._name_and_input(params)
        machine = self._compile(target)
        resources = mocked_resources(self.runner.resources, self._mock_config(target, test_case), test_case)
        result = await self.runner.run(machine, text, name, self.rng.getrandbits(63), resources)
        start, stop = result.start_date.timestamp(), result.stop_date.timestamp()
        out: dict[str, Any] = {"executionArn": result.execution_arn, "stateMachineArn": target.machine.arn,
                               "name": name, "startDate": start, "stopDate": stop, "status": result.status,
                               "input": text, "inputDetails": {"included": True},
                               "billingDetails": {"billedMemoryUsedInMB": 64,
                                                  "billedDurationInMilliseconds":
                                                      max(100, math.ceil((stop - start) * 10) * 100)}}
        return out | _outcome(result.output_json, result.error, result.cause)

    def _target(self, arn: str) -> _Target:
        ref = parse_machine(arn)
        machine = self.catalog.machine(ref.arn)
        if ref.version is not None:
            version = self.catalog.version(ref, arn)
            return _Target(machine, version.definition, version.role_arn, version_arn=version.arn)
        if ref.alias is not None:
            alias = self.aliases.alias(arn)
            version = self.store.get_version(self.aliases.route(alias))
            if version is None:
                raise does_not_exist("StateMachine", arn)
            return _Target(machine, version.definition, version.role_arn, version_arn=version.arn,
                           alias_arn=alias.arn)
        return _Target(machine, machine.definition, machine.role_arn)

    def _name_and_input(self, params: dict[str, Any]) -> tuple[str, str]:
        """The execution's name and its input text, checked (the engine reads the text itself: a JSON string
        input such as ``"text"`` is not JSON text once parsed)."""
        name = params.get("name") or self.services.uuid4()
        check_name(name)
        text = params.get("input", "{}")
        if len(text.encode("utf-8")) > INPUT_LIMIT:  # the model counts characters, the quota counts bytes
            raise too_long("input", INPUT_LIMIT)
        try:
            parse_input(text)
        except InvalidExecutionInput as e:
            raise ApiError("InvalidExecutionInput", str(e)) from None
        return name, text

    def _compile(self, target: _Target) -> StateMachine:
        """The machine as it runs: in its own account and region, whoever starts it (a workflow of another
        account starting it cross-account, as AWS does with ``Credentials.RoleArn``, included)."""
        parts = target.machine.arn.split(":")
        return self.catalog.compiler.get(target.definition, target.machine.name, target.machine.type,
                                         target.role_arn, Caller(region=parts[3], account=parts[4]))

    def _mock_config(self, target: _Target, test_case: str | None) -> dict[str, Any] | None:
        """The MockConfigFile of the test case an ``<arn>#<TestCase>`` start names (None without one)."""
        return None if test_case is None else self.mock_configs.test_case(target.machine.name, test_case)

    # -- redriving
    def redrive_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """Continue a FAILED, TIMED_OUT or ABORTED execution from its unsuccessful states (a replay, see resume.py).

        The ExecutionRedriven event and the record's new state are written together, before the execution
        runs again, so a service that dies right after answering resumes the redrive like any other execution.
        """
        arn = params["executionArn"]
        if is_express_execution(arn):
            raise ApiError("ExecutionNotRedrivable", "Execution is of an EXPRESS state machine and cannot be "
                                                     "redriven")
        record = self._execution(arn)
        now = self.clock.time()
        token = params.get("clientToken")
        for used, date in record.redrive_tokens:  # a token is first used by the redrive it answers for
            if used == token and now - date <= REDRIVE_TOKEN_SECONDS:
                return {"redriveDate": date}
        events = self.store.events(arn)
        reason = self._not_redrivable(record, len(events), now)
        if reason is not None:
            raise ApiError("ExecutionNotRedrivable", reason)
        parts = arn.split(":")  # arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME, as resume compiles it
        machine = self.catalog.compiler.get(record.definition, parts[6], record.type, record.role_arn,
                                            Caller(region=parts[3], account=parts[4]))
        event = redriven_event(events, now, record.redrive_count + 1)
        record.status, record.stop, record.output, record.error, record.cause = "RUNNING", None, None, None, None
        record.redrive_count, record.redrive_date = record.redrive_count + 1, now
        if token is not None:
            record.redrive_tokens = [*record.redrive_tokens, [token, now]][-REDRIVE_TOKENS:]
        with self.store.atomic():
            self.store.append_event(arn, event)
            self.store.put_execution(record)
        events.append(event)
        resources = mocked_resources(self.runner.resources, record.mock_config, record.test_case)
        replay = Replay.of(record, events, self.clock, resources)
        self.runner.start(record, machine, record.input, replay)
        return {"redriveDate": now}

    def _not_redrivable(self, record: ExecutionRecord, event_count: int, now: float) -> str | None:
        """AWS's redriveStatusReason for an execution RedriveExecution would refuse now; None if it would not."""
        if record.status not in ("RUNNING", "SUCCEEDED") and self.store.get_state_machine(
                record.state_machine_arn) is None:
            return "State machine is in DELETING status"
        return not_redrivable_reason(record.status, record.start, record.stop, event_count, record.redrive_count,
                                     now)

    # -- stopping and reading
    def stop_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        record = self._execution(params["executionArn"])
        if record.status == "RUNNING":
            self.runner.stop(record, params.get("error"), params.get("cause"))
        return {"stopDate": record.stop}

    def describe_execution(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["executionArn"]
        if (child := self.children.describe(arn)) is not None:
            return child  # a Distributed Map's child execution (``...:execution:<machine>/<label>:<name>``)
        r = self._execution(arn)
        out = _summary(r) | {"input": r.input, "inputDetails": {"included": True}}
        out |= _outcome(r.output, r.error, r.cause)
        # the history is read only for an execution that could be redriven, to count its events
        events = 0 if r.status in ("RUNNING", "SUCCEEDED") else len(self.store.events(r.arn))
        reason = self._not_redrivable(r, events, self.clock.time())
        if reason is None:
            out["redriveStatus"] = "REDRIVABLE"
        else:
            out |= {"redriveStatus": "NOT_REDRIVABLE", "redriveStatusReason": reason}
        return out

    def list_executions(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params.get("stateMachineArn")
        if "mapRunArn" in params:
            if arn is not None:
                raise validation("Must provide a StateMachine ARN or MapRun ARN, not both")
            return self.children.list(params)
        if arn is None:
            raise validation("Must provide a StateMachine ARN or MapRun ARN")
        ref = parse_machine(arn)
        machine = self.catalog.machine(ref.arn)
        if machine.type == "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine")
        records = self.store.list_executions(arn, params.get("statusFilter"))
        redrive_filter = params.get("redriveFilter")
        if redrive_filter is not None:
            records = [r for r in records if (r.redrive_count > 0) == (redrive_filter == "REDRIVEN")]
        return paged("executions", records, params,
                     scope=f"executions:{arn}:{params.get('statusFilter')}:{redrive_filter}", render=_summary)

    def get_execution_history(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["executionArn"]
        self._execution(arn)
        events = [_public(e) for e in self.store.events(arn)]
        if params.get("reverseOrder"):
            events.reverse()
        return paged("events", events, params, scope=f"history:{arn}:{bool(params.get('reverseOrder'))}",
                     render=None if params.get("includeExecutionData", True) else _without_data)

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

    # -- task tokens and activities: the runtime's own objects check the arguments and raise ApiError
    def send_task_success(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self.runner.resources.callbacks.send_success(params["taskToken"], params["output"])
        return {}

    def send_task_failure(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self.runner.resources.callbacks.send_failure(params["taskToken"], params.get("error"), params.get("cause"))
        return {}

    def send_task_heartbeat(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self.runner.resources.callbacks.send_heartbeat(params["taskToken"])
        return {}


def _express_arn(machine: StateMachine, name: str, seed: int) -> str:
    """The ARN ``run_async`` gives an EXPRESS execution run with ``Services(seed)`` and a name: its first UUID."""
    return f"arn:aws:states:{machine.region}:{machine.account}:express:{machine.name}:{name}:" \
           f"{Services(seed).uuid4()}"


def _summary(r: ExecutionRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"executionArn": r.arn, "stateMachineArn": r.state_machine_arn, "name": r.name,
                           "status": r.status, "startDate": r.start, "redriveCount": r.redrive_count}
    if r.stop is not None:
        out["stopDate"] = r.stop
    if r.redrive_date is not None:
        out["redriveDate"] = r.redrive_date
    if r.version_arn:
        out["stateMachineVersionArn"] = r.version_arn
    if r.alias_arn:
        out["stateMachineAliasArn"] = r.alias_arn
    return out


def _outcome(output: str | None, error: str | None, cause: str | None) -> dict[str, Any]:
    """The end of an execution as DescribeExecution and StartSyncExecution show it."""
    out: dict[str, Any] = {} if output is None else {"output": output, "outputDetails": {"included": True}}
    return out | {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}


def _public(event: dict[str, Any]) -> dict[str, Any]:
    """A stored event without the engine's own bookkeeping (the branch key a resume matches by)."""
    if BRANCH_FIELD in event:
        event = {k: v for k, v in event.items() if k != BRANCH_FIELD}
    return event


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    """An event as ``includeExecutionData=false`` shows it: without its input and output."""
    out = {}
    for key, value in event.items():
        if isinstance(value, dict) and any(f in value for f in _DATA_FIELDS):
            value = {k: v for k, v in value.items() if k not in _DATA_FIELDS}
        out[key] = value
    return out
