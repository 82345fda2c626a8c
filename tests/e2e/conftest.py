"""The template deployed on the local stack (moto, the engine, EventBridge, the simulator) under a
VirtualClock; each test runs one scenario coroutine on a fresh stack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aws_lambda_powertools", reason="the MLOps functions need aws-lambda-powertools")

from asl_engine import VirtualClock
from asl_engine.local import LocalStack, WorldSettings
from asl_engine.sam import load_application

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 27, 0, 55, tzinfo=UTC)  # a Friday: the weekly schedule fires Monday 03:00
APP = load_application(ROOT / "template.yaml")


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    for key, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)


def run(scenario: Callable[[LocalStack], Awaitable[Any]], **world: Any) -> tuple[LocalStack, Any]:
    """Runs ``scenario`` on a fresh stack (the production endpoint InService first); returns both."""
    stack = LocalStack(APP, clock=VirtualClock(START), world=WorldSettings(**world))

    async def main(stack: LocalStack) -> Any:
        await stack.idle(300)
        return await scenario(stack)

    return stack, stack.run(main)


def states(execution: Any) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in execution.result.history
            if e["type"].endswith("StateEntered")]


def green_shares(stack: LocalStack) -> list[tuple[str, float]]:
    endpoint = APP.ref("EndpointName")
    return [(phase, shares["green/AllTraffic"]) for _, phase, shares in stack.timeline.traffic_of(
        f"endpoint/{endpoint}")]


def outcomes(stack: LocalStack, function: str) -> list[Any]:
    return [r.get("outcome") for name, r, failed in stack.lambda_results
            if name == function and not failed and isinstance(r, dict) and "outcome" in r]
