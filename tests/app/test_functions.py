from __future__ import annotations

import copy
import json

import boto3
import pytest
from pydantic import ValidationError

pytest.importorskip("aws_lambda_powertools", reason="the MLOps functions need aws-lambda-powertools")

from tests.app.conftest import LambdaContext, load_function, sample_event


def test_drift_adapter_starts_one_retraining_per_event(account):
    app = load_function("drift_adapter")
    event = sample_event("drift_alarm.json")
    first = app.lambda_handler(event, LambdaContext())
    again = app.lambda_handler(event, LambdaContext())  # EventBridge redelivery
    assert first == again
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=account.retraining)["executions"]
    assert [e["name"] for e in executions] == [f"drift-{event['id']}"]
    request = first["request"]
    assert (request["trigger"], request["alarm"]) == ("drift", "churn-feature-drift")


def test_drift_adapter_ignores_the_return_to_ok(account):
    app = load_function("drift_adapter")
    event = sample_event("drift_alarm.json")
    event["id"] = "another-event"
    event["detail"]["state"]["value"] = "OK"
    assert app.lambda_handler(event, LambdaContext()) == {"skipped": "OK"}


def test_drift_adapter_refuses_a_malformed_event(account):
    app = load_function("drift_adapter")
    event = sample_event("drift_alarm.json")
    del event["detail"]["state"]
    with pytest.raises(ValidationError):
        app.lambda_handler(event, LambdaContext())


def put_report(account, auc: float) -> None:
    account.s3.put_object(Bucket="mlops-models", Key="evaluation/train-drift-c4c1c1c9/evaluation.json",
                          Body=json.dumps({"metrics": {"auc": {"value": auc}}}))


@pytest.mark.parametrize(("auc", "better"), [(0.91, True), (0.862, False)])
def test_evaluate_candidate_compares_with_the_baseline_and_margin(account, auc, better):
    put_report(account, auc)
    result = load_function("evaluate_candidate").lambda_handler(sample_event("evaluate_candidate.json"),
                                                                 LambdaContext())
    assert result == {"training_job_name": "train-drift-c4c1c1c9", "metric": "auc", "score": auc,
                      "baseline": 0.86, "better": better}


def test_evaluate_candidate_without_report_raises_the_retried_error(account):
    app = load_function("evaluate_candidate")
    with pytest.raises(app.EvaluationReportMissing):
        app.lambda_handler(sample_event("evaluate_candidate.json"), LambdaContext())


def test_evaluate_candidate_refuses_a_bad_request(account):
    event = sample_event("evaluate_candidate.json")
    event["report_uri"] = "https://not-s3"
    with pytest.raises(ValidationError):
        load_function("evaluate_candidate").lambda_handler(event, LambdaContext())


def test_request_approval_stores_the_token_and_notifies(account):
    event = sample_event("request_approval.json")
    load_function("request_approval").lambda_handler(event, LambdaContext())
    item = account.approvals.get_item(Key={"ModelPackageArn": event["ModelPackageArn"]})["Item"]
    assert item["TaskToken"] == event["TaskToken"]
    assert event["ModelPackageArn"] in account.notifications()[0]


def test_request_approval_refuses_a_request_without_token(account):
    event = sample_event("request_approval.json")
    del event["TaskToken"]
    with pytest.raises(ValidationError):
        load_function("request_approval").lambda_handler(event, LambdaContext())


class RecordingStepFunctions:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def send_task_success(self, **kwargs):
        self.calls.append(("success", kwargs))

    def send_task_failure(self, **kwargs):
        self.calls.append(("failure", kwargs))


@pytest.mark.parametrize(("status", "outcome"), [("Approved", "success"), ("Rejected", "failure")])
def test_approval_callback_resumes_the_waiting_workflow_once(account, status, outcome):
    app = load_function("approval_callback")
    app.stepfunctions = RecordingStepFunctions()
    event = sample_event("model_package_approved.json")
    event["detail"]["ModelApprovalStatus"] = status
    arn = event["detail"]["ModelPackageArn"]
    account.approvals.put_item(Item={"ModelPackageArn": arn, "TaskToken": "token-1", "Purpose": "deploy"})
    app.lambda_handler(event, LambdaContext())
    app.lambda_handler(copy.deepcopy(event), LambdaContext())  # redelivered
    assert [(kind, call["taskToken"]) for kind, call in app.stepfunctions.calls] == [(outcome, "token-1")]
    if outcome == "failure":
        assert app.stepfunctions.calls[0][1]["error"] == "ModelRejected"
    assert "Item" not in account.approvals.get_item(Key={"ModelPackageArn": arn})


def test_approval_callback_without_waiting_workflow_does_nothing(account):
    app = load_function("approval_callback")
    app.stepfunctions = RecordingStepFunctions()
    assert app.lambda_handler(sample_event("model_package_approved.json"), LambdaContext()) == {
        "skipped": "no waiting workflow"}
    assert app.stepfunctions.calls == []


def test_approval_callback_refuses_a_malformed_event(account):
    event = sample_event("model_package_approved.json")
    del event["detail"]["ModelPackageArn"]
    with pytest.raises(ValidationError):
        load_function("approval_callback").lambda_handler(event, LambdaContext())


def test_deployment_notifier_reports_a_rollback_once(account):
    app = load_function("deployment_notifier")
    event = sample_event("endpoint_deployment_rolled_back.json")
    result = app.lambda_handler(event, LambdaContext())
    app.lambda_handler(event, LambdaContext())
    assert result["outcome"] == "RolledBack"
    assert account.notifications() == [result["message"]]


def test_deployment_notifier_reports_success_and_skips_progress(account):
    app = load_function("deployment_notifier")
    done = sample_event("endpoint_deployment_rolled_back.json")
    del done["detail"]["FailureReason"]
    assert app.lambda_handler(done, LambdaContext())["outcome"] == "Deployed"
    progress = sample_event("endpoint_deployment_rolled_back.json")
    progress["id"] = "progress-1"
    progress["detail"]["EndpointStatus"] = "UPDATING"
    assert app.lambda_handler(progress, LambdaContext()) == {"skipped": "UPDATING"}


def test_deployment_notifier_refuses_a_malformed_event(account):
    event = sample_event("endpoint_deployment_rolled_back.json")
    event["detail"] = "not an object"
    with pytest.raises(ValidationError):
        load_function("deployment_notifier").lambda_handler(event, LambdaContext())
