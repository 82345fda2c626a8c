"""What every controller shares: the agenda, the timeline, the event emitter, failure rules and durations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asl_engine.sim.agenda import Agenda
from asl_engine.sim.events import EventEmitter
from asl_engine.sim.failures import FailureRules
from asl_engine.sim.timeline import Timeline


@dataclass(frozen=True)
class Durations:
    """How long things take, in clock seconds (defaults: the order of magnitude AWS shows)."""

    training_phases: dict[str, float] = field(default_factory=lambda: {
        "Starting": 120.0, "Downloading": 60.0, "Training": 600.0, "Uploading": 30.0})
    processing_job: float = 300.0
    transform_job: float = 300.0
    tuning_job: float = 1800.0
    stopping: float = 30.0
    batch_phases: dict[str, float] = field(default_factory=lambda: {
        "SUBMITTED": 5.0, "PENDING": 5.0, "RUNNABLE": 30.0, "STARTING": 20.0, "RUNNING": 120.0})
    endpoint_provisioning: float = 300.0  # launching a fleet (CreateEndpoint, the green fleet of an update)
    endpoint_termination: float = 60.0  # terminating the blue fleet once the green one took over
    endpoint_rollback: float = 60.0  # returning traffic to blue and terminating green
    alarm_poll: float = 60.0  # how often alarms are read during a baking period


@dataclass
class SimContext:
    agenda: Agenda
    timeline: Timeline
    events: EventEmitter
    failures: FailureRules
    durations: Durations
    account: str
    region: str

    @property
    def now(self) -> datetime:
        return self.agenda.now

    def moto_now(self) -> datetime:
        """The agenda's time the way moto stores timestamps (naive UTC)."""
        return self.agenda.now.astimezone(UTC).replace(tzinfo=None)

    def backend(self, service: str) -> Any:
        from moto.backends import get_backend

        return get_backend(service)[self.account][self.region]  # type: ignore[index]
