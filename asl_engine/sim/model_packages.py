"""The "SageMaker Model Package State Change" events moto never emits.

A model package's approval is what releases a retraining workflow waiting
for it; on AWS, CreateModelPackage and every UpdateModelPackage emit this
event with the package's description as detail, and the approval callback
reacts to it.  Emitting it here lets the same wiring work locally: approve
with ``UpdateModelPackage(ModelApprovalStatus="Approved")`` and the event
reaches the sink.
"""

from __future__ import annotations

from typing import Any

from asl_engine import isotime
from asl_engine.sim.context import SimContext
from asl_engine.sim.events import timestamps


class ModelPackages:
    def __init__(self, ctx: SimContext) -> None:
        self._ctx = ctx

    def changed(self, arn: str) -> None:
        """After moto created or updated the package ``arn``: emit its state change."""
        package = self._ctx.backend("sagemaker").describe_model_package(arn)
        # model package events spell their times in ISO, not in epoch milliseconds as the other SageMaker events
        detail: dict[str, Any] = timestamps({k: v for k, v in package.gen_response_object().items()
                                             if v is not None}, isotime.seconds)
        status = detail.get("ModelApprovalStatus", "")
        self._ctx.timeline.status(self._ctx.now, f"model-package/{arn.split('/', 1)[1]}", status or "Created")
        self._ctx.events.emit("aws.sagemaker", "SageMaker Model Package State Change", [arn], detail, self._ctx.now)
