"""Local realism on moto: AWS resources that take time, fail and roll back, on the engine's clock.

moto holds the state of SageMaker jobs and endpoints, Batch jobs and
CloudWatch alarms but no controllers: jobs finish the instant they are
created and UpdateEndpoint does not exist.  ``Simulator`` adds the
controllers (SageMaker jobs, endpoint deployments with guardrails, Batch job
progressions) driven by an injected clock, records a timeline and emits the
services' EventBridge events.  ``attach_simulators`` is how a host (the local stack, ``asl serve``,
``asl run``) attaches them for every account and region on its clock and event sink.
"""

from asl_engine.sim.context import Durations
from asl_engine.sim.failures import FailureRules
from asl_engine.sim.hosting import Simulators, attach_simulators
from asl_engine.sim.simulator import Simulator
from asl_engine.sim.timeline import Timeline, format_entry

__all__ = ["Durations", "FailureRules", "Simulator", "Simulators", "Timeline", "attach_simulators", "format_entry"]
