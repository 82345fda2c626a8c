"""The endpoint update's shadow test ending in promotion: the candidate runs as a shadow variant, bakes, the
reviewer approves the model package, and the candidate is deployed (canary) to all the traffic."""

from __future__ import annotations

import json
from typing import Any

from asl_engine.local import LocalStack
from tests.e2e.conftest import APP, outcomes, run

UPDATE = APP.state_machines["EndpointUpdateStateMachine"]


def _lanes(stack: LocalStack) -> list[tuple[Any, str, str]]:
    return [(e.time, e.resource, e.state) for e in stack.timeline.entries if e.resource.startswith("sfn/")]


def test_approved_shadow_candidate_is_promoted() -> None:
    async def scenario(stack: LocalStack) -> Any:
        sagemaker = stack.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName="churn")
        package = sagemaker.create_model_package(
            ModelPackageGroupName="churn", ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={"Containers": [{"Image": "xgboost"}], "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
        stack.stepfunctions.start_execution(UPDATE.arn, json.dumps(
            {"ModelPackageArn": package, "ModelName": "churn-v2", "ShadowTest": True, "ShadowTestSeconds": 3600}),
            "shadow-v2")
        await stack.idle(3600 + 1800)  # the shadow variant comes up and bakes; RequestPromotion holds the token
        assert "RequestPromotion" in [state for _, _, state in _lanes(stack)], "not waiting for the promotion"
        sagemaker.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved",
                                       ApprovalDescription="the shadow's latency matches production")
        [update] = await stack.finished("EndpointUpdateStateMachine")
        await stack.idle(60)
        return update.result

    stack, result = run(scenario, review_seconds=10 * 86400.0)  # the registry's own reviewer stays out of it
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["status"] == "DEPLOYED"
    visited = [e["stateEnteredEventDetails"]["name"] for e in result.history if e["type"].endswith("StateEntered")]
    assert visited.index("ShadowBake") < visited.index("RequestPromotion") < visited.index("CreateEndpointConfig")
    assert "RemoveShadow" not in visited
    endpoint = stack.client("sagemaker").describe_endpoint(EndpointName=APP.ref("EndpointName"))
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v2-cfg")
    assert outcomes(stack, "DeploymentNotifierFunction") == ["Deployed", "Deployed"]  # the shadow, then the promotion
