"""State machines, versions, aliases and tags: the control-plane actions of Step Functions.

Each action validates everything it was sent before it writes anything, so
a refused request leaves the store as it was.
"""

from __future__ import annotations

from typing import Any

from asl_engine.definition.load import parse_definition
from asl_engine.errors import InvalidDefinition
from asl_engine.runtime.clock import Clock
from asl_engine.runtime.services import Services
from asl_engine.server.arns import MachineRef, parse_machine, state_machine_arn
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, does_not_exist, invalid_arn, resource_not_found, validation
from asl_engine.server.machines import Compiler
from asl_engine.server.pagination import page
from asl_engine.state_machine import _NAME_RE, StateMachine
from asl_engine.store import AliasRecord, StateMachineRecord, Store, VersionRecord

MAX_TAGS = 50


def check_name(name: str) -> None:
    """InvalidName for a state machine or execution name AWS would refuse."""
    if not _NAME_RE.match(name):
        raise ApiError("InvalidName", f"Invalid Name: '{name}'")


class Catalog:
    """CreateStateMachine & co., versions, aliases and tags over a store."""

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

    def alias(self, arn: str) -> AliasRecord:
        record = self.store.get_alias(arn)
        if record is None:
            raise resource_not_found(arn)
        return record

    # -- state machines
    def create_state_machine(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name, definition, role_arn = params["name"], params["definition"], params["roleArn"]
        kind = params.get("type", "STANDARD")
        check_name(name)
        _check_version_description(params)
        tags = _tags(params.get("tags", []))
        self.compiler.get(definition, name, kind, role_arn, caller)
        arn = state_machine_arn(caller.region, caller.account, name)
        existing = self.store.get_state_machine(arn)
        if existing is not None:
            if (existing.definition, existing.role_arn, existing.type) != (definition, role_arn, kind):
                raise ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            return {"stateMachineArn": arn, "creationDate": existing.created}
        now = self.clock.time()
        record = StateMachineRecord(arn=arn, name=name, type=kind, definition=definition, role_arn=role_arn,
                                    created=now, updated=now, revision_id=self.services.uuid4(),
                                    description=None)
        if "loggingConfiguration" in params:
            record.logging = params["loggingConfiguration"]
        if "tracingConfiguration" in params:
            record.tracing = params["tracingConfiguration"]
        out: dict[str, Any] = {"stateMachineArn": arn, "creationDate": now}
        version = self._new_version(record, params) if params.get("publish") else None
        self.store.put_state_machine(record)
        if tags:
            self.store.set_tags(arn, tags)
        if version is not None:
            self.store.put_version(version)
            out["stateMachineVersionArn"] = version.arn
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
        arn = params["stateMachineArn"]
        record = self.machine(parse_machine(arn, versions=False, aliases=False).arn)
        fields = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")
        if not any(k in params for k in fields):
            raise ApiError("MissingRequiredParameter", "Either the definition, the role ARN, the "
                           "LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must "
                           "be specified")
        _check_version_description(params)
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
        out: dict[str, Any] = {"updateDate": record.updated, "revisionId": record.revision_id}
        version = self._new_version(record, params) if params.get("publish") else None
        self.store.put_state_machine(record)
        if version is not None:
            self.store.put_version(version)
            out["stateMachineVersionArn"] = version.arn
        return out

    def delete_state_machine(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        ref = parse_machine(params["stateMachineArn"], versions=False, aliases=False)
        self.store.delete_state_machine(ref.arn)
        return {}

    def list_state_machines(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        prefix = state_machine_arn(caller.region, caller.account, "")
        records = [r for r in self.store.list_state_machines() if r.arn.startswith(prefix)]
        items, token = page(records, params, scope="ListStateMachines")
        out: dict[str, Any] = {"stateMachines": [{"stateMachineArn": r.arn, "name": r.name, "type": r.type,
                                                  "creationDate": r.created} for r in items]}
        if token:
            out["nextToken"] = token
        return out

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
        version = self._new_version(record, {"versionDescription": params.get("description")})
        self.store.put_state_machine(record)
        self.store.put_version(version)
        return {"stateMachineVersionArn": version.arn, "creationDate": version.created}

    def list_state_machine_versions(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        record = self.machine(parse_machine(params["stateMachineArn"], versions=False, aliases=False).arn)
        items, token = page(self.store.list_versions(record.arn), params, scope=f"versions:{record.arn}")
        out: dict[str, Any] = {"stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.created}
                                                         for v in items]}
        if token:
            out["nextToken"] = token
        return out

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

    def _new_version(self, record: StateMachineRecord, params: dict[str, Any]) -> VersionRecord:
        number = record.next_version
        record.next_version += 1
        return VersionRecord(arn=f"{record.arn}:{number}", state_machine_arn=record.arn, number=number,
                             definition=record.definition, role_arn=record.role_arn, type=record.type,
                             created=self.clock.time(), revision_id=record.revision_id,
                             description=params.get("versionDescription"))

    # -- aliases
    def create_state_machine_alias(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        routing = params["routingConfiguration"]
        machine_arn = self._check_routing(routing)
        arn = f"{machine_arn}:{params['name']}"
        existing = self.store.get_alias(arn)
        if existing is not None:
            if existing.routing != routing or existing.description != params.get("description"):
                raise ApiError("ConflictException", "Failed to create alias because an alias with the same name "
                               "and a different routing configuration already exists.")
            return {"stateMachineAliasArn": arn, "creationDate": existing.created}
        now = self.clock.time()
        self.store.put_alias(AliasRecord(arn=arn, name=params["name"], state_machine_arn=machine_arn,
                                         routing=routing, created=now, updated=now,
                                         description=params.get("description")))
        return {"stateMachineAliasArn": arn, "creationDate": now}

    def describe_state_machine_alias(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        alias = self.alias(_alias_arn(params["stateMachineAliasArn"]))
        out = {"stateMachineAliasArn": alias.arn, "name": alias.name, "routingConfiguration": alias.routing,
               "creationDate": alias.created, "updateDate": alias.updated}
        if alias.description is not None:
            out["description"] = alias.description
        return out

    def update_state_machine_alias(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        alias = self.alias(_alias_arn(params["stateMachineAliasArn"]))
        if "description" not in params and "routingConfiguration" not in params:
            raise validation("Either the description or the RoutingConfiguration must be specified")
        if "routingConfiguration" in params:
            if self._check_routing(params["routingConfiguration"]) != alias.state_machine_arn:
                raise validation("Routing configuration must contain state machine versions of the alias's "
                                 "state machine")
            alias.routing = params["routingConfiguration"]
        alias.description = params.get("description", alias.description)
        alias.updated = self.clock.time()
        self.store.put_alias(alias)
        return {"updateDate": alias.updated}

    def delete_state_machine_alias(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self.store.delete_alias(self.alias(_alias_arn(params["stateMachineAliasArn"])).arn)
        return {}

    def list_state_machine_aliases(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["stateMachineArn"]
        record = self.machine(parse_machine(arn, versions=False, aliases=False).arn)
        items, token = page(self.store.list_aliases(record.arn), params, scope=f"aliases:{record.arn}")
        out: dict[str, Any] = {"stateMachineAliases": [{"stateMachineAliasArn": a.arn, "creationDate": a.created}
                                                        for a in items]}
        if token:
            out["nextToken"] = token
        return out

    def _check_routing(self, routing: list[dict[str, Any]]) -> str:
        """The state machine all routed versions belong to; ValidationException or ResourceNotFound otherwise."""
        refs = [parse_machine(r["stateMachineVersionArn"], aliases=False) for r in routing]
        if any(ref.version is None for ref in refs):
            raise validation("Routing configuration must contain state machine version ARNs")
        if len({ref.arn for ref in refs}) > 1:
            raise validation("Routing configuration must contain state machine versions of the same state machine")
        if len({r["stateMachineVersionArn"] for r in routing}) < len(routing):
            raise validation("Routing configuration must contain distinct state machine versions")
        if sum(r["weight"] for r in routing) != 100:
            raise validation("Sum of routing configuration weights must be equal to 100")
        for r in routing:
            if self.store.get_version(r["stateMachineVersionArn"]) is None:
                raise resource_not_found(r["stateMachineVersionArn"])
        return refs[0].arn

    # -- tags
    def tag_resource(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = self._taggable(params["resourceArn"])
        tags = self.store.get_tags(arn) | _tags(params["tags"])
        if len(tags) > MAX_TAGS:
            raise ApiError("TooManyTags", f"Too many tags: the resource can have at most {MAX_TAGS}")
        self.store.set_tags(arn, tags)
        return {}

    def untag_resource(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = self._taggable(params["resourceArn"])
        tags = self.store.get_tags(arn)
        self.store.set_tags(arn, {k: v for k, v in tags.items() if k not in set(params["tagKeys"])})
        return {}

    def list_tags_for_resource(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = self._taggable(params["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in self.store.get_tags(arn).items()]}

    def _taggable(self, arn: str) -> str:
        ref = parse_machine(arn, versions=False)
        exists = self.store.get_alias(arn) if ref.alias else self.store.get_state_machine(ref.arn)
        if exists is None:
            raise resource_not_found(arn)
        return arn

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


def _alias_arn(arn: str) -> str:
    if parse_machine(arn, versions=False).alias is None:
        raise invalid_arn(arn)
    return arn


def _check_version_description(params: dict[str, Any]) -> None:
    if "versionDescription" in params and not params.get("publish"):
        raise validation("Version description can only be set when publish is true")


def _tags(tags: list[dict[str, str]]) -> dict[str, str]:
    out = {t["key"]: t.get("value", "") for t in tags}
    if len(out) > MAX_TAGS:
        raise ApiError("TooManyTags", f"Too many tags: the resource can have at most {MAX_TAGS}")
    return out
