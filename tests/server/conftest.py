"""A real ``asl serve`` process on loopback for the tests to drive with boto3, the AWS CLI and raw HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class Server:
    """``asl serve --port 0`` in a child process; ``url`` is read from the line it prints once bound."""

    def __init__(self, db: Path | str, *args: str) -> None:
        self.db = db
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "asl_engine.cli", "serve", "--port", "0", "--db", str(db), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()  # type: ignore[union-attr]  # blocks until bound or exited
        if "listening on" not in line:
            if self.process.poll() is None:
                self.process.kill()
            _, err = self.process.communicate(timeout=15)
            raise RuntimeError(f"asl serve did not start (exit {self.process.returncode}): {line}{err}")
        self.url = line.rsplit(" ", 1)[1].strip()

    def client(self, service: str = "stepfunctions") -> Any:
        return boto3.session.Session().client(
            service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30))

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
        """A raw request (for what boto3 refuses to send); returns the status and the JSON body."""
        request = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def get(self, path: str) -> Any:
        """A GET of the admin API's JSON."""
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.loads(response.read())

    def advance(self, seconds: float) -> dict:
        status, body = self.post("/_asl/clock/advance", json.dumps({"seconds": seconds}).encode())
        assert status == 200, body
        return body

    def crash(self) -> None:
        """``kill -9``: the process gets no chance to finish anything, as in a real crash."""
        self.process.kill()  # SIGKILL
        self.process.wait(timeout=15)
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One virtual-clock server for the package (each test uses its own names), with two local functions."""
    srv = Server(tmp_path_factory.mktemp("asl") / "state.db", "--virtual-clock", "--seed", "7",
                 "--resource", "double=tests.server.handlers:double",
                 "--resource", "explode=tests.server.handlers:explode")
    yield srv
    srv.stop()


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client()
