"""Lambda functions in worker processes (``LocalFunctions(isolation="process")``, ``--lambda-isolation
process``): a pool per function, its Environment in the worker's own os.environ, invocations in parallel, a
timed-out worker killed, the same answers as in-process."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_helpers import ACCOUNT, REGION

from asl_engine.integrations.lambda_.providers import LambdaRequest, LambdaResponse, LocalFunctions
from asl_engine.runtime.clock import Clock, RealClock, VirtualClock
from asl_engine.sam import load_application

APP = '''
import asyncio
import json
import os
import sys
import time
from pathlib import Path

print("printed at import")


def handler(event, context):
    print("printed by the handler")
    return {"pid": os.getpid(), "env": {k: os.environ.get(k) for k in ("FOO", "BAR", "AWS_LAMBDA_FUNCTION_NAME")},
            "cwd": os.getcwd(), "name": context.function_name, "arn": context.invoked_function_arn,
            "request": context.aws_request_id, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis()}


def barrier(event, context):
    """Waits (at most 2 s) until every invocation of the group has arrived: only parallel ones can."""
    folder = Path(event["dir"])
    (folder / str(os.getpid())).write_text("")
    deadline = time.monotonic() + 2
    while len(list(folder.iterdir())) < event["n"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid(), "met": len(list(folder.iterdir())) >= event["n"]}


def stuck(event, context):
    Path(event["pidfile"]).write_text(str(os.getpid()))
    time.sleep(30)


def _check(order):
    if order["quantity"] < 1:
        raise ValueError(f"bad quantity {order['quantity']}")


def failing(event, context):
    _check(event)


async def coroutine(event, context):
    await asyncio.sleep(0.01)
    return {"awaited": True, "pid": os.getpid()}
'''

TEMPLATE = '''
Globals:
  Function:
    Runtime: python3.12
    CodeUri: fn/
    Timeout: 1
Resources:
  Alpha:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: alpha
      Handler: app.handler
      MemorySize: 256
      Environment: {Variables: {FOO: from-alpha}}
  Beta:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Environment: {Variables: {BAR: from-beta}}
  Barrier:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.barrier
      Timeout: 5
  Stuck:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.stuck
  Failing:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.failing
  Coroutine:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.coroutine
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Handler: app.handler
  Missing:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.nowhere
'''


@pytest.fixture
def template(tmp_path: Path) -> Path:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(APP)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "app.py").write_text("import no_such_module_here\n")
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path / "template.yaml"


@pytest.fixture
def functions(template: Path) -> Iterator[LocalFunctions]:
    registry = LocalFunctions.from_template(template, isolation="process")
    yield registry
    registry.close()


def in_process(template: Path) -> LocalFunctions:
    """The template's functions in-process (those that cannot be imported left out: they would raise here)."""
    return LocalFunctions.from_functions([f for f in load_application(template).functions.values()
                                          if f.logical_id not in ("Broken", "Missing")])


def request(name: str, event: object = None, request_id: str = "req-1") -> LambdaRequest:
    return LambdaRequest(name, json.dumps(event or {}).encode(), REGION, ACCOUNT, request_id)


def invoke(functions: LocalFunctions, name: str, event: object = None, clock: Clock | None = None,
           request_id: str = "req-1") -> tuple[LambdaResponse, dict]:
    clock = clock or RealClock()
    response = clock.run(functions.invoke(request(name, event, request_id), clock))
    assert response is not None
    return response, json.loads(response.payload)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_runs_the_handler_with_the_context_and_is_reused_warm(functions: LocalFunctions,
                                                                       template: Path) -> None:
    response, first = invoke(functions, "alpha", request_id="r-1")
    assert response.function_error is None
    assert first["pid"] != os.getpid()
    assert first["cwd"] == str(template.parent / "fn")  # its code directory, Lambda's /var/task
    assert (first["name"], first["arn"], first["request"], first["memory"]) == (
        "alpha", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:alpha", "r-1", 256)
    assert 0 < first["remaining"] <= 1000
    _, second = invoke(functions, "alpha", clock=VirtualClock(), request_id="r-2")  # a virtual clock too
    assert second["pid"] == first["pid"] and second["request"] == "r-2"  # a warm start: the same worker


def test_each_function_sees_only_its_own_environment(functions: LocalFunctions) -> None:
    _, alpha = invoke(functions, "Alpha")
    _, beta = invoke(functions, "Beta")
    assert alpha["env"] == {"FOO": "from-alpha", "BAR": None, "AWS_LAMBDA_FUNCTION_NAME": "alpha"}
    assert beta["env"] == {"FOO": None, "BAR": "from-beta", "AWS_LAMBDA_FUNCTION_NAME": "Beta"}
    assert alpha["pid"] != beta["pid"]
    assert "FOO" not in os.environ and "BAR" not in os.environ  # nothing set in this process


def test_invocations_of_a_function_run_at_once_in_workers_of_their_own(functions: LocalFunctions,
                                                                       tmp_path: Path) -> None:
    folder = tmp_path / "arrived"
    folder.mkdir()
    clock = RealClock()

    async def together() -> list[LambdaResponse | None]:
        calls = [functions.invoke(request("Barrier", {"dir": str(folder), "n": 3}, f"r-{i}"), clock)
                 for i in range(3)]
        return await asyncio.gather(*calls)

    began = time.monotonic()
    answers = [json.loads(r.payload) for r in clock.run(together()) if r is not None]
    assert time.monotonic() - began < 2
    assert all(a["met"] for a in answers) and len({a["pid"] for a in answers}) == 3


def test_the_pool_is_capped_and_the_rest_queue(template: Path, tmp_path: Path) -> None:
    registry = LocalFunctions.from_template(template, isolation="process", max_workers=1)
    folder = tmp_path / "arrived"
    folder.mkdir()
    clock = RealClock()

    async def two() -> list[LambdaResponse | None]:
        event = {"dir": str(folder), "n": 1}
        return await asyncio.gather(*(registry.invoke(request("Barrier", event, f"r-{i}"), clock) for i in range(2)))

    try:
        answers = [json.loads(r.payload) for r in clock.run(two()) if r is not None]
    finally:
        registry.close()
    assert answers[0]["pid"] == answers[1]["pid"]  # one worker: the second invocation waited for it


def test_a_timed_out_worker_is_killed_and_the_next_call_gets_a_fresh_one(functions: LocalFunctions,
                                                                        tmp_path: Path) -> None:
    pidfile = tmp_path / "stuck.pid"
    began = time.monotonic()
    response, body = invoke(functions, "Stuck", {"pidfile": str(pidfile)})
    assert time.monotonic() - began < 2.5
    assert response.function_error == "Unhandled"
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": "RequestId: req-1 Error: Task timed out after 1.00 seconds"}
    assert not alive(int(pidfile.read_text()))  # SIGKILLed and reaped
    pidfile.unlink()
    _, again = invoke(functions, "Stuck", {"pidfile": str(pidfile)}, clock=VirtualClock())
    assert again["errorType"] == "Sandbox.Timedout"  # wall time in the worker, under a virtual clock too
    _, fine = invoke(functions, "Alpha")
    assert fine["env"]["FOO"] == "from-alpha"


def test_an_import_error_is_answered_as_lambdas_failed_init(functions: LocalFunctions) -> None:
    response, body = invoke(functions, "Broken")
    assert response.function_error == "Unhandled"
    assert body == {"errorMessage": "Unable to import module 'app': No module named 'no_such_module_here'",
                    "errorType": "Runtime.ImportModuleError", "stackTrace": [], "requestId": "req-1"}
    _, missing = invoke(functions, "Missing")
    assert (missing["errorType"], missing["errorMessage"]) == (
        "Runtime.HandlerNotFound", "Handler 'nowhere' missing on module 'app'")


def test_a_handlers_error_has_the_same_body_in_both_isolations(template: Path) -> None:
    _, expected = invoke(in_process(template), "Failing", {"quantity": 0})
    _, body = invoke_closing(LocalFunctions.from_template(template, isolation="process"), "Failing", {"quantity": 0})
    assert body == expected
    assert body["errorType"] == "ValueError" and body["stackTrace"][0].startswith('  File "/var/task/app.py"')
    assert len(body["stackTrace"]) == 2  # the handler, then _check: nothing of the worker's own


def invoke_closing(functions: LocalFunctions, name: str, event: object) -> tuple[LambdaResponse, dict]:
    try:
        return invoke(functions, name, event)
    finally:
        functions.close()


def test_a_coroutine_handler_is_awaited_in_its_worker(functions: LocalFunctions) -> None:
    _, body = invoke(functions, "Coroutine")
    assert body["awaited"] is True and body["pid"] != os.getpid()


def test_prints_go_to_the_registrys_output_not_into_the_protocol(template: Path) -> None:
    output = io.StringIO()
    registry = LocalFunctions.from_template(template, isolation="process", output=output)
    try:
        response, body = invoke(registry, "Alpha")
        assert response.function_error is None and body["env"]["FOO"] == "from-alpha"
        deadline = time.monotonic() + 2
        while "printed by the handler" not in output.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        registry.close()
    assert "printed at import\n" in output.getvalue() and "printed by the handler\n" in output.getvalue()


def test_close_ends_the_workers(template: Path) -> None:
    registry = LocalFunctions.from_template(template, isolation="process")
    _, body = invoke(registry, "Alpha")
    assert alive(body["pid"])
    registry.close()
    assert not alive(body["pid"])


def test_a_handler_registered_by_name_runs_in_a_worker(template: Path) -> None:
    registry = LocalFunctions("process")
    registry.register("named", f"{template.parent / 'fn' / 'app.py'}:handler", timeout=3,
                      environment={"FOO": "given"})
    registry.register("callable", lambda event: {"pid": os.getpid()})  # cannot cross: stays in-process
    try:
        _, named = invoke(registry, "named")
        _, here = invoke(registry, "callable")
    finally:
        registry.close()
    assert named["pid"] != os.getpid() and named["env"]["FOO"] == "given"
    assert here["pid"] == os.getpid()


def test_an_unknown_isolation_is_refused() -> None:
    with pytest.raises(ValueError, match="isolation"):
        LocalFunctions("docker")


def test_asl_run_with_lambda_isolation_process(template: Path, tmp_path: Path, capsys) -> None:
    from asl_engine.cli import main

    definition = tmp_path / "sm.json"
    definition.write_text(json.dumps({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
        "Parameters": {"FunctionName": "alpha", "Payload": {}}, "End": True}}}))
    assert main(["run", str(definition), "--template", str(template), "--lambda-isolation", "process",
                 "--virtual-clock"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pid"] != os.getpid() and out["env"]["FOO"] == "from-alpha"
    assert not alive(out["pid"])  # asl run closed its workers


def test_asl_run_refuses_an_unknown_isolation(template: Path, tmp_path: Path) -> None:
    from asl_engine.cli import main

    with pytest.raises(SystemExit):
        main(["run", str(tmp_path / "sm.json"), "--lambda-isolation", "thread"])


def test_the_in_process_default_is_unchanged(template: Path) -> None:
    registry = in_process(template)
    assert registry.isolation == "in-process" and registry.workers is None
    _, body = invoke(registry, "Alpha")
    assert body["pid"] == os.getpid()
    registry.close()  # nothing to do


def test_a_function_created_through_the_lambda_api_runs_in_a_worker(tmp_path: Path) -> None:
    import io as _io
    import zipfile

    from asl_engine.integrations.lambda_.packages import FunctionConfig, FunctionPackages

    def package(code: str) -> bytes:
        archive = _io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", code)
        return archive.getvalue()

    registry = LocalFunctions("process")
    packages = FunctionPackages(tmp_path / "functions", registry)
    config = FunctionConfig("created", "python3.12", "app.handler", "arn:aws:iam::1:role/r", REGION, ACCOUNT,
                            environment={"FOO": "v1"})
    try:
        packages.put(config, package("import os\ndef handler(e, c):\n    return [os.getpid(), os.environ['FOO']]\n"))
        _, (pid, foo) = invoke(registry, "created")
        assert pid != os.getpid() and foo == "v1"
        config.environment = {"FOO": "v2"}
        packages.put(config, package("import os\ndef handler(e, c):\n    return [os.getpid(), os.environ['FOO']]\n"))
        _, (new_pid, foo) = invoke(registry, "created")
        assert foo == "v2" and new_pid != pid and not alive(pid)  # the old configuration's worker stopped
        packages.put(config, package("raise RuntimeError('no')\n"))
        _, body = invoke(registry, "created")
        assert (body["errorType"], body["errorMessage"]) == ("Runtime.ImportModuleError",
                                                             "Unable to import module 'app': no")
    finally:
        registry.close()
