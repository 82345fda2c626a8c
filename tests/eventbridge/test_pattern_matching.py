"""Matching semantics of every operator, AWS's array rules, and the shared multi-rule matcher."""

from __future__ import annotations

import functools
import json
import random

import pytest

from asl_engine.eventbridge.errors import ValidationError
from asl_engine.eventbridge.patterns import CompiledPattern, EventMatcher, compile_pattern, test_event_pattern
from asl_engine.eventbridge.patterns.flatten import flatten
from asl_engine.eventbridge.patterns.model import Exists

ENVELOPE = {
    "id": "1",
    "source": "src",
    "detail-type": "dt",
    "account": "123456789012",
    "region": "us-east-1",
    "time": "2024-01-01T00:00:00Z",
    "resources": [],
}


def matches(pattern: dict, **fields: object) -> bool:
    return test_event_pattern(json.dumps(pattern), json.dumps({**ENVELOPE, **fields}))


CASES = [
    # exact values, null, empty string, booleans, numbers
    ({"detail": {"a": ["x"]}}, {"detail": {"a": "x"}}, True),
    ({"detail": {"a": ["x"]}}, {"detail": {"a": "X"}}, False),
    ({"detail": {"a": ["x", "y"]}}, {"detail": {"a": "y"}}, True),
    ({"detail": {"a": [None]}}, {"detail": {"a": None}}, True),
    ({"detail": {"a": [None]}}, {"detail": {"a": "null"}}, False),
    ({"detail": {"a": [None]}}, {"detail": {}}, False),
    ({"detail": {"a": [""]}}, {"detail": {"a": ""}}, True),
    ({"detail": {"a": [""]}}, {"detail": {"a": None}}, False),
    ({"detail": {"a": [True]}}, {"detail": {"a": True}}, True),
    ({"detail": {"a": [True]}}, {"detail": {"a": 1}}, False),
    ({"detail": {"a": [1]}}, {"detail": {"a": True}}, False),
    ({"detail": {"a": [300]}}, {"detail": {"a": 300.0}}, True),
    ({"detail": {"a": [3.0e2]}}, {"detail": {"a": 300}}, True),
    ({"detail": {"a": [300]}}, {"detail": {"a": "300"}}, False),
    ({"detail": {"a": ["300"]}}, {"detail": {"a": 300}}, False),
    ({"detail": {"a": [0.1234567]}}, {"detail": {"a": 0.1234568}}, True),  # six decimal places
    ({"detail": {"a": [123456789012]}}, {"detail": {"a": 123456789012}}, True),  # beyond 5e9: literal
    ({"detail": {"a": ["x"]}}, {"detail": {"a": {"b": "x"}}}, False),
    ({"detail": {"a": ["x"]}}, {"detail": '{"a": "x"}'}, False),
    ({"MY_KEY": ["v"]}, {"my_key": "v"}, False),
    ({"detail": {"a": ["10.0.0.1"]}}, {"detail": {"a": "10.0.0.1"}}, True),
    ({"detail": {"a": ["2001:db8::1"]}}, {"detail": {"a": "2001:0db8:0:0:0:0:0:1"}}, True),
    # arrays: any element, and intersections
    ({"detail": {"a": ["x"]}}, {"detail": {"a": ["y", "x"]}}, True),
    ({"detail": {"a": ["x", "z"]}}, {"detail": {"a": ["y", "w"]}}, False),
    ({"detail": {"a": [None]}}, {"detail": {"a": []}}, False),
    ({"detail": {"a": ["x"]}}, {"detail": {"a": [["x"]]}}, True),
    # prefix / suffix / equals-ignore-case and combinations
    ({"detail": {"a": [{"prefix": "ab"}]}}, {"detail": {"a": "abc"}}, True),
    ({"detail": {"a": [{"prefix": "ab"}]}}, {"detail": {"a": "Abc"}}, False),
    ({"detail": {"a": [{"prefix": ""}]}}, {"detail": {"a": ""}}, True),
    ({"detail": {"a": [{"prefix": "1"}]}}, {"detail": {"a": 12}}, False),
    ({"detail": {"a": [{"prefix": {"equals-ignore-case": "AB"}}]}}, {"detail": {"a": "abC"}}, True),
    ({"detail": {"a": [{"suffix": ".png"}]}}, {"detail": {"a": "x.png"}}, True),
    ({"detail": {"a": [{"suffix": ".PNG"}]}}, {"detail": {"a": "x.png"}}, False),
    ({"detail": {"a": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, {"detail": {"a": "x.png"}}, True),
    ({"detail": {"a": [{"equals-ignore-case": "ÄBC"}]}}, {"detail": {"a": "äbc"}}, True),
    ({"detail": {"a": [{"equals-ignore-case": "x"}]}}, {"detail": {"a": ["Y", "X"]}}, True),
    # wildcard
    ({"detail": {"a": [{"wildcard": "dir/*.png"}]}}, {"detail": {"a": "dir/a/b.png"}}, True),
    ({"detail": {"a": [{"wildcard": "dir/*.png"}]}}, {"detail": {"a": "dir/a/b.jpg"}}, False),
    ({"detail": {"a": [{"wildcard": "a\\*b"}]}}, {"detail": {"a": "a*b"}}, True),
    ({"detail": {"a": [{"wildcard": "a\\*b"}]}}, {"detail": {"a": "axb"}}, False),
    ({"detail": {"a": [{"wildcard": "a\\\\b"}]}}, {"detail": {"a": "a\\b"}}, True),
    ({"detail": {"a": [{"wildcard": "*"}]}}, {"detail": {"a": ""}}, True),
    ({"detail": {"a": [{"wildcard": "*"}]}}, {"detail": {"a": 5}}, False),
    # anything-but
    ({"detail": {"a": [{"anything-but": "x"}]}}, {"detail": {"a": "y"}}, True),
    ({"detail": {"a": [{"anything-but": "x"}]}}, {"detail": {"a": "x"}}, False),
    ({"detail": {"a": [{"anything-but": "x"}]}}, {"detail": {"a": None}}, True),
    ({"detail": {"a": [{"anything-but": "x"}]}}, {"detail": {}}, False),
    ({"detail": {"a": [{"anything-but": ["x", "y"]}]}}, {"detail": {"a": "y"}}, False),
    ({"detail": {"a": [{"anything-but": [100, 200]}]}}, {"detail": {"a": 100.0}}, False),
    ({"detail": {"a": [{"anything-but": [100, 200]}]}}, {"detail": {"a": "100"}}, True),
    ({"detail": {"a": [{"anything-but": "101"}]}}, {"detail": {"a": 101}}, True),
    ({"detail": {"a": [{"anything-but": {"prefix": "init"}}]}}, {"detail": {"a": "initial"}}, False),
    ({"detail": {"a": [{"anything-but": {"prefix": ["init", "x"]}}]}}, {"detail": {"a": 12}}, True),
    ({"detail": {"a": [{"anything-but": {"suffix": ".txt"}}]}}, {"detail": {"a": "a.txt.bak"}}, True),
    ({"detail": {"a": [{"anything-but": {"suffix": ".txt"}}]}}, {"detail": {"a": None}}, True),
    (
        {"detail": {"a": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}},
        {"detail": {"a": "B"}},
        False,
    ),
    ({"detail": {"a": [{"anything-but": {"equals-ignore-case": "a"}}]}}, {"detail": {"a": "c"}}, True),
    ({"detail": {"a": [{"anything-but": {"wildcard": "*/init/*"}}]}}, {"detail": {"a": "d/init/f"}}, False),
    ({"detail": {"a": [{"anything-but": {"wildcard": "*/init/*"}}]}}, {"detail": {"a": "d/f"}}, True),
    ({"detail": {"a": [{"anything-but": "x"}]}}, {"detail": {"a": ["x", "y"]}}, True),
    # numeric
    ({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"n": 5}}, True),
    ({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"n": 0}}, False),
    ({"detail": {"n": [{"numeric": [">=", 0, "<", 5]}]}}, {"detail": {"n": 0}}, True),
    ({"detail": {"n": [{"numeric": [">=", 0, "<", 5]}]}}, {"detail": {"n": 5}}, False),
    ({"detail": {"n": [{"numeric": ["=", 301.8]}]}}, {"detail": {"n": 301.8}}, True),
    ({"detail": {"n": [{"numeric": ["<", 10]}]}}, {"detail": {"n": -4.9e9}}, True),
    ({"detail": {"n": [{"numeric": ["<", 10]}]}}, {"detail": {"n": -6e9}}, False),
    ({"detail": {"n": [{"numeric": [">", 100]}]}}, {"detail": {"n": "300"}}, False),
    ({"detail": {"n": [{"numeric": [">", 100]}]}}, {"detail": {"n": None}}, False),
    ({"detail": {"n": [{"numeric": [">", 100]}]}}, {"detail": {"n": [5, 101]}}, True),
    # cidr
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"detail": {"ip": "10.0.0.255"}}, True),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"detail": {"ip": "10.0.1.0"}}, False),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"detail": {"ip": "not-an-ip"}}, False),
    (
        {"detail": {"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}},
        {"detail": {"ip": "2001:db8:1234:1a00::9"}},
        True,
    ),
    ({"detail": {"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}}, {"detail": {"ip": "10.0.0.1"}}, False),
    # exists (leaves only)
    ({"detail": {"a": [{"exists": True}]}}, {"detail": {"a": None}}, True),
    ({"detail": {"a": [{"exists": True}]}}, {"detail": {"a": {"b": 1}}}, False),
    ({"detail": {"a": [{"exists": True}]}}, {"detail": {"a": []}}, False),
    ({"detail": {"a": [{"exists": False}]}}, {"detail": {"b": 1}}, True),
    ({"detail": {"a": [{"exists": False}]}}, {"detail": {"a": "v"}}, False),
    ({"detail": {"a": [{"exists": False}]}}, {}, True),
    ({"detail": {"a": [{"exists": False}]}}, {"detail": {"a": {"b": 1}}}, True),
    ({"detail": {"a": [{"anything-but": "r"}, {"exists": False}]}}, {"detail": {}}, True),
    # $or
    ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": "2"}, True),
    ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": "1"}, False),
    (
        {"source": ["src"], "detail": {"$or": [{"x": [1]}, {"y": [{"numeric": ["<", 0]}]}]}},
        {"detail": {"y": -1}},
        True,
    ),
    # fields of one rule must come from the same element of an array of objects
    (
        {"detail": {"people": {"first": ["Anna"], "last": ["Jones"]}}},
        {"detail": {"people": [{"first": "Anna", "last": "Smith"}, {"first": "John", "last": "Jones"}]}},
        False,
    ),
    (
        {"detail": {"people": {"first": ["Anna"], "last": ["Jones"]}}},
        {"detail": {"people": [{"first": "John", "last": "Smith"}, {"first": "Anna", "last": "Jones"}]}},
        True,
    ),
    # absence is judged on the whole event, not per array element
    (
        {"detail": {"items": {"a": [{"exists": False}], "b": ["y"]}}},
        {"detail": {"items": [{"b": "y"}, {"a": "x"}]}},
        False,
    ),
    (
        {"detail": {"people": {"first": ["Anna"]}, "k": ["v"]}},
        {"detail": {"people": [{"first": "Anna"}], "k": "v"}},
        True,
    ),
]


@pytest.mark.parametrize(("pattern", "fields", "expected"), CASES, ids=[json.dumps(c[0])[:60] for c in CASES])
def test_operator(pattern: dict, fields: dict, expected: bool) -> None:
    assert matches(pattern, **fields) is expected


@pytest.mark.parametrize(
    "event",
    [
        '["plain string"]',
        '{"testEvent": "value"}',
        "not json",
        json.dumps({k: v for k, v in ENVELOPE.items() if k != "time"}),
    ],
)
def test_unusable_events_are_refused(event: str) -> None:
    with pytest.raises(ValidationError) as caught:
        test_event_pattern('{"source": ["x"]}', event)
    assert (caught.value.code, caught.value.message) == (
        "ValidationException",
        "Parameter Event is not valid.",
    )


def test_resources_is_not_required() -> None:
    event = {k: v for k, v in ENVELOPE.items() if k != "resources"}
    assert test_event_pattern('{"source": ["src"]}', json.dumps(event))


# -- the shared matcher -------------------------------------------------------------------
def test_add_remove_replace() -> None:
    matcher = EventMatcher()
    matcher.add_rule("a", '{"source": ["src"]}')
    matcher.add_rule("b", '{"detail-type": [{"prefix": "d"}]}')
    assert matcher.matching_rules(ENVELOPE) == {"a", "b"}
    matcher.remove_rule("a")
    assert matcher.matching_rules(ENVELOPE) == {"b"} and "a" not in matcher and len(matcher) == 1
    matcher.add_rule("b", '{"detail-type": ["other"]}')  # replacing drops the old pattern
    assert matcher.matching_rules(ENVELOPE) == set()
    matcher.add_rule("a", compile_pattern('{"region": ["us-east-1"]}'))
    assert matcher.matching_rules_json(json.dumps(ENVELOPE)) == {"a"}
    with pytest.raises(KeyError):
        matcher.remove_rule("missing")


def test_many_removals_trigger_a_rebuild_that_keeps_the_rest() -> None:
    matcher = EventMatcher()
    for i in range(300):
        matcher.add_rule(i, json.dumps({"detail": {"n": [i]}}))
    for i in range(0, 300, 2):
        matcher.remove_rule(i)
    assert all(matcher.matching_rules({"detail": {"n": i}}) == ({i} if i % 2 else set()) for i in range(300))


@functools.cache
def _compiled(pattern: str) -> CompiledPattern:
    return compile_pattern(pattern)


def _reference(pattern: str, event: dict) -> bool:
    """Per-rule evaluation straight from the value patterns' semantics (no shared states)."""
    leaves = flatten(event)
    for branch in _compiled(pattern).branches:
        ok = True
        for path, values in branch.items():
            found = leaves.get(path)
            if found is None:
                ok = any(isinstance(v, Exists) and not v.present for v in values)
            else:
                ok = any(
                    v.matches(leaf)
                    for leaf, _ in found
                    for v in values
                    if not (isinstance(v, Exists) and not v.present)
                )
            if not ok:
                break
        if ok:
            return True
    return False


FIELD_CHOICES = {
    "source": [["a"], ["a", "b"], ["c"], [{"prefix": "a"}], [{"anything-but": "b"}]],
    "detail.state": [
        ["on"],
        ["off", "on"],
        [{"anything-but": ["on"]}],
        [{"exists": False}],
        [{"equals-ignore-case": "ON"}],
        [{"wildcard": "o*"}],
        [{"suffix": "f"}],
    ],
    "detail.n": [
        [1],
        [{"numeric": [">", 2]}],
        [{"numeric": [">=", 0, "<", 3]}],
        [{"exists": True}],
        [{"anything-but": [1, 2]}],
        [2.0],
    ],
    "detail.ip": [[{"cidr": "10.0.0.0/8"}], ["10.1.2.3"], [{"anything-but": {"prefix": "10."}}]],
    "detail.tags": [["x"], ["y", "z"], [{"exists": True}]],
}
EVENT_CHOICES = {
    "source": ["a", "b", "c", "ab"],
    "detail.state": ["on", "off", "ON", None, "_missing"],
    "detail.n": [0, 1, 2, 2.5, 3, "1", None, "_missing"],
    "detail.ip": ["10.1.2.3", "11.0.0.1", "x", "_missing"],
    "detail.tags": [[], ["x"], ["y", "x"], ["q"], "_missing"],
}


def _nest(flat: dict) -> dict:
    out: dict = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


def test_shared_matcher_agrees_with_per_rule_evaluation() -> None:
    rng = random.Random(7)
    patterns = {}
    for i in range(400):
        fields = rng.sample(sorted(FIELD_CHOICES), rng.randint(1, 3))
        flat = {f: rng.choice(FIELD_CHOICES[f]) for f in fields}
        if rng.random() < 0.2 and len(fields) >= 2:
            a, b = fields[:2]
            flat = {"$or": [_nest({a: flat.pop(a)}), _nest({b: flat.pop(b)})], **flat}
        patterns[i] = json.dumps(_nest(flat))
    matcher = EventMatcher()
    for i, pattern in patterns.items():
        matcher.add_rule(i, pattern)
    for _ in range(200):
        flat = {f: rng.choice(v) for f, v in EVENT_CHOICES.items()}
        event = _nest({k: v for k, v in flat.items() if v != "_missing"})
        expected = {i for i, p in patterns.items() if _reference(p, event)}
        assert matcher.matching_rules(event) == expected, event


# exists: false is absent from this list: AWS tests absence on the whole event, not per element.
ITEM_CHOICES = [
    ["x"],
    ["y"],
    [{"prefix": "x"}],
    [{"numeric": [">", 1]}],
    [{"anything-but": "x"}],
    [{"exists": True}],
    [{"numeric": ["<", 1]}, {"numeric": [">", 5]}],
]


def test_array_elements_and_removals_agree_with_a_per_element_reference() -> None:
    """Rules on two fields of an array of objects, checked element by element; rules come and go."""
    rng = random.Random(11)

    def make_pattern() -> str:
        fields = {f"detail.items.{k}": rng.choice(ITEM_CHOICES) for k in rng.sample(["a", "b"], rng.randint(1, 2))}
        if rng.random() < 0.5:
            fields["source"] = rng.choice(FIELD_CHOICES["source"])
        return json.dumps(_nest(fields))

    def reference(pattern: str, event: dict) -> bool:
        items = event["detail"]["items"]
        views = [{**event, "detail": {"items": item}} for item in items] or [{**event, "detail": {}}]
        return any(_reference(pattern, view) for view in views)

    patterns = {i: make_pattern() for i in range(300)}
    matcher = EventMatcher()
    for i, pattern in patterns.items():
        matcher.add_rule(i, pattern)
    for round_ in range(3):
        for i in rng.sample(sorted(patterns), 60):  # replace some, drop some
            if rng.random() < 0.5:
                matcher.remove_rule(i)
                del patterns[i]
            else:
                patterns[i] = make_pattern()
                matcher.add_rule(i, patterns[i])
        for j in range(10):
            patterns[1000 * (round_ + 1) + j] = make_pattern()
            matcher.add_rule(1000 * (round_ + 1) + j, patterns[1000 * (round_ + 1) + j])
        for _ in range(80):
            items = [
                {k: rng.choice(["x", "xy", "y", 0, 3, 7, None]) for k in rng.sample(["a", "b"], rng.randint(0, 2))}
                for _ in range(rng.randint(0, 3))
            ]
            event = {"source": rng.choice(["a", "b", "c"]), "detail": {"items": items}}
            expected = {i for i, p in patterns.items() if reference(p, event)}
            assert matcher.matching_rules(event) == expected, event


def test_numeric_segment_table_matches_range_semantics() -> None:
    """Many overlapping ranges on one field, including bounds that coincide at six decimals."""
    rng = random.Random(3)
    bounds = [-1, 0, 0.5, 1, 1.0000001, 1.0000002, 2, 10]
    patterns = {}
    for i in range(120):
        low, high = sorted(rng.sample(bounds, 2))
        kind = rng.choice([[">", low, "<", high], [">=", low, "<=", high], [">", low], ["<=", high], ["=", low]])
        patterns[i] = json.dumps({"n": [{"numeric": kind}]})
    matcher = EventMatcher()
    for i, pattern in patterns.items():
        matcher.add_rule(i, pattern)
    for value in [*bounds, -2, 0.25, 1.00000015, 5, 11]:
        event = {"n": value}
        assert matcher.matching_rules(event) == {i for i, p in patterns.items() if _reference(p, event)}, value
