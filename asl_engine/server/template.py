"""``asl serve --template``: a SAM template's stack deployed into the running service, as ``sam deploy`` would.

Why two steps: a template AWS would refuse must stop ``asl serve`` before anything exists, with the name of
the resource to fix, and the store must not change; yet the state machines belong in the store, which only
the running service holds.

``load_template`` (before the store opens) reads the template with Globals, intrinsics and
DefinitionSubstitutions resolved (``asl_engine.sam``), compiles every state machine as CreateStateMachine
compiles it and imports every Python function under its environment.

``deploy`` (on the service's loop, once the executions that were running are resumed) creates the event
wiring on the region's EventBridge, Scheduler, Pipes and Schemas and the plain resources in moto with the
local stack's deploy code (``asl_engine.local``: one deployer for both), then the state machines through the
service's own CreateStateMachine/UpdateStateMachine, last, so a refused rule leaves the store as it was.  A
restart on the same store updates a machine whose definition, role or tracing changed and leaves the rest:
never a duplicate, never an execution lost.

The template's functions answer Lambda tasks and Lambda's Invoke on the endpoint (by deployed name, logical
id or ARN); their own boto3 Step Functions and EventBridge calls reach this service (the local stack's
``hooks``), every other service the in-process moto the endpoint serves, so a function sees the tables and
topics a client created over HTTP.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore import xform_name
from botocore.exceptions import ClientError

from asl_engine.definition.load import parse_definition
from asl_engine.definition.names import valid_resource_name
from asl_engine.errors import InvalidDefinition
from asl_engine.integrations.clients import start_moto
from asl_engine.integrations.lambda_.providers import LocalFunctions
from asl_engine.local import hooks
from asl_engine.local.aws_resources import create_resources
from asl_engine.local.eventbus import answer_with, create_events, create_schemas
from asl_engine.local.pipes import create_pipes
from asl_engine.sam import Application, StateMachineSpec, TemplateError, load_application
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError
from asl_engine.server.nested import ServiceSfnClient
from asl_engine.state_machine import StateMachine

if TYPE_CHECKING:
    from asl_engine.server.event_services import EventServices
    from asl_engine.server.service import StepFunctionsService

LOCAL_STACK_NAME = "local"  # what ``sam local`` resolves AWS::StackName to when samconfig.toml names no stack
_SFN_OPERATIONS = ("StartExecution", "DescribeExecution", "StopExecution", "SendTaskSuccess", "SendTaskFailure",
                   "SendTaskHeartbeat")


class TemplateDefinitionError(TemplateError):
    """A state machine of the template whose definition CreateStateMachine would refuse."""


@dataclass
class ServedTemplate:
    """A template read and checked, ready to deploy: its resources and its functions, imported."""

    app: Application
    functions: LocalFunctions

    @property
    def caller(self) -> Caller:
        """The region and account the template was resolved in: its ARNs are that caller's."""
        naming = self.app.resolver.naming
        return Caller(region=naming.region, account=naming.account)


def stack_name_for(template: Path) -> str:
    """The stack name ``sam deploy`` would use: samconfig.toml's beside the template (its default
    environment's deploy parameters, else its global ones: the command's section wins, as in SAM), else
    ``local``, as ``sam local`` names it."""
    config = template.resolve().parent / "samconfig.toml"
    try:
        default = tomllib.loads(config.read_text(encoding="utf-8")).get("default") or {}
    except (OSError, tomllib.TOMLDecodeError):
        return LOCAL_STACK_NAME
    for command in ("deploy", "global"):
        name = ((default.get(command) or {}).get("parameters") or {}).get("stack_name")
        if isinstance(name, str) and name:
            return name
    return LOCAL_STACK_NAME


def default_region() -> str:
    """The region the AWS CLI in the same shell would sign with (AWS_REGION, AWS_DEFAULT_REGION), else us-east-1."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def load_template(path: str | Path, *, stack_name: str | None = None, region: str | None = None,
                  parameters: dict[str, str] | None = None, lambda_isolation: str = "in-process") -> ServedTemplate:
    """The template resolved, its state machines compiled and its functions imported.

    TemplateError (TemplateDefinitionError for a definition) names the resource and the problem; nothing
    is created.  moto is started and the Step Functions/EventBridge hook installed first: functions create
    their boto3 clients at import, and those must never reach AWS.  With ``lambda_isolation="process"`` the
    functions are imported by their worker processes instead, when first invoked (an import error is then
    Invoke's answer, as Lambda's failed Init), and call this service's endpoint.
    """
    path = Path(path)
    app = load_application(path, parameters, stack_name=stack_name or stack_name_for(path),
                           region=region or default_region())
    for spec in app.state_machines.values():
        _check(spec, app)
    start_moto()
    hooks.install()
    if lambda_isolation == "process":
        functions = LocalFunctions.from_functions(app.functions.values(), region=app.resolver.naming.region,
                                                  isolation="process")
        return ServedTemplate(app, functions)
    return ServedTemplate(app, _import_functions(app))


def _check(spec: StateMachineSpec, app: Application) -> None:
    """CreateStateMachine's checks of the name, type and definition, before anything is created."""
    where = f"{spec.logical_id} (state machine {spec.name})"
    if not valid_resource_name(spec.name):
        raise TemplateError(f"{where}: invalid name")
    if spec.type not in ("STANDARD", "EXPRESS"):
        raise TemplateError(f"{where}: Type must be STANDARD or EXPRESS, not {spec.type!r}")
    naming = app.resolver.naming
    try:
        StateMachine(parse_definition(spec.definition), name=spec.name, type=spec.type, region=naming.region,
                     account=naming.account, role_arn=spec.role_arn)
    except InvalidDefinition as e:
        errors = [d for d in e.diagnostics if d.severity == "ERROR"] or e.diagnostics
        details = "; ".join(f"{d.code} at {d.location or '/'}: {d.message}" for d in errors) or str(e)
        raise TemplateDefinitionError(f"{where}: invalid definition: {details}") from None


def _import_functions(app: Application) -> LocalFunctions:
    """Each Python function imported on its own, so an import that fails names its function."""
    functions = LocalFunctions()
    region = app.resolver.naming.region
    for function in app.functions.values():
        try:
            loaded = LocalFunctions.from_functions([function], region=region)
        except Exception as e:  # whatever the module raises at import stops the deploy, as Lambda's Init fails
            raise TemplateError(f"{function.logical_id} (function {function.name}): cannot import "
                                f"{function.handler} from {function.code_dir}: {type(e).__name__}: {e}") from None
        for name in dict.fromkeys((function.name, function.logical_id)):
            found = loaded.get(name)
            if found is not None:  # None: not a Python runtime, left to the Lambda API behind
                functions.add(found)
    return functions


async def deploy(template: ServedTemplate, service: StepFunctionsService, events: EventServices) -> None:
    """Creates the template's stack in the running service (see the module's docstring); on TemplateError the
    service is closed (its resumed executions stay RUNNING in the store, to resume next time) and it is raised."""
    try:
        summary = _deploy(template, service, events)
        await _state_machines(template, service, summary)
    except Exception:
        await service.close()
        raise
    print(f"asl serve: deployed {template.app.path.name}: {', '.join(summary)}", file=sys.stderr, flush=True)


def _deploy(template: ServedTemplate, service: StepFunctionsService, events: EventServices) -> list[str]:
    """Everything but the state machines, in memory (EventBridge's services, moto): nothing stored."""
    app, caller = template.app, template.caller
    region = events.region(caller)
    _refuse_type_changes(app, service)
    create_events(app, region.events, region.scheduler)
    create_schemas(app, region.schemas)
    create_pipes(app, region.pipes)
    create_resources(app, lambda name: service.resources.clients.client(name, caller.region))
    _list_functions(app, lambda name: service.resources.clients.client(name, caller.region))
    sfn = ServiceSfnClient(service.resources.state_machines.executions)  # type: ignore[attr-defined]
    hooks.serve({"sfn": lambda operation, params: _answer_sfn(sfn, operation, params),
                 "eventbridge": answer_with(region.events)}, asyncio.get_running_loop())
    return [f"functions: {len(app.functions)}", f"buses: {len(app.buses)}", f"rules: {len(app.rules)}",
            f"schedules: {len(app.schedules)}", f"other resources: {len(app.resources)}"]


def _list_functions(app: Application, client: Callable[[str], Any]) -> None:
    """The functions in moto's Lambda too, with their configuration, so ListFunctions and GetFunction at the
    endpoint show them; their code is a placeholder, as Invoke never reaches moto for them (the server
    answers it with the in-process handler).  Lambda wants each function's role to exist: SAM's generated
    ``<LogicalId>Role`` or the template's is created in IAM first."""
    roles: set[str] = set()
    for function in app.functions.values():
        role = function.role_arn.rsplit("/", 1)[-1]
        try:
            if role not in roles:
                client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=_LAMBDA_TRUST)
                roles.add(role)
            client("lambda").create_function(
                FunctionName=function.name, Runtime=function.runtime or "python3.11", Role=function.role_arn,
                Handler=function.handler, Code={"ZipFile": _PLACEHOLDER_CODE}, Timeout=function.timeout,
                MemorySize=function.memory, Environment={"Variables": function.environment})
        except ClientError as e:
            raise TemplateError(f"{function.logical_id} (function {function.name}): {e}") from None


def _placeholder_code() -> bytes:
    """A zip saying where the code runs, for the functions' entries in moto's Lambda."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ASL_SERVE.txt", "asl serve runs this function in-process from the template's CodeUri.\n")
    return archive.getvalue()


_PLACEHOLDER_CODE = _placeholder_code()
_LAMBDA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _refuse_type_changes(app: Application, service: StepFunctionsService) -> None:
    """A machine's type cannot change (AWS replaces the machine, which would drop its executions here)."""
    for spec in app.state_machines.values():
        record = service.store.get_state_machine(spec.arn)
        if record is not None and record.type != spec.type:
            raise TemplateError(f"{spec.logical_id} (state machine {spec.name}): the store at hand holds it as "
                                f"{record.type}, the template makes it {spec.type}; a type cannot change: delete "
                                "the state machine or serve another --db")


async def _state_machines(template: ServedTemplate, service: StepFunctionsService, summary: list[str]) -> None:
    """Created, updated when changed, or left as they are, through the service's own actions."""
    caller = template.caller
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for spec in template.app.state_machines.values():
        record = service.store.get_state_machine(spec.arn)
        tracing = {"enabled": spec.tracing}
        try:
            if record is None:
                await service.call("CreateStateMachine", {"name": spec.name, "definition": spec.definition,
                                                          "roleArn": spec.role_arn, "type": spec.type,
                                                          "tracingConfiguration": tracing}, caller)
                counts["created"] += 1
            elif (record.definition, record.role_arn, record.tracing) != (spec.definition, spec.role_arn, tracing):
                await service.call("UpdateStateMachine", {"stateMachineArn": spec.arn, "definition": spec.definition,
                                                          "roleArn": spec.role_arn, "tracingConfiguration": tracing},
                                   caller)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        except ApiError as e:
            raise TemplateError(f"{spec.logical_id} (state machine {spec.name}): {e.code}: {e.message}") from None
    done = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    summary.insert(0, f"state machines: {len(template.app.state_machines)}" + (f" ({done})" if done else ""))


def _answer_sfn(sfn: ServiceSfnClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """A function's boto3 Step Functions call, answered by the service (what the local stack's functions get)."""
    if operation not in _SFN_OPERATIONS:
        raise ClientError({"Error": {"Code": "UnknownOperationException", "Message": f"asl serve does not answer "
                                     f"{operation} from a template function"}}, operation)
    return getattr(sfn, xform_name(operation))(**params)
