"""The SAM template: definitions valid after substitution, rules matching the events they are for, handlers that
import, and a sample event for every function."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from asl_engine import StateMachine
from asl_engine.eventbridge.patterns import test_event_pattern as matches_pattern
from asl_engine.eventbridge.transform import DeliveryContext, TargetInput
from asl_engine.integrations.lambda_.providers import LocalFunctions
from asl_engine.sam import load_application
from asl_engine.sam.template import load_template
from tests.app.conftest import ROOT, sample_event

TEMPLATE = ROOT / "template.yaml"
RAW = load_template(TEMPLATE)
APP = load_application(TEMPLATE)
STATE_MACHINES = sorted(APP.state_machines)
FUNCTIONS = APP.functions
SAMPLE_EVENTS = {"DriftAdapterFunction": "drift_alarm.json", "EvaluateCandidateFunction": "evaluate_candidate.json",
                 "RequestApprovalFunction": "request_approval.json",
                 "ApprovalCallbackFunction": "model_package_approved.json",
                 "DeploymentNotifierFunction": "endpoint_deployment_rolled_back.json",
                 "EvaluateModelFunction": "evaluate_model.json", "NotifyFunction": "notify.json"}


def test_transform_and_globals():
    assert RAW["Transform"] == "AWS::Serverless-2016-10-31"
    globals_ = RAW["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Handler"]) == ("python3.11", "app.lambda_handler")


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_substitutions_resolve_exactly(logical_id):
    props = RAW["Resources"][logical_id]["Properties"]
    text = (ROOT / props["DefinitionUri"]).read_text()
    assert set(re.findall(r"\$\{([^}]+)\}", text)) == set(props["DefinitionSubstitutions"])
    assert "${" not in APP.state_machines[logical_id].definition


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_definition_is_valid_after_substitution(logical_id):
    diagnostics = StateMachine.validate(APP.state_machines[logical_id].definition)
    assert [d for d in diagnostics if d.severity == "ERROR"] == []


def test_asl_validate_cli_accepts_the_substituted_definitions(tmp_path):
    files = []
    for logical_id in STATE_MACHINES:
        path = tmp_path / f"{logical_id}.asl.json"
        path.write_text(APP.state_machines[logical_id].definition)
        files.append(str(path))
    done = subprocess.run([sys.executable, "-m", "asl_engine.cli", "validate", *files], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_code_requirements_and_a_sample_event(logical_id):
    code = FUNCTIONS[logical_id].code_dir
    assert (code / "app.py").is_file()
    if "aws_lambda_powertools" in (code / "app.py").read_text():  # the model-promotion stand-ins need nothing
        assert "aws-lambda-powertools" in (code / "requirements.txt").read_text()
    assert (ROOT / "events" / SAMPLE_EVENTS[logical_id]).is_file()


def test_every_handler_imports_from_the_template(account):
    pytest.importorskip("aws_lambda_powertools", reason="the MLOps functions need aws-lambda-powertools")
    functions = LocalFunctions.from_template(TEMPLATE)
    assert all(logical_id in functions for logical_id in FUNCTIONS)


def rules() -> list[tuple[str, dict]]:
    """(rule name, pattern, bus, targets) for every rule the template deploys, SAM event sources included."""
    return [(rule.name, {"Pattern": json.loads(rule.rule["EventPattern"]), "EventBusName": rule.rule["EventBusName"],
                         "Targets": rule.targets}) for rule in APP.rules if "EventPattern" in rule.rule]


RULES = dict(rules())
ROUTES = [
    ("drift_alarm.json", "DriftAdapterFunctionDriftAlarm"),
    ("s3_object_created.json", "RetrainingStateMachineNewTrainingData"),
    ("model_package_approved.json", "ApprovalCallbackFunctionModelPackageDecided"),
    ("endpoint_deployment_rolled_back.json", "DeploymentNotifierFunctionDeploymentStateChange"),
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
    transformer = RULES["RetrainingStateMachineNewTrainingData"]["Targets"][0]["InputTransformer"]
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
    kinds = {r["Type"] for r in RAW["Resources"].values()}
    assert {"AWS::Events::EventBus", "AWS::Events::Archive", "AWS::EventSchemas::Registry",
            "AWS::EventSchemas::Schema", "AWS::Pipes::Pipe", "AWS::DynamoDB::Table"} <= kinds
    [archive] = APP.archives
    assert archive.request["EventSourceArn"].endswith(":event-bus/mlops")


def test_ci_invokes_every_function_with_its_sample_event():
    """.ci/sam_invoke_all.py runs ``sam local invoke`` per function: the same functions and events as here."""
    spec = importlib.util.spec_from_file_location("sam_invoke_all", ROOT / ".ci" / "sam_invoke_all.py")
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclasses look their module up
    spec.loader.exec_module(script)
    assert {name: event for name, (event, _) in script.CASES.items()} == SAMPLE_EVENTS
    assert set(SAMPLE_EVENTS) == set(FUNCTIONS)
