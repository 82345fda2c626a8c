"""Step Functions ARNs: building them, and reading the ones clients send (InvalidArn when malformed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from asl_engine.server.errors import invalid_arn

_PREFIX = r"arn:aws[a-z-]*:states:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
_STATE_MACHINE = re.compile(_PREFIX + r":stateMachine:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?")
_EXECUTION = re.compile(_PREFIX + r":(?P<kind>execution|express):(?P<machine>[^:]+):(?P<name>[^:]+)(?::[^:]+)?")
_ALIAS_NAME = re.compile(r"(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]+")


@dataclass(frozen=True)
class MachineRef:
    """A state machine ARN as sent: the machine itself, one of its versions, or one of its aliases."""

    arn: str  # the state machine's own ARN (no qualifier)
    version: int | None = None
    alias: str | None = None


def state_machine_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:stateMachine:{name}"


def execution_arn(machine_arn: str, name: str) -> str:
    return machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def machine_of_execution(arn: str) -> str:
    """The state machine ARN an execution ARN belongs to (InvalidArn for anything else)."""
    match = _EXECUTION.fullmatch(arn)
    if match is None:
        raise invalid_arn(arn)
    return state_machine_arn(match["region"], match["account"], match["machine"])


def is_express_execution(arn: str) -> bool:
    match = _EXECUTION.fullmatch(arn)
    return match is not None and match["kind"] == "express"


def is_activity(arn: str) -> bool:
    return re.fullmatch(_PREFIX + r":activity:[^:]+", arn) is not None


def parse_machine(arn: str, *, versions: bool = True, aliases: bool = True) -> MachineRef:
    """Read a state machine, version (``...:name:3``) or alias (``...:name:prod``) ARN."""
    match = _STATE_MACHINE.fullmatch(arn)
    if match is None:
        raise invalid_arn(arn)
    base = state_machine_arn(match["region"], match["account"], match["name"])
    qualifier = match["qualifier"]
    if qualifier is None:
        return MachineRef(base)
    if qualifier.isdigit() and versions:
        return MachineRef(base, version=int(qualifier))
    if aliases and _ALIAS_NAME.fullmatch(qualifier):
        return MachineRef(base, alias=qualifier)
    raise invalid_arn(arn)
