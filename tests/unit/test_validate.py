"""validate() and load_definition(): one test per rule, with AWS's code, message and location.

Expectations marked "measured" reproduce ValidateStateMachineDefinition
answers recorded against real AWS; the others pin our own wording.
"""

from __future__ import annotations

import glob
import json
import os

import pytest

from asl_engine.definition.load import load_definition
from asl_engine.definition.validate import ensure_valid, validate
from asl_engine.errors import InvalidDefinition
from tests.conformance.shared import CONFORMANCE

CORPUS = str(CONFORMANCE / "sfn")
LAMBDA = "arn:aws:states:::lambda:invoke"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING = "MISSING_TRANSITION_TARGET"
ON_JSONPATH = (
    "The QueryLanguage is set to 'JSONPath', but field '{}' is only supported for the 'JSONata' QueryLanguage"
)
ON_JSONATA = (
    "The QueryLanguage is set to 'JSONata', but field '{}' is only supported for the 'JSONPath' QueryLanguage"
)
DOWNGRADE = "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
ENUM_QL = "Value should be one of the following: [JSONPath, JSONata]"


def sm(states: dict, start: str | None = None, **top) -> dict:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def one(state: dict, **top) -> dict:
    """A machine whose only state is ``X``."""
    return sm({"X": state}, **top)


def found(definition: dict) -> list[tuple[str, str, str]]:
    return [(d.code, d.message, d.location) for d in validate(definition)]


def errors(definition: dict) -> list[tuple[str, str, str]]:
    return [(d.code, d.message, d.location) for d in validate(definition) if d.severity == "ERROR"]


def located(definition: dict) -> list[tuple[str, str]]:
    return [(code, location) for code, _, location in errors(definition)]


PASS_END = {"Type": "Pass", "End": True}


def mapping(processor_states: dict | None = None, **fields) -> dict:
    states = processor_states or {"P": PASS_END}
    flow = {} if "Next" in fields else {"End": True}
    return {
        "Type": "Map",
        "ItemProcessor": {"StartAt": next(iter(states)), "States": states},
        **flow,
        **fields,
    }


def task(**fields) -> dict:
    return {"Type": "Task", "Resource": LAMBDA, "End": True, **fields}


# --- accepted definitions -------------------------------------------------------------------------


def test_minimal_definition_is_valid():
    assert validate(one(PASS_END)) == []


def test_full_featured_jsonpath_definition_is_valid():
    definition = sm(
        {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Parameters": {"Payload.$": "$", "Fn": "f", "When.$": "States.Format('{}', $.a)"},
                "ResultSelector": {"p.$": "$.Payload"},
                "ResultPath": "$.r",
                "TimeoutSeconds": 10,
                "HeartbeatSeconds": 5,
                "Retry": [
                    {
                        "ErrorEquals": ["A", "B"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 0,
                        "BackoffRate": 1.0,
                        "MaxDelaySeconds": 31622400,
                        "JitterStrategy": "FULL",
                    },
                    {"ErrorEquals": ["States.ALL"]},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}],
                "Assign": {"v": 1, "w.$": "$.a"},
                "Next": "C",
            },
            "C": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.a", "IsPresent": True},
                            {"Not": {"Variable": "$v", "NumericEquals": 1}},
                        ],
                        "Next": "W",
                    },
                    {"Variable": "$.t", "TimestampGreaterThan": "2016-03-14T01:59:00.123+01:00", "Next": "W"},
                ],
                "Default": "M",
            },
            "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "M"},
            "M": mapping(
                MaxConcurrency=0,
                ItemsPath="$.items",
                ItemSelector={"i.$": "$$.Map.Item.Value"},
                Label="label1",
                ToleratedFailurePercentage=100,
                Next="Par",
            ),
            "Par": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
                "Next": "S",
            },
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('x{}', $.c)"},
        }
    )
    assert found(definition) == []


def test_full_featured_jsonata_definition_is_valid():
    definition = sm(
        {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Arguments": {"x": "{% $states.input.x %}"},
                "Output": "{% $states.result %}",
                "TimeoutSeconds": "{% 10 %}",
                "Assign": {"v": "{% 1 %}"},
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Next": "F", "Output": "{% $states.errorOutput %}"}
                ],
                "Next": "C",
            },
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $v = 1 %}", "Next": "W", "Output": {"a": 1}}],
                "Default": "M",
            },
            "W": {"Type": "Wait", "Seconds": "{% 1 %}", "Next": "M"},
            "M": mapping(Items="{% [1, 2] %}", MaxConcurrency="{% 2 %}", Next="F"),
            "F": {"Type": "Fail", "Error": "{% 'E' %}", "Cause": "c"},
        },
        QueryLanguage="JSONata",
    )
    assert found(definition) == []


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason=f"conformance corpus not found at {CORPUS}")
def test_every_definition_aws_accepted_has_no_error():
    """Every corpus case ran on AWS (each has an execution), so its definition was accepted."""
    failures = []
    for path in sorted(glob.glob(f"{CORPUS}/**/*.json", recursive=True)):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        problems = errors(load_definition(case["definition"]))
        if problems:
            failures.append((path, problems[:3]))
    assert failures == []


def test_a_thousand_states_with_retry_and_catch_validate_clean():
    states = {
        f"S{i}": task(
            Parameters={"Payload.$": f"$.p{i}"},
            ResultPath=f"$.r{i}",
            Retry=[{"ErrorEquals": ["States.ALL"]}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
            End=None,
            Next=f"S{i + 1}",
        )
        for i in range(999)
    }
    for state in states.values():
        del state["End"]
    states["S999"] = {"Type": "Succeed"}
    states["Done"] = {"Type": "Fail"}
    definition = sm(states, "S0")
    assert validate(definition) == []


# --- top level ------------------------------------------------------------------------------------


def test_definition_must_be_an_object():
    assert found([]) == [(SCHEMA, "Expected value of type [OBJECT]", "")]


def test_start_at_and_states_are_required():
    assert found({"States": {"X": PASS_END}}) == [(SCHEMA, "These fields are required: [StartAt]", "")]


def test_unknown_top_level_field():
    assert found(one(PASS_END, Coment="typo")) == [(SCHEMA, "Field 'Coment' is not supported", "")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Minimum value is 1"),
        (100000000, "Maximum value is 99999999"),
        ("5", "Expected value of type [INTEGER]"),
    ],
)
def test_top_level_timeout_seconds(value, message):
    assert found(one(PASS_END, TimeoutSeconds=value)) == [(SCHEMA, message, "/TimeoutSeconds")]


def test_top_level_query_language_outside_the_enum():  # measured
    assert found(one({"Type": "Pass", "Output": {"v": "{% 1 %}"}, "End": True}, QueryLanguage="jsonata")) == [
        (SCHEMA, ENUM_QL, "/QueryLanguage")
    ]


def test_top_level_query_language_not_a_string():  # measured
    assert found(one(PASS_END, QueryLanguage=5)) == [
        (SCHEMA, "Expected value of type [STRING]", "/QueryLanguage")
    ]


def test_lowercase_top_level_jsonpath_resolves_to_jsonata():  # measured
    assert found(one({"Type": "Pass", "InputPath": "$.a", "End": True}, QueryLanguage="jsonpath")) == [
        (SCHEMA, ENUM_QL, "/QueryLanguage"),
        (SCHEMA, ON_JSONATA.format("InputPath"), "/States/X"),
    ]


# --- transitions ----------------------------------------------------------------------------------


def test_dangling_next_then_missing_end_state():  # measured
    assert found(one({"Type": "Pass", "Next": "NOPE"})) == [
        (MISSING, "Missing 'Next' target: NOPE", "/States/X/Next"),
        ("MISSING_END_STATE", "Workflow has no terminal state", ""),
    ]


def test_loop_without_terminal_state_reports_only_missing_end_state():  # measured
    loop = {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Next": "A"},
        "Unused": {"Type": "Pass", "Next": "A"},
    }
    assert found(sm(loop)) == [("MISSING_END_STATE", "Workflow has no terminal state", "")]


def test_unreachable_terminal_state():  # measured
    loop = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}, "C": PASS_END}
    assert found(sm(loop)) == [(MISSING, 'State "C" is not reachable.', "/States/C")]


def test_dangling_start_at_makes_every_state_unreachable():  # measured
    assert found(sm({"A": PASS_END}, "Nope")) == [
        (MISSING, "Missing 'Next' target: Nope", "/StartAt"),
        (MISSING, 'State "A" is not reachable.', "/States/A"),
    ]


@pytest.mark.parametrize(
    ("states", "location"),
    [
        (
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Ghost"}],
                    "Default": "Z",
                },
                "Z": PASS_END,
            },
            "/States/C/Choices[0]/Next",
        ),
        (
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Z"}],
                    "Default": "Ghost",
                },
                "Z": PASS_END,
            },
            "/States/C/Default",
        ),
        ({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}])}, "/States/T/Catch[0]/Next"),
    ],
)
def test_dangling_targets_say_next_whatever_the_field(states, location):  # measured
    assert found(sm(states)) == [(MISSING, "Missing 'Next' target: Ghost", location)]


def test_unreachable_state_inside_map_and_parallel():  # measured
    processor = {"W": PASS_END, "Ghost": PASS_END}
    assert found(one(mapping(processor))) == [
        (MISSING, 'State "Ghost" is not reachable.', "/States/X/ItemProcessor/States/Ghost")
    ]
    parallel = {"Type": "Parallel", "Branches": [{"StartAt": "W", "States": processor}], "End": True}
    assert found(one(parallel)) == [
        (MISSING, 'State "Ghost" is not reachable.', "/States/X/Branches[0]/States/Ghost")
    ]


def test_dangling_start_at_inside_item_processor():  # measured
    state = {"Type": "Map", "ItemProcessor": {"StartAt": "Nope", "States": {"A": PASS_END}}, "End": True}
    assert located(one(state)) == [
        (MISSING, "/States/X/ItemProcessor/StartAt"),
        (MISSING, "/States/X/ItemProcessor/States/A"),
    ]


def test_nested_loop_without_terminal_state_is_accepted():  # measured
    loop = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}
    assert found(one(mapping(loop))) == []


def test_next_cannot_leave_its_branch():
    state = mapping({"P": {"Type": "Pass", "Next": "X"}})
    assert located(one(state)) == [(MISSING, "/States/X/ItemProcessor/States/P/Next")]


def test_state_names_are_unique_across_nested_machines():
    assert located(sm({"P": mapping({"P": PASS_END}, End=True)})) == [
        ("DUPLICATE_STATE_NAME", "/States/P/ItemProcessor/States/P")
    ]


def test_state_name_longer_than_80_characters():
    name = "n" * 81
    assert located(sm({name: PASS_END})) == [("INVALID_STATE_NAME", f"/States/{name}")]


# --- state type and fields ------------------------------------------------------------------------


def test_type_is_required():
    assert found(one({"End": True}))[0] == (SCHEMA, "These fields are required: [Type]", "/States/X")


def test_type_must_be_a_known_state_type():
    assert found(one({"Type": "Sleep", "End": True}))[0] == (
        SCHEMA,
        "Value should be one of the following: [Choice, Fail, Map, Parallel, Pass, Succeed, Task, Wait]",
        "/States/X/Type",
    )


def test_state_must_be_an_object():
    assert found(one([]))[0] == (SCHEMA, "Expected value of type [OBJECT]", "/States/X")


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (mapping(TimeoutSeconds=5), "TimeoutSeconds"),
        (
            {
                "Type": "Parallel",
                "Branches": [{"StartAt": "W", "States": {"W": PASS_END}}],
                "TimeoutSeconds": 5,
                "End": True,
            },
            "TimeoutSeconds",
        ),
        ({"Type": "Pass", "TimeoutSeconds": 5, "End": True}, "TimeoutSeconds"),
        ({"Type": "Pass", "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}]}, "Catch"),
        ({"Type": "Wait", "Seconds": 1, "End": True, "Retry": [{"ErrorEquals": ["States.ALL"]}]}, "Retry"),
        ({"Type": "Succeed", "Next": "X"}, "Next"),
        ({"Type": "Fail", "Output": {}}, "Output"),
        ({"Type": "Pass", "Foo": 1, "End": True}, "Foo"),
    ],
)
def test_field_not_supported_by_the_state_type(state, field):  # measured for TimeoutSeconds/Catch/Retry
    assert found(one(state)) == [(SCHEMA, f"Field '{field}' is not supported", "/States/X")]


def test_unsupported_fields_come_in_canonical_order():  # measured
    state = {
        "Type": "Pass",
        "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"]}],
        "TimeoutSeconds": 5,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}],
    }
    assert [m for _, m, _ in found(one(state))] == [
        "Field 'TimeoutSeconds' is not supported",
        "Field 'Catch' is not supported",
        "Field 'Retry' is not supported",
    ]


@pytest.mark.parametrize(
    "state", [{"Type": "Pass"}, {"Type": "Pass", "End": True, "Next": "X"}, {"Type": "Pass", "End": False}]
)
def test_exactly_one_of_next_or_end(state):
    assert (SCHEMA, "Exactly one of these fields must be present: [Next, End]", "/States/X") in found(
        one(state)
    )


def test_end_must_be_boolean():
    assert located(one({"Type": "Pass", "End": "true"}))[0] == (SCHEMA, "/States/X/End")


# --- query language -------------------------------------------------------------------------------


def test_jsonpath_only_fields_on_a_jsonata_state_in_canonical_order():  # measured
    state = {"Type": "Pass", "ResultPath": "$.c", "OutputPath": "$.b", "InputPath": "$.a", "End": True}
    assert found(one(state, QueryLanguage="JSONata")) == [
        (SCHEMA, ON_JSONATA.format(f), "/States/X") for f in ("InputPath", "OutputPath", "ResultPath")
    ]


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (task(Arguments={"payload": "literal"}), "Arguments"),
        (mapping(Items=[1]), "Items"),
        ({"Type": "Pass", "Output": {"v": 1}, "End": True}, "Output"),
    ],
)
def test_jsonata_only_fields_on_a_jsonpath_state(state, field):  # measured
    assert found(one(state)) == [(SCHEMA, ON_JSONPATH.format(field), "/States/X")]


def test_assign_is_allowed_in_both_languages():  # measured for JSONPath
    assert found(one({"Type": "Pass", "Assign": {"counter": 1}, "End": True})) == []
    assert found(one({"Type": "Pass", "Assign": {"counter": 1}, "End": True}, QueryLanguage="JSONata")) == []


def test_jsonata_machine_cannot_downgrade_a_state_and_that_replaces_the_mixing_check():  # measured
    state = {"Type": "Pass", "QueryLanguage": "JSONPath", "Output": {"v": "{% 1 %}"}, "End": True}
    assert found(one(state, QueryLanguage="JSONata")) == [(SCHEMA, DOWNGRADE, "/States/X")]


def test_downgraded_map_still_has_its_fields_checked():  # measured
    state = mapping(QueryLanguage="JSONPath", MaxConcurrency=-1)
    assert found(one(state, QueryLanguage="JSONata")) == [
        (SCHEMA, DOWNGRADE, "/States/X"),
        (SCHEMA, "Minimum value is 0", "/States/X/MaxConcurrency"),
    ]


def test_state_may_upgrade_to_jsonata():
    assert (
        found(one({"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"v": "{% 1 %}"}, "End": True}))
        == []
    )


def test_unrecognised_state_query_language_is_jsonata_and_reported_at_the_field():  # measured
    state = {
        "Type": "Pass",
        "QueryLanguage": "jsonata",
        "Output": {"v": "{% 1 %}"},
        "InputPath": "$.a",
        "End": True,
    }
    assert found(one(state)) == [
        (SCHEMA, ON_JSONATA.format("InputPath"), "/States/X"),
        (SCHEMA, ENUM_QL, "/States/X/QueryLanguage"),
    ]


def test_nested_states_inherit_the_machine_language_not_the_maps():  # measured
    inner = {"P": {"Type": "Pass", "Output": {"d": "{% 1 %}"}, "End": True}}
    definition = one(mapping(inner, QueryLanguage="JSONata", Items="{% [1] %}"), QueryLanguage="JSONPath")
    assert found(definition) == [(SCHEMA, ON_JSONPATH.format("Output"), "/States/X/ItemProcessor/States/P")]
    assert found(one(mapping(inner), QueryLanguage="JSONata")) == []


@pytest.mark.parametrize(
    ("field", "location"), [("ItemProcessor", "/States/X/ItemProcessor"), ("Iterator", "/States/X/Iterator")]
)
def test_processor_cannot_declare_query_language(field, location):  # measured
    state = {
        "Type": "Map",
        field: {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": PASS_END}},
        "End": True,
    }
    assert found(one(state)) == [(SCHEMA, "Field 'QueryLanguage' is not supported", location)]


def test_parallel_branch_cannot_declare_query_language():  # measured
    state = {
        "Type": "Parallel",
        "Branches": [{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": PASS_END}}],
        "End": True,
    }
    assert found(one(state)) == [(SCHEMA, "Field 'QueryLanguage' is not supported", "/States/X/Branches[0]")]


# --- paths, templates, intrinsics, JSONata --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("InputPath", "a.b", "Value must be a valid JSONPath."),
        ("OutputPath", "Test", "Value must be a valid JSONPath."),  # measured
        ("ResultPath", "$.a[*]", "Value must be a valid Reference Path."),
        ("ResultPath", 5, "Expected value of type [STRING]"),
        ("ResultPath", "$$.Execution", "Value must be a valid Reference Path."),
        ("ResultPath", "$var.x", "Value must be a valid Reference Path."),
    ],
)
def test_state_paths(field, value, message):
    assert found(one({"Type": "Pass", field: value, "End": True})) == [
        (SCHEMA, message, f"/States/X/{field}")
    ]


def test_null_paths_are_allowed():
    assert (
        found(one({"Type": "Pass", "InputPath": None, "OutputPath": None, "ResultPath": None, "End": True}))
        == []
    )


@pytest.mark.parametrize("value", ["Test", "$.a[(", "States.NoSuchFunction(1)", "States.Format('{}'", 5])
def test_dynamic_template_values_must_be_paths_or_intrinsics(value):  # measured for Assign literal
    state = {"Type": "Pass", "Parameters": {"outer": {"x.$": value}}, "End": True}
    assert found(one(state)) == [
        (
            SCHEMA,
            "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call",
            "/States/X/Parameters/outer",
        )
    ]


def test_assign_dynamic_value_is_reported_at_assign():  # measured
    assert found(one({"Type": "Pass", "Assign": {"Variable.$": "Test"}, "End": True})) == [
        (
            SCHEMA,
            "The value for the field 'Variable.$' must be a valid JSONPath or a valid intrinsic "
            "function call",
            "/States/X/Assign",
        )
    ]


def test_result_selector_must_be_an_object():
    assert located(one(task(ResultSelector="$.x"))) == [(SCHEMA, "/States/X/ResultSelector")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("states", "The variable name 'states' is reserved"),
        ("1abc", "The variable name '1abc' is invalid"),
        ("a-b", "The variable name 'a-b' is invalid"),
        ("v" * 81, f"The variable name '{'v' * 81}' is invalid"),
    ],
)
def test_assign_variable_names(name, message):
    assert found(one({"Type": "Pass", "Assign": {name: 1}, "End": True})) == [
        (SCHEMA, message, "/States/X/Assign")
    ]


def test_unicode_variable_names_are_allowed():
    assert found(one({"Type": "Pass", "Assign": {"größe": 1, "_x": 2, "é.$": "$.a"}, "End": True})) == []


def test_fail_paths_take_reference_paths_or_intrinsics():
    state = {"Type": "Fail", "ErrorPath": "$.a[*]", "CausePath": "States.Nope()"}
    message = "Value must be a valid Reference Path or a valid intrinsic function call."
    assert found(one(state)) == [
        (SCHEMA, message, "/States/X/ErrorPath"),
        (SCHEMA, message, "/States/X/CausePath"),
    ]


def test_unparsable_jsonata_expression_is_reported_at_its_nested_location():  # measured code
    state = {"Type": "Pass", "Output": {"v": ["{% 1 + %}"]}, "End": True}
    assert located(one(state, QueryLanguage="JSONata")) == [
        ("INVALID_JSONATA_EXPRESSION", "/States/X/Output/v[0]")
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a[1,2)", 'Expected "]", got ","'),
        ('"unterminated', "String literal must be terminated by a matching quote"),
        ("1 +", "Unexpected end of expression"),
        ('{"a":}', 'The symbol "}" cannot be used as a unary operator'),
        ('$match("a", /abc', "No terminating / in regular expression"),
        ("", "Unexpected end of expression"),
    ],
)
def test_jsonata_parser_messages(expression, message):  # measured
    state = {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}
    assert found(one(state, QueryLanguage="JSONata")) == [
        ("INVALID_JSONATA_EXPRESSION", message, "/States/X/Output")
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("$$", "Reference to '$$' is not supported."),
        ("$$.Execution.Id", "Reference to '$$' is not supported."),
        ("phone", "Reference to 'phone' at the top level is not supported."),
        ("$states.errorOutput", "Field '$states.errorOutput' does not exist."),
    ],
)
def test_unsupported_jsonata_references(expression, message):  # measured
    state = {"Type": "Pass", "Output": {"v": "{% " + expression + " %}"}, "End": True}
    assert found(one(state, QueryLanguage="JSONata")) == [
        ("UNSUPPORTED_JSONATA_EXPRESSION", message, "/States/X/Output/v")
    ]


@pytest.mark.parametrize(
    "expression",
    ["$states.input.items[value > 3]", "'$$'", "[1, 2].($ * 2)", "$x.phone", "$states.input.a.(name)"],
)
def test_jsonata_reads_aws_accepts(expression):  # first case measured
    state = {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}
    assert found(one(state, QueryLanguage="JSONata")) == []


@pytest.mark.parametrize("field", ["Output", "Assign"])
def test_error_output_is_readable_in_a_catcher(field):  # measured
    value = "{% $states.errorOutput %}"
    catcher = {
        "ErrorEquals": ["States.ALL"],
        "Next": "H",
        field: {"e": value} if field == "Assign" else value,
    }
    definition = sm({"X": task(Catch=[catcher]), "H": PASS_END}, QueryLanguage="JSONata")
    assert found(definition) == []


def test_jsonata_delimiters_are_literal_text_in_a_jsonpath_state():
    assert found(one({"Type": "Pass", "Parameters": {"v": "{% 1 + %}"}, "End": True})) == []


# --- Task -----------------------------------------------------------------------------------------


def test_task_requires_resource():
    assert found(one({"Type": "Task", "End": True})) == [
        (SCHEMA, "These fields are required: [Resource]", "/States/X")
    ]


@pytest.mark.parametrize("resource", ["lambda", "arn:aws:lambda", "arn::states:::x"])
def test_task_resource_must_be_an_arn(resource):
    assert located(one(task(Resource=resource))) == [("INVALID_RESOURCE", "/States/X/Resource")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"TimeoutSeconds": 0}, [(SCHEMA, "Minimum value is 1", "/States/X/TimeoutSeconds")]),
        ({"TimeoutSeconds": 1.5}, [(SCHEMA, "Expected value of type [INTEGER]", "/States/X/TimeoutSeconds")]),
        (
            {"HeartbeatSeconds": 100000000},
            [(SCHEMA, "Maximum value is 99999999", "/States/X/HeartbeatSeconds")],
        ),
        (
            {"TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"},
            [
                (
                    SCHEMA,
                    "Only one of these fields can be present: [TimeoutSeconds, TimeoutSecondsPath]",
                    "/States/X/TimeoutSeconds",
                )
            ],
        ),
        (
            {"TimeoutSeconds": 5, "HeartbeatSeconds": 5},
            [(SCHEMA, "HeartbeatSeconds must be smaller than TimeoutSeconds", "/States/X/HeartbeatSeconds")],
        ),
        (
            {"HeartbeatSecondsPath": "$.h[0:1]"},
            [(SCHEMA, "Value must be a valid Reference Path.", "/States/X/HeartbeatSecondsPath")],
        ),
        (
            {"TimeoutSeconds": "{% 5 %}"},
            [(SCHEMA, "Expected value of type [INTEGER]", "/States/X/TimeoutSeconds")],
        ),
    ],
)
def test_task_timeouts(fields, expected):
    assert found(one(task(**fields))) == expected


def test_jsonata_task_rejects_timeout_seconds_path():
    assert found(one(task(TimeoutSecondsPath="$.t"), QueryLanguage="JSONata")) == [
        (SCHEMA, ON_JSONATA.format("TimeoutSecondsPath"), "/States/X")
    ]


# --- Retry and Catch ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("IntervalSeconds", 0, "Minimum value is 1"),
        ("IntervalSeconds", 100000000, "Maximum value is 99999999"),
        ("MaxAttempts", -1, "Minimum value is 0"),
        ("MaxAttempts", 100000000, "Maximum value is 99999999"),
        ("BackoffRate", 0.5, "Minimum value is 1"),
        ("MaxDelaySeconds", 0, "Minimum value is 1"),
        ("MaxDelaySeconds", 31622401, "Maximum value is 31622400"),
        ("JitterStrategy", "HALF", "Value should be one of the following: [FULL, NONE]"),
        ("MaxAttempts", "3", "Expected value of type [INTEGER]"),
        ("BackoffRate", True, "Expected value of type [NUMBER]"),
    ],
)
def test_retrier_fields(field, value, message):
    retry = [{"ErrorEquals": ["States.ALL"], field: value}]
    assert found(one(task(Retry=retry))) == [(SCHEMA, message, f"/States/X/Retry[0]/{field}")]


def test_retrier_boundaries_are_accepted():
    retry = [
        {
            "ErrorEquals": ["E"],
            "IntervalSeconds": 99999999,
            "MaxAttempts": 99999999,
            "BackoffRate": 1,
            "MaxDelaySeconds": 1,
            "JitterStrategy": "NONE",
        }
    ]
    assert found(one(task(Retry=retry))) == []


@pytest.mark.parametrize("handlers", ["Retry", "Catch"])
def test_states_all_must_be_alone(handlers):
    handler = {"ErrorEquals": ["States.ALL", "Other"], **({"Next": "X"} if handlers == "Catch" else {})}
    assert found(one(task(**{handlers: [handler]}))) == [
        (SCHEMA, "'States.ALL' must appear alone in 'ErrorEquals'", f"/States/X/{handlers}[0]/ErrorEquals")
    ]


@pytest.mark.parametrize(("handlers", "kind"), [("Retry", "retrier"), ("Catch", "catcher")])
def test_states_all_must_be_in_the_last_handler(handlers, kind):
    extra = {"Next": "X"} if handlers == "Catch" else {}
    listed = [{"ErrorEquals": ["States.ALL"], **extra}, {"ErrorEquals": ["E"], **extra}]
    assert found(one(task(**{handlers: listed}))) == [
        (SCHEMA, f"The {kind} with 'States.ALL' must be the last one", f"/States/X/{handlers}[0]/ErrorEquals")
    ]


def test_error_equals_is_required_and_not_empty():
    assert found(one(task(Retry=[{}, {"ErrorEquals": []}]))) == [
        (SCHEMA, "These fields are required: [ErrorEquals]", "/States/X/Retry[0]"),
        (SCHEMA, "The 'ErrorEquals' array must not be empty", "/States/X/Retry[1]/ErrorEquals"),
    ]


def test_catcher_requires_next_and_rejects_unknown_fields():
    assert found(one(task(Catch=[{"ErrorEquals": ["E"], "Foo": 1}]))) == [
        (SCHEMA, "Field 'Foo' is not supported", "/States/X/Catch[0]"),
        (SCHEMA, "These fields are required: [Next]", "/States/X/Catch[0]"),
    ]


def test_catcher_fields_follow_the_state_language():
    catch = [{"ErrorEquals": ["E"], "Next": "X", "ResultPath": "$.e"}]
    assert found(one(task(Catch=catch), QueryLanguage="JSONata")) == [
        (SCHEMA, ON_JSONATA.format("ResultPath"), "/States/X/Catch[0]")
    ]
    catch = [{"ErrorEquals": ["E"], "Next": "X", "Output": {}}]
    assert found(one(task(Catch=catch))) == [(SCHEMA, ON_JSONPATH.format("Output"), "/States/X/Catch[0]")]


def test_catcher_result_path_is_a_reference_path():
    catch = [{"ErrorEquals": ["E"], "Next": "X", "ResultPath": "$..e"}]
    assert located(one(task(Catch=catch))) == [(SCHEMA, "/States/X/Catch[0]/ResultPath")]


# --- Choice ---------------------------------------------------------------------------------------


def choice(*rules, **fields) -> dict:
    return sm({"C": {"Type": "Choice", "Choices": list(rules), "Default": "Z", **fields}, "Z": PASS_END})


def test_choices_are_required_and_not_empty():
    assert found(sm({"C": {"Type": "Choice"}})) == [
        (SCHEMA, "These fields are required: [Choices]", "/States/C"),
        ("MISSING_END_STATE", "Workflow has no terminal state", ""),
    ]
    assert found(choice()) == [(SCHEMA, "The 'Choices' array must not be empty", "/States/C/Choices")]


def test_rule_needs_exactly_one_operator():
    message = "A Choice rule must contain exactly one comparison operator, 'And', 'Or' or 'Not'"
    assert found(choice({"Variable": "$.a", "Next": "Z"})) == [(SCHEMA, message, "/States/C/Choices[0]")]
    two = {"Variable": "$.a", "IsNull": True, "IsString": True, "Next": "Z"}
    assert found(choice(two)) == [(SCHEMA, message, "/States/C/Choices[0]")]


def test_top_level_rule_requires_next_nested_rule_refuses_it():
    rule = {"Not": {"Variable": "$.a", "IsNull": True, "Next": "Z"}}
    assert found(choice(rule)) == [
        (SCHEMA, "These fields are required: [Next]", "/States/C/Choices[0]"),
        (SCHEMA, "Field 'Next' is not supported", "/States/C/Choices[0]/Not"),
    ]


def test_comparison_requires_variable_as_a_reference_path():
    assert found(choice({"IsNull": True, "Next": "Z"})) == [
        (SCHEMA, "These fields are required: [Variable]", "/States/C/Choices[0]")
    ]
    assert found(choice({"Variable": "$.a[*]", "IsNull": True, "Next": "Z"})) == [
        (SCHEMA, "Value must be a valid Reference Path.", "/States/C/Choices[0]/Variable")
    ]


@pytest.mark.parametrize(
    ("operator", "operand", "message"),
    [
        ("NumericEquals", "1", "Expected value of type [NUMBER]"),
        ("StringEquals", 1, "Expected value of type [STRING]"),
        ("BooleanEquals", 1, "Expected value of type [BOOLEAN]"),
        ("IsPresent", "true", "Expected value of type [BOOLEAN]"),
        ("StringEqualsPath", "$.a[*]", "Value must be a valid Reference Path."),
        (
            "TimestampEquals",
            "2016-03-14 01:59:00Z",
            "Value must be a valid timestamp (RFC3339, e.g. 2016-03-14T01:59:00Z)",
        ),
    ],
)
def test_operand_types(operator, operand, message):
    rule = {"Variable": "$.a", operator: operand, "Next": "Z"}
    assert found(choice(rule)) == [(SCHEMA, message, f"/States/C/Choices[0]/{operator}")]


def test_and_or_must_be_non_empty_arrays_of_rules():
    assert found(choice({"And": [], "Next": "Z"}, {"Or": {}, "Next": "Z"})) == [
        (SCHEMA, "The 'And' array must not be empty", "/States/C/Choices[0]/And"),
        (SCHEMA, "Expected value of type [ARRAY]", "/States/C/Choices[1]/Or"),
    ]


def test_nested_rules_are_checked_at_their_location():
    rule = {
        "Or": [{"Variable": "$.a", "IsNull": True}, {"Variable": "$.b", "NumericEquals": "x"}],
        "Next": "Z",
    }
    assert located(choice(rule)) == [(SCHEMA, "/States/C/Choices[0]/Or[1]/NumericEquals")]


def test_jsonata_rule_takes_condition_only():
    definition = choice({"Variable": "$.a", "IsNull": True, "Next": "Z"}, QueryLanguage="JSONata")
    assert found(definition) == [
        (SCHEMA, ON_JSONATA.format("Variable"), "/States/C/Choices[0]"),
        (SCHEMA, ON_JSONATA.format("IsNull"), "/States/C/Choices[0]"),
        (SCHEMA, "These fields are required: [Condition]", "/States/C/Choices[0]"),
    ]


def test_jsonata_condition_is_an_expression_or_a_boolean():
    definition = choice(
        {"Condition": True, "Next": "Z"}, {"Condition": "yes", "Next": "Z"}, QueryLanguage="JSONata"
    )
    assert found(definition) == [
        (SCHEMA, "Expected value of type [BOOLEAN]", "/States/C/Choices[1]/Condition")
    ]


def test_condition_on_a_jsonpath_rule():
    assert errors(choice({"Condition": "{% true %}", "Next": "Z"}))[0] == (
        SCHEMA,
        ON_JSONPATH.format("Condition"),
        "/States/C/Choices[0]",
    )


def test_unknown_field_in_a_rule():
    assert errors(choice({"Variable": "$.a", "IsNull": True, "Next": "Z", "Else": "Z"})) == [
        (SCHEMA, "Field 'Else' is not supported", "/States/C/Choices[0]")
    ]


# --- Wait and Fail --------------------------------------------------------------------------------

WAIT_ONE = "Exactly one of these fields must be present: [Seconds, SecondsPath, Timestamp, TimestampPath]"


@pytest.mark.parametrize("fields", [{}, {"Seconds": 1, "SecondsPath": "$.s"}])
def test_wait_needs_exactly_one_duration(fields):
    assert found(one({"Type": "Wait", "End": True, **fields})) == [(SCHEMA, WAIT_ONE, "/States/X")]


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.123456Z",
        "2016-03-14T01:59:00+05:30",
        "2016-03-14T01:59:00-00:00",
    ],
)
def test_wait_accepts_rfc3339_timestamps(timestamp):
    assert found(one({"Type": "Wait", "Timestamp": timestamp, "End": True})) == []


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-03-14t01:59:00z",
        "2016-03-14T01:59:00",
        "2016-02-30T01:59:00Z",
        "2016-03-14T24:00:00Z",
        "2016-03-14 01:59:00Z",
        "1458000000",
        "2016-03-14T01:59:00+5:30",
    ],
)
def test_wait_refuses_other_timestamps(timestamp):
    assert found(one({"Type": "Wait", "Timestamp": timestamp, "End": True})) == [
        (
            SCHEMA,
            "Value must be a valid timestamp (RFC3339, e.g. 2016-03-14T01:59:00Z)",
            "/States/X/Timestamp",
        )
    ]


@pytest.mark.parametrize(
    ("fields", "location"),
    [
        ({"Seconds": -1}, "/States/X/Seconds"),
        ({"SecondsPath": "$.s[*]"}, "/States/X/SecondsPath"),
        ({"TimestampPath": "x"}, "/States/X/TimestampPath"),
    ],
)
def test_wait_field_values(fields, location):
    assert located(one({"Type": "Wait", "End": True, **fields})) == [(SCHEMA, location)]


@pytest.mark.parametrize("field", ["Error", "Cause"])
def test_fail_takes_a_value_or_its_path(field):
    state = {"Type": "Fail", field: "x", field + "Path": "$.x"}
    assert found(one(state)) == [
        (SCHEMA, f"Only one of these fields can be present: [{field}, {field}Path]", f"/States/X/{field}")
    ]


# --- Parallel and Map -----------------------------------------------------------------------------


def test_parallel_requires_non_empty_branches():
    assert found(one({"Type": "Parallel", "Branches": [], "End": True})) == [
        (SCHEMA, "The 'Branches' array must not be empty", "/States/X/Branches")
    ]


def test_branch_requires_start_at_and_states():
    assert found(one({"Type": "Parallel", "Branches": [{"States": {}}], "End": True})) == [
        (SCHEMA, "These fields are required: [StartAt]", "/States/X/Branches[0]")
    ]


def test_map_requires_a_processor():
    assert found(one({"Type": "Map", "End": True})) == [
        (SCHEMA, "These fields are required: [ItemProcessor]", "/States/X")
    ]


def test_legacy_iterator_is_accepted():  # measured
    state = {"Type": "Map", "Iterator": {"StartAt": "P", "States": {"P": PASS_END}}, "End": True}
    assert found(one(state)) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"MaxConcurrency": -1},
            [(SCHEMA, "Minimum value is 0", "/States/X/MaxConcurrency")],
        ),  # measured location
        (
            {"MaxConcurrency": 2, "MaxConcurrencyPath": "$.l"},
            [
                (
                    SCHEMA,
                    "Only one of these fields can be present: [MaxConcurrency, MaxConcurrencyPath]",
                    "/States/X/MaxConcurrency",
                )
            ],
        ),  # measured location
        (
            {"MaxConcurrencyPath": "$.limits[*]"},
            [(SCHEMA, "Value must be a valid Reference Path.", "/States/X/MaxConcurrencyPath")],
        ),  # measured location
        ({"MaxConcurrency": 9223372036854775807}, []),  # measured
        (
            {"ToleratedFailurePercentage": 101},
            [(SCHEMA, "Maximum value is 100", "/States/X/ToleratedFailurePercentage")],
        ),
        ({"ToleratedFailureCount": -1}, [(SCHEMA, "Minimum value is 0", "/States/X/ToleratedFailureCount")]),
        (
            {"ItemsPath": "$.a[?(@.x)]"},
            [(SCHEMA, "Value must be a valid Reference Path.", "/States/X/ItemsPath")],
        ),
        ({"ItemSelector": "$.x"}, [(SCHEMA, "Expected value of type [OBJECT]", "/States/X/ItemSelector")]),
    ],
)
def test_map_fields(fields, expected):
    assert found(one(mapping(**fields))) == expected


def test_jsonata_map_items_is_an_array_or_an_expression():
    assert found(one(mapping(Items="[1]"), QueryLanguage="JSONata")) == [
        (SCHEMA, "Expected value of type [ARRAY]", "/States/X/Items")
    ]
    assert found(one(mapping(Items=[1, "{% 2 %}"]), QueryLanguage="JSONata")) == []


def test_jsonata_map_refuses_max_concurrency_path():  # measured
    assert found(one(mapping(MaxConcurrencyPath="$.limit"), QueryLanguage="JSONata")) == [
        (SCHEMA, ON_JSONATA.format("MaxConcurrencyPath"), "/States/X")
    ]


def test_processor_config_values():
    state = mapping()
    state["ItemProcessor"]["ProcessorConfig"] = {"Mode": "PARALLEL", "ExecutionType": "FAST"}
    assert located(one(state)) == [
        (SCHEMA, "/States/X/ItemProcessor/ProcessorConfig/Mode"),
        (SCHEMA, "/States/X/ItemProcessor/ProcessorConfig/ExecutionType"),
    ]


def test_labels_are_valid_and_unique():
    definition = sm(
        {
            "A": mapping({"P": PASS_END}, Label="same", Next="B"),
            "B": mapping({"Q": PASS_END}, Label="same", Next="C"),
            "C": mapping({"R": PASS_END}, Label="has space"),
        }
    )
    assert located(definition) == [
        ("DUPLICATE_LABEL_NAME", "/States/B/Label"),
        ("INVALID_LABEL_NAME", "/States/C/Label"),
    ]


def distributed(**fields) -> dict:
    state = mapping(**fields)
    state["ItemProcessor"]["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    return state


@pytest.mark.parametrize(
    ("reader", "location"),
    [
        (
            {"Resource": "arn:aws:states:::s3:unknownOperation", "Parameters": {}},
            "/States/X/ItemReader/Resource",
        ),
        (
            {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "UNSUPPORTED"},
                "Parameters": {},
            },
            "/States/X/ItemReader/ReaderConfig/InputType",
        ),
    ],
)
def test_item_reader(reader, location):  # measured locations
    assert located(one(distributed(ItemReader=reader))) == [(SCHEMA, location)]


def test_valid_item_reader_and_result_writer():  # measured
    state = distributed(
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": "b", "Key": "k"},
        },
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSONL"},
            "Parameters": {"Bucket.$": "$.destination.bucket", "Prefix": "results"},
        },
    )
    assert found(one(state)) == []


@pytest.mark.parametrize(
    ("writer", "location"),
    [
        ({}, "/States/X/ResultWriter"),
        ({"Resource": "arn:aws:states:::s3:putObject"}, "/States/X/ResultWriter"),
        ({"WriterConfig": {"Transformation": "COMPACT"}}, "/States/X/ResultWriter/WriterConfig"),
        (
            {"Resource": "arn:aws:states:::s3:unknownOperation", "Parameters": {"Bucket": "b"}},
            "/States/X/ResultWriter/Resource",
        ),
        (
            {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "b"},
                "Arguments": {"Bucket": "c"},
            },
            "/States/X/ResultWriter/Arguments",
        ),
    ],
)
def test_result_writer(writer, location):  # measured locations
    assert located(one(distributed(ResultWriter=writer))) == [(SCHEMA, location)]


# --- warnings -------------------------------------------------------------------------------------


def test_no_dollar_warning():
    assert found(one({"Type": "Pass", "Parameters": {"a": "$.x"}, "End": True})) == [
        (
            "NO_DOLLAR",
            "The value for the field 'a' looks like a JSONPath or an intrinsic function call; "
            "use 'a.$' to evaluate it",
            "/States/X/Parameters",
        )
    ]


def test_no_path_warning():
    definition = choice({"Variable": "$.a", "StringEquals": "$.b", "Next": "Z"})
    assert [(d.severity, d.code, d.location) for d in validate(definition)] == [
        ("WARNING", "NO_PATH", "/States/C/Choices[0]/StringEquals")
    ]


def test_pass_result_is_static_warning():
    diagnostics = validate(one({"Type": "Pass", "Result": {"a": {"b.$": "$.x"}}, "End": True}))
    assert [(d.severity, d.code, d.location) for d in diagnostics] == [
        ("WARNING", "PASS_RESULT_IS_STATIC", "/States/X/Result")
    ]


def test_ensure_valid_raises_on_errors_and_returns_warnings():
    with pytest.raises(InvalidDefinition) as raised:
        ensure_valid(one({"Type": "Pass"}))
    assert raised.value.diagnostics[0].code == SCHEMA
    assert [d.code for d in ensure_valid(one({"Type": "Pass", "Parameters": {"a": "$.x"}, "End": True}))] == [
        "NO_DOLLAR"
    ]


# --- load_definition ------------------------------------------------------------------------------


def test_load_from_text_dict_and_path(tmp_path):
    text = json.dumps(one(PASS_END))
    path = tmp_path / "sm.asl.json"
    path.write_text(text)
    assert load_definition(text) == load_definition(path) == load_definition(str(path)) == one(PASS_END)
    definition = one(PASS_END)
    assert load_definition(definition) is definition


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('{"StartAt": "A",\n  "States": }', "line 2, column 13"),
        ("{not json", "line 1, column 2"),
        ('{"a": NaN}', "line 1, column 7"),
    ],
)
def test_invalid_json_reports_line_and_column(text, position):
    with pytest.raises(InvalidDefinition) as raised:
        load_definition(text)
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "INVALID_JSON_DESCRIPTION"
    assert diagnostic.message.endswith(position)


def test_empty_definition_is_missing_description():
    with pytest.raises(InvalidDefinition) as raised:
        load_definition("  ")
    assert [d.code for d in raised.value.diagnostics] == ["MISSING_DESCRIPTION"]


def test_duplicate_state_name_in_one_states_object():
    text = (
        '{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": '
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}}}}'
    )
    with pytest.raises(InvalidDefinition) as raised:
        load_definition(text)
    assert [(d.code, d.location) for d in raised.value.diagnostics] == [
        ("DUPLICATE_STATE_NAME", "/States/M/ItemProcessor/States/A")
    ]


def test_duplicate_keys_elsewhere_keep_the_last_value():
    assert load_definition('{"StartAt": "A", "StartAt": "B", "States": {}}')["StartAt"] == "B"
