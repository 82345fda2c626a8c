"""A rule's targets: PutTargets' checks, and what each target receives for an event.

Everything PutTargets can refuse is checked here once (input settings via
``transform.TargetInput``, the parameters some target kinds require), so that
delivering an event only renders and sends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import arns
from .delivery import Invocation, RetryPolicy
from .errors import ValidationError
from .transform import DeliveryContext, TargetInput

TARGETS_PER_RULE = 5


@dataclass(frozen=True)
class Target:
    """One PutTargets entry, validated; ``spec`` is returned as is by ListTargetsByRule."""

    spec: Mapping[str, Any]
    input: TargetInput
    retry: RetryPolicy

    @property
    def id(self) -> str:
        return self.spec["Id"]

    @property
    def arn(self) -> str:
        return self.spec["Arn"]

    @property
    def dead_letter_arn(self) -> str | None:
        return (self.spec.get("DeadLetterConfig") or {}).get("Arn")

    def invocation(self, event: Mapping[str, Any], context: DeliveryContext) -> Invocation:
        return Invocation(self.arn, self.input.render(event, context), self.spec, event)


def parse_target(spec: Mapping[str, Any]) -> Target:
    """A PutTargets entry as a Target; ValidationError with AWS's message when refused."""
    arn = spec["Arn"]
    if not arns.service(arn):
        raise ValidationError(f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
    resource = arns.resource(arn)
    if (
        arns.service(arn) == "sqs"
        and resource.endswith(".fifo")
        and not (spec.get("SqsParameters") or {}).get("MessageGroupId")
    ):
        raise ValidationError(f"Parameter(s) SqsParameters must be specified for target: {spec['Id']}.")
    if arns.service(arn) == "batch" and not spec.get("BatchParameters"):
        raise ValidationError(f"Parameter(s) BatchParameters must be specified for target: {spec['Id']}.")
    dead_letter = (spec.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letter is not None and arns.service(dead_letter) != "sqs":
        raise ValidationError("Parameter DeadLetterConfig.Arn is not valid. Reason: Provided Arn is not an SQS arn.")
    return Target(json.loads(json.dumps(spec)), TargetInput(spec), RetryPolicy.from_api(spec.get("RetryPolicy")))
