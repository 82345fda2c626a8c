"""``load_application``: the template read once into what the local stack deploys."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl_engine.sam.events import rule_resource, source_rules
from asl_engine.sam.globals_ import with_globals
from asl_engine.sam.intrinsics import Resolver
from asl_engine.sam.model import Archive, Function, Resource, Rule, Schedule, StateMachineSpec
from asl_engine.sam.names import Naming
from asl_engine.sam.template import load_template

_FUNCTIONS = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")


@dataclass
class Application:
    path: Path
    resolver: Resolver
    functions: dict[str, Function] = field(default_factory=dict)
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    buses: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    archives: list[Archive] = field(default_factory=list)
    resources: dict[str, Resource] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        """``!Ref name`` in the deployed stack (a parameter's value, a resource's name or ARN)."""
        return self.resolver.ref(name)


def load_application(path: str | Path = "template.yaml", parameters: dict[str, str] | None = None, *,
                     stack_name: str = "mlops", region: str = "us-east-1",
                     account: str = "123456789012") -> Application:
    """Reads ``path`` with ``parameters`` overriding the defaults (as ``--parameter-overrides`` does)."""
    path = Path(path).resolve()
    template = load_template(path)
    resolver = Resolver(template, parameters or {}, Naming(stack_name, region, account))
    app = Application(path, resolver)
    for logical_id, resource in (template.get("Resources") or {}).items():
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        kind = resource["Type"]
        props = resolver.resolve(with_globals(template, kind, resource.get("Properties") or {}))
        if kind in _FUNCTIONS:
            app.functions[logical_id] = _function(logical_id, kind, props, resolver, path.parent)
        elif kind == "AWS::Serverless::StateMachine":
            app.state_machines[logical_id] = _state_machine(logical_id, props, resolver, path.parent)
        elif kind == "AWS::Events::EventBus":
            app.buses.append(resolver.physical_name(logical_id))
        elif kind == "AWS::Events::Rule":
            app.rules.append(rule_resource(logical_id, props, resolver))
        elif kind == "AWS::Events::Archive":
            app.archives.append(_archive(logical_id, props, resolver))
        else:
            app.resources[logical_id] = Resource(logical_id, kind, resolver.physical_name(logical_id), props)
        if kind.startswith("AWS::Serverless::"):
            rules, schedules = source_rules(logical_id, kind, props, resolver)
            app.rules += rules
            app.schedules += schedules
    return app


def _function(logical_id: str, kind: str, props: dict[str, Any], resolver: Resolver, root: Path) -> Function:
    env = (props.get("Environment") or {}).get("Variables") or {}
    return Function(logical_id, resolver.physical_name(logical_id), resolver.arn(logical_id),
                    (root / str(props.get("CodeUri") or ".")).resolve(), str(props["Handler"]),
                    str(props.get("Runtime", "")), {k: str(v) for k, v in env.items()},
                    int(props.get("Timeout") or 3), int(props.get("MemorySize") or 128))


def _state_machine(logical_id: str, props: dict[str, Any], resolver: Resolver, root: Path) -> StateMachineSpec:
    """The definition as deployed: DefinitionUri's text with DefinitionSubstitutions applied
    (an unknown ``${Name}`` is left as it is, as CloudFormation leaves it)."""
    if "DefinitionUri" in props:
        text = (root / props["DefinitionUri"]).read_text(encoding="utf-8")
    else:
        text = json.dumps(props["Definition"])
    substitutions = props.get("DefinitionSubstitutions") or {}
    text = _SUBSTITUTION.sub(lambda m: str(substitutions.get(m.group(1), m.group(0))), text)
    return StateMachineSpec(logical_id, resolver.physical_name(logical_id), resolver.ref(logical_id), text,
                            str(props.get("Type", "STANDARD")))


def _archive(logical_id: str, props: dict[str, Any], resolver: Resolver) -> Archive:
    request: dict[str, Any] = {"ArchiveName": resolver.physical_name(logical_id), "EventSourceArn": props["SourceArn"]}
    if "EventPattern" in props:
        request["EventPattern"] = json.dumps(props["EventPattern"])
    for key in ("Description", "RetentionDays"):
        if key in props:
            request[key] = props[key]
    return Archive(request)
