"""A moto account with the simulator attached, on a VirtualClock: every test is deterministic and never sleeps."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from asl_engine import VirtualClock
from asl_engine.sim import Durations, FailureRules, Simulator

START = datetime(2026, 11, 27, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


class World:
    def __init__(self) -> None:
        self.clock = VirtualClock(START)
        self.failures = FailureRules()
        self.events: list[dict] = []
        self.emitted_at: list[datetime] = []  # the clock's time when each event reached the sink
        self.sim = Simulator(self.clock, sink=self._receive, failures=self.failures, durations=Durations())
        self.sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        self.cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        self.batch = boto3.client("batch", region_name="us-east-1")

    def _receive(self, event: dict) -> None:
        self.events.append(event)
        self.emitted_at.append(self.clock.now())

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.sim.tick()

    def at(self, seconds: float) -> datetime:
        from datetime import timedelta

        return START + timedelta(seconds=seconds)


@pytest.fixture
def world():
    with mock_aws() as mock:
        mock.reset()  # fresh backends even when another test left a process-wide moto running
        w = World()
        with w.sim:
            yield w
