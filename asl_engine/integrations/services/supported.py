"""Which integrations AWS has, and the integration patterns each allows.

The optimized integrations are data; an aws-sdk resource is checked against
botocore's models, as the runtime resolves it.  The runtime routes by the
same table.
"""

from __future__ import annotations

from asl_engine.integrations.services.model import client_name, operation

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
# the other services of AWS's "Optimized integrations" table, whose actions and patterns are not checked; and s3,
# whose getObject and putObject resources a Distributed Map's ItemReader and ResultWriter name
_OTHER_SERVICES = frozenset({"apigateway", "athena", "bedrock", "codebuild", "databrew", "eks", "elasticmapreduce",
                             "emr-containers", "emr-serverless", "mediaconvert", "s3"})


def recognized(resource: str) -> bool:
    """False when AWS would refuse ``resource`` at CreateStateMachine ("The resource provided ... is not
    recognized"): a Lambda ARN naming no function, an optimized service AWS does not have (``foo:bar``), an
    aws-sdk service or action the SDK does not have, or an integration pattern its service action does not
    have (``sqs:sendMessage.sync``, ``aws-sdk:s3:getObject.sync``).  The actions of services beyond the
    SUPPORTED table (Athena, CodeBuild...) are accepted, so a definition AWS takes is never refused."""
    parts = resource.split(":")
    if len(parts) >= 3 and parts[2] == "lambda":
        return len(parts) in (7, 8) and parts[5] == "function" and all(parts[6:])
    if len(parts) < 7 or parts[2] != "states" or parts[4] != "":
        return True
    rest = ":".join(parts[5:])
    if rest.startswith("aws-sdk:"):
        return _sdk_recognized(rest.removeprefix("aws-sdk:"))
    service, _, action = rest.partition(":")
    action, _, pattern = action.partition(".")
    entry = SUPPORTED.get(service)
    if entry is None:
        return service in _OTHER_SERVICES
    if action not in entry[1]:
        return True
    return pattern in entry[1][action]


def _sdk_recognized(rest: str) -> bool:
    """``<service>:<action>[.<pattern>]`` of an aws-sdk resource: a service the SDK has (by its SDK v2 name,
    ``sfn``, ``eventbridge``), one of its actions (matched as the integration matches them), a pattern it has."""
    service, _, action = rest.partition(":")
    action, _, pattern = action.partition(".")
    if pattern not in _SDK_PATTERNS or not service or not action:
        return False
    client = client_name(service)
    return client is not None and operation(client, action) is not None
