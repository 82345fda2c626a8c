"""Load benchmark of ``asl serve`` next to moto's server: StartExecution plus completion, sustained.

``--clients`` concurrent clients each start an execution of a 5-state workflow
(StartExecution), poll DescribeExecution until it has SUCCEEDED, and start the
next one, for ``--seconds`` seconds; the same workload then runs against
moto's ``ThreadedMotoServer`` with ``execute_state_machine`` enabled.  Both
servers run in their own process on 127.0.0.1 (port 0: free ports), one after
the other, in the same invocation, so their numbers are taken under the same
machine load.  asl serve keeps its store in a temporary SQLite file (WAL), as
a user's would.

Reported per server: executions completed per second, StartExecution p50/p99
latency, start-to-SUCCEEDED p50/p99, and the CPU each side spent: the
server process's (all threads, from ``/proc``) per execution and as cores
busy, the generator's per call.  Issue 5's targets: at least 20x moto's
throughput, StartExecution p99 under 50 ms.

Completion is detected the same way on both servers: DescribeExecution right
after StartExecution answers, then again after 1, 2, 4... ms (at most 50 ms
apart) while the status is RUNNING.

    .venv/bin/python bench/server_load.py                   # 60 s per server, 16 clients
    .venv/bin/python bench/server_load.py --seconds 10      # a quick look
    .venv/bin/python bench/server_load.py --json bench/results/server_load.json

The load generator is one asyncio process (uvloop when installed) speaking raw
HTTP/1.1 to both servers alike: requests are built from fixed bytes (an
awsJson 1.0 body and a SigV4-shaped ``Authorization`` header that neither
server verifies), a connection is kept alive unless the server answers
``Connection: close`` (moto's server does, after every response), and the
response is read by ``Content-Length``.  It costs the client a few tens of
microseconds per call, so on a small machine the servers, not the generator,
set the pace.  Every loop is bounded by ``--seconds``, every request by
``REQUEST_TIMEOUT``, every poll by ``POLL_LIMIT``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
ROLE = "arn:aws:iam::123456789012:role/bench"
REQUEST_TIMEOUT = 10.0
POLL_LIMIT = 10.0  # seconds an execution may take to complete before it counts as unfinished
FIRST_POLL = 0.001  # seconds; the pause doubles up to MAX_POLL while the execution is RUNNING
MAX_POLL = 0.05
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
    """One HTTP/1.1 connection speaking awsJson 1.0 to a Step Functions endpoint, reopened when the server closes it.

    The request line and headers of each action are built once; a call writes them, the Content-Length
    and the body, and reads the status line, the headers and exactly Content-Length bytes back.
    """

    def __init__(self, url: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.calls = 0
        self._heads: dict[str, bytes] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def _head(self, action: str) -> bytes:
        head = self._heads.get(action)
        if head is None:
            head = self._heads[action] = (
                f"POST / HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{action}\r\n"
                f"Authorization: {AUTHORIZATION}\r\nContent-Length: ").encode()
        return head

    async def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        body = orjson.dumps(params)
        request = b"%b%d\r\n\r\n%b" % (self._head(action), len(body), body)
        self.calls += 1
        for attempt in (1, 2):  # a keep-alive connection the server dropped while idle: reconnect once
            fresh = self._writer is None
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):  # a timer, not wait_for's task per call
                    status, data = await self._exchange(request)
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if fresh or attempt == 2:
                    raise
        if status != 200:
            raise RuntimeError(f"{action}: HTTP {status}: {data[:300]!r}")
        return orjson.loads(data) if data else {}

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"response without Content-Length: {head[:300]!r}")
        length = int(head[at + 17:head.index(b"\r\n", at + 2)])
        data = await reader.readexactly(length)
        if b"\r\nconnection: close\r\n" in head:
            self.close()
        return status, data

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


@dataclass
class Stats:
    """One server's run; the CPU seconds show where a limit lies (the server's process, or the generator)."""

    server: str
    duration: float = 0.0
    completed: int = 0
    unfinished: int = 0
    calls: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
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
                "complete_p99_ms": _percentile(self.complete_ms, 99), "calls": self.calls,
                "server_cpu_ms_per_execution": round(1000 * self.server_cpu_s / max(self.completed, 1), 3),
                "server_busy": round(self.server_cpu_s / self.duration, 2) if self.duration else None,
                "client_cpu_us_per_call": round(1e6 * self.client_cpu_s / max(self.calls, 1), 1),
                "errors": self.errors[:5]}


def _percentile(values: list[float], p: int) -> float | None:
    if len(values) < 2:
        return round(values[0], 2) if values else None
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 2)


def run_load(server: str, url: str, seconds: float, clients: int) -> Stats:
    """``clients`` concurrent clients each start-and-complete executions back to back for ``seconds``."""
    return _event_loop_runner().run(_load(server, url, seconds, clients))


def _event_loop_runner() -> asyncio.Runner:
    """uvloop's loop when installed (a cheaper client, the same for both servers), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


async def _load(server: str, url: str, seconds: float, clients: int) -> Stats:
    setup = Client(url)
    machine = (await setup.call("CreateStateMachine", {"name": "bench", "roleArn": ROLE,
                                                        "definition": json.dumps(WORKFLOW)}))["stateMachineArn"]
    setup.close()
    stats = Stats(server)
    cpu = time.process_time()
    began = time.perf_counter()
    deadline = began + seconds

    async def worker(index: int) -> None:
        client = Client(url)
        n = 0
        try:
            while time.perf_counter() < deadline:
                n += 1
                t0 = time.perf_counter()
                started = await client.call("StartExecution", {
                    "stateMachineArn": machine, "name": f"c{index}-{n}",
                    "input": json.dumps({"order": n, "qty": n % 20})})
                t1 = time.perf_counter()
                stats.start_ms.append((t1 - t0) * 1000)
                if await _completes(client, started["executionArn"], t1 + POLL_LIMIT):
                    stats.complete_ms.append((time.perf_counter() - t0) * 1000)
                    stats.completed += 1
                else:
                    stats.unfinished += 1
        except Exception as e:  # reported, not raised: the other server still gets measured
            stats.errors.append(f"{type(e).__name__}: {e}")
        finally:
            client.close()
            stats.calls += client.calls

    await asyncio.gather(*(worker(i) for i in range(clients)))
    stats.duration = time.perf_counter() - began
    stats.client_cpu_s = time.process_time() - cpu
    return stats


async def _completes(client: Client, arn: str, limit: float) -> bool:
    """Poll DescribeExecution (at once, then backing off from FIRST_POLL) until SUCCEEDED; False past ``limit``."""
    pause = FIRST_POLL
    while True:
        status = (await client.call("DescribeExecution", {"executionArn": arn}))["status"]
        if status == "SUCCEEDED":
            return True
        if status != "RUNNING" or time.perf_counter() > limit:
            return False
        await asyncio.sleep(pause)
        pause = min(pause * 2, MAX_POLL)


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


def measure(server: str, seconds: float, clients: int, workdir: Path) -> Stats:
    if server == "asl serve":
        command = [sys.executable, "-m", "asl_engine.cli", "serve", "--port", "0", "--no-moto",
                   "--db", str(workdir / "bench.db")]
        process, url = start_server(command)
    else:
        process, url = start_server([sys.executable, "-c", MOTO_SERVER], stdin=subprocess.PIPE)
    try:
        cpu = _cpu_seconds(process.pid)
        stats = run_load(server, url, seconds, clients)
        stats.server_cpu_s = _cpu_seconds(process.pid) - cpu
        return stats
    finally:
        stop_server(process)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux ``/proc``); 0 where there is no ``/proc``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def report(results: list[Stats]) -> str:
    rows = ["| server | executions/s | StartExecution p50 / p99 (ms) | start→SUCCEEDED p50 / p99 (ms) | "
            "completed | unfinished | errors | server CPU ms / execution | server busy (cores) | "
            "client CPU µs / call |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results:
        d = s.summary()
        rows.append(f"| {s.server} | {d['executions_per_s']} | {d['start_p50_ms']} / {d['start_p99_ms']} | "
                    f"{d['complete_p50_ms']} / {d['complete_p99_ms']} | {s.completed} | {s.unfinished} | "
                    f"{len(s.errors)} | {d['server_cpu_ms_per_execution']} | {d['server_busy']} | "
                    f"{d['client_cpu_us_per_call']} |")
    asl, moto = results[0], results[-1]
    if len(results) == 2 and moto.per_second:
        ratio = asl.per_second / moto.per_second
        p99 = asl.summary()["start_p99_ms"]
        rows.append("")
        rows.append(f"asl serve / moto throughput: {ratio:.1f}x (target >= 20x: {'met' if ratio >= 20 else 'NOT met'});"
                    f" asl serve StartExecution p99 {p99} ms (target < 50 ms: "
                    f"{'met' if p99 is not None and p99 < 50 else 'NOT met'})")
        if asl.server_cpu_s and asl.completed and moto.completed:
            cpu = (moto.server_cpu_s / moto.completed) / (asl.server_cpu_s / asl.completed)
            rows.append(f"server CPU per execution, moto / asl serve: {cpu:.1f}x (the throughput ratio when each "
                        "server gets a full core)")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", "--duration", dest="seconds", type=float, default=60.0,
                        help="seconds of load per server (default 60, as issue 5 asks)")
    parser.add_argument("--clients", type=int, default=16,
                        help="concurrent clients (default 16: enough to keep either server busy, see bench/README.md)")
    parser.add_argument("--asl-only", action="store_true", help="skip moto's server")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 64:
        parser.error("--seconds must be in (0, 600] and --clients in 1..64")
    servers = ["asl serve"] if args.asl_only else ["asl serve", "moto"]
    results = []
    began, load_before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for server in servers:
            print(f"{server}: {args.seconds:g} s, {args.clients} clients...", file=sys.stderr, flush=True)
            results.append(measure(server, args.seconds, args.clients, Path(tmp)))
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        conditions = {"began": began, "clients": args.clients, "seconds": args.seconds, "cpus": os.cpu_count(),
                      "load_average_1min": [load_before, os.getloadavg()[0]]}  # before and after the run
        args.json.write_text(json.dumps(conditions | {"results": [r.summary() for r in results]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
