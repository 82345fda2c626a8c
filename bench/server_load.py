"""Load benchmark of ``asl serve`` next to moto's server: StartExecution plus completion, sustained.

Each of ``--clients`` threads starts an execution of a 5-state workflow
(StartExecution), then polls DescribeExecution until it has SUCCEEDED, and
starts the next one, for ``--duration`` seconds; the same workload then runs
against moto's ``ThreadedMotoServer`` with ``execute_state_machine`` enabled.
Both servers run in their own process on 127.0.0.1 (port 0: free ports), one
after the other, in the same invocation, so their numbers are taken under the
same machine load.  asl serve keeps its store in a temporary SQLite file
(WAL), as a user's would.

Reported per server: executions completed per second, StartExecution p50/p99
latency, and start-to-SUCCEEDED p50/p99.  Issue 5's targets: at least 20x
moto's throughput, StartExecution p99 under 50 ms.

    .venv/bin/python bench/server_load.py                   # 60 s per server, 8 clients
    .venv/bin/python bench/server_load.py --duration 10     # a quick look
    .venv/bin/python bench/server_load.py --json bench/results/server_load.json

Requests are raw awsJson 1.0 over keep-alive connections (no SigV4 work), so
the client side costs little next to the servers.  Every loop is bounded by
the duration, every request by a socket timeout, every poll by ``POLL_LIMIT``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
ROLE = "arn:aws:iam::123456789012:role/bench"
REQUEST_TIMEOUT = 10.0
POLL_LIMIT = 10.0  # seconds an execution may take to complete before it counts as unfinished
STARTUP_TIMEOUT = 60.0
# Any SigV4-shaped header: both servers route on its credential scope; neither checks the signature.
AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=bench/20250101/us-east-1/states/aws4_request, "
                 "SignedHeaders=host;x-amz-target, Signature=0")
WORKFLOW = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"order.$": "$.order", "qty.$": "$.qty"}, "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.qty", "NumericGreaterThan": 10, "Next": "Bulk"}],
                  "Default": "Single"},
        "Bulk": {"Type": "Pass", "Result": "bulk", "ResultPath": "$.kind", "Next": "Done"},
        "Single": {"Type": "Pass", "Result": "single", "ResultPath": "$.kind", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
MOTO_SERVER = """
import sys
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer
default_user_config["stepfunctions"] = {"execute_state_machine": True}
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("listening on http://%s:%d" % server.get_host_and_port(), flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
server.stop()
"""


class Client:
    """One keep-alive connection speaking awsJson 1.0 to a Step Functions endpoint."""

    def __init__(self, url: str) -> None:
        self.host, self.port = url.removeprefix("http://").split(":")
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, int(self.port), timeout=REQUEST_TIMEOUT)

    def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params)
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{action}",
                   "Authorization": AUTHORIZATION}
        for attempt in (1, 2):  # a server may close an idle keep-alive connection: reconnect once
            try:
                self.conn.request("POST", "/", body, headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = self._connect()
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{action}: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data or b"{}")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Stats:
    server: str
    duration: float = 0.0
    completed: int = 0
    unfinished: int = 0
    errors: list[str] = field(default_factory=list)
    start_ms: list[float] = field(default_factory=list, repr=False)
    complete_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def per_second(self) -> float:
        return self.completed / self.duration if self.duration else 0.0

    def summary(self) -> dict[str, Any]:
        return {"server": self.server, "duration_s": round(self.duration, 2), "completed": self.completed,
                "unfinished": self.unfinished, "executions_per_s": round(self.per_second, 1),
                "start_p50_ms": _percentile(self.start_ms, 50), "start_p99_ms": _percentile(self.start_ms, 99),
                "complete_p50_ms": _percentile(self.complete_ms, 50),
                "complete_p99_ms": _percentile(self.complete_ms, 99), "errors": self.errors[:5]}


def _percentile(values: list[float], p: int) -> float | None:
    if len(values) < 2:
        return round(values[0], 2) if values else None
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 2)


def run_load(server: str, url: str, duration: float, clients: int) -> Stats:
    """``clients`` threads each start-and-complete executions back to back for ``duration`` seconds."""
    setup = Client(url)
    machine = setup.call("CreateStateMachine", {"name": "bench", "roleArn": ROLE,
                                                "definition": json.dumps(WORKFLOW)})["stateMachineArn"]
    setup.close()
    stats = Stats(server)
    lock = threading.Lock()
    began = time.perf_counter()
    deadline = began + duration

    def worker(index: int) -> None:
        client = Client(url)
        start_ms, complete_ms, completed, unfinished = [], [], 0, 0
        n = 0
        try:
            while time.perf_counter() < deadline:
                n += 1
                t0 = time.perf_counter()
                arn = client.call("StartExecution", {"stateMachineArn": machine, "name": f"c{index}-{n}",
                                                     "input": json.dumps({"order": n, "qty": n % 20})})["executionArn"]
                t1 = time.perf_counter()
                start_ms.append((t1 - t0) * 1000)
                if _completes(client, arn, t1 + POLL_LIMIT):
                    complete_ms.append((time.perf_counter() - t0) * 1000)
                    completed += 1
                else:
                    unfinished += 1
        except Exception as e:  # reported, not raised: the other server still gets measured
            with lock:
                stats.errors.append(f"{type(e).__name__}: {e}")
        finally:
            client.close()
            with lock:
                stats.start_ms += start_ms
                stats.complete_ms += complete_ms
                stats.completed += completed
                stats.unfinished += unfinished

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + POLL_LIMIT + 2 * REQUEST_TIMEOUT)
    stats.duration = time.perf_counter() - began
    return stats


def _completes(client: Client, arn: str, limit: float) -> bool:
    """Poll DescribeExecution (backing off from 1 ms) until SUCCEEDED; False past ``limit`` or on failure."""
    pause = 0.001
    while True:
        status = client.call("DescribeExecution", {"executionArn": arn})["status"]
        if status == "SUCCEEDED":
            return True
        if status != "RUNNING" or time.perf_counter() > limit:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def start_server(command: list[str], **kwargs: Any) -> tuple[subprocess.Popen, str]:
    """Start a server process that prints ``listening on URL`` once bound; return it and the URL."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               **kwargs)
    timer = threading.Timer(STARTUP_TIMEOUT, process.kill)
    timer.start()
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
    finally:
        timer.cancel()
    if "listening on" not in line:
        process.kill()
        raise RuntimeError(f"{command[:4]} did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def stop_server(process: subprocess.Popen) -> None:
    if process.stdin is not None:
        process.stdin.close()
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


def measure(server: str, duration: float, clients: int, workdir: Path) -> Stats:
    if server == "asl serve":
        command = [sys.executable, "-m", "asl_engine.cli", "serve", "--port", "0", "--no-moto",
                   "--db", str(workdir / "bench.db")]
        process, url = start_server(command)
    else:
        process, url = start_server([sys.executable, "-c", MOTO_SERVER], stdin=subprocess.PIPE)
    try:
        return run_load(server, url, duration, clients)
    finally:
        stop_server(process)


def report(results: list[Stats]) -> str:
    rows = ["| server | executions/s | StartExecution p50 / p99 (ms) | start→SUCCEEDED p50 / p99 (ms) | "
            "completed | unfinished | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for s in results:
        d = s.summary()
        rows.append(f"| {s.server} | {d['executions_per_s']} | {d['start_p50_ms']} / {d['start_p99_ms']} | "
                    f"{d['complete_p50_ms']} / {d['complete_p99_ms']} | {s.completed} | {s.unfinished} | "
                    f"{len(s.errors)} |")
    asl, moto = results[0], results[-1]
    if len(results) == 2 and moto.per_second:
        ratio = asl.per_second / moto.per_second
        p99 = asl.summary()["start_p99_ms"]
        rows.append("")
        rows.append(f"asl serve / moto throughput: {ratio:.1f}x (target >= 20x: {'met' if ratio >= 20 else 'NOT met'});"
                    f" asl serve StartExecution p99 {p99} ms (target < 50 ms: "
                    f"{'met' if p99 is not None and p99 < 50 else 'NOT met'})")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per server (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--asl-only", action="store_true", help="skip moto's server")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 600 or not 0 < args.clients <= 64:
        parser.error("--duration must be in (0, 600] seconds and --clients in 1..64")
    servers = ["asl serve"] if args.asl_only else ["asl serve", "moto"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for server in servers:
            print(f"{server}: {args.duration:g} s, {args.clients} clients...", file=sys.stderr, flush=True)
            results.append(measure(server, args.duration, args.clients, Path(tmp)))
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"clients": args.clients, "results": [r.summary() for r in results]},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
