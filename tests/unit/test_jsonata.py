"""The JSONata layer: Step Functions functions, templates, undefined handling, errors."""

from __future__ import annotations

import hashlib

import pytest

from asl_engine.errors import QuerySyntaxError, StateFailure
from asl_engine.query.jsonata import (
    UNDEFINED,
    JsonataEvalError,
    JsonataSyntaxError,
    compile_expression,
    compile_template,
    evaluation_error_cause,
    is_jsonata_template,
    undefined_cause,
)
from asl_engine.query.jsonata_functions import JavaRandom


def ev(text: str, bindings: dict | None = None, services=None):
    return compile_expression(text).evaluate(bindings or {}, services)


class FixedServices:
    def __init__(self) -> None:
        self.uuids = 0

    def random(self) -> float:
        return 0.25

    def uuid4(self) -> str:
        self.uuids += 1
        return f"00000000-0000-4000-8000-{self.uuids:012d}"


# --------------------------------------------------------------------------- java.util.Random

def test_java_random_matches_java() -> None:
    # new java.util.Random(42).nextInt() x3 and new Random(0).nextDouble(), as the JDK prints them
    r = JavaRandom(42)
    assert [r.next_bits(32) for _ in range(3)] == [-1170105035, 234785527, -1360544799]
    assert JavaRandom(0).next_double() == 0.730967787376657


def test_seeded_random_is_aws_value() -> None:
    assert ev("$random(42)") == 0.7275636800328681
    assert ev("[$random(42), $random(42)]") == [0.7275636800328681, 0.7275636800328681]


def test_unseeded_random_and_uuid_come_from_services() -> None:
    services = FixedServices()
    assert ev("$random()", services=services) == 0.25
    assert ev("[$uuid(), $uuid()]", services=services) == ["00000000-0000-4000-8000-000000000001",
                                                           "00000000-0000-4000-8000-000000000002"]


def test_runtime_services_make_runs_reproducible() -> None:
    from asl_engine.runtime.services import Services

    template = compile_template({"r": "{% $random() %}", "id": "{% $uuid() %}"}, "Output")
    assert template.evaluate({}, Services(seed=7)) == template.evaluate({}, Services(seed=7))


def test_default_services_when_none_injected() -> None:
    value = ev("$random()")
    assert 0 <= value < 1
    assert len(ev("$uuid()")) == 36


# --------------------------------------------------------------------------- the other SFN functions

@pytest.mark.parametrize(("array", "size", "expected"), [
    ([0, 1, 2], 2, [[0, 1], [2]]),
    ([0, 1, 2], 5, [[0, 1, 2]]),
    ([0], 3, [[0]]),
    ([0, 1, 2, 3], 1, [[0], [1], [2], [3]]),
])
def test_partition(array, size, expected) -> None:
    assert ev("$partition($states.input.a, $states.input.n)",
              {"states": {"input": {"a": array, "n": size}}}) == expected


@pytest.mark.parametrize(("args", "expected"), [
    ("0, 9, 3", [0, 3, 6, 9]),
    ("0, 10, 3", [0, 3, 6, 9]),
    ("1, 9, 9", 1),  # a sequence of one is unwrapped, as AWS returns it
    ("1, 9, 2", [1, 3, 5, 7, 9]),
    ("0, 10, 2", [0, 2, 4, 6, 8, 10]),
    ("5, 1, -2", [5, 3, 1]),
])
def test_range(args, expected) -> None:
    assert ev(f"$range({args})") == expected


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash(algorithm) -> None:
    name = algorithm.replace("-", "").lower()
    assert ev(f"$hash('input data', '{algorithm}')") == hashlib.new(name, b"input data").hexdigest()


def test_hash_rejects_unknown_algorithm() -> None:
    with pytest.raises(JsonataEvalError):
        ev("$hash('x', 'SHA-999')")


@pytest.mark.parametrize(("text", "expected"), [
    ("-0", 0), ("1", 1), ("1.1", 1.1), ("true", True), ('"HelloWorld"', "HelloWorld"),
    ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]), ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
])
def test_parse(text, expected) -> None:
    assert ev("$parse($states.input.s)", {"states": {"input": {"s": text}}}) == expected


def test_parse_rejects_invalid_json() -> None:
    with pytest.raises(JsonataEvalError):
        ev("$parse('{nope')")


def test_eval_is_unavailable() -> None:
    with pytest.raises(JsonataEvalError) as info:
        ev("$eval('1 + 1')")
    assert info.value.reason == "T1006: Attempted to invoke a non-function"


def test_function_argument_types_are_checked() -> None:
    with pytest.raises(JsonataEvalError) as info:
        ev("$random('x')")
    assert info.value.code == "T0410"


# --------------------------------------------------------------------------- values and undefined

def test_undefined_is_distinct_from_null() -> None:
    bindings = {"states": {"input": {"n": None}}, "v": None}
    assert ev("$states.input.n", bindings) is None
    assert ev("$v", bindings) is None
    assert ev("$doesNotExist", bindings) is UNDEFINED
    assert ev("$states.input.missing", bindings) is UNDEFINED


def test_results_are_plain_json() -> None:
    bindings = {"states": {"input": {"x": 2.0, "items": [{"p": 1.5}, {"p": 2.5}]}}}
    assert ev("4 / 2") == 2 and type(ev("4 / 2")) is int
    assert type(ev("$states.input.x", bindings)) is int
    assert ev("$sum($states.input.items.p)", bindings) == 4
    assert ev("$states.input.items", bindings) == [{"p": 1.5}, {"p": 2.5}]
    assert ev("$string(1e20)") == "100000000000000000000"
    assert ev('{"a": $states.input.items[0].p, "b": $nothing}', bindings) == {"a": 1.5}


def test_variables_and_states_bindings() -> None:
    bindings = {"states": {"input": {"values": [1, 2, 3]}, "context": {"Execution": {"Name": "e1"}}},
                "var_constant_1": 10}
    assert ev("$sum($states.input.values) + $var_constant_1", bindings) == 16
    assert ev("$states.context.Execution.Name", bindings) == "e1"


def test_only_read_parts_of_bindings_matter() -> None:
    # Bindings are cut down to what the expression reads: results must not change.
    big = {"states": {"input": {"a": {"b": 1, "c": list(range(1000))}, "d": "x"}}, "v1": 5, "v2": 6}
    assert ev("$states.input.a.b + $v1", big) == 6
    assert ev("$keys($states.input)", big) == ["a", "d"]
    assert ev("$lookup($states.input.a, $k)", {**big, "k": "b"}) == 1
    assert ev("($s := $states; $s.input.d)", big) == "x"


def test_regex_from_conformance() -> None:
    assert ev('$contains("hello$world", /^hello\\$/)') is True
    assert ev('$contains("hello$world", /^hello\\ /)') is False


# --------------------------------------------------------------------------- templates

@pytest.mark.parametrize(("value", "expected"), [
    ("{% $x %}", True), ("{%$x%}", True), ("{%%}", True),
    (" {% $x %}", False), ("{% $x %} ", False), ("{% $x", False), ("$x", False), (1, False), (None, False),
])
def test_is_jsonata_template(value, expected) -> None:
    assert is_jsonata_template(value) is expected


def test_template_nested_and_literals() -> None:
    template = compile_template(
        {"static": "Hello", "title": "{% $states.input.title %}", "list": [1, "{% $number('2') %}", 3],
         "deep": {"x": {"y": "{% $name %}"}}, "not-evaluated": "$customerName", "n": None}, "Arguments")
    out = template.evaluate({"states": {"input": {"title": "Doctor"}}, "name": "María"})
    assert out == {"static": "Hello", "title": "Doctor", "list": [1, 2, 3], "deep": {"x": {"y": "María"}},
                   "not-evaluated": "$customerName", "n": None}
    assert [field for field, _ in template.expressions] == ["Arguments/title", "Arguments/list/1",
                                                           "Arguments/deep/x/y"]


def test_static_template_costs_nothing() -> None:
    value = {"a": [1, {"b": "c"}]}
    template = compile_template(value, "Output")
    assert template.is_static
    assert template.evaluate({}) is value


def test_whole_field_template() -> None:
    template = compile_template("{% $states.input %}", "Output")
    assert template.evaluate({"states": {"input": [1, 2]}}) == [1, 2]


def test_template_passes_services() -> None:
    template = compile_template({"id": "{% $uuid() %}"}, "Output")
    assert template.evaluate({}, services=FixedServices()) == {"id": "00000000-0000-4000-8000-000000000001"}


# --------------------------------------------------------------------------- error texts

def test_undefined_field_cause_matches_aws() -> None:
    template = compile_template({"result": "{% $doesNotExist %}"}, "Output")
    with pytest.raises(StateFailure) as info:
        template.evaluate({"states": {"input": {}}})
    assert info.value.error == "States.QueryEvaluationError"
    assert info.value.cause == ("The JSONata expression '$doesNotExist' specified for the field "
                                "'Output/result' returned nothing (undefined).")


def test_top_level_undefined_cause() -> None:
    with pytest.raises(StateFailure) as info:
        compile_template("{% $doesNotExist %}", "Arguments").evaluate({})
    assert info.value.cause == ("The JSONata expression '$doesNotExist' specified for the field "
                                "'Arguments' returned nothing (undefined).")


def test_evaluation_error_cause_matches_aws() -> None:
    template = compile_template({"FunctionResult": "{% $randomSeeded($states.input.FunctionInput.fst) %}"},
                                "Output")
    with pytest.raises(StateFailure) as info:
        template.evaluate({"states": {"input": {"FunctionInput": "fst"}}})
    assert info.value.cause == (
        "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field "
        "'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function")


def test_cause_helpers() -> None:
    assert undefined_cause("$x", "Assign/result") == (
        "The JSONata expression '$x' specified for the field 'Assign/result' returned nothing (undefined).")
    assert evaluation_error_cause("$x()", "Output", "T1006: Attempted to invoke a non-function").endswith(
        "threw an error during evaluation. T1006: Attempted to invoke a non-function")


def test_runtime_type_error_reason() -> None:
    with pytest.raises(JsonataEvalError) as info:
        ev("$states.input.a + 1", {"states": {"input": {"a": "x"}}})
    assert info.value.code == "T2001"
    assert info.value.reason.startswith("T2001: ")


# --------------------------------------------------------------------------- syntax errors

@pytest.mark.parametrize(("text", "code", "position"), [
    ("1 +", "S0207", 3),
    ('"abc', "S0101", 4),
    ("foo bar", "S0201", 7),
    ("/* abc", "S0106", 0),
])
def test_syntax_errors_have_code_and_position(text, code, position) -> None:
    with pytest.raises(JsonataSyntaxError) as info:
        compile_expression(text)
    assert isinstance(info.value, QuerySyntaxError)
    assert (info.value.code, info.value.position) == (code, position)


def test_template_syntax_error_names_the_field() -> None:
    with pytest.raises(JsonataSyntaxError) as info:
        compile_template({"a": [0, "{% $states.input.[ %}"]}, "Output")
    assert info.value.field == "Output/a/1"
    assert info.value.code == "S0203"
