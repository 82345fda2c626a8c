"""The C walk (_walk.c, built by native.py) answers exactly as the Python walk it replaces.

Each test runs one EventMatcher with the C walk and one with ``native=False``
(branches.py's Python walk, the reference) over the same rules and events:
the random ones of test_matcher_internals, values chosen to land on the C
walk's own paths (prefixes, suffixes, one-star wildcards, IPv4 and IPv6 text,
numbers on and around range bounds and beyond 5e9, arrays of objects), and the
shared benchmark's workload. The extension must be built: this imports it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl_engine.eventbridge.patterns import EventMatcher, _walk, native
from tests.eventbridge.test_matcher_internals import _event, _pattern

WORKLOAD = Path(__file__).resolve().parents[3] / "shared" / "bench" / "events" / "events_bench.py"

C_CONDITIONS = [
    [{"prefix": "ab"}, {"prefix": "abc"}],
    [{"suffix": ".jpg"}, {"suffix": ""}],
    [{"wildcard": "a*c"}, {"wildcard": "*@x.io"}],
    [{"wildcard": "ab*bc"}],  # start and end may not overlap
    [{"prefix": "\u00e9"}, {"suffix": "\u2713"}, {"wildcard": "a*\U0001f600"}],  # wider kinds than ASCII
    [{"anything-but": ["abc", "x"]}],
    [{"anything-but": {"prefix": "ab"}}],  # scanned: called back
    [{"equals-ignore-case": "ABC"}],  # called back
    [{"cidr": "10.0.0.0/8"}, {"cidr": "192.168.1.0/24"}],
    [{"cidr": "2001:db8::/32"}],  # IPv6: called back
    ["10.0.0.1"],
    [{"numeric": [">=", 0, "<", 10]}],
    [{"numeric": [">", 2.5, "<=", 2.5000001]}],
    [{"numeric": ["<", -4999999999]}],
    [{"numeric": ["<", 1]}, {"numeric": [">", 5]}],  # several ranges: scanned, called back
    [{"anything-but": [1, 2.5]}],
    [0, 10, 5e9],
    [{"exists": True}],
    [{"exists": False}],
    [True, None, "abc"],
]
C_VALUES: list[object] = [
    "abc", "ab", "a", "", "abcbc", "abbc", "ABC", "pic.jpg", ".jpg", "x@x.io", "@x.io", "x",
    "ab\u2713", "\u00e9a", "abc\U0001f600", "\u00e9\u2713",
    "10.0.0.1", "10.00.0.01", "10.1.2.3", "10.0.0.256", "192.168.1.77", "1.2.3", "1.2.3.4.5", "::1",
    "2001:db8::1", "2001:db8:zz::1", "fe80::", "\u0661\u0660.\u0660.\u0660.\u0661",  # Arabic-Indic digits: no IPv4
    0, 0.0, -0.0, 1, 2.5, 2.5000001, 2.50000005, 10, 9.9999999, 5e9, 5000000000.5, -5e9, -4999999999.5,
    2**70, -(2**70), 1e300, True, False, None,
]  # fmt: skip
C_PATHS = ["source", "detail.v", "detail.w", "detail.items.v", "detail.items.w", "detail.more.v"]


def _c_pattern(rng: random.Random) -> str:
    paths = rng.sample(C_PATHS, rng.randint(1, 3))
    pattern: dict = {}
    for path in paths:
        node = pattern
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = rng.choice(C_CONDITIONS)
    return json.dumps(pattern)


def _c_value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if roll < 0.55 or depth > 2:
        return rng.choice(C_VALUES)
    if roll < 0.7:
        return [rng.choice(C_VALUES) for _ in range(rng.randint(0, 3))]
    if roll < 0.85:
        return {key: _c_value(rng, depth + 1) for key in rng.sample(["v", "w", "items"], rng.randint(0, 3))}
    return [_c_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]  # arrays of objects, nested arrays


def _c_event(rng: random.Random) -> dict:
    event: dict = {"source": _c_value(rng)}
    if rng.random() < 0.9:
        keys = rng.sample(["v", "w", "items", "more"], rng.randint(0, 4))
        event["detail"] = {key: _c_value(rng) for key in keys}
    return event


def _agree(rules: dict[int, str], events: list[dict], churn: random.Random | None = None) -> None:
    fast, slow = EventMatcher(), EventMatcher(native=False)
    for rule_id, pattern in rules.items():
        fast.add_rule(rule_id, pattern)
        slow.add_rule(rule_id, pattern)
    for round_ in range(3 if churn else 1):
        for event in events + events:  # twice: the second time from the caches
            assert fast.matching_rules(event) == slow.matching_rules(event), (event, rules)
        if churn:  # removals and replacements: the C walk is rebuilt
            for rule_id in churn.sample(sorted(rules), len(rules) // 4):
                fast.remove_rule(rule_id)
                slow.remove_rule(rule_id)
                del rules[rule_id]
            rules[1000 + round_] = _c_pattern(churn)
            fast.add_rule(1000 + round_, rules[1000 + round_])
            slow.add_rule(1000 + round_, rules[1000 + round_])
    assert fast._index._walker is not None and slow._index._walker is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32))
def test_c_walk_equals_python_walk_on_the_internal_generators(seed: int) -> None:
    rng = random.Random(seed)
    _agree({i: _pattern(rng) for i in range(40)}, [_event(rng) for _ in range(20)], churn=rng)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32))
def test_c_walk_equals_python_walk_on_its_own_paths(seed: int) -> None:
    rng = random.Random(seed)
    _agree({i: _c_pattern(rng) for i in range(30)}, [_c_event(rng) for _ in range(25)], churn=rng)


def test_c_walk_equals_python_walk_on_the_shared_workload() -> None:
    if not WORKLOAD.is_file():
        pytest.skip(f"the shared workload generator is not here ({WORKLOAD})")
    spec = importlib.util.spec_from_file_location("events_bench", WORKLOAD)
    workload = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(workload)  # type: ignore[union-attr]
    rules = workload.generate_rules(800, 7)
    events = [json.loads(e["json"]) for e in workload.generate_events(rules, 300, 8, 0.5)]
    _agree({r["name"]: r["pattern_json"] for r in rules}, events)


def test_values_json_cannot_carry_agree_too() -> None:
    """NaN, infinities and str subclasses reach the matcher from Python-built events; the C walk calls back."""

    class Text(str):
        pass

    rules = {i: json.dumps({"detail": {"v": condition}}) for i, condition in enumerate(C_CONDITIONS)}
    events = [{"detail": {"v": value}} for value in (math.nan, math.inf, -math.inf, Text("abc"), Text("10.0.0.1"))]
    _agree(rules, events)


def test_arrays_of_objects_walked_in_c_and_handed_to_python_agree() -> None:
    """A field alone below an array of objects is walked in C; two fields there go to Python (same-element check);
    both in one event, or two such arrays, fall back to flattening the whole event."""
    rules = {
        "solo": '{"detail": {"more": {"v": ["abc"]}}}',
        "solo-absent": '{"detail": {"more": {"v": [{"exists": false}]}}}',
        "pair": '{"detail": {"items": {"v": ["abc"], "w": [1]}}}',
        "solo-and-pair": '{"detail": {"more": {"v": ["abc"]}, "items": {"v": ["abc"]}}}',
        "other-solo": '{"detail": {"w": {"x": [1]}}}',
    }
    more = [[{"v": "abc"}], [{"v": "x"}, "abc"], [[]], [{}], [[{"v": "abc"}]], []]
    items = [[{"v": "abc", "w": 1}], [{"v": "abc"}, {"w": 1}], "abc", [{"v": "abc"}]]
    events = [{"detail": {"more": m}} for m in more] + [{"detail": {"items": i}} for i in items]
    events += [{"detail": {"more": m, "items": i}} for m in more for i in items]
    events += [{"detail": {"more": m, "w": [{"x": 1}]}} for m in more]
    _agree(rules, events)


def test_fields_beyond_the_table_budget_leave_their_strings_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "TABLE_BUDGET", 0)
    rng = random.Random(5)
    _agree({i: _c_pattern(rng) for i in range(30)}, [_c_event(rng) for _ in range(60)])


def test_number_segments_flip_to_every_gate() -> None:
    """The segment table rebuilds, from checkpoints and flips, the gate of each point and gap."""
    matcher = EventMatcher()
    for i in range(100):  # more segments than STRIDE, so that flips accumulate
        matcher.add_rule(i, json.dumps({"v": [{"numeric": [">=", i, "<", i + 7]}]}))
    matcher.add_rule("exact", '{"v": [42.5]}')
    for value in [x / 4 for x in range(-8, 440)]:
        expected = {i for i in range(100) if i <= value < i + 7} | ({"exact"} if value == 42.5 else set())
        assert matcher.matching_rules({"v": value}) == expected, value
    assert native.STRIDE < 200


def test_the_extension_is_built() -> None:
    assert native.Walker is _walk.Walker


@given(st.text(alphabet="0123456789a\u00e9\U0001f600", max_size=80))
def test_long_digit_runs_are_spotted_as_a_regex_would(text: str) -> None:
    """The decoder's check (decode.py) for 19 digits in a row, which it samples every 19th position."""
    assert _walk.long_digit_run(text) == (re.search("[0-9]{19}", text) is not None)
    assert _walk.long_digit_run(text.encode()) == (re.search(b"[0-9]{19}", text.encode()) is not None)
