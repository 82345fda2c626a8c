"""Which optimized integrations AWS has, and the integration patterns each allows.

Pure data, so the definition validator can check a Task's Resource without
loading any AWS SDK.  The runtime routes by the same table.
"""

from __future__ import annotations

_RR, _SYNC, _TOKEN, _SYNC2 = "", "sync", "waitForTaskToken", "sync:2"
_JOBS = frozenset({_RR, _SYNC, _TOKEN})

# resourceType -> (boto3 client, {action: patterns AWS supports}), as AWS's "Optimized integrations" table lists
# them (SageMaker: .sync for its jobs, no callbacks; Batch and Glue: no callbacks; DynamoDB: request-response).
SUPPORTED: dict[str, tuple[str, dict[str, frozenset[str]]]] = {
    "batch": ("batch", {"submitJob": frozenset({_RR, _SYNC})}),
    "dynamodb": ("dynamodb", {a: frozenset({_RR}) for a in ("getItem", "putItem", "updateItem", "deleteItem")}),
    "ecs": ("ecs", {"runTask": _JOBS}),
    "events": ("events", {"putEvents": frozenset({_RR, _TOKEN})}),
    "glue": ("glue", {"startJobRun": frozenset({_RR, _SYNC})}),
    "lambda": ("lambda", {"invoke": frozenset({_RR, _TOKEN})}),
    "sagemaker": ("sagemaker", {
        **{a: frozenset({_RR, _SYNC}) for a in ("createTrainingJob", "createProcessingJob", "createTransformJob",
                                                 "createHyperParameterTuningJob", "createLabelingJob")},
        **{a: frozenset({_RR}) for a in ("createModel", "createEndpointConfig", "createEndpoint",
                                         "updateEndpoint")}}),
    "sns": ("sns", {"publish": frozenset({_RR, _TOKEN})}),
    "sqs": ("sqs", {"sendMessage": frozenset({_RR, _TOKEN})}),
    "states": ("stepfunctions", {"startExecution": frozenset({_RR, _SYNC, _SYNC2, _TOKEN})}),
    "http": ("http", {"invoke": frozenset({_RR})}),
}
_SDK_PATTERNS = frozenset({_RR, _TOKEN})  # aws-sdk integrations have no .sync


def recognized(resource: str) -> bool:
    """False when AWS would refuse ``resource`` at CreateStateMachine: an integration pattern its service
    action does not have (``sqs:sendMessage.sync``, ``aws-sdk:s3:getObject.sync``).  Services and actions
    beyond this table (Athena, CodeBuild...) are accepted, so a definition AWS takes is never refused."""
    parts = resource.split(":")
    if len(parts) < 7 or parts[2] != "states" or parts[4] != "":
        return True
    rest = ":".join(parts[5:])
    if rest.startswith("aws-sdk:"):
        return rest.rpartition(":")[2].partition(".")[2] in _SDK_PATTERNS
    service, _, action = rest.partition(":")
    action, _, pattern = action.partition(".")
    entry = SUPPORTED.get(service)
    if entry is None or action not in entry[1]:
        return True
    return pattern in entry[1][action]
