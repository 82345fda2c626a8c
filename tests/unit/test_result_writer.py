"""Distributed Map ResultWriter: the export to S3, WriterConfig's shapes, and States.ResultWriterFailed."""

from __future__ import annotations

import json

import pytest

from asl_engine import Resources
from tests.unit.runtime_helpers import ACCOUNT, REGION, START, run, types

BUCKET = "results-bucket"


def writer_map(writer: dict, processor_states: dict | None = None, **fields) -> dict:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
                 "States": processor_states or {"P": {"Type": "Pass", "End": True}}}
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor, "ResultWriter": writer,
                                             "End": True, **fields}}}


def export(prefix: str = "runs", **config) -> dict:
    return {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": prefix},
            **({"WriterConfig": config} if config else {})}


# an item {"fail": true} fails its child execution
FAILING = {"P": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "IsPresent": True, "Next": "Boom"}],
                 "Default": "Ok"},
           "Ok": {"Type": "Pass", "End": True},
           "Boom": {"Type": "Fail", "Error": "ItemFailed", "Cause": "bad item"}}


@pytest.fixture
def s3(asl_aws):
    client = asl_aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def read(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def run_with(asl_aws, definition: dict, input=None):
    return run(definition, input, resources=Resources(clients=asl_aws))


def test_export_writes_the_manifest_and_the_succeeded_file(asl_aws, s3):
    ex = run_with(asl_aws, writer_map(export()), [{"a": 1}, {"a": 2}])
    arn = ex.output["MapRunArn"]
    run_id = arn.rsplit(":", 1)[-1]
    assert arn.startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:m/")
    assert ex.output["ResultWriterDetails"] == {"Bucket": BUCKET, "Key": f"runs/{run_id}/manifest.json"}
    manifest = json.loads(read(s3, f"runs/{run_id}/manifest.json"))
    succeeded = read(s3, f"runs/{run_id}/SUCCEEDED_0.json")
    assert manifest == {"DestinationBucket": BUCKET, "MapRunArn": arn, "ResultFiles": {
        "FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": f"runs/{run_id}/SUCCEEDED_0.json", "Size": len(succeeded)}]}}
    first = json.loads(succeeded)[0]
    parent = arn.split(":mapRun:")[1].rsplit(":", 1)[0]
    assert first["ExecutionArn"] == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{parent}:{first['Name']}"
    assert first["StateMachineArn"] == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{parent}"
    assert {k: v for k, v in first.items() if k not in ("ExecutionArn", "Name", "StateMachineArn")} == {
        "Input": '{"a":1}', "InputDetails": {"Included": True}, "Output": '{"a":1}',
        "OutputDetails": {"Included": True}, "RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        "StartDate": START.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "Status": "SUCCEEDED",
        "StopDate": START.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def test_failed_children_go_to_the_failed_file_even_when_the_map_fails(asl_aws, s3):
    ex = run_with(asl_aws, writer_map(export(prefix=""), FAILING), [{}, {"fail": True}])
    assert (ex.status, ex.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert types(ex)[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert [k.split("/", 1)[1] for k in keys] == ["FAILED_0.json", "SUCCEEDED_0.json", "manifest.json"]
    failed = json.loads(read(s3, keys[0]))
    assert [(f["Status"], f["Error"], f["Cause"], f["Input"]) for f in failed] == [
        ("FAILED", "ItemFailed", "bad item", '{"fail":true}')]
    assert "Output" not in failed[0]


def test_tolerated_failures_succeed_with_both_files_in_the_manifest(asl_aws, s3):
    ex = run_with(asl_aws, writer_map(export(), FAILING, ToleratedFailureCount=1), [{}, {"fail": True}])
    manifest = json.loads(read(s3, ex.output["ResultWriterDetails"]["Key"]))
    assert [len(manifest["ResultFiles"][s]) for s in ("FAILED", "PENDING", "SUCCEEDED")] == [1, 0, 1]


@pytest.mark.parametrize(("config", "content"), [
    ({"Transformation": "COMPACT", "OutputType": "JSON"}, b'[[1,2],{"x":3}]'),
    ({"Transformation": "FLATTEN", "OutputType": "JSON"}, b'[1,2,{"x":3}]'),
    ({"Transformation": "FLATTEN", "OutputType": "JSONL"}, b'1\n2\n{"x":3}\n'),
])
def test_writer_config_shapes_the_exported_results(asl_aws, s3, config, content):
    ex = run_with(asl_aws, writer_map(export(**config)), [[1, 2], {"x": 3}])
    folder = ex.output["ResultWriterDetails"]["Key"].rsplit("/", 1)[0]
    assert read(s3, f"{folder}/SUCCEEDED_0.json") == content


def test_writer_config_alone_shapes_the_state_output(asl_aws):
    definition = writer_map({"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}, FAILING,
                            ToleratedFailurePercentage=50)
    output = run_with(asl_aws, definition, [[1, 2], [3], {"fail": True}]).output
    assert output[:3] == [1, 2, 3]
    assert (output[3]["Status"], output[3]["Error"]) == ("FAILED", "ItemFailed")  # a failure is described in full


def test_jsonata_arguments(asl_aws, s3):
    writer = {"Resource": "arn:aws:states:::s3:putObject",
              "Arguments": {"Bucket": "{% $states.input.bucket %}", "Prefix": "out"}}
    definition = writer_map(writer, Items="{% $states.input.items %}")
    definition["QueryLanguage"] = "JSONata"
    ex = run_with(asl_aws, definition, {"bucket": BUCKET, "items": [1]})
    assert ex.output["ResultWriterDetails"]["Key"].startswith("out/")


def test_a_missing_bucket_fails_the_map_run(asl_aws):
    definition = writer_map({"Resource": "arn:aws:states:::s3:putObject",
                             "Parameters": {"Bucket": "no-such-bucket", "Prefix": "p"}})
    ex = run_with(asl_aws, definition, [1])
    assert (ex.status, ex.error) == ("FAILED", "States.ResultWriterFailed")
    assert ex.cause.startswith("The specified bucket does not exist (Service: S3, Status Code: 404")
    assert types(ex)[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
