"""``asl serve --template``: a real server deploys a SAM template at startup and is driven with boto3.

The small template beside this file (``template/``) has a SAM state machine whose DefinitionSubstitutions
name a function, a table, a topic and another (CloudFormation, unnamed) state machine, an EventBridge rule on
its own bus, and a function that starts an execution with its own boto3 client.  Its stack name is
``local`` (no samconfig.toml beside it), as ``sam local`` names a stack.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from asl_engine.sam import load_application
from asl_engine.store import open_store
from tests.server.conftest import ROOT, Server
from tests.server.helpers import AWS_CLI, eventually, wait_for_end

TEMPLATE = Path(__file__).parent / "template" / "template.yaml"
ACCOUNT_REGION = "us-east-1:123456789012"
GREETING = f"arn:aws:states:{ACCOUNT_REGION}:stateMachine:local-greeting"
AUDIT = f"arn:aws:states:{ACCOUNT_REGION}:stateMachine:AuditMachine"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = Server(tmp_path_factory.mktemp("template") / "state.db", "--template", str(TEMPLATE))
    yield srv
    srv.stop()


def _copy_template(tmp_path: Path) -> Path:
    target = tmp_path / "stack"
    shutil.copytree(TEMPLATE.parent, target)
    return target / "template.yaml"


def _serve_refused(*args: str) -> subprocess.CompletedProcess:
    """``asl serve`` expected to stop before it listens."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run([sys.executable, "-m", "asl_engine.cli", "serve", "--port", "0", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_state_machines_are_created_with_their_substitutions_resolved(stack) -> None:
    sfn = stack.client()
    names = {m["name"]: m for m in sfn.list_state_machines()["stateMachines"]}
    assert {"local-greeting", "AuditMachine"} <= set(names)  # Name resolved; unnamed: the logical id
    greeting = sfn.describe_state_machine(stateMachineArn=GREETING)
    definition = json.loads(greeting["definition"])
    assert definition["States"]["Greet"]["Parameters"]["FunctionName"] == \
        f"arn:aws:lambda:{ACCOUNT_REGION}:function:GreetFunction"
    assert definition["States"]["Store"]["Parameters"]["TableName"] == "local-orderstable"
    assert definition["States"]["Done"]["Parameters"]["topic"] == f"arn:aws:sns:{ACCOUNT_REGION}:local-alertstopic"
    assert definition["States"]["Done"]["Parameters"]["audit"] == AUDIT
    assert greeting["roleArn"] == "arn:aws:iam::123456789012:role/GreetingStateMachineRole"  # SAM's generated role
    assert (greeting["type"], greeting["tracingConfiguration"]) == ("STANDARD", {"enabled": True})
    audit = sfn.describe_state_machine(stateMachineArn=AUDIT)
    assert (audit["type"], audit["roleArn"]) == ("EXPRESS", "arn:aws:iam::123456789012:role/local-auditrole")
    assert json.loads(audit["definition"])["States"]["Audit"]["Parameters"]["table"] == "local-orderstable"


def test_an_execution_calls_the_template_function_and_its_table(stack) -> None:
    sfn = stack.client()
    started = sfn.start_execution(stateMachineArn=GREETING, input=json.dumps({"id": "o-1", "name": "Ada"}))
    done = wait_for_end(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["message"] == "Hello, Ada"  # GREETING from the template's parameter
    item = stack.client("dynamodb").get_item(TableName="local-orderstable", Key={"id": {"S": "o-1"}})["Item"]
    assert item["message"] == {"S": "Hello, Ada"}
    express = sfn.start_sync_execution(stateMachineArn=AUDIT, input="{}")
    assert json.loads(express["output"])["stack"] == "local"


def test_lambda_invoke_reaches_the_template_functions(stack) -> None:
    lam = stack.client("lambda")
    listed = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert {"GreetFunction", "kick"} <= set(listed)
    assert listed["GreetFunction"]["Environment"]["Variables"]["GREETING"] == "Hello"
    for name in ("GreetFunction", f"arn:aws:lambda:{ACCOUNT_REGION}:function:GreetFunction"):
        answer = lam.invoke(FunctionName=name, Payload=json.dumps({"id": "x", "name": "Bob"}).encode())
        assert json.loads(answer["Payload"].read()) == {"id": "x", "message": "Hello, Bob"}


def test_a_function_starts_an_execution_of_this_service_with_its_own_client(stack) -> None:
    """The function's boto3 Step Functions client (made at import) reaches the server, not moto."""
    answer = stack.client("lambda").invoke(FunctionName="kick", Payload=json.dumps({"id": "k-1", "name": "Kim"}))
    arn = json.loads(answer["Payload"].read())["executionArn"]
    assert arn.startswith(f"arn:aws:states:{ACCOUNT_REGION}:execution:local-greeting:")
    assert json.loads(wait_for_end(stack.client(), arn)["output"])["message"] == "Hello, Kim"


def test_put_events_on_the_template_bus_starts_its_state_machine(stack) -> None:
    sfn, events = stack.client(), stack.client("events")
    assert events.describe_rule(Name="GreetingStateMachineOrderPlaced", EventBusName="local-orders")["State"] == \
        "ENABLED"
    before = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=GREETING)["executions"]}
    put = events.put_events(Entries=[{"EventBusName": "local-orders", "Source": "shop", "DetailType": "Order Placed",
                                      "Detail": json.dumps({"id": "e-1", "name": "Eve"})}])
    assert put["FailedEntryCount"] == 0, put

    def started() -> list[str]:
        now = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=GREETING)["executions"]}
        return sorted(now - before)

    [arn] = eventually(started)
    done = wait_for_end(sfn, arn)
    assert (done["status"], json.loads(done["output"])["message"]) == ("SUCCEEDED", "Hello, Eve")


@pytest.mark.skipif(AWS_CLI is None, reason="the AWS CLI is not installed")
def test_aws_cli_start_execution_just_works(stack) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    done = subprocess.run([AWS_CLI, "stepfunctions", "start-execution", "--endpoint-url", stack.url, "--output", "json",
                           "--state-machine-arn", GREETING, "--input", '{"id": "cli-1", "name": "Cli"}'],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    described = wait_for_end(stack.client(), json.loads(done.stdout)["executionArn"])
    assert json.loads(described["output"])["message"] == "Hello, Cli"


def test_a_restart_on_the_same_store_updates_and_never_duplicates(tmp_path: Path) -> None:
    template, db = _copy_template(tmp_path), tmp_path / "state.db"
    first = Server(db, "--template", str(template))
    try:
        sfn = first.client()
        created = sfn.describe_state_machine(stateMachineArn=GREETING)
        run = sfn.start_execution(stateMachineArn=GREETING, input=json.dumps({"id": "r-1", "name": "Ray"}))
        assert wait_for_end(sfn, run["executionArn"])["status"] == "SUCCEEDED"
    finally:
        first.stop()
    again = Server(db, "--template", str(template))  # unchanged: nothing to do
    try:
        sfn = again.client()
        assert sorted(m["name"] for m in sfn.list_state_machines()["stateMachines"]) == \
            ["AuditMachine", "local-greeting"]
        assert sfn.describe_state_machine(stateMachineArn=GREETING)["revisionId"] == created["revisionId"]
    finally:
        again.stop()
    asl = template.parent / "greeting.asl.json"
    asl.write_text(asl.read_text().replace('"Comment": "Greets', '"Comment": "Now greets'))
    changed = Server(db, "--template", str(template))
    try:
        sfn = changed.client()
        assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]].count("local-greeting") == 1
        updated = sfn.describe_state_machine(stateMachineArn=GREETING)
        assert json.loads(updated["definition"])["Comment"].startswith("Now greets")
        assert updated["revisionId"] != created["revisionId"]
        assert updated["creationDate"] == created["creationDate"]
        kept = sfn.list_executions(stateMachineArn=GREETING)["executions"]
        assert [e["executionArn"] for e in kept] == [run["executionArn"]]
    finally:
        changed.stop()


def test_a_type_change_on_restart_is_refused_and_the_store_kept(tmp_path: Path) -> None:
    template, db = _copy_template(tmp_path), tmp_path / "state.db"
    Server(db, "--template", str(template)).stop()
    template.write_text(template.read_text().replace("StateMachineType: EXPRESS", "StateMachineType: STANDARD"))
    refused = _serve_refused("--template", str(template), "--db", str(db))
    assert refused.returncode == 2, refused.stderr
    assert "AuditMachine (state machine AuditMachine): the store at hand holds it as EXPRESS" in refused.stderr
    store = open_store(str(db))
    try:
        assert store.get_state_machine(AUDIT).type == "EXPRESS"
    finally:
        store.close()


def test_an_invalid_definition_is_refused_naming_the_state_machine(tmp_path: Path) -> None:
    template = _copy_template(tmp_path)
    asl = template.parent / "greeting.asl.json"
    asl.write_text(asl.read_text().replace('"Next": "Done"', '"Next": "Nowhere"'))
    refused = _serve_refused("--template", str(template), "--db", str(tmp_path / "state.db"))
    assert refused.returncode == 3, refused.stderr
    assert "GreetingStateMachine (state machine local-greeting): invalid definition" in refused.stderr
    assert "Nowhere" in refused.stderr
    assert not (tmp_path / "state.db").exists()  # refused before the store was opened


def test_an_unresolvable_template_is_refused_naming_the_resource(tmp_path: Path) -> None:
    template = _copy_template(tmp_path)
    template.write_text(template.read_text().replace("!GetAtt GreetFunction.Arn", "!GetAtt MissingFunction.Arn"))
    refused = _serve_refused("--template", str(template), "--db", str(tmp_path / "state.db"))
    assert refused.returncode == 2, refused.stderr
    assert "GreetingStateMachine (AWS::Serverless::StateMachine): unresolved reference to 'MissingFunction'" in \
        refused.stderr


def test_a_rule_the_service_refuses_leaves_the_store_unchanged(tmp_path: Path) -> None:
    """The state machines are created last: a rule refused after the store opened stores nothing."""
    template = _copy_template(tmp_path)
    template.write_text(template.read_text().replace("source: [shop]", "source: shop"))  # not a list: invalid
    db = tmp_path / "state.db"
    refused = _serve_refused("--template", str(template), "--db", str(db))
    assert refused.returncode == 2, refused.stderr
    assert "rule GreetingStateMachineOrderPlaced: InvalidEventPatternException" in refused.stderr
    store = open_store(str(db))
    try:
        assert store.list_state_machines() == []
    finally:
        store.close()


def test_the_repository_template_deploys_every_state_machine(tmp_path: Path) -> None:
    """The MLOps application (stack ``mlops``, from the samconfig.toml beside template.yaml)."""
    app = load_application(ROOT / "template.yaml")
    srv = Server(tmp_path / "state.db", "--template", str(ROOT / "template.yaml"))
    try:
        sfn = srv.client()
        listed = {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
        assert listed == {spec.arn for spec in app.state_machines.values()}
        for spec in app.state_machines.values():
            described = sfn.describe_state_machine(stateMachineArn=spec.arn)
            assert (described["name"], described["definition"]) == (spec.name, spec.definition)
            assert "${" not in described["definition"]
        rules = srv.client("events").list_rules(EventBusName="mlops")["Rules"]
        assert "RetrainingStateMachineNewTrainingData" in {r["Name"] for r in rules}
        assert srv.client("dynamodb").describe_table(TableName=str(app.ref("ApprovalsTable")))["Table"]
    finally:
        srv.stop()


def test_lambda_isolation_process_runs_the_template_functions_in_workers(tmp_path: Path) -> None:
    """--lambda-isolation process: the functions answer from worker processes, warm on the second call, and
    a function's own boto3 client reaches this server (the workers are pointed at its endpoint)."""
    srv = Server(tmp_path / "state.db", "--template", str(TEMPLATE), "--lambda-isolation", "process")
    try:
        lam = srv.client("lambda")
        for _ in range(2):
            answer = lam.invoke(FunctionName="GreetFunction", Payload=json.dumps({"id": "w", "name": "Wu"}).encode())
            assert json.loads(answer["Payload"].read()) == {"id": "w", "message": "Hello, Wu"}
        kicked = lam.invoke(FunctionName="kick", Payload=json.dumps({"id": "k-2", "name": "Kai"}))
        arn = json.loads(kicked["Payload"].read())["executionArn"]
        assert json.loads(wait_for_end(srv.client(), arn)["output"])["message"] == "Hello, Kai"
        workers = subprocess.run(["pgrep", "-P", str(srv.process.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2  # one worker each for GreetFunction and kick, kept warm
    finally:
        srv.stop()
    assert eventually(lambda: not any(_running(pid) for pid in workers))  # their stdin closed with the server


def _running(pid: str) -> bool:
    """Whether the process runs (an orphan that exited may stay a zombie where nothing reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
