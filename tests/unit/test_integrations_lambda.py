"""Lambda Tasks through the providers: in-process handlers (registered or from a SAM template), any
Invoke endpoint, and the AWS response and error shapes of both Resource forms."""

from __future__ import annotations

import asyncio
import io
import json
import textwrap

from runtime_helpers import ACCOUNT, REGION, event, fn_arn, run, simple_task

from asl_engine import Resources
from asl_engine.integrations.clients import ClientFactory
from asl_engine.integrations.lambda_.providers import EndpointFunctions, LambdaRequest, LocalFunctions

INVOKE = "arn:aws:states:::lambda:invoke"


def resources(**kwargs) -> Resources:
    return Resources(clients=ClientFactory(account=ACCOUNT), **kwargs)


def invoke_task(function: str, payload=None, **params) -> dict:
    return simple_task(INVOKE, Parameters={"FunctionName": function, "Payload": payload, **params})


class TestLambdaInvokeShape:
    def test_response_carries_payload_status_version_and_http_metadata(self):
        res = resources()
        res.register("echo", lambda event, context: {"got": event})
        ex = run(invoke_task("echo", {"a": 1}), resources=res)
        out = ex.output
        assert (out["Payload"], out["StatusCode"], out["ExecutedVersion"]) == ({"got": {"a": 1}}, 200, "$LATEST")
        headers = out["SdkHttpMetadata"]["HttpHeaders"]
        body = json.dumps({"got": {"a": 1}})
        assert headers["Content-Length"] == str(len(body))
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Amz-Executed-Version"] == "$LATEST"
        assert headers["x-amzn-Remapped-Content-Length"] == "0"
        assert {"Date", "x-amzn-RequestId", "X-Amzn-Trace-Id", "Connection"} <= set(headers)
        assert out["SdkHttpMetadata"]["AllHttpHeaders"]["Content-Length"] == [str(len(body))]
        assert out["SdkResponseMetadata"]["RequestId"] == headers["x-amzn-RequestId"]

    def test_string_payload_is_the_request_body_as_is(self):
        res = resources()
        res.register("id", lambda event, context: event)
        assert run(invoke_task("id", "[1, 2]"), resources=res).output["Payload"] == [1, 2]
        assert run(invoke_task("id"), resources=res).output["Payload"] == {}  # no body: the event is {}

    def test_log_tail_and_event_invocation(self):
        res = resources()
        calls = []
        res.register("f", lambda event, context: calls.append(event))
        out = run(invoke_task("f", {}, LogType="Tail"), resources=res).output
        assert out["LogResult"] and out["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"] == out["LogResult"]
        out = run(invoke_task("f", {"x": 1}, InvocationType="Event"), resources=res).output
        assert (out["StatusCode"], out["Payload"]) == (202, "")


class TestLambdaErrors:
    def test_function_error_is_error_type_with_json_cause(self):
        def boom(event, context):
            raise ValueError("bad")
        res = resources()
        res.register("boom", boom)
        ex = run(invoke_task("boom", {}), resources=res)
        assert ex.error == "ValueError"
        cause = json.loads(ex.cause)
        assert (cause["errorMessage"], cause["errorType"]) == ("bad", "ValueError")
        assert ex.cause.startswith('{"errorMessage":"bad",')  # compact for lambda:invoke
        legacy = run(simple_task(fn_arn("boom")), {}, resources=res)
        assert legacy.error == "ValueError"
        assert legacy.cause.startswith('{"errorMessage": "bad", ')  # AWS's ", " separators for a function ARN

    def test_missing_function_is_resource_not_found_naming_the_qualified_arn(self):
        ex = run(invoke_task("nope", {}), resources=resources())
        assert ex.error == "Lambda.ResourceNotFoundException"
        assert ex.cause.startswith(f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:nope:$LATEST "
                                   "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
                                   "Request ID: ")
        assert ex.cause.endswith("; Proxy: null)")
        legacy = run(simple_task(fn_arn("nope")), {}, resources=resources())
        assert legacy.error == "Lambda.ResourceNotFoundException"

    def test_error_without_type_is_lambda_unknown(self):
        class Endpoint:
            async def invoke(self, request, clock):
                from asl_engine.integrations.lambda_.providers import LambdaResponse
                return LambdaResponse(b"not json", request.request_id, function_error="Unhandled")
        res = resources()
        res.lambdas.providers.insert(0, Endpoint())
        ex = run(invoke_task("any", {}), resources=res)
        assert (ex.error, ex.cause) == ("Lambda.Unknown", "not json")

    def test_service_exception_from_an_endpoint(self):
        from botocore.exceptions import ClientError

        class Client:
            def invoke(self, **kwargs):
                raise ClientError({"Error": {"Code": "ServiceException", "Message": "boom"},
                                   "ResponseMetadata": {"HTTPStatusCode": 500, "RequestId": "r-1"}}, "Invoke")

        class Clients:
            def client(self, name, region=None, account=None):
                return Client()

        res = resources()
        res.lambdas.providers[:] = [EndpointFunctions(Clients())]
        ex = run(invoke_task("f", {}), resources=res)
        assert ex.error == "Lambda.ServiceException"
        assert ex.cause == ("boom (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; "
                            "Request ID: r-1; Proxy: null)")

    def test_a_backend_crash_is_a_task_error_not_an_engine_crash(self):
        class Client:
            def invoke(self, **kwargs):
                raise RuntimeError("docker is not available")

        class Clients:
            def client(self, name, region=None, account=None):
                return Client()

        res = resources()
        res.lambdas.providers[:] = [EndpointFunctions(Clients())]
        ex = run(invoke_task("f", {}), resources=res)
        assert ex.error == "Lambda.AWSLambdaException"
        assert ex.cause.startswith("docker is not available (Service: AWSLambda; Status Code: 500;")

    def test_timeout_seconds_under_the_virtual_clock(self):
        async def slow(event, context):
            await asyncio.sleep(600)
        res = resources()
        res.register("slow", slow)
        ex = run(simple_task(INVOKE, Parameters={"FunctionName": "slow"}, TimeoutSeconds=5), resources=res)
        assert ex.error == "States.Timeout"
        assert event(ex, "TaskTimedOut")


class TestEndpointProvider:
    def test_invoke_through_a_boto3_client(self):
        class Client:
            def invoke(self, **kwargs):
                assert kwargs["Payload"] == b'{"n": 1}'
                return {"StatusCode": 200, "ExecutedVersion": "7", "Payload": io.BytesIO(b'{"ok": true}'),
                        "ResponseMetadata": {"RequestId": "rid"}}

        class Clients:
            def client(self, name, region=None, account=None):
                assert name == "lambda"
                return Client()

        res = resources()
        res.lambdas.providers[:] = [EndpointFunctions(Clients())]
        out = run(invoke_task("remote", {"n": 1}), resources=res).output
        assert (out["Payload"], out["ExecutedVersion"], out["SdkResponseMetadata"]["RequestId"]) == (
            {"ok": True}, "7", "rid")


class TestSamTemplate:
    def test_functions_from_template_yaml(self, tmp_path):
        code = tmp_path / "src"
        code.mkdir()
        (code / "app.py").write_text(textwrap.dedent('''
            import os

            def handler(event, context):
                if event.get("fail"):
                    raise RuntimeError("failed")
                return {"greeting": os.environ["GREETING"], "memory": context.memory_limit_in_mb,
                        "name": context.function_name}
        '''))
        (code / "slow.py").write_text("import asyncio\n\nasync def handler(event, context):\n"
                                      "    await asyncio.sleep(100)\n")
        (tmp_path / "template.yaml").write_text(textwrap.dedent('''
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function:
                Runtime: python3.12
                Timeout: 10
            Resources:
              Hello:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/
                  Handler: app.handler
                  MemorySize: 256
                  Environment:
                    Variables:
                      GREETING: hi
                      TABLE: !Ref Table
              Slow:
                Type: AWS::Serverless::Function
                Properties:
                  FunctionName: slow-fn
                  CodeUri: src/
                  Handler: slow.handler
              Table:
                Type: AWS::DynamoDB::Table
        '''))
        res = Resources.from_template(tmp_path / "template.yaml", clients=ClientFactory(account=ACCOUNT))
        assert run(simple_task(fn_arn("Hello")), {}, resources=res).output == {
            "greeting": "hi", "memory": 256, "name": "Hello"}
        failed = run(simple_task(fn_arn("Hello")), {"fail": True}, resources=res)
        assert failed.error == "RuntimeError"
        assert "/var/task/app.py" in failed.cause  # frames in the code directory read as on Lambda
        timed_out = run(invoke_task("slow-fn", {}), resources=res)
        assert timed_out.error == "Sandbox.Timedout"
        assert "Task timed out after 10.00 seconds" in json.loads(timed_out.cause)["errorMessage"]

    def test_a_template_function_is_imported_as_sam_local_imports_it(self, tmp_path):
        (tmp_path / "app.py").write_text(textwrap.dedent('''
            import os

            AT_IMPORT = {k: os.environ.get(k) for k in ("AWS_SAM_LOCAL", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME")}

            def handler(event, context):
                return AT_IMPORT
        '''))
        (tmp_path / "template.yaml").write_text(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
            "    Properties:\n      FunctionName: my-fn\n      CodeUri: .\n      Handler: app.handler\n"
            "      Runtime: python3.12\n")
        functions = LocalFunctions.from_template(tmp_path / "template.yaml", region="eu-west-1")
        assert "my-fn" in functions and "Fn" in functions
        assert functions.get("Fn").handler({}, None) == {
            "AWS_SAM_LOCAL": "true", "AWS_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_NAME": "my-fn"}

    def test_local_functions_answer_only_their_own(self):
        functions = LocalFunctions()
        functions.register("a", lambda event: event)
        request = LambdaRequest("b", b"{}", REGION, ACCOUNT, "rid")
        assert asyncio.run(functions.invoke(request, None)) is None
        assert "arn:aws:lambda:us-east-1:1:function:a" in functions


class TestCli:
    def test_asl_run_with_a_template_and_the_moto_switch(self, tmp_path, capsys):
        from asl_engine.cli import main

        (tmp_path / "app.py").write_text("def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
        (tmp_path / "template.yaml").write_text(
            "Resources:\n  Double:\n    Type: AWS::Serverless::Function\n"
            "    Properties:\n      CodeUri: .\n      Handler: app.handler\n      Runtime: python3.12\n")
        definition = tmp_path / "sm.json"
        definition.write_text(json.dumps(invoke_task("Double", {"n.$": "$.n"})))
        code = main(["run", str(definition), "--input", '{"n": 21}', "--template", str(tmp_path / "template.yaml"),
                     "--aws", "moto", "--virtual-clock"])
        assert code == 0
        assert json.loads(capsys.readouterr().out)["Payload"] == {"doubled": 42}
