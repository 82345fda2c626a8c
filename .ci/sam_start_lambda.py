"""``sam local start-lambda`` as the Lambda endpoint of ``asl run``: a workflow's Lambda tasks in the Lambda
runtime's container.

Why this exists: the engine's second Lambda provider is any Lambda Invoke API (AWS, ``sam local
start-lambda``, moto), and only a real ``sam local start-lambda`` shows that the template's built functions
answer a workflow's ``lambda:invoke`` (by FunctionName) and legacy function-ARN tasks, and that a function
error comes back named as AWS names it (``errorType`` as the error, the runtime's JSON as the cause).

Usage: sam_start_lambda.py SAM BUILT_TEMPLATE [--port 3001] [--work DIR]
Prints one line per workflow with its time; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The function raises MetricsUnavailable for a model it has no metrics for.
UNKNOWN_MODEL = {"StartAt": "Evaluate", "States": {"Evaluate": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "evaluate-model", "Payload": {"model_name": "none"}}, "End": True}}}


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"sam local start-lambda exited {process.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"sam local start-lambda did not listen on {port} in {seconds:.0f} s; see {log}")


def asl_run(definition: Path, endpoint: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "asl_engine.cli", "run", str(definition), "--virtual-clock",
                           "--lambda-endpoint-url", endpoint, *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def promotion(endpoint: str, work: Path) -> str:
    """model_promotion: evaluate-model by FunctionName, then notify by its function ARN."""
    done = asl_run(ROOT / "statemachine" / "model_promotion.asl.json", endpoint,
                   "--input", f"@{ROOT / 'events' / 'model_promotion_input.json'}")
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout[-500:]}{done.stderr[-500:]}"
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert output["decision"]["decision"] == "PROMOTE", output
    assert output["notification"]["subject"] == "Model promotion: PROMOTE", output
    return f"{output['decision']['model_name']} promoted, notified"


def function_error(endpoint: str, work: Path) -> str:
    """A function that raises: the execution fails with its errorType and the runtime's JSON as the cause."""
    definition = work / "unknown_model.asl.json"
    definition.write_text(json.dumps(UNKNOWN_MODEL))
    done = asl_run(definition, endpoint)
    assert done.returncode == 1, f"exit {done.returncode}: {done.stdout[-500:]}{done.stderr[-500:]}"
    error, cause = done.stderr.strip().splitlines()[-2:]  # asl run reports a failed execution on stderr
    assert error == "FAILED: MetricsUnavailable", error
    cause = json.loads(cause)
    assert cause["errorType"] == "MetricsUnavailable" and "/var/task/app.py" in cause["stackTrace"][0], cause
    return f"{error}, cause {cause['errorMessage']!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sam", help="the sam executable")
    parser.add_argument("built", type=Path, help="the template sam build wrote")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--work", type=Path, default=Path("/tmp/asl-ci-sam"), help="where the logs go")
    args = parser.parse_args(argv)
    log = args.work / "start-lambda.log"
    sam = subprocess.Popen([args.sam, "local", "start-lambda", "-t", str(args.built), "--port", str(args.port),
                            "--skip-pull-image"], stdout=log.open("w"), stderr=subprocess.STDOUT)
    ok = True
    try:
        wait_for_port(args.port, sam, log)
        endpoint = f"http://127.0.0.1:{args.port}"
        for name, check in (("model_promotion", promotion), ("function error", function_error)):
            started = time.monotonic()
            try:
                summary, passed = check(endpoint, args.work), True
            except (AssertionError, ValueError, IndexError, KeyError) as exc:
                summary, passed = f"FAILED {type(exc).__name__}: {exc}", False
            ok = ok and passed
            print(f"asl run via sam local start-lambda: {name:<16} {time.monotonic() - started:5.1f} s  "
                  f"{'ok' if passed else '--'}  {summary}", flush=True)
    finally:
        sam.terminate()
        try:
            sam.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sam.kill()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
