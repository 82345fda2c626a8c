"""``load_application``: the template read once into what the local stack deploys."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asl_engine.sam.events import rule_resource, source_rules
from asl_engine.sam.globals_ import with_globals
from asl_engine.sam.intrinsics import Resolver
from asl_engine.sam.model import Archive, Function, Resource, Rule, Schedule, StateMachineSpec, TemplateError
from asl_engine.sam.names import Naming
from asl_engine.sam.template import load_template

_FUNCTIONS = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_STATE_MACHINES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
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
    """Reads ``path`` with ``parameters`` overriding the defaults (as ``--parameter-overrides`` does).

    TemplateError when the template cannot be read, or a resource cannot be resolved as CloudFormation would
    deploy it; the message names the resource, so ``asl serve --template`` can say which one to fix.
    """
    path = Path(path).resolve()
    try:
        template = load_template(path)
    except (OSError, yaml.YAMLError) as e:
        raise TemplateError(f"cannot read {path}: {e}") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources") or {}, dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources mapping)")
    resolver = Resolver(template, parameters or {}, Naming(stack_name, region, account))
    app = Application(path, resolver)
    for logical_id, resource in (template.get("Resources") or {}).items():
        try:
            _add(app, template, logical_id, resource, path.parent)
        except TemplateError:
            raise
        except (KeyError, ValueError, TypeError, AttributeError, IndexError, OSError) as e:
            kind = resource.get("Type", "?") if isinstance(resource, dict) else "?"
            raise TemplateError(f"{logical_id} ({kind}): {_problem(e)}") from None
    return app


def _problem(error: Exception) -> str:
    """What went wrong, readable: a KeyError of a bare property name is a missing property."""
    if isinstance(error, KeyError) and isinstance(error.args[0], str) and " " not in error.args[0]:
        return f"missing property {error.args[0]}"
    if isinstance(error, KeyError):
        return str(error.args[0])
    if isinstance(error, OSError):
        return f"cannot read {error.filename}: {error.strerror}"
    return str(error)


def _add(app: Application, template: dict[str, Any], logical_id: str, resource: dict[str, Any],
         root: Path) -> None:
    """One resource of the template into ``app``, skipped when its Condition is false."""
    resolver = app.resolver
    if "Condition" in resource and not resolver.condition(resource["Condition"]):
        return
    kind = resource["Type"]
    props = resolver.resolve(with_globals(template, kind, resource.get("Properties") or {}))
    if kind in _FUNCTIONS:
        app.functions[logical_id] = _function(logical_id, kind, props, resolver, root)
    elif kind in _STATE_MACHINES:
        app.state_machines[logical_id] = _state_machine(logical_id, kind, props, resolver, root)
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


def _function(logical_id: str, kind: str, props: dict[str, Any], resolver: Resolver, root: Path) -> Function:
    env = (props.get("Environment") or {}).get("Variables") or {}
    return Function(logical_id, resolver.physical_name(logical_id), resolver.arn(logical_id),
                    (root / str(props.get("CodeUri") or ".")).resolve(), str(props["Handler"]),
                    str(props.get("Runtime", "")), {k: str(v) for k, v in env.items()},
                    int(props.get("Timeout") or 3), int(props.get("MemorySize") or 128),
                    str(props.get("Role") or resolver.naming.arn("AWS::IAM::Role", f"{logical_id}Role", {})))


def _state_machine(logical_id: str, kind: str, props: dict[str, Any], resolver: Resolver,
                   root: Path) -> StateMachineSpec:
    """The definition as deployed: DefinitionUri's text (SAM), DefinitionString (CloudFormation) or an inline
    Definition, with DefinitionSubstitutions applied (an unknown ``${Name}`` is left as it is, as
    CloudFormation leaves it); the role is Role/RoleArn, else the one SAM generates, ``<LogicalId>Role``."""
    serverless = kind == "AWS::Serverless::StateMachine"
    location = props.get("DefinitionUri" if serverless else "DefinitionS3Location")
    if isinstance(location, str):
        text = (root / location).read_text(encoding="utf-8")
    elif location is not None:
        raise TemplateError(f"{logical_id} ({kind}): a definition in S3 ({json.dumps(location)}) cannot be read "
                            "locally; point DefinitionUri at the local file")
    elif isinstance(props.get("DefinitionString"), str) and not serverless:
        text = props["DefinitionString"]
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    else:
        raise TemplateError(f"{logical_id} ({kind}): no definition (Definition"
                            f"{', DefinitionUri' if serverless else ', DefinitionString'})")
    substitutions = props.get("DefinitionSubstitutions") or {}
    text = _SUBSTITUTION.sub(lambda m: str(substitutions.get(m.group(1), m.group(0))), text)
    role = props.get("Role" if serverless else "RoleArn") or resolver.naming.arn(
        "AWS::IAM::Role", f"{logical_id}Role", {})
    tracing = props.get("Tracing" if serverless else "TracingConfiguration") or {}
    return StateMachineSpec(logical_id, resolver.physical_name(logical_id), resolver.ref(logical_id), text,
                            str(props.get("Type" if serverless else "StateMachineType") or "STANDARD"), str(role),
                            tracing.get("Enabled") in (True, "true"))


def _archive(logical_id: str, props: dict[str, Any], resolver: Resolver) -> Archive:
    request: dict[str, Any] = {"ArchiveName": resolver.physical_name(logical_id), "EventSourceArn": props["SourceArn"]}
    if "EventPattern" in props:
        request["EventPattern"] = json.dumps(props["EventPattern"])
    for key in ("Description", "RetentionDays"):
        if key in props:
            request[key] = props[key]
    return Archive(request)
