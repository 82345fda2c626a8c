"""Compiled state machines, cached: a definition is parsed and compiled once, whatever runs it."""

from __future__ import annotations

from collections import OrderedDict

from asl_engine.definition.load import parse_definition
from asl_engine.errors import InvalidDefinition
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError
from asl_engine.state_machine import StateMachine

_Key = tuple[str, str, str, str, str, str]


class Compiler:
    """``StateMachine`` objects keyed by everything they are built from, least recently used dropped first."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._cache: OrderedDict[_Key, StateMachine] = OrderedDict()

    def get(self, definition: str, name: str, type: str, role_arn: str, caller: Caller) -> StateMachine:
        """The compiled machine; InvalidDefinition (the API error) when CreateStateMachine would refuse it."""
        key = (definition, name, type, role_arn, caller.region, caller.account)
        machine = self._cache.get(key)
        if machine is not None:
            self._cache.move_to_end(key)
            return machine
        try:
            machine = StateMachine(parse_definition(definition), name=name, type=type, region=caller.region,
                                   account=caller.account, role_arn=role_arn)
        except InvalidDefinition as e:
            raise ApiError("InvalidDefinition", str(e)) from None
        self._cache[key] = machine
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return machine
