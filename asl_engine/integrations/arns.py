"""What a Task's ``Resource`` names, and which history events AWS writes for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """A parsed Task resource.

    ``kind`` is ``lambda`` (a function ARN: LambdaFunction* events),
    ``activity`` (Activity* events) or ``service`` (an optimized or aws-sdk
    integration, ``arn:aws:states:::sns:publish.waitForTaskToken``: Task*
    events with ``resourceType`` sns and ``resource`` publish.waitForTaskToken).
    """

    arn: str
    kind: str
    service: str = ""
    action: str = ""
    pattern: str = ""  # "", "sync", "sync:2" or "waitForTaskToken"
    region: str = ""

    @property
    def resource(self) -> str:
        """The ``resource`` field of Task* history events."""
        return f"{self.action}.{self.pattern}" if self.pattern else self.action


def parse_resource(arn: str) -> ResourceSpec:
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return ResourceSpec(arn, "lambda", "lambda", parts[6], region=parts[3])
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return ResourceSpec(arn, "activity", "states", parts[6], region=parts[3])
    if len(parts) >= 6 and parts[2] == "states" and parts[4] == "":
        # "sns:publish.waitForTaskToken", "aws-sdk:s3:getObject", "states:startExecution.sync:2"
        rest = ":".join(parts[5:])
        prefix = "aws-sdk:" if rest.startswith("aws-sdk:") else ""
        service, _, action = rest[len(prefix):].partition(":")
        service = prefix + service
        action, _, pattern = action.partition(".")
        return ResourceSpec(arn, "service", service, action, pattern, parts[3])
    service = parts[2] if len(parts) > 2 else ""
    return ResourceSpec(arn, "service", service, arn, region=parts[3] if len(parts) > 3 else "")
