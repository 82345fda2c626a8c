"""State machine aliases: names that route StartExecution to versions by weight."""

from __future__ import annotations

import random
from typing import Any

from asl_engine.runtime.clock import Clock
from asl_engine.server.arns import parse_machine
from asl_engine.server.catalog import Catalog
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, invalid_arn, resource_not_found, validation
from asl_engine.server.pagination import paged
from asl_engine.store import AliasRecord, Store


class Aliases:
    """Create/Describe/Update/Delete/ListStateMachineAlias(es); ``route`` picks a version for StartExecution."""

    def __init__(self, store: Store, clock: Clock, catalog: Catalog, rng: random.Random) -> None:
        self.store = store
        self.clock = clock
        self.catalog = catalog
        self.rng = rng  # inject a seeded one and the routing is reproducible

    def route(self, alias: AliasRecord) -> str:
        """The version ARN one StartExecution through ``alias`` runs, drawn by weight."""
        draw = self.rng.uniform(0, 100)
        for route in alias.routing:
            draw -= route["weight"]
            if draw < 0:
                return route["stateMachineVersionArn"]
        return alias.routing[-1]["stateMachineVersionArn"]

    def alias(self, arn: str) -> AliasRecord:
        record = self.store.get_alias(arn)
        if record is None:
            raise resource_not_found(arn)
        return record

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
        record = self.catalog.machine(parse_machine(arn, versions=False, aliases=False).arn)
        return paged("stateMachineAliases", self.store.list_aliases(record.arn), params, scope=f"aliases:{record.arn}",
                     render=lambda a: {"stateMachineAliasArn": a.arn, "creationDate": a.created})

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


def _alias_arn(arn: str) -> str:
    if parse_machine(arn, versions=False).alias is None:
        raise invalid_arn(arn)
    return arn
