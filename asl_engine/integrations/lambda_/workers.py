"""Lambda functions in worker processes (``LocalFunctions(isolation="process")``), as Lambda runs them.

Each function has a pool of worker processes (``lambda_.worker``), one execution environment each, spawned on
demand: an invocation takes an idle worker of its function (a warm start) or starts one (a cold start: the
handler's module is imported then, under the function's Environment in the worker's own ``os.environ``), so
invocations of a function run at once, one per worker, as Lambda's concurrency; beyond ``max_workers`` per
function they queue.  When an invocation outlives the function's Timeout its worker is killed (SIGKILL) and
the invocation answers ``Sandbox.Timedout``; the next one starts a fresh worker.

The pipes are read in threads of the pool's own (blocking reads with a real-time deadline), so a worker
outlives any one event loop (``asl run`` runs each execution on a loop of its own) and the Timeout is wall
time, as the worker's context counts it, under a VirtualClock too (the run is real work: ``clock.busy()``).
``close`` ends every worker (their stdin closed, then SIGKILL); a worker whose parent dies sees its stdin
close and exits.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from asl_engine.integrations.lambda_.worker import read_message, write_message

WORKER_SCRIPT = str(Path(__file__).with_name("worker.py"))
MAX_WORKERS = 10  # per function: the pool's cap, invocations beyond it queue
INIT_TIMEOUT = 10.0  # Lambda's limit on a function's Init


@dataclass(eq=False)
class WorkerSpec:
    """What a function's workers start from: its code directory (first on sys.path, the working directory)
    and handler (Lambda's ``module.function`` in it), or ``spec`` (``load_handler``'s ``module:function`` or
    ``file.py:function``), and the Environment they run under.  Compared by identity: one pool per spec."""

    handler: str | None = None
    code_dir: Path | None = None
    environment: dict[str, str] = field(default_factory=dict)
    spec: str | None = None
    sys_path: list[str] = field(default_factory=list)  # after the code directory (a ``spec``'s package)


class _Timeout(Exception):
    pass


class Worker:
    """One worker process and its pipes."""

    def __init__(self, spec: WorkerSpec, environment: dict[str, str], moto: bool, output: TextIO | None,
                 output_lock: threading.Lock) -> None:
        replies, reply_end = os.pipe()
        env = {**os.environ, **environment, **spec.environment}
        if spec.code_dir is not None:
            env.setdefault("LAMBDA_TASK_ROOT", str(spec.code_dir))
        try:
            self.process = subprocess.Popen(
                [sys.executable, WORKER_SCRIPT, str(reply_end)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE if output is not None else 2, pass_fds=(reply_end,), env=env,
                cwd=str(spec.code_dir) if spec.code_dir is not None else None)
        finally:
            os.close(reply_end)
        self.pid = self.process.pid
        self._replies = replies
        self._requests = self.process.stdin.fileno()  # type: ignore[union-attr]
        if output is not None:  # what the handler prints, to the registry's output as it comes
            threading.Thread(target=_copy, args=(self.process.stdout, output, output_lock), daemon=True).start()
        write_message(self._requests, {"code_dir": str(spec.code_dir) if spec.code_dir else None,
                                       "handler": spec.handler, "spec": spec.spec, "sys_path": spec.sys_path,
                                       "moto": moto})

    def receive(self, timeout: float | None) -> Any:
        """The worker's next reply; None if it exited; ``_Timeout`` if none came within ``timeout`` seconds."""
        if timeout is not None:
            ready, _, _ = select.select([self._replies], [], [], max(0.0, timeout))
            if not ready:
                raise _Timeout
        return read_message(self._replies)

    def send(self, message: Any) -> bool:
        try:
            write_message(self._requests, message)
            return True
        except OSError:  # it exited
            return False

    def kill(self) -> None:
        """SIGKILL, reaped (its pid is gone once this returns)."""
        if self.process.poll() is None:
            self.process.kill()
        self._reap(None)

    def stop(self, grace: float = 1.0) -> None:
        """Its stdin closed (it exits), else killed after ``grace`` seconds."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._reap(None)

    def _reap(self, timeout: float | None) -> None:
        self.process.wait(timeout)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self._replies >= 0:
            os.close(self._replies)
            self._replies = -1


def _copy(stream: Any, output: TextIO, lock: threading.Lock) -> None:
    for line in iter(stream.readline, b""):
        with lock:
            output.write(line.decode(errors="replace"))
            output.flush()


@dataclass
class Outcome:
    """What an invocation came to: ``kind`` is "ok" (``body``, ``error``), "init_error" (``init_error``),
    "timeout" or "exit" (the worker died: ``status``); ``pid`` the worker that ran it."""

    kind: str
    body: bytes = b""
    error: str | None = None
    init_error: dict[str, Any] | None = None
    status: int | None = None
    pid: int | None = None


class WorkerPools:
    """The worker processes of a registry's functions, a pool per ``WorkerSpec``."""

    def __init__(self, output: TextIO | None = None, max_workers: int = MAX_WORKERS, moto: bool = False) -> None:
        self.output = output
        self.max_workers = max_workers
        self.moto = moto  # each worker starts moto's mock_aws before its Init (the run's AWS is moto)
        self.environment: dict[str, str] = {}  # set in every worker started from now on (AWS_ENDPOINT_URL...)
        self._idle: dict[WorkerSpec, list[Worker]] = {}
        self._busy: set[Worker] = set()
        self._lock = threading.Lock()
        self._output_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[WorkerSpec, asyncio.Semaphore]] = \
            weakref.WeakKeyDictionary()
        self._closed = False
        _open_pools.add(self)

    async def invoke(self, spec: WorkerSpec, message: dict[str, Any], timeout: float | None, clock: Any) -> Outcome:
        """Runs one invocation in a worker of ``spec``'s pool; its Timeout counts from when a worker takes it."""
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, {})
        slot = slots.get(spec)
        if slot is None:
            slot = slots[spec] = asyncio.Semaphore(self.max_workers)
        async with slot:
            call = _Call()
            with clock.busy():
                future = loop.run_in_executor(self._threads(), self._run, spec, message, timeout, call)
                try:
                    return await asyncio.shield(future)
                except asyncio.CancelledError:  # the execution stopped: its invocation's worker goes
                    call.cancel()
                    raise

    def _threads(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                # blocked on pipes, not on the CPU: a thread per invocation in flight (made as needed)
                self._executor = ThreadPoolExecutor(1024, thread_name_prefix="asl-lambda-worker")
            return self._executor

    def _run(self, spec: WorkerSpec, message: dict[str, Any], timeout: float | None, call: _Call) -> Outcome:
        if self._closed:
            raise RuntimeError("the Lambda worker processes were closed")
        worker = self._take(spec)
        if worker is None:
            worker = Worker(spec, self.environment, self.moto, self.output, self._output_lock)
            with self._lock:
                self._busy.add(worker)
            call.worker = worker
            try:
                reply = worker.receive(INIT_TIMEOUT + (timeout or 0))
            except _Timeout:
                self._drop(worker, kill=True)
                return Outcome("timeout", pid=worker.pid)
            if reply is None or reply.get("init_error") is not None:
                self._drop(worker, kill=True)
                if reply is None:
                    return Outcome("exit", status=worker.process.returncode, pid=worker.pid)
                return Outcome("init_error", init_error=reply["init_error"], pid=worker.pid)
        call.worker = worker
        if call.cancelled:
            self._drop(worker, kill=True)
            return Outcome("exit", pid=worker.pid)
        started = time.monotonic()
        if not worker.send(message):
            self._drop(worker, kill=True)
            return Outcome("exit", status=worker.process.returncode, pid=worker.pid)
        try:
            reply = worker.receive(None if timeout is None else timeout - (time.monotonic() - started))
        except _Timeout:
            self._drop(worker, kill=True)
            return Outcome("timeout", pid=worker.pid)
        if reply is None:  # it exited (os._exit, a crash, or killed when its invocation was cancelled)
            self._drop(worker, kill=True)
            return Outcome("exit", status=worker.process.returncode, pid=worker.pid)
        self._give_back(spec, worker)
        return Outcome("ok", base64.b64decode(reply["body"]), reply["error"], pid=worker.pid)

    def _take(self, spec: WorkerSpec) -> Worker | None:
        with self._lock:
            idle = self._idle.get(spec)
            while idle:
                worker = idle.pop()
                if worker.process.poll() is None:
                    self._busy.add(worker)
                    return worker
                worker.kill()
        return None

    def _give_back(self, spec: WorkerSpec, worker: Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not self._closed:
                self._idle.setdefault(spec, []).append(worker)
                return
        worker.stop()

    def _drop(self, worker: Worker, kill: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.kill() if kill else worker.stop()

    def forget(self, spec: WorkerSpec) -> None:
        """Stops the idle workers of a function removed or replaced (its busy ones end with their invocation)."""
        with self._lock:
            idle = self._idle.pop(spec, [])
        for worker in idle:
            worker.stop()

    def pids(self, spec: WorkerSpec) -> list[int]:
        """The idle workers' process ids (for tests and diagnostics)."""
        with self._lock:
            return [w.pid for w in self._idle.get(spec, [])]

    def close(self) -> None:
        """Every worker ended: idle ones told to exit (stdin closed), busy ones killed."""
        with self._lock:
            self._closed = True
            idle = [w for workers in self._idle.values() for w in workers]
            busy = list(self._busy)
            self._idle.clear()
            self._busy.clear()
            executor, self._executor = self._executor, None
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.stop()
        if executor is not None:
            executor.shutdown(wait=False)
        _open_pools.discard(self)


class _Call:
    """An invocation in flight, so a cancelled one can kill its worker from the loop."""

    def __init__(self) -> None:
        self.worker: Worker | None = None
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        worker = self.worker
        if worker is not None and worker.process.poll() is None:
            worker.process.kill()  # its thread sees the pipe close and reaps it


_open_pools: weakref.WeakSet[WorkerPools] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for pools in list(_open_pools):
        pools.close()
