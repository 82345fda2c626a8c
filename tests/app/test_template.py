"""The SAM template: definitions valid after substitution, rules matching the events they are for, handlers that
import, and a sample event for every function."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from asl_engine import StateMachine
from asl_engine.eventbridge.patterns import test_event_pattern as matches_pattern
from asl_engine.eventbridge.transform import DeliveryContext, TargetInput
from asl_engine.integrations.sam_template import template_functions
from tests.app.conftest import sample_event
from tests.app.sam import ROOT, TEMPLATE, Template

template = Template()
STATE_MACHINES = sorted(template.of_type("AWS::Serverless::StateMachine"))
FUNCTIONS = template.of_type("AWS::Serverless::Function")
SAMPLE_EVENTS = {"DriftAdapterFunction": "drift_alarm.json", "EvaluateCandidateFunction": "evaluate_candidate.json",
                 "RequestApprovalFunction": "request_approval.json",
                 "ApprovalCallbackFunction": "model_package_approved.json",
                 "DeploymentNotifierFunction": "endpoint_deployment_rolled_back.json"}


def test_transform_and_globals():
    assert template.raw["Transform"] == "AWS::Serverless-2016-10-31"
    globals_ = template.raw["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Handler"]) == ("python3.11", "app.lambda_handler")


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_substitutions_resolve_exactly(logical_id):
    props = template.resources[logical_id]["Properties"]
    text = (ROOT / props["DefinitionUri"]).read_text()
    assert set(re.findall(r"\$\{([^}]+)\}", text)) == set(props["DefinitionSubstitutions"])
    assert "${" not in template.definition(logical_id)


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_definition_is_valid_after_substitution(logical_id):
    diagnostics = StateMachine.validate(template.definition(logical_id))
    assert [d for d in diagnostics if d.severity == "ERROR"] == []


def test_asl_validate_cli_accepts_the_substituted_definitions(tmp_path):
    files = []
    for logical_id in STATE_MACHINES:
        path = tmp_path / f"{logical_id}.asl.json"
        path.write_text(template.definition(logical_id))
        files.append(str(path))
    done = subprocess.run([sys.executable, "-m", "asl_engine.cli", "validate", *files], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_code_requirements_and_a_sample_event(logical_id):
    code = ROOT / FUNCTIONS[logical_id]["Properties"]["CodeUri"]
    assert (code / "app.py").is_file()
    assert "aws-lambda-powertools" in (code / "requirements.txt").read_text()
    assert (ROOT / "events" / SAMPLE_EVENTS[logical_id]).is_file()


def test_every_handler_imports_from_the_template(account):
    pytest.importorskip("aws_lambda_powertools", reason="the MLOps functions need aws-lambda-powertools")
    handlers = {f.name: f for f in template_functions(TEMPLATE)}
    assert set(handlers) >= set(FUNCTIONS)


def rules() -> list[tuple[str, dict]]:
    """(rule id, EventBridgeRule properties) for every SAM event source and AWS::Events::Rule."""
    found = []
    for name, resource in template.resources.items():
        for event_name, event in (resource.get("Properties", {}).get("Events") or {}).items():
            if event["Type"] == "EventBridgeRule":
                found.append((f"{name}.{event_name}", template.resolve(event["Properties"])))
        if resource["Type"] == "AWS::Events::Rule":
            props = template.resolve(resource["Properties"])
            found.append((name, {"Pattern": props["EventPattern"], "EventBusName": props["EventBusName"],
                                 "Targets": props["Targets"]}))
    return found


RULES = dict(rules())
ROUTES = [
    ("drift_alarm.json", "DriftAdapterFunction.DriftAlarm"),
    ("s3_object_created.json", "RetrainingStateMachine.NewTrainingData"),
    ("model_package_approved.json", "ApprovalCallbackFunction.ModelPackageDecided"),
    ("endpoint_deployment_rolled_back.json", "DeploymentNotifierFunction.DeploymentStateChange"),
    ("batch_job_failed.json", "BatchJobFailedRule"),
]


@pytest.mark.parametrize(("event_file", "rule"), ROUTES)
def test_each_sample_event_matches_its_rule_and_no_other_workflow_rule(event_file, rule):
    event = sample_event(event_file)
    matched = {name for name, props in RULES.items()
               if props.get("EventBusName") == "mlops"
               and matches_pattern(json.dumps(props["Pattern"]), json.dumps(_deployed(event)))}
    assert matched == {rule}


def _deployed(event: dict) -> dict:
    """The sample S3 event names the bucket as deployed; in the resolved template it is ``mlops-databucket``."""
    return json.loads(json.dumps(event).replace('"mlops-data"', '"mlops-databucket"'))


def test_all_service_events_are_forwarded_to_the_mlops_bus():
    forward = RULES["ForwardServiceEventsRule"]
    assert forward["EventBusName"] == "default"
    for event_file, _ in ROUTES:
        assert matches_pattern(json.dumps(forward["Pattern"]), json.dumps(sample_event(event_file)))


def test_new_data_input_transformer_builds_the_retraining_request():
    transformer = RULES["RetrainingStateMachine.NewTrainingData"]["InputTransformer"]
    target = TargetInput({"Id": "retraining", "InputTransformer": transformer})
    payload = json.loads(target.render(_deployed(sample_event("s3_object_created.json")),
                                       DeliveryContext(rule_arn="arn:aws:events:::rule/x", rule_name="x")))
    assert payload == {"trigger": "new-data", "dataset": "s3://mlops-databucket/incoming/2026-11-27/churn.csv",
                       "requested_at": "2026-11-27T01:10:00Z"}


def test_malformed_event_matches_no_rule():
    event = sample_event("drift_alarm.json")
    event["detail"] = {"alarm": "no state"}
    assert not any(matches_pattern(json.dumps(p["Pattern"]), json.dumps(_deployed(event)))
                   for name, p in RULES.items() if p.get("EventBusName") == "mlops")


def test_bus_archive_schema_registry_and_pipe_are_declared():
    kinds = {r["Type"] for r in template.resources.values()}
    assert {"AWS::Events::EventBus", "AWS::Events::Archive", "AWS::EventSchemas::Registry",
            "AWS::EventSchemas::Schema", "AWS::Pipes::Pipe", "AWS::DynamoDB::Table"} <= kinds
    archive = template.resolve(template.resources["MlopsArchive"]["Properties"])
    assert archive["SourceArn"].endswith("MlopsBus")
