"""StateMachineModel: the typed view the compiler and interpreter read."""

from __future__ import annotations

import glob
import json
import os

import pytest
from pydantic import ValidationError

from asl_engine.definition.model import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    StateMachineModel,
    TaskState,
    WaitState,
)
from tests.conformance.shared import CONFORMANCE

CORPUS = str(CONFORMANCE / "sfn")


def model(states: dict, **top) -> StateMachineModel:
    return StateMachineModel.model_validate({"StartAt": next(iter(states)), "States": states, **top})


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason=f"conformance corpus not found at {CORPUS}")
def test_every_corpus_definition_parses():
    for path in sorted(glob.glob(f"{CORPUS}/**/*.json", recursive=True)):
        with open(path, encoding="utf-8") as f:
            StateMachineModel.model_validate(json.loads(json.load(f)["definition"]))


def test_states_are_discriminated_by_type():
    m = model(
        {
            "P": {"Type": "Pass", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "W"}]},
            "W": {"Type": "Wait", "Seconds": 1, "Next": "Par"},
            "Par": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
                "Next": "M",
            },
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "Next": "F",
            },
            "F": {"Type": "Fail"},
        }
    )
    assert [type(s) for s in m.states.values()] == [
        PassState,
        TaskState,
        ChoiceState,
        WaitState,
        ParallelState,
        MapState,
        FailState,
    ]


def test_aws_defaults_are_filled_in():
    m = model(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "End": True,
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
            }
        }
    )
    t = m.states["T"]
    assert (t.input_path, t.output_path, t.result_path) == ("$", "$", "$")
    assert (
        t.retry[0].interval_seconds,
        t.retry[0].max_attempts,
        t.retry[0].backoff_rate,
        t.retry[0].max_delay_seconds,
        t.retry[0].jitter_strategy,
    ) == (1, 3, 2.0, None, "NONE")
    assert m.query_language == "JSONPath" and m.language_of(t) == "JSONPath"


def test_explicit_null_differs_from_absent():
    m = model({"P": {"Type": "Pass", "ResultPath": None, "Result": None, "End": True}})
    p = m.states["P"]
    assert p.result_path is None and p.has("result_path")
    assert p.has("result") and not p.has("output")


def test_choice_comparison_is_folded_into_operator_and_operand():
    m = model(
        {
            "C": {
                "Type": "Choice",
                "Default": "C",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m", "Next": "C"},
                    {
                        "And": [
                            {"Variable": "$.a", "IsPresent": True},
                            {"Not": {"Variable": "$.b", "StringMatches": "x*"}},
                        ],
                        "Next": "C",
                    },
                ],
            }
        }
    )
    first, second = m.states["C"].choices
    assert (first.variable, first.operator, first.operand) == ("$.n", "NumericGreaterThanEqualsPath", "$.m")
    assert second.operator is None
    assert second.and_[0].operator == "IsPresent" and second.and_[1].not_.operand == "x*"


def test_choice_rule_with_two_operators_is_refused():
    with pytest.raises(ValidationError):
        model(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.a", "IsNull": True, "IsString": True, "Next": "C"}],
                }
            }
        )


def test_map_processor_and_distributed_fields():
    m = model(
        {
            "M": {
                "Type": "Map",
                "End": True,
                "Label": "L",
                "MaxConcurrency": 10,
                "ToleratedFailurePercentage": 5.5,
                "Iterator": {
                    "StartAt": "I",
                    "States": {"I": {"Type": "Pass", "End": True}},
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                },
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": 10},
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "b"},
                    "WriterConfig": {"Transformation": "NONE", "OutputType": "JSON"},
                },
            }
        }
    )
    state = m.states["M"]
    assert state.processor is state.iterator
    assert state.processor.processor_config.mode == "DISTRIBUTED"
    assert state.item_reader.reader_config.csv_header_location == "FIRST_ROW"
    assert state.result_writer.writer_config.output_type == "JSON"


def test_inline_processor_config_is_the_default():
    m = model(
        {
            "M": {
                "Type": "Map",
                "End": True,
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            }
        }
    )
    assert m.states["M"].processor.processor_config.mode == "INLINE"


def test_jsonata_fields_and_language_inheritance():
    m = model(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "End": True,
                "Arguments": {"a": "{% 1 %}"},
                "Output": "{% $states.result %}",
                "TimeoutSeconds": "{% 5 %}",
                "Assign": {"v": 1},
            },
            "P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True},
        },
        QueryLanguage="JSONata",
    )
    t = m.states["T"]
    assert t.arguments == {"a": "{% 1 %}"} and t.timeout_seconds == "{% 5 %}" and t.assign == {"v": 1}
    assert m.language_of(t) == "JSONata" and m.language_of(m.states["P"]) == "JSONPath"


def test_models_are_immutable():
    m = model({"P": {"Type": "Pass", "End": True}})
    with pytest.raises(ValidationError):
        m.states["P"].end = False


@pytest.mark.parametrize(
    "state",
    [{"Type": "Sleep", "End": True}, {"Type": "Pass", "End": True, "Foo": 1}, {"Type": "Task", "End": True}],
)
def test_shape_errors_are_refused(state):
    with pytest.raises(ValidationError):
        model({"X": state})


def test_dump_round_trips_to_the_aws_shape():
    definition = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "TimestampPath": "$.t", "Next": "C"},
            "C": {
                "Type": "Choice",
                "Default": "W",
                "Choices": [{"Not": {"Variable": "$.a", "NumericEquals": 1}, "Next": "W"}],
            },
        },
    }
    dumped = model(definition["States"]).model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == definition
