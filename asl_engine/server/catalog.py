"""State machines and their versions, and ValidateStateMachineDefinition.

Each action validates everything it was sent before it writes anything, so
a refused request leaves the store as it was.
"""

from __future__ import annotations

from typing import Any

from asl_engine.definition.load import parse_definition
from asl_engine.definition.names import valid_resource_name
from asl_engine.errors import InvalidDefinition
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.services import Services
from asl_engine.server.arns import MachineRef, parse_machine, state_machine_arn
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, does_not_exist, invalid_arn, validation
from asl_engine.server.machines import Compiler
from asl_engine.server.pagination import paged
from asl_engine.server.tags import tag_dict
from asl_engine.state_machine import StateMachine
from asl_engine.store import StateMachineRecord, Store, VersionRecord


def check_name(name: str) -> None:
    """InvalidName for a state machine or execution name AWS would refuse."""
    if not valid_resource_name(name):
        raise ApiError("InvalidName", f"Invalid Name: '{name}'")


class Catalog:
    """CreateStateMachine & co. and versions over a store."""

    def __init__(self, store: Store, clock: Clock, compiler: Compiler, services: Services) -> None:
        self.store = store
        self.clock = clock
        self.compiler = compiler
        self.services = services

    # -- lookups shared with the execution actions
    def machine(self, arn: str) -> StateMachineRecord:
        record = self.store.get_state_machine(arn)
        if record is None:
            raise does_not_exist("StateMachine", arn)
        return record

    def version(self, ref: MachineRef, arn: str) -> VersionRecord:
        record = self.store.get_version(f"{ref.arn}:{ref.version}")
        if record is None:
            raise does_not_exist("StateMachine", arn)
        return record

    # -- state machines
    def create_state_machine(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name, definition, role_arn = params["name"], params["definition"], params["roleArn"]
        kind = params.get("type", "STANDARD")
        check_name(name)
        _check_version_description(params)
        tags = tag_dict(params.get("tags", []))
        self.compiler.get(definition, name, kind, role_arn, caller)
        arn = state_machine_arn(caller.region, caller.account, name)
        existing = self.store.get_state_machine(arn)
        if existing is not None:
            if (existing.definition, existing.role_arn, existing.type) != (definition, role_arn, kind):
                raise ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            return {"stateMachineArn": arn, "creationDate": existing.created}
        now = self.clock.time()
        record = StateMachineRecord(arn=arn, name=name, type=kind, definition=definition, role_arn=role_arn,
                                    created=now, updated=now, revision_id=self.services.uuid4())
        if "loggingConfiguration" in params:
            record.logging = params["loggingConfiguration"]
        if "tracingConfiguration" in params:
            record.tracing = params["tracingConfiguration"]
        out: dict[str, Any] = {"stateMachineArn": arn, "creationDate": now}
        with self.store.atomic():
            if tags:
                self.store.set_tags(arn, tags)
            out.update(self._save(record, bool(params.get("publish")), params.get("versionDescription")))
        return out

    def describe_state_machine(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["stateMachineArn"]
        ref = parse_machine(arn, aliases=False)
        record = self.machine(ref.arn)
        out = _describe(record)
        if ref.version is not None:
            version = self.version(ref, arn)
            out.update(stateMachineArn=version.arn, definition=version.definition, roleArn=version.role_arn,
                       creationDate=version.created, revisionId=version.revision_id)
            out.pop("description", None)
            if version.description:
                out["description"] = version.description
        return out

    def update_state_machine(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        ref = parse_machine(params["stateMachineArn"], versions=False, aliases=False)
        fields = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")
        if not any(k in params for k in fields):
            raise ApiError("MissingRequiredParameter", "Either the definition, the role ARN, the "
                           "LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must "
                           "be specified")
        _check_version_description(params)
        record = self.machine(ref.arn)
        definition = params.get("definition", record.definition)
        role_arn = params.get("roleArn", record.role_arn)
        self.compiler.get(definition, record.name, record.type, role_arn, caller)
        changed = (definition, role_arn) != (record.definition, record.role_arn)
        record.definition, record.role_arn = definition, role_arn
        record.logging = params.get("loggingConfiguration", record.logging)
        record.tracing = params.get("tracingConfiguration", record.tracing)
        record.updated = self.clock.time()
        if changed:
            record.revision_id = self.services.uuid4()
        return {"updateDate": record.updated, "revisionId": record.revision_id,
                **self._save(record, bool(params.get("publish")), params.get("versionDescription"))}

    def delete_state_machine(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        ref = parse_machine(params["stateMachineArn"], versions=False, aliases=False)
        self.store.delete_state_machine(ref.arn)
        return {}

    def list_state_machines(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        prefix = state_machine_arn(caller.region, caller.account, "")
        records = [r for r in self.store.list_state_machines() if r.arn.startswith(prefix)]
        return paged("stateMachines", records, params, scope="ListStateMachines",
                     render=lambda r: {"stateMachineArn": r.arn, "name": r.name, "type": r.type,
                                       "creationDate": r.created})

    # -- versions
    def publish_state_machine_version(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        record = self.machine(parse_machine(params["stateMachineArn"], versions=False, aliases=False).arn)
        expected = params.get("revisionId")
        if expected is not None and expected != record.revision_id:
            raise ApiError("ConflictException", f"Failed to publish the State Machine version for revision "
                           f"{expected}. The current State Machine revision is {record.revision_id}.")
        latest = next(iter(self.store.list_versions(record.arn)), None)
        if latest is not None and latest.revision_id == record.revision_id:
            return {"stateMachineVersionArn": latest.arn, "creationDate": latest.created}
        version = self._publish(record, params.get("description"))
        self._put(record, version)
        return {"stateMachineVersionArn": version.arn, "creationDate": version.created}

    def list_state_machine_versions(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        record = self.machine(parse_machine(params["stateMachineArn"], versions=False, aliases=False).arn)
        return paged("stateMachineVersions", self.store.list_versions(record.arn), params,
                     scope=f"versions:{record.arn}",
                     render=lambda v: {"stateMachineVersionArn": v.arn, "creationDate": v.created})

    def delete_state_machine_version(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["stateMachineVersionArn"]
        ref = parse_machine(arn, aliases=False)
        if ref.version is None:
            raise invalid_arn(arn)
        users = [a.arn for a in self.store.list_aliases(ref.arn)
                 if any(r["stateMachineVersionArn"] == arn for r in a.routing)]
        if users:
            raise ApiError("ConflictException", "Version to be deleted must not be referenced by an alias. "
                           f"Current list of aliases referencing this version: [{', '.join(users)}]")
        self.store.delete_version(arn)
        return {}

    def _save(self, record: StateMachineRecord, publish: bool, description: str | None = None) -> dict[str, str]:
        """Store the machine and, when publishing, a new version of it; returns the response's version field."""
        version = self._publish(record, description) if publish else None
        self._put(record, version)
        return {} if version is None else {"stateMachineVersionArn": version.arn}

    def _publish(self, record: StateMachineRecord, description: str | None) -> VersionRecord:
        """A new version of the machine as it is now (numbers are never reused)."""
        number = record.next_version
        record.next_version += 1
        return VersionRecord(arn=f"{record.arn}:{number}", state_machine_arn=record.arn, number=number,
                             definition=record.definition, role_arn=record.role_arn, type=record.type,
                             created=self.clock.time(), revision_id=record.revision_id, description=description)

    def _put(self, record: StateMachineRecord, version: VersionRecord | None) -> None:
        with self.store.atomic():
            self.store.put_state_machine(record)
            if version is not None:
                self.store.put_version(version)

    # -- validation
    def validate_state_machine_definition(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        try:
            diagnostics = StateMachine.validate(parse_definition(params["definition"]))
        except InvalidDefinition as e:
            diagnostics = e.diagnostics
        failed = any(d.severity == "ERROR" for d in diagnostics)
        if params.get("severity", "ERROR") == "ERROR":
            diagnostics = [d for d in diagnostics if d.severity == "ERROR"]
        limit = params.get("maxResults") or 100
        return {"result": "FAIL" if failed else "OK", "diagnostics": [d.to_dict() for d in diagnostics[:limit]],
                "truncated": len(diagnostics) > limit}


def _describe(record: StateMachineRecord) -> dict[str, Any]:
    out = {"stateMachineArn": record.arn, "name": record.name, "status": "ACTIVE", "definition": record.definition,
           "roleArn": record.role_arn, "type": record.type, "creationDate": record.created,
           "loggingConfiguration": record.logging, "tracingConfiguration": record.tracing,
           "revisionId": record.revision_id}
    if record.description:
        out["description"] = record.description
    return out


def describe_for_execution(record: StateMachineRecord) -> dict[str, Any]:
    """DescribeStateMachine's fields that DescribeStateMachineForExecution also returns."""
    out = _describe(record)
    for key in ("status", "type", "creationDate"):
        out.pop(key)
    return out


def _check_version_description(params: dict[str, Any]) -> None:
    if "versionDescription" in params and not params.get("publish"):
        raise validation("Version description can only be set when publish is true")
