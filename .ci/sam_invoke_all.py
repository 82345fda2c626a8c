"""``sam local invoke`` of every function of template.yaml with its sample event, each answer checked.

Why this exists: ``sam local invoke`` proves what the in-process tests cannot, that each function's
build artifact imports and answers in the Lambda runtime's container.  Its AWS calls must reach
something, so one ``asl serve --template template.yaml`` (Step Functions itself, moto for every other
service, on one port, with the stack's tables, topic, buckets, rules and state machines deployed under the
names the template gives them) is started bound to 0.0.0.0 and every function's container reaches it
through the docker bridge's gateway (AWS_ENDPOINT_URL in the built template; the repository's template is
left as it deploys).  Each function's prerequisites are seeded (an evaluation report, a workflow waiting on
a real task token), and each answer and its cheap side effects (item written, message published, token
accepted, execution started) are checked.  ``sam local invoke`` exits 0 even when the function raises, so only
the answer decides.

Usage: sam_invoke_all.py SAM BUILT_TEMPLATE GATEWAY [--port 5055] [--work DIR]
Prints one line per function with its time; exits 1 if any function's check failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from asl_engine.sam import load_application
from asl_engine.sam.application import Application
from asl_engine.sam.template import load_template

ROOT = Path(__file__).resolve().parents[1]
REGION, ROLE = "us-east-1", "arn:aws:iam::123456789012:role/ci"
Check = Callable[[dict[str, Any]], str]  # raises AssertionError, or returns a one-line summary


class Aws:
    """Clients of the ``asl serve`` under test, the deployed template's names, and the CI-only inbox."""

    def __init__(self, app: Application, endpoint: str) -> None:
        self.app, self.endpoint = app, endpoint
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                                                  aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    def deploy(self) -> None:
        """Checks that ``asl serve --template`` deployed the template's state machines as resolved here, and
        adds the CI's inbox: a queue subscribed to the notification topic, so what the functions publish can
        be read back."""
        for spec in self.app.state_machines.values():
            described = self("stepfunctions").describe_state_machine(stateMachineArn=spec.arn)
            assert described["definition"] == spec.definition, f"{spec.name} is not the template's"
        self.inbox = self.queue("mlops-ci-inbox")
        arn = self("sqs").get_queue_attributes(QueueUrl=self.inbox, AttributeNames=["QueueArn"])
        self("sns").subscribe(TopicArn=self.app.ref("NotificationTopic"), Protocol="sqs",
                              Endpoint=arn["Attributes"]["QueueArn"])

    def queue(self, name: str) -> str:
        return self("sqs").create_queue(QueueName=name)["QueueUrl"]

    def receive(self, queue: str) -> list[dict[str, Any]]:
        """Every message waiting on ``queue`` (bodies parsed), deleted once read."""
        out = []
        for message in self("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=5).get("Messages", []):
            out.append(json.loads(message["Body"]))
            self("sqs").delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return out

    def published(self) -> list[str]:
        """Subjects of what reached the notification topic since the last call."""
        return [n.get("Subject") for n in self.receive(self.inbox)]

    def approvals(self) -> Any:
        return boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name=REGION,
                              aws_access_key_id="testing", aws_secret_access_key="testing").Table(
            self.app.ref("ApprovalsTable"))

    def closed(self, execution_arn: str, timeout: float = 10.0) -> dict[str, Any]:
        """DescribeExecution once the execution left RUNNING (SendTaskSuccess resumes it asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            described = self("stepfunctions").describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described
            time.sleep(0.1)


# -- one case per function: seed what it needs, return the check of its answer --------------------------------

def drift_adapter(aws: Aws, event: dict[str, Any]) -> Check:
    def check(answer: dict[str, Any]) -> str:
        sfn = aws("stepfunctions")
        described = sfn.describe_execution(executionArn=answer["executionArn"])
        assert described["name"] == f"drift-{event['id']}", described["name"]
        assert described["stateMachineArn"] == aws.app.ref("RetrainingStateMachine")
        assert json.loads(described["input"])["trigger"] == "drift"
        sfn.stop_execution(executionArn=answer["executionArn"])  # the retraining itself is not under test here
        return f"started {described['name']} on {described['stateMachineArn'].rsplit(':', 1)[1]}"

    return check


def evaluate_candidate(aws: Aws, event: dict[str, Any]) -> Check:
    bucket, key = event["report_uri"].removeprefix("s3://").split("/", 1)
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps({"metrics": {"auc": {"value": 0.91}}}))

    def check(answer: dict[str, Any]) -> str:
        assert (answer.get("better"), answer.get("score")) == (True, 0.91), answer
        return f"score {answer['score']} vs baseline {answer['baseline']}: better"

    return check


def request_approval(aws: Aws, event: dict[str, Any]) -> Check:
    def check(answer: dict[str, Any]) -> str:
        assert answer == {"requested": event["ModelPackageArn"]}, answer
        item = aws.approvals().get_item(Key={"ModelPackageArn": event["ModelPackageArn"]})["Item"]
        assert item["TaskToken"] == event["TaskToken"], item
        subjects = aws.published()
        assert subjects == ["Approval needed: deploy"], subjects
        return "token stored in the approvals table, approvers notified"

    return check


def approval_callback(aws: Aws, event: dict[str, Any]) -> Check:
    """A real waiting workflow: its task token (sent to a queue by ``sqs:sendMessage.waitForTaskToken``) is
    what the approvals table holds for the package, so the callback's SendTaskSuccess must resume it."""
    tokens = aws.queue("mlops-ci-tokens")
    definition = {"StartAt": "WaitForApproval", "States": {"WaitForApproval": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": tokens, "MessageBody": {"TaskToken.$": "$$.Task.Token"}}}}}
    machine = aws("stepfunctions").create_state_machine(name="mlops-ci-approval", roleArn=ROLE,
                                                        definition=json.dumps(definition))["stateMachineArn"]
    execution = aws("stepfunctions").start_execution(stateMachineArn=machine)["executionArn"]
    [message] = aws.receive(tokens)
    arn = event["detail"]["ModelPackageArn"]
    aws.approvals().put_item(Item={"ModelPackageArn": arn, "TaskToken": message["TaskToken"], "Purpose": "deploy"})

    def check(answer: dict[str, Any]) -> str:
        assert answer == {"outcome": "approved", "ModelPackageArn": arn}, answer
        described = aws.closed(execution)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == {"approved": True, "ModelPackageArn": arn}, described["output"]
        assert "Item" not in aws.approvals().get_item(Key={"ModelPackageArn": arn})
        return "SendTaskSuccess accepted: the waiting execution SUCCEEDED"

    return check


def deployment_notifier(aws: Aws, event: dict[str, Any]) -> Check:
    def check(answer: dict[str, Any]) -> str:
        assert answer.get("outcome") == "RolledBack", answer
        subjects = aws.published()
        assert subjects == ["Endpoint deployment RolledBack"], subjects
        return "rollback notification published"

    return check


def evaluate_model(aws: Aws, event: dict[str, Any]) -> Check:
    def check(answer: dict[str, Any]) -> str:
        assert answer == {"model_name": event["model_name"], "score": 0.852}, answer
        return f"{answer['model_name']} scored {answer['score']}"

    return check


def notify(aws: Aws, event: dict[str, Any]) -> Check:
    def check(answer: dict[str, Any]) -> str:
        assert answer.get("subject") == f"Model promotion: {event['decision']}", answer
        return repr(answer["subject"])

    return check


# Every function of the template, its sample event in events/, and its case.
CASES: dict[str, tuple[str, Callable[[Aws, dict[str, Any]], Check]]] = {
    "EvaluateModelFunction": ("evaluate_model.json", evaluate_model),
    "NotifyFunction": ("notify.json", notify),
    "EvaluateCandidateFunction": ("evaluate_candidate.json", evaluate_candidate),
    "RequestApprovalFunction": ("request_approval.json", request_approval),
    "ApprovalCallbackFunction": ("model_package_approved.json", approval_callback),
    "DeploymentNotifierFunction": ("endpoint_deployment_rolled_back.json", deployment_notifier),
    "DriftAdapterFunction": ("drift_alarm.json", drift_adapter),
}


@dataclass
class Result:
    function: str
    seconds: float
    summary: str
    ok: bool


def point_at(built: Path, app: Application, endpoint: str) -> None:
    """Every function of the built template gets its deployed environment, names resolved as the local
    stack resolves them, plus AWS_ENDPOINT_URL: SAM only passes variables the template declares."""
    template = load_template(built)
    for logical_id, function in app.functions.items():
        props = template["Resources"][logical_id]["Properties"]
        props["Environment"] = {"Variables": {**function.environment, "AWS_ENDPOINT_URL": endpoint}}
    built.write_text(json.dumps(template))


def invoke(sam: str, built: Path, logical_id: str, event: Path, log: Path) -> dict[str, Any]:
    """The function's answer: the last line ``sam local invoke`` prints (its logs go to ``log``)."""
    with log.open("w") as err:
        done = subprocess.run([sam, "local", "invoke", logical_id, "-t", str(built), "-e", str(event),
                               "--skip-pull-image"], stdout=subprocess.PIPE, stderr=err, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise AssertionError(f"sam local invoke exited {done.returncode}; see {log}")
    answer = json.loads(lines[-1])
    if isinstance(answer, dict) and "errorType" in answer:
        raise AssertionError(f"{answer['errorType']}: {answer.get('errorMessage')}")
    return answer


def run_case(aws: Aws, sam: str, built: Path, logical_id: str, work: Path) -> Result:
    event_name, case = CASES[logical_id]
    event_path = ROOT / "events" / event_name
    started = time.monotonic()
    try:
        check = case(aws, json.loads(event_path.read_text()))
        summary = check(invoke(sam, built, logical_id, event_path, work / f"invoke-{logical_id}.log"))
        ok = True
    except (AssertionError, KeyError, ValueError) as exc:
        summary, ok = f"FAILED {type(exc).__name__}: {exc}", False
    return Result(logical_id, time.monotonic() - started, summary, ok)


def start_serve(port: int, log: Path) -> subprocess.Popen:
    """``asl serve --template`` on every interface (the containers come in through the bridge), nothing
    persisted; it listens once the template is deployed."""
    process = subprocess.Popen([sys.executable, "-m", "asl_engine.cli", "serve", "--host", "0.0.0.0",
                                "--port", str(port), "--db", ":memory:", "--template", str(ROOT / "template.yaml")],
                               stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"asl serve did not come up on port {port}; see {log}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sam", help="the sam executable")
    parser.add_argument("built", type=Path, help="the template sam build wrote (changed in place)")
    parser.add_argument("gateway", help="the host's address as the containers see it (docker0's)")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--work", type=Path, default=Path("/tmp/asl-ci-sam"), help="where the logs go")
    args = parser.parse_args(argv)

    app = load_application(ROOT / "template.yaml")
    missing = sorted(set(app.functions) - set(CASES))
    if missing:
        print(f"no sam local invoke case for {', '.join(missing)}", file=sys.stderr)
        return 1
    point_at(args.built, app, f"http://{args.gateway}:{args.port}")
    serve = start_serve(args.port, args.work / "serve.log")
    try:
        aws = Aws(app, f"http://127.0.0.1:{args.port}")
        aws.deploy()
        results = []
        for logical_id in CASES:
            result = run_case(aws, args.sam, args.built, logical_id, args.work)
            print(f"sam local invoke {result.function:<27} {result.seconds:5.1f} s  "
                  f"{'ok' if result.ok else '--'}  {result.summary}", flush=True)
            results.append(result)
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
