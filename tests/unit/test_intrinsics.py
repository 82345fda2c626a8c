"""Intrinsic functions: every function, its edges and errors, and the AWS-recorded conformance cases."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from asl_engine.errors import IntrinsicSyntaxError, StateFailure
from asl_engine.query.intrinsics import compile_intrinsic
from asl_engine.query.intrinsics_functions import java_next_int
from asl_engine.query.jsonpath import compile_path, compile_reference_path
from asl_engine.query.payload import compile_payload
from asl_engine.query.scope import Scope
from asl_engine.runtime.services import Services
from tests.conformance.shared import CONFORMANCE

CASES = CONFORMANCE / "sfn" / "intrinsic_functions"


class FixedServices:
    def __init__(self, value: float = 0.5) -> None:
        self.value = value

    def random(self) -> float:
        return self.value

    def uuid4(self) -> str:
        return "00000000-0000-4000-8000-000000000000"


def run(text: str, data: Any = None, context: dict | None = None, services: Any = None) -> Any:
    return compile_intrinsic(text)(Scope(data, context=context or {}), services)


def failure(text: str, data: Any = None) -> str:
    with pytest.raises(StateFailure) as info:
        run(text, data)
    assert info.value.error == "States.Runtime"
    prefix = f"The function '{text}' had the following error: "
    assert info.value.cause.startswith(prefix)
    return info.value.cause[len(prefix):]


def invalid(text: str, data: Any = None) -> None:
    name = text[len("States."):text.index("(")]
    assert failure(text, data) == f"Invalid arguments in States.{name}"


# --- AWS conformance cases ------------------------------------------------------------------------

def _pass_cases() -> list:
    if not CASES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{CASES} is absent"))]
    params = []
    for file in sorted(CASES.glob("*.json")):
        case = json.loads(file.read_text())
        states = json.loads(case["definition"])["States"]
        state = next(iter(states.values()))
        if len(states) == 1 and state["Type"] == "Pass" and "Parameters" in state:
            params.append(pytest.param(case, id=file.stem))
    return params


def _context(case: dict) -> dict:
    """The context object the recording's placeholders stand for."""
    return {
        "Execution": {"Name": "<ExecArnPart_0idx>", "Input": json.loads(case["input"])},
        "StateMachine": {"Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
                         "Name": "<ArnPart_0idx>"},
    }


@pytest.mark.parametrize("case", _pass_cases())
def test_conformance_pass_parameters(case: dict) -> None:
    state = next(iter(json.loads(case["definition"])["States"].values()))
    data = json.loads(case["input"])
    data = compile_path(state.get("InputPath", "$")).find(Scope(data))
    result = compile_payload(state["Parameters"], "Parameters").evaluate(Scope(data, context=_context(case)))
    output = compile_reference_path(state.get("ResultPath", "$")).set(data, result)
    output = compile_path(state.get("OutputPath", "$")).find(Scope(output))
    expected = case["expected"]
    assert expected["status"] == "SUCCEEDED"
    if expected["output"] == {"FunctionResult": "RandomNumberGenerated"}:  # recorded with a placeholder
        args = data["FunctionInput"]
        assert int(args["fst"]) <= output["FunctionResult"] < int(args["snd"])
    else:
        assert json.dumps(output, sort_keys=True) == json.dumps(expected["output"], sort_keys=True)


# --- syntax --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "States.Nope()", "States.Format(", "States.Array(1,)", "States.Array(,1)", "Format('x')",
    "States.Array(1) extra", "States.Array($.a[)", "States.Format('unterminated)",
    "States.Format('bad \\n escape')", "States.Array(foo)", "States.Array('a' 'b')",
])
def test_syntax_errors_at_compile_time(text: str) -> None:
    with pytest.raises(IntrinsicSyntaxError):
        compile_intrinsic(text)


def test_literals_and_escapes() -> None:
    assert run("States.Array('it\\'s', '\\{\\}', 'back\\\\slash', 1, -2.5, 1e3, true, false, null)") == [
        "it's", "{}", "back\\slash", 1, -2.5, 1000.0, True, False, None]
    assert run("States.Array( 'a' ,States.Array( ) )") == ["a", []]


def test_path_arguments() -> None:
    data = {"a": [1, 2, 3], "s": "x,y"}
    ctx = {"Execution": {"Input": {"k": "v"}}}
    assert run("States.Array($, $.a[0], $.a[-1], $.a[*], $$.Execution.Input.k)", data, ctx) == [
        data, 1, 3, [1, 2, 3], "v"]
    assert run("States.ArrayLength($.a[?(@ > 1)])", data) == 2
    assert run("States.Array($['s'], $.a[?(@ in [1, 2])], $[\"s\"])", data) == ["x,y", [1, 2], "x,y"]
    assert run("States.Array($['it\\'s, (really)'])", {"it's, (really)": 1}) == [1]
    assert run("States.ArrayLength($.items[*].nope)", {"items": [1, 2]}) == 0  # indefinite: never a miss
    scope = Scope({}, variables={"v": {"f": [7]}})
    assert compile_intrinsic("States.ArrayGetItem($v.f, 0)")(scope) == 7


def test_missing_path_argument_names_the_path_and_the_state_input() -> None:
    assert failure("States.Format('{}', $.nope)", {"other": 1}) == (
        "The JsonPath argument for the field '$.nope' could not be found in the input '{\"other\":1}'")
    # the whole expression is named, not the nested call
    assert "'$.a.b'" in failure("States.Format('{}', States.Format('{}', $.a.b))", {"other": 1})
    # an out-of-range index is a miss for an intrinsic argument (a plain field reads null)
    assert "'$.items[5]'" in failure("States.Format('{}', $.items[5])", {"items": [1, 2]})
    # $$ paths are reported rewritten to $ and against the state input
    with pytest.raises(StateFailure) as info:
        run("States.Format('{}', $$.Nope.Deep)", {"other": 1}, {"State": {}})
    assert info.value.cause.endswith(
        "The JsonPath argument for the field '$.Nope.Deep' could not be found in the input '{\"other\":1}'")
    with pytest.raises(StateFailure):
        compile_intrinsic("States.Array($missing)")(Scope({}))


def test_explicit_null_argument_is_a_value() -> None:
    assert run("States.Format('{}', $.n)", {"n": None}) == "null"


# --- States.Format -------------------------------------------------------------------------------

def test_format_renders_like_java() -> None:
    data = {"s": "x", "i": 1, "f": 1.1, "big": 1.5e10, "whole": 2.0, "b": True, "n": None,
            "o": {"Arg1": 1, "Arg2": []}, "l": [1, "a", {"k": None}]}
    assert run("States.Format('{}|{}|{}|{}|{}|{}|{}', $.s, $.i, $.f, $.big, $.whole, $.b, $.n)", data) == (
        "x|1|1.1|1.5E10|2.0|true|null")
    assert run("States.Format('{} {}', $.o, $.l)", data) == "{Arg1=1, Arg2=[]} [1, a, {k=null}]"


def test_format_template_rules() -> None:
    assert run("States.Format('no placeholders')") == "no placeholders"
    assert run("States.Format('  {}  ', 'x')") == "  x  "
    assert run("States.Format('\\{\\} {} \\'q\\'', 1)") == "{} 1 'q'"
    assert run("States.Format($.t, 'Ada')", {"t": "Hello {}"}) == "Hello Ada"
    invalid("States.Format('{} {}', 'x')")
    invalid("States.Format('{}', 'x', 'y')")
    invalid("States.Format($.t)", {"t": 123})
    invalid("States.Format('}')")
    invalid("States.Format()")
    assert failure("States.Format('Hello {', 'x')") == (
        "Invalid template in States.Format: matching '}' not found for '{'.")
    assert failure("States.Format('Hello {{}}', 'x')").startswith("Invalid template in States.Format")


# --- JSON ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (None, "null"), (0, "0"), (1.1, "1.1"), (1.0, "1.0"), (1e21, "1.0E21"), (1e-5, "1.0E-5"),
    (True, "true"), ("HelloWorld", '"HelloWorld"'), ([1, 2, "a"], '[1,2,"a"]'),
    ({"Arg1": 1, "Arg2": []}, '{"Arg1":1,"Arg2":[]}'),
    ("é\n\"", '"é\\n\\""'),  # Jackson leaves non-ASCII unescaped
])
def test_json_to_string(value: Any, text: str) -> None:
    assert run("States.JsonToString($.v)", {"v": value}) == text


@pytest.mark.parametrize(("text", "value"), [
    ("", None), (" ", None), ("null", None), ("-0", 0), ("1", 1), ("1.1", 1.1), ("true", True),
    ('"HelloWorld"', "HelloWorld"), ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]),
    ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
])
def test_string_to_json(text: str, value: Any) -> None:
    assert run("States.StringToJson($.v)", {"v": text}) == value


def test_string_to_json_errors() -> None:
    invalid("States.StringToJson($.v)", {"v": "{nope"})
    invalid("States.StringToJson($.v)", {"v": "NaN"})
    invalid("States.StringToJson($.v)", {"v": {"a": 1}})
    invalid("States.JsonToString()")


def test_json_merge() -> None:
    a, b = {"a": {"a1": 1}, "b": 2, "d": 3}, {"a": {"a3": 1}, "c": 3, "d": 4}
    merged = run("States.JsonMerge($.a, $.b, false)", {"a": a, "b": b})
    assert merged == {"a": {"a3": 1}, "b": 2, "d": 4, "c": 3}
    assert list(merged) == ["a", "b", "d", "c"]
    assert a == {"a": {"a1": 1}, "b": 2, "d": 3}
    invalid("States.JsonMerge($.a, $.b, true)", {"a": a, "b": b})
    invalid("States.JsonMerge($.a, $.b)", {"a": a, "b": b})
    invalid("States.JsonMerge($.a, 1, false)", {"a": a})
    invalid("States.JsonMerge($.a, $.a, 'false')", {"a": a})


# --- arrays --------------------------------------------------------------------------------------

def test_array() -> None:
    assert run("States.Array()") == []
    assert run("States.Array($.x, 2)", {"x": {"k": []}}) == [{"k": []}, 2]


@pytest.mark.parametrize(("items", "size", "chunks"), [
    ([], 1, []), ([0, 1, 2], 2, [[0, 1], [2]]), ([0, 1, 2, 3], 4, [[0, 1, 2, 3]]),
    ([0, 1], 5, [[0, 1]]), ([1, 2, 3, 4, 5], 2.6, [[1, 2], [3, 4], [5]]),  # truncated, not rounded
    ([1, 2, 3], 2147483647, [[1, 2, 3]]),
])
def test_array_partition(items: list, size: float, chunks: list) -> None:
    assert run("States.ArrayPartition($.a, $.n)", {"a": items, "n": size}) == chunks


@pytest.mark.parametrize("size", [0, -1, 0.6, -0.4, "2", None, True])
def test_array_partition_bad_size(size: Any) -> None:
    invalid("States.ArrayPartition($.a, $.n)", {"a": [1], "n": size})


def test_array_partition_not_an_array() -> None:
    invalid("States.ArrayPartition('x', 2)")
    invalid("States.ArrayPartition($.a)", {"a": [1]})


@pytest.mark.parametrize(("items", "value", "found"), [
    ([], None, False), ([[1, 2, 3], 2], [1, 2, 3], True), ([{"1": 2, "2": []}], {"2": [], "1": 2}, True),
    ([True, False], False, True), ([1], 1.0, False), ([1], True, False), ([None], None, True),
    ([[1, 2]], [2, 1], False),
])
def test_array_contains(items: list, value: Any, found: bool) -> None:
    assert run("States.ArrayContains($.a, $.v)", {"a": items, "v": value}) is found


def test_array_contains_errors() -> None:
    invalid("States.ArrayContains('x', 'x')")
    invalid("States.ArrayContains($.a)", {"a": []})


@pytest.mark.parametrize(("args", "result"), [
    ("0, 9, 3", [0, 3, 6, 9]), ("0, 10, 3", [0, 3, 6, 9]), ("1, 9, 2", [1, 3, 5, 7, 9]),
    ("-2, 2, 2", [-2, 0, 2]), ("3, 3, 1", [3]), ("3, 3, -1", [3]), ("5, 1, -2", [5, 3, 1]),
    ("5, 1, 1", []), ("1, 5, -1", []), ("1.4, 5.6, 2.2", [1, 3, 5]), ("1.6, 1.4, 1", [1]),
    ("5.4, -0.6, -2.4", [5, 3, 1]),
])
def test_array_range(args: str, result: list) -> None:
    assert run(f"States.ArrayRange({args})") == result


def test_array_range_limits() -> None:
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000
    assert len(run("States.ArrayRange(1000, 1, -1)")) == 1000
    for args in ("1, 1001, 1", "1001, 1, -1", "1, 10, 0", "1, 10, 0.49", "'a', 5, 1", "1, 5", "1, 5, 1, 9"):
        invalid(f"States.ArrayRange({args})")


def test_array_get_item() -> None:
    data = {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "objs": [{"a": 1}, {"b": 2}]}
    assert run("States.ArrayGetItem($.a, 5)", data) == 6
    assert run("States.ArrayGetItem($.objs, 1)", data) == {"b": 2}
    assert run("States.ArrayGetItem($.a, 1.9)", data) == 2  # truncated
    assert run("States.ArrayGetItem($.e, 999)", {"e": []}) is None  # what AWS answers for []
    for index in ("9", "-1", "'1'", "null", "3000000000"):
        invalid(f"States.ArrayGetItem($.a, {index})", data)
    invalid("States.ArrayGetItem('not-array', 0)")


def test_array_length() -> None:
    assert run("States.ArrayLength($.a)", {"a": [None, [], {}]}) == 3
    invalid("States.ArrayLength($.a)", {"a": "abc"})
    invalid("States.ArrayLength($.a)", {"a": {"k": 1}})


def test_array_unique_keeps_first_occurrences_with_jackson_equality() -> None:
    items = [None, None, True, True, False, 1, 1, 1.0, 1.1, 0, "a", "a", [], [], [None], [None],
             {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1, "b": 1}]
    assert run("States.ArrayUnique($.a)", {"a": items}) == [
        None, True, False, 1, 1.0, 1.1, 0, "a", [], [None], {"a": 1, "b": 2}, {"a": 1, "b": 1}]
    invalid("States.ArrayUnique('x')")


# --- encoding and hashing ------------------------------------------------------------------------

@pytest.mark.parametrize(("plain", "encoded"), [
    ("", ""), ("Data to encode", "RGF0YSB0byBlbmNvZGU="), ("✓", "4pyT"), ("abc\u0000def", "YWJjAGRlZg=="),
])
def test_base64_round_trip(plain: str, encoded: str) -> None:
    assert run("States.Base64Encode($.v)", {"v": plain}) == encoded
    assert run("States.Base64Decode($.v)", {"v": encoded}) == plain


def test_base64_decode_is_lenient_like_aws() -> None:
    assert run("States.Base64Decode(' YWJjZA== ')") == "abcd"
    assert run("States.Base64Decode('YWJjZA')") == "abcd"
    assert run("States.Base64Decode('YWJjZ')") == "abc"  # a lone trailing character is dropped
    assert isinstance(run("States.Base64Decode('!!!invalid!!!')"), str)


def test_base64_limits_and_types() -> None:
    assert len(run("States.Base64Encode($.v)", {"v": "a" * 10_000})) > 0
    invalid("States.Base64Encode($.v)", {"v": "a" * 10_001})
    invalid("States.Base64Decode($.v)", {"v": "A" * 10_001})
    invalid("States.Base64Encode(1)")
    invalid("States.Base64Decode($.v)", {"v": {}})
    invalid("States.Base64Decode()")
    invalid("States.Base64Decode('aGVsbG8=', 'extra')")


@pytest.mark.parametrize(("algorithm", "digest"), [
    ("MD5", "812f45842bc6d66ee14572ce20db8e86"),
    ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("SHA-256", "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
])
def test_hash(algorithm: str, digest: str) -> None:
    assert run("States.Hash($.d, $.a)", {"d": "input data", "a": algorithm}) == digest


def test_hash_edges() -> None:
    assert run("States.Hash('🚀', 'SHA-256')") == (
        "ebbc0b2870eb323f2b6cffa5c493ceef81ae7eb36afc73d4e0367301631daec5")
    assert run("States.Hash(123, 'MD5')") == hashlib.md5(b"123").hexdigest()  # AWS hashes the JSON text
    assert run("States.Hash($.o, 'MD5')", {"o": {"a": 1}}) == hashlib.md5(b'{"a":1}').hexdigest()
    assert len(run("States.Hash($.s, 'SHA-512')", {"s": "a" * 10_000})) == 128
    invalid("States.Hash($.s, 'SHA-256')", {"s": "a" * 10_001})
    for algorithm in ("'sha-256'", "'SHA256'", "''", "'MD-5'", "123"):
        invalid(f"States.Hash('data', {algorithm})")
    invalid("States.Hash('data')")
    invalid("States.Hash('data', 'MD5', 'x')")


# --- math ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "total"), [
    (-9, 3, -6), (1.49, 1.5, 3), (1.5, 1.51, 4), (-1.49, -1.5, -2), (-1.5, -1.51, -3), (0.5, 0, 1),
    (2.5, 0, 3), (-0.5, 0, 0), (-0.5, 0.5, 1), (-1.5, 0, -1), (-2.5, 0, -2), (-1.51, 0, -2),
])
def test_math_add_rounds_half_up_like_java(a: float, b: float, total: int) -> None:
    assert run("States.MathAdd($.a, $.b)", {"a": a, "b": b}) == total


def test_math_add_errors() -> None:
    for args in ("1, 'x'", "true, 1", "null, 1", "1", "1, 2, 3", "2147483648, 0"):
        invalid(f"States.MathAdd({args})")


def test_math_random_unseeded_uses_the_injected_services() -> None:
    assert run("States.MathRandom(1, 11)", services=FixedServices(0.0)) == 1
    assert run("States.MathRandom(1, 11)", services=FixedServices(0.999)) == 10
    assert run("States.MathRandom(-99999, -9999)", services=FixedServices(0.5)) == -54999
    assert 12 <= run("States.MathRandom(12.5, 44.51)", services=Services()) < 44
    assert 1 <= run("States.MathRandom(1.6, 5.4)") < 5  # bounds truncated


def test_math_random_seeded_is_javas_random() -> None:
    assert java_next_int(42, 10) == 0
    assert run("States.MathRandom(-5, 5, 42)") == -5  # what AWS answered
    assert run("States.MathRandom(1, 100, 42)") == run("States.MathRandom(1, 100, 42)")
    assert 2147483640 <= run("States.MathRandom(2147483640, 2147483647, 1)") < 2147483647
    assert java_next_int(42, 8) == 5 and java_next_int(1, 16) == 11  # the power-of-two branch


def test_math_random_errors() -> None:
    for args in ("1, 1", "10, 5", "1.4, 1.6", "'a', 10", "1, 'b'", "1, 10, 'seed'", "1, 10, null",
                 "1", "1, 10, 5, 99"):
        invalid(f"States.MathRandom({args})")


# --- strings and ids -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "delimiter", "parts"), [
    (" ", ",", [" "]), (" , ", ",", [" ", " "]), (", , ,", ",", [" ", " "]), (",,,,", ",", []),
    ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]), ("a-b+c", "+-", ["a", "b", "c"]), ("", ",", []),
    ("abc", "", ["abc"]),
])
def test_string_split_is_a_tokenizer(text: str, delimiter: str, parts: list) -> None:
    assert run("States.StringSplit($.s, $.d)", {"s": text, "d": delimiter}) == parts


def test_string_split_errors() -> None:
    invalid("States.StringSplit(1, ',')")
    invalid("States.StringSplit('a', 1)")
    invalid("States.StringSplit('a')")


def test_uuid() -> None:
    assert run("States.UUID()", services=FixedServices()) == "00000000-0000-4000-8000-000000000000"
    assert len(run("States.UUID()")) == 36
    invalid("States.UUID(1)")


def test_nested_calls() -> None:
    ctx = {"StateMachine": {"Name": "my-state-machine"}}
    text = ("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
            "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))")
    assert run(text, {}, ctx) == "machine"
    assert run("States.Base64Decode(States.Base64Encode(States.Format('{}:{}', $.a, $.b)))",
               {"a": "x", "b": "y"}) == "x:y"
