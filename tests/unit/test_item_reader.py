"""Distributed Map ItemReader: the S3 formats, MaxItems, the Map Run's events and States.ItemReaderFailed."""

from __future__ import annotations

import gzip
import json

import pytest

from asl_engine import Resources, StatesError
from asl_engine.integrations.map_io import item_formats as formats
from tests.unit.runtime_helpers import run, types

BUCKET = "items-bucket"
DISTRIBUTED = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
               "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def reader_map(reader: dict, **fields) -> dict:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemReader": reader, "ItemProcessor": DISTRIBUTED,
                                             "End": True, **fields}}}


def get_object(key: str, **config) -> dict:
    return {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": BUCKET, "Key": key},
            **({"ReaderConfig": config} if config else {})}


@pytest.fixture
def s3(asl_aws):
    client = asl_aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def run_with(asl_aws, definition: dict, input=None):
    return run(definition, input, resources=Resources(clients=asl_aws))


# --- formats ----------------------------------------------------------------------------------------------------


def test_json_must_be_an_array():
    assert formats.json_items(b'[{"a": 1}, 2]') == [{"a": 1}, 2]
    with pytest.raises(StatesError) as caught:
        formats.json_items(b'{"a": 1}')
    assert (caught.value.error, caught.value.cause) == ("States.ItemReaderFailed",
                                                        "Attempting to map over non-iterable node.")


def test_jsonl_is_one_value_per_line():
    assert formats.jsonl_items(b'{"a": 1}\n\n[2]\n"three"\n') == [{"a": 1}, [2], "three"]
    with pytest.raises(StatesError, match="Line 2"):
        formats.jsonl_items(b"1\n{\n")


def test_csv_first_row_headers_and_string_values():
    body = b'id,name,note\n1,Ann,"hello, world"\n2,Bob\n'
    assert formats.csv_items(body) == [{"id": "1", "name": "Ann", "note": "hello, world"},
                                       {"id": "2", "name": "Bob", "note": ""}]


@pytest.mark.parametrize(("delimiter", "char"), [("COMMA", ","), ("PIPE", "|"), ("SEMICOLON", ";"),
                                                 ("SPACE", " "), ("TAB", "\t")])
def test_csv_delimiters(delimiter, char):
    body = char.join(["a", "b"]).encode() + b"\n" + char.join(["1", "2"]).encode() + b"\n"
    assert formats.csv_items(body, delimiter=delimiter) == [{"a": "1", "b": "2"}]


def test_csv_given_headers_read_every_row():
    assert formats.csv_items(b"1,2\n3,4\n", "GIVEN", ("x", "y")) == [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]


@pytest.mark.parametrize(("body", "cause"), [(b"a,a\n1,2\n", "CSV headers cannot contain duplicates."),
                                             (b"a,b\n", "only CSV headers")])
def test_csv_that_cannot_be_mapped(body, cause):
    with pytest.raises(StatesError, match=cause):
        formats.csv_items(body)


def test_a_listed_object_as_aws_hands_it_over():
    from datetime import UTC, datetime

    entry = {"Key": "k", "ETag": '"abc"', "Size": 3, "StorageClass": "STANDARD",
             "LastModified": datetime(2024, 1, 1, tzinfo=UTC)}
    assert formats.listed_object(entry) == {"Etag": '"abc"', "Key": "k", "LastModified": 1704067200, "Size": 3,
                                            "StorageClass": "STANDARD"}


# --- through a Distributed Map on moto --------------------------------------------------------------------------


def test_json_object_with_max_items_path_from_a_variable(asl_aws, s3):
    """The recorded case assign/..._MAP_STATE_REFERENCE_IN_MAX_ITEMS_PATH: "2" is taken as 2."""
    s3.put_object(Bucket=BUCKET, Key="file.json", Body=json.dumps([{"n": i} for i in range(4)]))
    definition = reader_map(get_object("file.json", InputType="JSON", MaxItemsPath="$maxItems"), MaxConcurrency=1)
    definition["States"] = {"Start": {"Type": "Pass", "Assign": {"maxItems": "2"}, "Next": "M"},
                            **definition["States"]}
    definition["StartAt"] = "Start"
    ex = run_with(asl_aws, definition)
    assert ex.output == [{"n": 0}, {"n": 1}]
    assert types(ex)[3:9] == ["MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
                              "MapStateSucceeded", "MapStateExited"]
    assert ex.history[4]["mapStateStartedEventDetails"] == {"length": 0}
    assert ex.history[8]["previousEventId"] == ex.history[5]["id"]  # the exit follows MapRunStarted


@pytest.mark.parametrize(("body", "config", "items"), [
    (b'{"a":1}\n{"a":2}\n{"a":3}\n', {"InputType": "JSONL", "MaxItems": 2}, [{"a": 1}, {"a": 2}]),
    (b"a|b\n1|2\n", {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "PIPE"},
     [{"a": "1", "b": "2"}]),
    (b"1,2\n", {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["x", "y"]}, [{"x": "1", "y": "2"}]),
])
def test_object_formats(asl_aws, s3, body, config, items):
    s3.put_object(Bucket=BUCKET, Key="data", Body=body)
    assert run_with(asl_aws, reader_map(get_object("data", **config))).output == items


def test_s3_inventory_manifest(asl_aws, s3):
    rows = b'"items-bucket","photos/a.jpg","10"\n"items-bucket","photos/b.jpg","20"\n'
    s3.put_object(Bucket=BUCKET, Key="inventory/data/1.csv.gz", Body=gzip.compress(rows))
    manifest = {"sourceBucket": BUCKET, "destinationBucket": f"arn:aws:s3:::{BUCKET}", "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size", "files": [{"key": "inventory/data/1.csv.gz", "size": 1}]}
    s3.put_object(Bucket=BUCKET, Key="inventory/manifest.json", Body=json.dumps(manifest))
    ex = run_with(asl_aws, reader_map(get_object("inventory/manifest.json", InputType="MANIFEST")))
    assert ex.output == [{"Bucket": BUCKET, "Key": "photos/a.jpg", "Size": "10"},
                         {"Bucket": BUCKET, "Key": "photos/b.jpg", "Size": "20"}]


def test_list_objects_v2_pages_through_the_prefix(asl_aws, s3):
    for i in range(3):
        s3.put_object(Bucket=BUCKET, Key=f"in/{i}.txt", Body=b"x" * i)
    s3.put_object(Bucket=BUCKET, Key="other/skip.txt", Body=b"")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2",
              "Parameters": {"Bucket": BUCKET, "Prefix": "in/", "MaxKeys": 2}}
    items = run_with(asl_aws, reader_map(reader)).output
    assert [(i["Key"], i["Size"], i["StorageClass"]) for i in items] == [
        ("in/0.txt", 0, "STANDARD"), ("in/1.txt", 1, "STANDARD"), ("in/2.txt", 2, "STANDARD")]
    assert all(isinstance(i["LastModified"], int) and i["Etag"].startswith('"') for i in items)


def test_jsonata_arguments_and_a_batcher(asl_aws, s3):
    s3.put_object(Bucket=BUCKET, Key="file.json", Body=json.dumps(list(range(5))))
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON", "MaxItems": 4},
              "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "file.json"}}
    definition = reader_map(reader, ItemBatcher={"MaxItemsPerBatch": 3})
    definition["QueryLanguage"] = "JSONata"
    assert run_with(asl_aws, definition, {"bucket": BUCKET}).output == [{"Items": [0, 1, 2]}, {"Items": [3]}]


def test_a_missing_object_fails_the_map_run_and_can_be_caught(asl_aws, s3):
    definition = reader_map(get_object("nope.json", InputType="JSON"),
                            Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    ex = run_with(asl_aws, definition, {"in": 1})
    assert ex.status == "SUCCEEDED"
    assert types(ex)[2:7] == ["MapStateStarted", "MapRunStarted", "MapRunFailed", "MapStateFailed",
                              "MapStateExited"]
    failed = ex.history[4]["mapRunFailedEventDetails"]
    assert failed["error"] == "States.ItemReaderFailed"
    assert failed["cause"].startswith("The specified key does not exist. (Service: S3, Status Code: 404")
    assert ex.output == {"Error": "States.ItemReaderFailed", "Cause": failed["cause"]}


def test_an_object_that_is_not_an_array_fails_the_execution(asl_aws, s3):
    s3.put_object(Bucket=BUCKET, Key="obj.json", Body=b'{"a": 1}')
    ex = run_with(asl_aws, reader_map(get_object("obj.json", InputType="JSON")))
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.ItemReaderFailed",
                                               "Attempting to map over non-iterable node.")


def test_batch_limits_from_variables(asl_aws, s3):
    """The recorded case assign/..._MAP_STATE_REFERENCE_IN_MAX_PER_BATCH_PATH: string limits from variables."""
    s3.put_object(Bucket=BUCKET, Key="file.json", Body=json.dumps([{"n": i} for i in range(5)]))
    definition = reader_map(get_object("file.json", InputType="JSON", MaxItems=4), MaxConcurrency=1,
                            ItemBatcher={"MaxItemsPerBatchPath": "$perBatch", "MaxInputBytesPerBatchPath": "$bytes"})
    definition["States"] = {"Start": {"Type": "Pass", "Assign": {"perBatch": "2", "bytes": "15000"}, "Next": "M"},
                            **definition["States"]}
    definition["StartAt"] = "Start"
    assert run_with(asl_aws, definition).output == [{"Items": [{"n": 0}, {"n": 1}]}, {"Items": [{"n": 2}, {"n": 3}]}]
