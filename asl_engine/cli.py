"""The ``asl`` command: ``asl run`` executes a definition, ``asl validate`` checks definitions,
``asl serve`` serves the Step Functions API.

Exit codes are distinct so scripts can tell what went wrong: 0 the execution
succeeded (or every definition is valid), 1 the execution failed, timed out
or was aborted, 2 usage error, 3 invalid definition, 4 invalid input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asl_engine.errors import InvalidDefinition
from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.lambda_.providers import ISOLATIONS, EndpointFunctions, LocalFunctions
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import Clock, RealClock, VirtualClock
from asl_engine.runtime.history import dumps
from asl_engine.state_machine import InvalidExecutionInput, StateMachine, parse_input

if TYPE_CHECKING:
    from asl_engine.sim.hosting import Simulators

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INVALID_DEFINITION, EXIT_BAD_INPUT = 0, 1, 2, 3, 4


def _read_input(spec: str | None) -> Any:
    if spec is None:
        return {}
    if spec == "-":
        return parse_input(sys.stdin.read())
    if spec.startswith("@"):
        with open(spec[1:], encoding="utf-8") as f:
            return parse_input(f.read())
    return parse_input(spec)


def _resources(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        key, sep, target = spec.partition("=")
        if not sep or not key or not target:
            raise argparse.ArgumentTypeError(f"--resource {spec!r}: expected ARN_OR_FUNCTION=module:function")
        out[key] = target
    return out


def _run_resources(args: argparse.Namespace) -> Resources:
    """One switch for every AWS call of the run (--aws, --endpoint-url), SAM functions, --resource bindings.

    With --lambda-isolation process the template's functions run in worker processes: their AWS calls go to
    --endpoint-url, to AWS with --aws aws, else to a moto of each worker's own (never to AWS)."""
    clients = ClientFactory("endpoint" if args.endpoint_url else args.aws, endpoint_url=args.endpoint_url)
    if args.template:  # the functions run in the region of the run's clients
        functions = LocalFunctions.from_template(args.template, region=clients.region,
                                                 isolation=args.lambda_isolation, moto=clients.backend == "moto")
        if functions.workers is not None and args.endpoint_url:
            functions.workers.environment["AWS_ENDPOINT_URL"] = args.endpoint_url
        resources = Resources(functions=functions, clients=clients)
    else:
        resources = Resources(clients=clients)
    for key, target in _resources(args.resource).items():
        resources.register(key, target)
    if args.lambda_endpoint_url:  # e.g. sam local start-lambda, asked before the run's own Lambda API
        resources.lambdas.providers.insert(-1, EndpointFunctions(ClientFactory(
            "endpoint", endpoint_url=args.lambda_endpoint_url)))
    return resources


def _moto_simulators(resources: Resources, clock: Clock) -> Simulators | None:
    """On moto, SageMaker and Batch jobs take time on the run's clock (a Batch job runs without Docker): the
    simulators catch up whenever ``.sync`` polls.  Their events have no bus to go to in a single run."""
    if resources.clients.backend != "moto":
        return None
    from asl_engine.sim.hosting import attach_simulators

    return attach_simulators(clock)


def _print_diagnostics(label: str, diagnostics: list) -> None:
    for d in diagnostics:
        print(f"{label}: {d.severity} {d.code} at {d.location or '/'}: {d.message}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        sm = StateMachine(args.definition, name=args.name or "StateMachine", type=args.type)
    except InvalidDefinition as e:
        _print_diagnostics(args.definition, e.diagnostics)
        return EXIT_INVALID_DEFINITION
    except OSError as e:
        print(f"asl run: cannot read {args.definition}: {e.strerror}", file=sys.stderr)
        return EXIT_USAGE
    try:
        data = _read_input(args.input)
    except (InvalidExecutionInput, OSError) as e:
        print(f"asl run: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        resources = _run_resources(args)
    except (argparse.ArgumentTypeError, ValueError, OSError) as e:
        print(f"asl run: {e}", file=sys.stderr)
        return EXIT_USAGE
    clock = VirtualClock(datetime.fromisoformat(args.start_time) if args.start_time else None) \
        if args.virtual_clock else RealClock()
    simulators = _moto_simulators(resources, clock)
    try:
        result = sm.run(data, name=args.execution_name, clock=clock, resources=resources,
                        payload_limit=None if args.no_payload_limit else 256 * 1024)
    finally:
        resources.functions.close()  # the worker processes of --lambda-isolation process
        if simulators is not None:
            simulators.detach()
    if args.history:
        print(json.dumps(result.history, indent=2, default=str))
    elif result.status == "SUCCEEDED":
        print(dumps(result.output))
    if result.status != "SUCCEEDED":
        print(f"{result.status}: {result.error or ''}", file=sys.stderr)
        if result.cause:
            print(result.cause, file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    worst = EXIT_OK
    for path in args.files:
        diagnostics = StateMachine.validate(path)
        failed = any(d.severity == "ERROR" for d in diagnostics)
        if args.json:
            print(json.dumps({"file": path, "result": "FAIL" if failed else "OK",
                              "diagnostics": [d.to_dict() for d in diagnostics]}))
        else:
            _print_diagnostics(path, diagnostics)
            print(f"{path}: {'FAIL' if failed else 'OK'}")
        if failed:
            worst = EXIT_INVALID_DEFINITION
    return worst


def _parameter_overrides(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"--parameter-overrides {spec!r}: expected Key=Value")
        out[key] = value
    return out


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve until a signal; a template refused (2, or 3 for a state machine's definition) or an unusable
    store (2) stops it before anything is stored."""
    from asl_engine.integrations.mocks import MockConfigError
    from asl_engine.sam import TemplateError
    from asl_engine.server import ServeOptions, serve
    from asl_engine.server.mock_config import ENV_VAR, MockConfigs
    from asl_engine.server.template import TemplateDefinitionError, load_template
    from asl_engine.store import StoreError

    try:
        resources = _resources(args.resource)
        parameters = _parameter_overrides(args.parameter_overrides)
    except argparse.ArgumentTypeError as e:
        print(f"asl serve: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.template is None and (args.stack_name or parameters):
        print("asl serve: --stack-name and --parameter-overrides need --template", file=sys.stderr)
        return EXIT_USAGE
    options = ServeOptions(host=args.host, port=args.port, db=args.db, virtual_clock=args.virtual_clock,
                           start_time=datetime.fromisoformat(args.start_time) if args.start_time else None,
                           retention_days=args.retention_days, seed=args.seed, moto=not args.no_moto,
                           resources=resources, lambda_isolation=args.lambda_isolation)
    mock_config = args.mock_config or os.environ.get(ENV_VAR)  # the flag wins, as over Step Functions Local's
    if mock_config:
        try:
            options.mock_configs = MockConfigs.from_file(mock_config)
        except (MockConfigError, OSError) as e:
            print(f"asl serve: mock configuration {mock_config}: {e}", file=sys.stderr)
            return EXIT_USAGE
    try:
        if args.template is not None:
            options.template = load_template(args.template, stack_name=args.stack_name, parameters=parameters,
                                             lambda_isolation=args.lambda_isolation)
        serve(options)
    except TemplateError as e:
        print(f"asl serve: {args.template}: {e}", file=sys.stderr)
        return EXIT_INVALID_DEFINITION if isinstance(e, TemplateDefinitionError) else EXIT_USAGE
    except StoreError as e:
        print(f"asl serve: {e}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_scenario(args: argparse.Namespace) -> int:
    """The MLOps scenarios on the local stack (asl_engine.local.scenarios), under a virtual clock."""
    import warnings

    from asl_engine.local.scenarios import SCENARIOS, run_scenario
    from asl_engine.sam import load_application

    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        print(f"asl scenario: unknown scenario {', '.join(unknown)} (choose from {', '.join(SCENARIOS)})",
              file=sys.stderr)
        return EXIT_USAGE

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    for key, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "testing"),
                       ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(key, value)
    app = load_application(args.template)
    logs = Path(args.function_logs) if args.function_logs else None
    if logs is not None:
        logs.mkdir(parents=True, exist_ok=True)
    outcomes = [run_scenario(name, app, sys.stdout, logs / f"{name}.log" if logs else None)
                for name in args.scenarios or list(SCENARIOS)]
    return EXIT_OK if all(o.as_designed for o in outcomes) else 1


_ISOLATION_HELP = ("where --template's Python functions run: in-process (default: fast, deterministic, on the "
                   "virtual clock) or process (a pool of worker processes per function, as Lambda: own "
                   "environment, parallel invocations, a timed-out handler killed)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asl", description="Run and validate Amazon States Language "
                                                             "state machines locally, as AWS does.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one execution and print its output")
    run.add_argument("definition", help="the ASL definition file")
    run.add_argument("--input", help="input JSON, @file, or - for stdin (default {})")
    run.add_argument("--virtual-clock", action="store_true",
                     help="simulate time: Waits and retry backoffs finish at once")
    run.add_argument("--start-time", help="with --virtual-clock: the simulated start (ISO 8601)")
    run.add_argument("--history", action="store_true", help="print the execution history instead of the output")
    run.add_argument("--name", help="state machine name (default StateMachine)")
    run.add_argument("--execution-name", help="execution name (default: a UUID)")
    run.add_argument("--type", choices=("STANDARD", "EXPRESS"), default="STANDARD")
    run.add_argument("--resource", action="append", default=[], metavar="ARN=module:function",
                     help="bind a Task resource (or Lambda function name/ARN) to a local Python handler; repeatable")
    run.add_argument("--no-payload-limit", action="store_true", help="lift the 256 KiB state payload quota")
    run.add_argument("--aws", choices=("moto", "aws"), default="moto",
                     help="where AWS calls go: moto in-process (default, no account) or AWS (credential chain)")
    run.add_argument("--endpoint-url", help="send every AWS call to this endpoint (LocalStack, sam local, ...)")
    run.add_argument("--template", help="a SAM template.yaml whose Python functions answer Lambda tasks")
    run.add_argument("--lambda-endpoint-url", help="a Lambda Invoke API for functions not found locally "
                                                   "(sam local start-lambda: http://127.0.0.1:3001)")
    run.add_argument("--lambda-isolation", choices=ISOLATIONS, default="in-process", help=_ISOLATION_HELP)
    run.set_defaults(func=cmd_run)
    validate = sub.add_parser("validate", help="check definitions as ValidateStateMachineDefinition does")
    validate.add_argument("files", nargs="+")
    validate.add_argument("--json", action="store_true", help="print AWS-shaped JSON results")
    validate.set_defaults(func=cmd_validate)
    serve = sub.add_parser("serve", help="serve the Step Functions API (and moto for other AWS services)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8083, help="default 8083, as Step Functions Local; 0 picks one")
    serve.add_argument("--db", default=".asl/state.db", help="SQLite store (default .asl/state.db); :memory: "
                                                             "keeps nothing")
    serve.add_argument("--virtual-clock", action="store_true",
                       help="time moves as real time plus what POST /_asl/clock/advance adds")
    serve.add_argument("--start-time", help="with --virtual-clock: the simulated time now (ISO 8601)")
    serve.add_argument("--retention-days", type=float, default=90.0,
                       help="forget closed executions after this long (default 90, as AWS)")
    serve.add_argument("--seed", type=int, help="make ids and alias routing reproducible")
    serve.add_argument("--no-moto", action="store_true", help="answer Step Functions only, no other services")
    serve.add_argument("--resource", action="append", default=[], metavar="ARN=module:function",
                       help="bind a Task resource (or Lambda function name/ARN) to a local Python handler")
    serve.add_argument("--template", help="a SAM template.yaml deployed at startup: its state machines "
                                          "(DefinitionSubstitutions resolved), Python functions, EventBridge "
                                          "wiring, tables, queues, topics, buckets and alarms")
    serve.add_argument("--stack-name", help="with --template: AWS::StackName (default: samconfig.toml's "
                                            "stack_name beside the template, else 'local' as sam local)")
    serve.add_argument("--parameter-overrides", nargs="+", default=[], metavar="Key=Value",
                       help="with --template: template parameters, as sam deploy's --parameter-overrides")
    serve.add_argument("--mock-config", metavar="MockConfigFile.json",
                       help="Step Functions Local's mock configuration: executions started as "
                            "'<state machine ARN>#<TestCase>' answer its Task states from it (default: "
                            "$SFN_MOCK_CONFIG; POST /_asl/mock-config replaces it at runtime)")
    serve.add_argument("--lambda-isolation", choices=ISOLATIONS, default="in-process", help=_ISOLATION_HELP)
    serve.set_defaults(func=cmd_serve)
    scenario = sub.add_parser("scenario", help="run the MLOps application's scenarios on the local stack "
                                               "(virtual clock): drift -> retraining -> canary, and a rollback")
    scenario.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="canary, rollback (default: both)")
    scenario.add_argument("--template", default="template.yaml", help="the SAM template (default template.yaml)")
    scenario.add_argument("--function-logs", metavar="DIR",
                          help="write what the functions logged to DIR/<scenario>.log")
    scenario.set_defaults(func=cmd_scenario)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
