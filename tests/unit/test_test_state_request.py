"""TestState's request checks and mock validation, without a server: which state is tested, which API a mock
result is checked against."""

from __future__ import annotations

import json

import pytest

from asl_engine.integrations.api_errors import ApiError
from asl_engine.server.test_state.mock_shape import check_mock_result
from asl_engine.server.test_state.request import read_request

BRANCHES = {"QueryLanguage": "JSONata", "StartAt": "Fan", "States": {"Fan": {
    "Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Choice", "Default": "Done",
                                                  "Choices": [{"Condition": "{% true %}", "Next": "Other"}]},
                                        "Other": {"Type": "Succeed"}, "Done": {"Type": "Succeed"}}}]}}}


def test_a_nested_state_is_found_with_the_machines_query_language() -> None:
    request = read_request({"definition": json.dumps(BRANCHES), "stateName": "Right"})
    assert request.state["Type"] == "Choice" and request.jsonata and not request.in_map
    assert request.targets == ("Done", "Other")
    assert request.level == "INFO" and request.input == {} and request.variables == {}


def test_variables_must_be_an_object() -> None:
    with pytest.raises(ApiError) as e:
        read_request({"definition": json.dumps({"Type": "Pass", "End": True}), "variables": "[1]"})
    assert e.value.code == "ValidationException"


@pytest.mark.parametrize("resource", ["arn:aws:states:::http:invoke", "arn:aws:lambda:us-east-1:1:function:f",
                                      "arn:aws:states:us-east-1:1:activity:a",
                                      "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                                      "arn:aws:states:::apigateway:invoke"])
def test_results_aws_does_not_check(resource: str) -> None:
    check_mock_result(resource, {"StatusCode": "not checked", "MessageId": 5}, "STRICT")


def test_a_sync_result_is_checked_against_the_polled_api() -> None:
    with pytest.raises(ApiError) as e:
        check_mock_result("arn:aws:states:::batch:submitJob.sync", {"Jobs": "not a list"}, "PRESENT")
    assert e.value.message == "Mock result schema validation error: Field 'Jobs' must be an array"
    check_mock_result("arn:aws:states:::batch:submitJob.sync", {"Jobs": []}, "STRICT")
    check_mock_result("arn:aws:states:::sns:publish", {"MessageId": 5}, "NONE")
