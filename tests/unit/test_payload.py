"""Payload templates: static sharing, paths, intrinsics, nesting and AWS's failure texts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_engine.errors import IntrinsicSyntaxError, PathSyntaxError, StateFailure
from asl_engine.query.jsonpath import compile_path, compile_reference_path
from asl_engine.query.payload import Payload, compile_payload
from asl_engine.query.scope import Scope
from tests.conformance.shared import CONFORMANCE

INPUT = {"a": {"b": [1, 2]}, "x": "hi", "flagged": False}


def evaluate(template: Any, data: Any = INPUT, **scope: Any) -> Any:
    return compile_payload(template, "Parameters").evaluate(Scope(data, **scope))


def test_static_template_is_returned_as_is() -> None:
    template = {"a": [1, {"b": "$.not.a.path"}], "c": None}
    payload = compile_payload(template, "Parameters")
    assert isinstance(payload, Payload) and payload.is_static
    assert payload.evaluate(Scope(INPUT)) is template


@pytest.mark.parametrize("template", [1, "text", None, [], {}])
def test_scalar_and_empty_templates(template: Any) -> None:
    assert evaluate(template) is template


def test_dynamic_fields_lose_their_suffix_and_keep_their_order() -> None:
    out = evaluate({"first": 1, "p.$": "$.a.b[0]", "lit": "$.x", "all.$": "$", "last": True})
    assert out == {"first": 1, "p": 1, "lit": "$.x", "all": INPUT, "last": True}
    assert list(out) == ["first", "p", "lit", "all", "last"]


def test_nested_objects_and_arrays() -> None:
    template = {"outer": {"inner.$": "$.x", "list": [{"v.$": "$.a.b[1]"}, "s", [{"w.$": "$.flagged"}]]},
                "static": {"k": [1]}}
    out = evaluate(template)
    assert out == {"outer": {"inner": "hi", "list": [{"v": 2}, "s", [{"w": False}]]}, "static": {"k": [1]}}
    assert out["static"] is template["static"]  # static parts are shared, not copied


def test_context_variables_and_intrinsics() -> None:
    template = {"id.$": "$$.Execution.Id", "v.$": "$var.f", "f.$": "States.Format('{}-{}', $.x, $var.f)",
                "u.$": "States.UUID()"}

    class Services:
        def random(self) -> float:
            return 0.0

        def uuid4(self) -> str:
            return "fixed"

    payload = compile_payload(template, "Parameters")
    scope = Scope(INPUT, context={"Execution": {"Id": "e-1"}}, variables={"var": {"f": 3}})
    assert payload.evaluate(scope, Services()) == {"id": "e-1", "v": 3, "f": "hi-3", "u": "fixed"}


def test_indefinite_paths_give_lists_and_out_of_range_gives_null() -> None:
    out = evaluate({"all.$": "$.a.b[*]", "none.$": "$.a.b[?(@ > 5)]", "oob.$": "$.a.b[5]"})
    assert out == {"all": [1, 2], "none": [], "oob": None}


def test_missing_path_fails_with_the_aws_cause() -> None:
    with pytest.raises(StateFailure) as info:
        evaluate({"application": {"address.$": "$.application.address"}}, {"flagged": False})
    assert info.value.error == "States.Runtime"
    assert info.value.cause == ("The JSONPath '$.application.address' specified for the field 'address.$' "
                                "could not be found in the input '{\"flagged\":false}'")


def test_missing_context_path_quotes_the_context_object() -> None:
    with pytest.raises(StateFailure) as info:
        evaluate({"c.$": "$$.Nope"}, {}, context={"State": {"Name": "P"}})
    assert info.value.cause == ("The JSONPath '$$.Nope' specified for the field 'c.$' could not be found "
                                "in the input '{\"State\":{\"Name\":\"P\"}}'")


def test_missing_variable_fails() -> None:
    with pytest.raises(StateFailure) as info:
        evaluate({"v.$": "$missing.f"}, {"a": 1})
    assert "'$missing.f'" in info.value.cause


@pytest.mark.parametrize("template", [{"i.$": "$"}, {"i.$": "$.a"}, {"n": [{"i.$": "$[0]"}]}])
def test_null_input_cannot_be_read(template: Any) -> None:
    with pytest.raises(StateFailure) as info:
        evaluate(template, None)
    assert info.value.cause == "Unable to apply Path transformation to null or empty input."


def test_null_input_still_allows_context_and_variables() -> None:
    out = evaluate({"c.$": "$$.x", "v.$": "$var"}, None, context={"x": 1}, variables={"var": 2})
    assert out == {"c": 1, "v": 2}


def test_intrinsic_failure_propagates() -> None:
    with pytest.raises(StateFailure) as info:
        evaluate({"v.$": "States.ArrayLength($.x)"})
    assert info.value.cause == ("The function 'States.ArrayLength($.x)' had the following error: "
                                "Invalid arguments in States.ArrayLength")


@pytest.mark.parametrize(("template", "error"), [
    ({"x.$": 1}, PathSyntaxError),
    ({"x.$": ["$.a"]}, PathSyntaxError),
    ({"x.$": "a.b"}, PathSyntaxError),
    ({"n": [{"x.$": "$.a["}]}, PathSyntaxError),
    ({"x.$": "States.Nope()"}, IntrinsicSyntaxError),
    ({"x.$": "States.Format('a'"}, IntrinsicSyntaxError),
])
def test_syntax_errors_at_compile_time(template: Any, error: type) -> None:
    with pytest.raises(error):
        compile_payload(template, "Parameters")


# --- AWS-recorded single Pass states of the other categories ---------------------------------------

CORPUS = CONFORMANCE / "sfn"


def _single_pass_cases() -> list:
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS} is absent"))]
    params = []
    for file in sorted(CORPUS.glob("*/*.json")):
        if file.parent.name == "intrinsic_functions":
            continue  # driven by test_intrinsics.py
        case = json.loads(file.read_text())
        try:
            definition = json.loads(case["definition"])
        except ValueError:
            continue
        states = definition.get("States", {}) if isinstance(definition, dict) else {}
        state = next(iter(states.values()), {})
        if (len(states) == 1 and state.get("Type") == "Pass" and "Result" not in state
                and definition.get("QueryLanguage", "JSONPath") == "JSONPath" and "QueryLanguage" not in state
                and "Assign" not in state and "$$" not in json.dumps(state).replace("$$.Execution.Input", "")
                and case["expected"]["status"] == "SUCCEEDED"):
            params.append(pytest.param(case, id=f"{file.parent.name}/{file.stem}"))
    return params


@pytest.mark.parametrize("case", _single_pass_cases())
def test_conformance_single_pass_state(case: dict) -> None:
    state = next(iter(json.loads(case["definition"])["States"].values()))
    raw = json.loads(case["input"])
    context = {"Execution": {"Input": raw}}
    data = compile_path(state.get("InputPath", "$")).find(Scope(raw, context=context))
    if "Parameters" in state:
        data_out = compile_payload(state["Parameters"], "Parameters").evaluate(Scope(data, context=context))
    else:
        data_out = data
    output = compile_reference_path(state.get("ResultPath", "$")).set(data, data_out)
    output = compile_path(state.get("OutputPath", "$")).find(Scope(output, context=context))
    assert output == case["expected"]["output"]
