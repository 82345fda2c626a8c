"""The matcher's fast structures against plain per-rule evaluation: the trie walk, cached gates,
one-star wildcards, bit listing and the JSON decoder.

The reference below evaluates one rule at a time from the value patterns'
own ``matches`` over a full flattening of the event, with AWS's rule that
fields inside an array of objects match within one element, checked by
trying every combination of leaves.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl_engine.eventbridge.patterns import EventMatcher, compile_pattern, decode, masks
from asl_engine.eventbridge.patterns.flatten import Membership, flatten
from asl_engine.eventbridge.patterns.model import Exists

PATHS = ["source", "detail", "detail.a", "detail.b", "detail.items.a", "detail.items.b", "detail.deep.x.y"]
CONDITIONS = [
    ["x"],
    ["x", "y"],
    [1],
    [1.0, "1"],
    [True],
    [None],
    [{"prefix": "x"}],
    [{"suffix": "y"}],
    [{"equals-ignore-case": "XY"}],
    [{"wildcard": "x*"}],
    [{"wildcard": "*y"}],
    [{"wildcard": "x*y"}],
    [{"wildcard": "*"}],
    [{"wildcard": "x*y*z"}],
    [{"wildcard": "xy*yz"}],  # start and end may not overlap: "xyz" does not match
    [{"wildcard": "x\\*y"}],
    [{"numeric": [">", 0, "<=", 2]}],
    [{"numeric": ["<", 1]}, {"numeric": [">", 5]}],
    [{"anything-but": ["x", "z"]}],
    [{"anything-but": [1, 7]}],
    [{"anything-but": {"prefix": "x"}}],
    [{"exists": True}],
    [{"exists": False}],
    [{"cidr": "10.0.0.0/8"}],
]
VALUES = ["x", "y", "xy", "XY", "xyz", "xyyz", "xaybz", "x*y", "z", "", "10.1.2.3"]
VALUES += [0, 1, 1.0, 2, 7, -3, True, False, None]


def _nest(flat: dict) -> dict:
    out: dict = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return out


def _compatible(memberships: tuple[Membership, ...]) -> bool:
    chosen: dict[int, int] = {}
    for membership in memberships:
        for array, index in (membership or {}).items():
            if chosen.setdefault(array, index) != index:
                return False
    return True


def reference(pattern: str, event: dict) -> bool:
    leaves = flatten(event)
    for branch in compile_pattern(pattern).branches:
        options = []
        for path, values in branch.items():
            found = leaves.get(path)
            if found is None:
                if not any(isinstance(v, Exists) and not v.present for v in values):
                    break
                continue
            satisfying = [m for leaf, m in found if any(v.matches(leaf) for v in values)]
            if not satisfying:
                break
            options.append(satisfying)
        else:
            if any(_compatible(choice) for choice in itertools.product(*options)):
                return True
    return False


ODD_PATTERNS = ['{"detail.a": ["x"]}', '{"": {"a": ["x"]}}', '{"detail": {"": ["x"]}}', '{"": ["x"]}']
"""Keys with dots or empty: the paths they make are strings ("detail.a" either way), not trie steps."""


def _pattern(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(ODD_PATTERNS)
    # a path and its own prefix ("detail" and "detail.a") cannot both be constrained
    paths: list[str] = []
    for path in rng.sample(PATHS, rng.randint(1, 3)):
        if not any(p == path or p.startswith(path + ".") or path.startswith(p + ".") for p in paths):
            paths.append(path)
    flat = {path: rng.choice(CONDITIONS) for path in paths}
    if len(flat) >= 2 and rng.random() < 0.3:
        first, second = list(flat)[:2]
        return json.dumps({"$or": [_nest({first: flat.pop(first)}), _nest({second: flat.pop(second)})], **_nest(flat)})
    return json.dumps(_nest(flat))


def _value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if roll < 0.6 or depth > 1:
        return rng.choice(VALUES)
    if roll < 0.75:
        return [rng.choice(VALUES) for _ in range(rng.randint(0, 3))]
    if roll < 0.9:
        return {k: _value(rng, depth + 1) for k in rng.sample(["a", "b", "x"], rng.randint(0, 2))}
    return [
        {k: rng.choice(VALUES) for k in rng.sample(["a", "b"], rng.randint(0, 2))} for _ in range(rng.randint(0, 3))
    ]


def _event(rng: random.Random) -> dict:
    event: dict = {"source": _value(rng)}
    if rng.random() < 0.9:
        detail = {key: _value(rng) for key in rng.sample(["a", "b", "items", "deep"], rng.randint(0, 4))}
        event["detail"] = rng.choice([VALUES[0], detail, detail, detail, [detail]])
    roll = rng.random()
    if roll < 0.05:
        event["detail.a"] = rng.choice(VALUES)
    elif roll < 0.1:
        event[""] = {"a": rng.choice(VALUES), "detail": {"a": rng.choice(VALUES)}}
    elif roll < 0.15 and isinstance(event.get("detail"), dict):
        event["detail"]["items.a"] = [rng.choice(VALUES)]
    return event


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32))
def test_matcher_equals_per_rule_evaluation_under_churn(seed: int) -> None:
    rng = random.Random(seed)
    rules = {i: _pattern(rng) for i in range(40)}
    matcher = EventMatcher()
    for rule_id, pattern in rules.items():
        matcher.add_rule(rule_id, pattern)
    for round_ in range(3):
        events = [_event(rng) for _ in range(15)]
        for event in events:  # twice: the second time every gate comes from the caches
            expected = {i for i, p in rules.items() if reference(p, event)}
            assert matcher.matching_rules(event) == expected, (event, rules)
            assert matcher.matching_rules_json(json.dumps(event)) == expected
        for rule_id in rng.sample(sorted(rules), 10):  # churn: removals and replacements
            if rng.random() < 0.5:
                matcher.remove_rule(rule_id)
                del rules[rule_id]
            else:
                rules[rule_id] = _pattern(rng)
                matcher.add_rule(rule_id, rules[rule_id])
        rules[100 + round_] = _pattern(rng)
        matcher.add_rule(100 + round_, rules[100 + round_])


def test_cached_gates_keep_literals_numbers_and_strings_apart() -> None:
    """True == 1 == 1.0 as dict keys; AWS matches 1 and 1.0 alike but never true, "1" or null."""
    matcher = EventMatcher()
    for name, condition in {
        "one": [1],
        "true": [True],
        "text": ["1"],
        "null": [None],
        "pos": [{"numeric": [">", 0]}],
    }.items():
        matcher.add_rule(name, json.dumps({"detail": {"v": condition}}))
    expected = [(1, {"one", "pos"}), (1.0, {"one", "pos"}), (True, {"true"}), ("1", {"text"}), (None, {"null"})]
    for _ in range(2):
        for value, names in expected:
            assert matcher.matching_rules({"detail": {"v": value}}) == names, value


def test_non_object_events_are_flattened_as_they_are() -> None:
    matcher = EventMatcher()
    matcher.add_rule("absent", '{"source": [{"exists": false}]}')
    matcher.add_rule("listed", '{"source": ["a"]}')
    assert matcher.matching_rules([{"source": "a"}]) == {"listed"}  # type: ignore[arg-type]
    assert matcher.matching_rules_json('"text"') == {"absent"}


@pytest.mark.parametrize("seed", range(5))
def test_bit_listing_matches_the_bits(seed: int) -> None:
    rng = random.Random(seed)
    for width in (1, 7, 8, 9, 64, 1000, 12000):
        positions = sorted(rng.sample(range(width), rng.randint(1, min(width, 200))))
        mask = sum(1 << p for p in positions)
        assert masks.byte_positions(mask) == positions
        assert list(masks.bit_positions(mask)) == positions


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [1.5, "x", null, true]}',
        '{"a": 18446744073709551615}',  # the largest integer orjson keeps exact
        '{"a": 18446744073709551617}',  # beyond 64 bits: must stay an exact integer
        '{"a": -9223372036854775809}',
        '{"a": 1234567890123456789012.5}',
        '{"a": "12345678901234567890"}',
        '{"a": NaN, "b": Infinity}',
        '{"a": "\\ud800"}',
        '{"a": "\u0661\u0662", "b": 1234567890123456789}',  # 19 digits after text beyond Latin-1
        '{"a": 1, "a": 2}',
        "[]",
    ],
)
@pytest.mark.parametrize("digit_run_check", ["extension", "translation"])
def test_decoder_answers_as_the_standard_library(
    text: str, digit_run_check: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if digit_run_check == "translation":
        monkeypatch.setattr(decode, "long_digit_run", None)
    expected = json.loads(text)
    assert repr(decode.loads(text)) == repr(expected)
    assert repr(decode.loads(text.encode())) == repr(expected)


@pytest.mark.parametrize("text", ["{", '{"a": }', "", "[1,]"])
def test_decoder_refuses_invalid_json_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        decode.loads(text)


def test_decoder_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "orjson", None)
    assert decode.loads('{"a": 18446744073709551617}') == {"a": 18446744073709551617}


def test_bit_listing_without_gmpy2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(masks, "xmpz", None)
    assert list(masks.bit_positions((1 << 5000) | 0b1010)) == [1, 3, 5000]


def test_keys_the_trie_cannot_spell_are_matched_by_their_string_paths() -> None:
    matcher = EventMatcher()
    matcher.add_rule("nested", '{"a": {"b": ["x"]}}')
    matcher.add_rule("absent", '{"a": {"b": [{"exists": false}]}}')
    assert matcher.matching_rules({"a.b": "x"}) == {"nested"}
    assert matcher.matching_rules({"a": [{"b.c": 1, "b": "x"}]}) == {"nested"}
    assert matcher.matching_rules({"a": {1: "y", "b": "x"}}) == {"nested"}  # type: ignore[dict-item]
    assert matcher.matching_rules({1: "y"}) == {"absent"}  # type: ignore[dict-item]
