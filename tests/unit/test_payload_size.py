"""The payload meter must agree byte for byte with serializing, for any JSON value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from asl_engine.runtime.history import dumps
from asl_engine.runtime.payload_size import PayloadMeter

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=80) | st.dictionaries(st.text(), children, max_size=80),
    max_leaves=300,
)


def _serialized(value: object) -> int:
    return len(dumps(value).encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_size_equals_serialized_length(value: object) -> None:
    meter = PayloadMeter()
    assert meter.size(value) == _serialized(value)
    assert meter.size(value) == _serialized(value)  # again, from the cache for large containers


def test_large_containers_are_sized_once() -> None:
    meter = PayloadMeter()
    big = {"items": [{"n": i, "s": "é" * (i % 5)} for i in range(1000)]}
    expected = _serialized(big)
    assert meter.size(big) == expected
    assert id(big["items"]) in meter._sizes
    assert meter.size({"doc": big, "hop": 1}) == _serialized({"doc": big, "hop": 1})


def test_escapes_and_special_floats() -> None:
    meter = PayloadMeter()
    for value in ['quote " and \\ backslash', "tab\t\x01", float("nan"), float("inf"), -float("inf"), 1e300,
                  -0.0, True, False, None, 10**30]:
        assert meter.size(value) == _serialized(value), value
