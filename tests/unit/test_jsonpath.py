"""ASL Paths and Reference Paths: Jayway semantics, the definite fast path, ResultPath writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_engine.errors import PathSyntaxError, StatesError
from asl_engine.query.jsonpath import (
    Path,
    PathNotFound,
    ReferencePath,
    compile_path,
    compile_reference_path,
    reference_conflict,
)
from asl_engine.query.jsontext import java_double, to_json_text
from asl_engine.query.scope import Scope
from tests.conformance.shared import CONFORMANCE

CORPUS = CONFORMANCE / "sfn"

DOC = {
    "a": {"b": [1, 2, {"x": 5}], "n": None},
    "items": [{"p": 1, "n": "a", "tags": ["t1"]}, {"p": 3, "n": "b", "tags": []}, {"n": "c"}],
    "k 1": 9,
    "str": "text",
}


def find(text: str, doc: Any = DOC) -> Any:
    return compile_path(text).find_in(doc)


@pytest.mark.parametrize(("text", "value"), [
    ("$", DOC),
    ("$.a.b[0]", 1),
    ("$.a.b[-1].x", 5),
    ("$['a']['b'][1]", 2),
    ('$["k 1"]', 9),
    ("$['k 1']", 9),
    ("$.a.n", None),
    ("$.a.b[5]", None),  # out of range reads null (Jackson), as AWS does
    ("$.a.b[-9]", None),
    ("$['a','k 1']", {"a": DOC["a"], "k 1": 9}),  # a trailing name union merges (Jayway)
    ("$['str','missing']", {"str": "text"}),
])
def test_definite_paths(text: str, value: Any) -> None:
    path = compile_path(text)
    assert path.is_definite
    assert path.find_in(DOC) == value


@pytest.mark.parametrize("text", [
    "$.missing", "$.a.missing", "$.str.x", "$.a.b.x", "$.str[0]", "$.a[0]", "$.a.b[5].x", "$.a.n.x",
])
def test_definite_paths_that_miss(text: str) -> None:
    with pytest.raises(PathNotFound) as info:
        find(text)
    assert info.value.path == text


def test_a_trailing_name_union_on_a_non_object_misses() -> None:
    with pytest.raises(PathNotFound) as info:
        find("$.str['a','b']")
    assert info.value.step is None
    assert info.value.detail == "No results for path: $.str['a','b']"


def test_strict_index_makes_out_of_range_a_miss() -> None:
    with pytest.raises(PathNotFound):
        compile_path("$.a.b[5]").find_in(DOC, strict_index=True)
    assert compile_path("$.a.b[2].x").find_in(DOC, strict_index=True) == 5


@pytest.mark.parametrize(("text", "value"), [
    ("$.items[*].p", [1, 3]),
    ("$.items[*].nope", []),
    ("$[*]", [DOC["a"], DOC["items"], 9, "text"]),
    ("$.a.*", [[1, 2, {"x": 5}], None]),
    ("$.items[0,2].n", ["a", "c"]),
    ("$.items[0:2].n", ["a", "b"]),
    ("$.items[-1:].n", ["c"]),
    ("$.items[:1].n", ["a"]),
    ("$..x", [5]),
    ("$..p", [1, 3]),
    ("$..[0]", [1, DOC["items"][0], "t1", None]),  # [0] of the empty tags reads null (Jackson)
    ("$['a','str'].b", [[1, 2, {"x": 5}]]),  # a name union before the end iterates
    ("$.items..n", ["a", "b", "c"]),
    ("$..*", None),  # checked below: every descendant, pre-order
    ("$.items[?(@.p > 1)].n", ["b"]),
    ("$.items[?(@.p >= 1 && @.n == 'b')].n", ["b"]),
    ("$.items[?(@.p == 1 || (@.n == \"c\"))].n", ["a", "c"]),
    ("$.items[?(@.p)].n", ["a", "b"]),
    ("$.items[?(!@.p)].n", ["c"]),
    ("$.items[?(@.p != 1)].n", ["b", "c"]),  # a missing field is "not equal"
    ("$.items[?(@.p < $.a.b[1])].n", ["a"]),
    ("$.items[?(@.n in ['a', 'c'])].n", ["a", "c"]),
    ("$.items[?(@.n nin ['a'])].n", ["b", "c"]),
    ("$.items[?(@.n =~ /A|C/i)].n", ["a", "c"]),
    ("$.items[?(@.tags size 1)].n", ["a"]),
    ("$.items[?(@.tags empty true)].n", ["b"]),
    ("$.items[?(@.tags subsetof ['t1', 't2'])].n", ["a", "b"]),
    ("$.items[?(@.tags anyof ['t1'])].n", ["a"]),
    ("$.items[?(@.tags noneof ['t1'])].n", ["b"]),
    ("$.items[?(@.n > 'a')].n", ["b", "c"]),
    ("$.items[?(@.p > 'a')].n", []),  # mixed types never order
    ("$.a[?(@.n == null)]", [DOC["a"]]),  # on an object, the filter tests the object itself
    ("$..[?(@.x)]", [{"x": 5}]),
])
def test_indefinite_paths(text: str, value: Any) -> None:
    path = compile_path(text)
    assert not path.is_definite
    if value is not None:
        assert path.find_in(DOC) == value


def test_recursive_descent_order() -> None:
    doc = {"a": {"b": 1}, "c": [2, {"d": 3}]}
    assert find("$..*", doc) == [{"b": 1}, [2, {"d": 3}], 1, 2, {"d": 3}, 3]


def test_indefinite_paths_on_empty_or_scalar_documents() -> None:
    assert find("$[*]", {}) == []
    assert find("$[*]", "text") == []
    assert find("$..x", None) == []
    assert find("$[?(@.a == 1)]", [{"a": 1}, {"a": 2}, 3]) == [{"a": 1}]


def test_filter_literals() -> None:
    doc = [{"v": 1.5}, {"v": -2}, {"v": [1, 2]}, {"v": {"k": 1}}, {"v": True}, {"v": 1}]
    assert find("$[?(@.v == 1.5)]", doc) == [doc[0]]
    assert find("$[?(@.v < 0)]", doc) == [doc[1]]
    assert find("$[?(@.v == [1, 2])]", doc) == [doc[2]]
    assert find('$[?(@.v == {"k": 1})]', doc) == [doc[3]]
    assert find("$[?(@.v == true)]", doc) == [doc[4]]
    assert find("$[?(@.v == 1)]", doc) == [doc[5]]  # true is not 1
    assert find("$[?(@.v in [1.5, true])]", doc) == [doc[0], doc[4]]


def test_roots() -> None:
    scope = Scope({"in": 1}, context={"Execution": {"Id": "e"}}, variables={"var": {"f": [7]}, "x": 0})
    assert compile_path("$.in").find(scope) == 1
    assert compile_path("$$.Execution.Id").find(scope) == "e"
    assert compile_path("$$").find(scope) == {"Execution": {"Id": "e"}}
    assert compile_path("$var.f[0]").find(scope) == 7
    assert compile_path("$x").find(scope) == 0
    with pytest.raises(PathNotFound):
        compile_path("$nope.f").find(scope)
    assert compile_path("$.in").find_in({"in": 2}) == 2


def test_context_is_only_built_when_read() -> None:
    built = []
    scope = Scope({"a": 1}, make_context=lambda: built.append(1) or {"x": 2})
    assert compile_path("$.a").find(scope) == 1
    assert built == []
    assert compile_path("$$.x").find(scope) == 2


def test_functions_are_field_names_so_they_miss_at_run_time() -> None:
    """AWS accepts ``$.Jobs.sum()`` and then fails: it is not a function there."""
    with pytest.raises(PathNotFound):
        find("$.Jobs.sum()", {"Jobs": [1, 2]})


@pytest.mark.parametrize("text", [
    "", "a", "$.", "$..", "$[", "$['a", "$[a]", "$[1:2:3]", "$[1", "$.a b", "$.a[?(@.x >)]",
    "$.a[?(@.x == 1]", "$.a[?(@.x ~ 1)]", "$[?(1)]", "$.a[?(@.x =~ /unterminated)]", "$.a[?(@.x =~ /(/)]",
    '$.a[?(@.x == {"k": )]', "$.a[?(@.x in [1 2])]",
])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(text)


def test_compile_is_cached_and_immutable_objects_are_shared() -> None:
    assert compile_path("$.a.b") is compile_path("$.a.b")
    path = compile_path("$.a.b")
    assert isinstance(path, Path) and path.text == "$.a.b" and "$.a.b" in repr(path)


# --- Reference paths -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["$", "$.a", "$.a.b[0]", "$['a b'].c", "$$.Execution.Input", "$var.x"])
def test_reference_paths(text: str) -> None:
    assert isinstance(compile_reference_path(text), ReferencePath)


@pytest.mark.parametrize("text", ["$.a[*]", "$..a", "$.a[?(@.x)]", "$.a[1:2]", "$['a','b']", "$.a[0,1]"])
def test_reference_paths_must_be_simple(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_reference_path(text)


def test_set_copies_only_the_containers_on_the_path() -> None:
    doc = {"a": {"b": 1, "keep": {"deep": [1]}}, "other": [1, 2]}
    out = compile_reference_path("$.a.b").set(doc, 2)
    assert out == {"a": {"b": 2, "keep": {"deep": [1]}}, "other": [1, 2]}
    assert doc["a"]["b"] == 1  # untouched
    assert out["other"] is doc["other"] and out["a"]["keep"] is doc["a"]["keep"]


def test_set_creates_missing_objects_and_replaces_the_root() -> None:
    assert compile_reference_path("$.x.y.z").set({"a": 1}, 5) == {"a": 1, "x": {"y": {"z": 5}}}
    assert compile_reference_path("$").set({"a": 1}, [1]) == [1]
    assert compile_reference_path("$.a.n.z").set({"a": {"n": None}}, 1) == {"a": {"n": {"z": 1}}}
    assert compile_reference_path("$.l[1]").set({"l": [0, 0]}, 9) == {"l": [0, 9]}
    assert compile_reference_path("$.l[-1].k").set({"l": [{}, {}]}, 9) == {"l": [{}, {"k": 9}]}


@pytest.mark.parametrize(("text", "doc", "cause"), [
    ("$.aggregated", [1, 2], 'Unable to apply step "aggregated" to input [1,2]'),  # Parallel output
    ("$.a.b", {"a": [1]}, 'Unable to apply step "b" to input {"a":[1]}'),
    ("$.l[2]", {"l": [1]}, 'Unable to apply step "2" to input {"l":[1]}'),
    ("$.a[0]", {"a": {}}, 'Unable to apply step "0" to input {"a":{}}'),
    ("$.p", '{"min_size":1}', 'Unable to apply ReferencePath $.p to input "{\\"min_size\\":1}"'),
    ("$.x", None, "Unable to apply ReferencePath $.x to input null"),
])
def test_set_failures_are_reference_path_conflicts(text: str, doc: Any, cause: str) -> None:
    with pytest.raises(StatesError) as info:
        compile_reference_path(text).set(doc, 1)
    assert (info.value.error, info.value.cause) == ("States.ReferencePathConflict", cause)


def test_items_path_miss_as_a_reference_conflict() -> None:
    doc = {"discovery": {"statusCode": 500}}
    with pytest.raises(PathNotFound) as info:
        compile_reference_path("$.discovery.objects").find_in(doc)
    error = reference_conflict(info.value.step, doc)
    assert error.error == "States.ReferencePathConflict"
    assert error.cause == 'Unable to apply step "objects" to input {"discovery":{"statusCode":500}}'


def test_set_only_writes_the_input() -> None:
    with pytest.raises(ValueError):
        compile_reference_path("$$.Execution").set({}, 1)


# --- JSON text -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1.0"), (0.0, "0.0"), (-0.0, "-0.0"), (1.5, "1.5"), (100.0, "100.0"), (9999999.0, "9999999.0"),
    (1e7, "1.0E7"), (1.5e10, "1.5E10"), (12345678.9, "1.23456789E7"), (0.001, "0.001"),
    (0.0001, "1.0E-4"), (-2.5e-7, "-2.5E-7"), (1e21, "1.0E21"),
])
def test_java_double(value: float, text: str) -> None:
    assert java_double(value) == text


def test_to_json_text() -> None:
    text = '{"a":[1,2.0,null,true,"x\\"y"],"b":{}}'
    assert to_json_text({"a": [1, 2.0, None, True, "x\"y"], "b": {}}) == text
    with pytest.raises(TypeError):
        to_json_text({1, 2})


# --- every path AWS accepted in the recorded corpus compiles -------------------------------------

_PATH_FIELDS = {"InputPath", "OutputPath", "ItemsPath", "Variable", "SecondsPath", "TimestampPath",
                "TimeoutSecondsPath", "HeartbeatSecondsPath", "MaxConcurrencyPath"}


def _corpus_paths() -> list[str]:
    paths: list[str] = []

    def visit(node: Any, jsonata: bool) -> None:
        if isinstance(node, dict):
            jsonata = node.get("QueryLanguage", "JSONata" if jsonata else "JSONPath") == "JSONata"
            for key, value in node.items():
                path_field = key in _PATH_FIELDS or key.endswith(".$") or (
                    key.endswith("Path") and key != "ResultPath")
                if not jsonata and path_field and isinstance(value, str) and value.startswith("$"):
                    paths.append(value)
                visit(value, jsonata)
        elif isinstance(node, list):
            for item in node:
                visit(item, jsonata)

    for file in sorted(CORPUS.glob("*/*.json")):
        definition = json.loads(file.read_text())["definition"]
        try:
            visit(json.loads(definition), False)
        except ValueError:
            continue  # a definition that is deliberately not JSON
    return paths


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent")
def test_every_path_in_the_aws_corpus_compiles() -> None:
    paths = _corpus_paths()
    assert len(paths) > 300
    for text in paths:
        compile_path(text)


@pytest.mark.parametrize(("text", "cause"), [
    ("$.Payload", "Invalid path '$.Payload' : No results for path: $['Payload']"),  # recorded on AWS
    ("$.a.missing.x", "Invalid path '$.a.missing.x' : Missing property in path $['a']['missing']"),
    ("$.a.b[0][1]", "Invalid path '$.a.b[0][1]' : Filter: [1] can only be applied to arrays. "
                    "Current context is: 1"),
    ("$.a.b[7][0]", "Invalid path '$.a.b[7][0]' : The path $['a']['b'][7] is null"),
    ("$.str.x", "Invalid path '$.str.x' : Expected to find an object with property ['x'] in path $['str'] "
                "but found 'com.fasterxml.jackson.databind.node.TextNode'. This is not a json object "
                "according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'."),
])
def test_miss_details_are_jayways(text: str, cause: str) -> None:
    with pytest.raises(PathNotFound) as info:
        find(text)
    assert info.value.aws_cause == cause == str(info.value)


@pytest.mark.parametrize(("value", "node"), [
    ([1], "ArrayNode"), (True, "BooleanNode"), (1, "IntNode"), (2**40, "LongNode"), (1.5, "DoubleNode"),
    (None, "NullNode"),
])
def test_miss_names_the_jackson_node_found(value: Any, node: str) -> None:
    with pytest.raises(PathNotFound) as info:
        find("$.v.x", {"v": value})
    assert f"but found 'com.fasterxml.jackson.databind.node.{node}'" in info.value.detail
    assert info.value.step == "x"
