"""Wait: Seconds, SecondsPath, Timestamp, TimestampPath on the virtual clock, and their error causes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from runtime_helpers import START, at, chain, details, event, run, seconds_after_start

from asl_engine import VirtualClock

YEAR = 365 * 24 * 3600


def wait(**fields):
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", "End": True, **fields}}}


def wait_then_record():
    """Wait, then a Pass that records its $$.State.EnteredTime."""
    return {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime"}, "End": True}}}


class TestSeconds:
    def test_seconds_events_and_timestamps(self):
        ex = run(wait(Seconds=10), {"a": 1})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"a": 1}
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "WaitStateEntered"), (3, 2, "WaitStateExited"),
                             (4, 3, "ExecutionSucceeded")]
        assert [seconds_after_start(e) for e in ex.history] == [0, 0, 10, 10]
        assert details(ex.history[2]) == {"name": "W", "output": '{"a":1}', "outputDetails": {"truncated": False}}

    def test_one_year_wait_is_instant(self):
        began = time.monotonic()
        ex = run(wait(Seconds=YEAR), {})
        assert time.monotonic() - began < 5
        assert ex.status == "SUCCEEDED"
        assert event(ex, "WaitStateExited")["timestamp"] == datetime(2026, 1, 1, tzinfo=UTC)
        assert ex.stop_date == datetime(2026, 1, 1, tzinfo=UTC)
        assert ex.start_date == START

    def test_zero_seconds(self):
        ex = run(wait(Seconds=0), {})
        assert [seconds_after_start(e) for e in ex.history] == [0, 0, 0, 0]

    def test_entered_time_of_next_state_reads_as_if_time_passed(self):
        ex = run(wait_then_record(), {"s": YEAR + 1})
        assert ex.output == {"entered": "2026-01-01T00:00:01.000Z"}

    def test_input_and_output_path(self):
        ex = run(wait(Seconds=1, InputPath="$.a", OutputPath="$.b"), {"a": {"b": 5}})
        assert ex.output == 5


class TestSecondsPath:
    def test_seconds_path(self):
        ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": 42}})
        assert ex.status == "SUCCEEDED"
        assert event(ex, "WaitStateExited")["timestamp"] == at(42)

    def test_zero(self):
        # recorded: base/TestSfnWait__test_base_wait_seconds_path_0
        ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": 0}})
        assert ex.status == "SUCCEEDED"
        assert ex.output == {"input": {"waitSeconds": 0}}

    def test_negative(self):
        # recorded: base/TestSfnWait__test_base_wait_seconds_path_-1
        ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": -1}})
        assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
        assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                            "The SecondsPath parameter references a negative value: $.input.waitSeconds == -1")
        assert chain(ex) == [(1, 0, "ExecutionStarted"), (2, 0, "WaitStateEntered"), (3, 2, "ExecutionFailed")]

    def test_fraction(self):
        # recorded: base/TestSfnWait__test_base_wait_seconds_path_-1.5
        ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": -1.5}})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                            "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == -1.5")

    def test_missing(self):
        ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {}})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                            "The SecondsPath parameter does not reference an input value: $.input.waitSeconds")

    @pytest.mark.parametrize("value", ["10", True, None, [1]])
    def test_not_a_number(self, value):
        ex = run(wait(SecondsPath="$.s"), {"s": value})
        assert ex.error == "States.Runtime"
        assert "The SecondsPath parameter cannot be parsed as a long value: $.s == " in ex.cause

    def test_from_context(self):
        ex = run({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$$.Execution.Input.s",
                                                   "InputPath": None, "End": True}}}, {"s": 3})
        assert ex.output == {}
        assert ex.stop_date == at(3)


class TestTimestamp:
    def test_future_timestamp(self):
        ex = run(wait(Timestamp="2025-01-02T00:00:00Z"), {})
        assert event(ex, "WaitStateExited")["timestamp"] == at(86400)

    def test_timestamp_with_offset(self):
        ex = run(wait(Timestamp="2025-01-01T02:00:00+01:00"), {})
        assert event(ex, "WaitStateExited")["timestamp"] == at(3600)

    def test_past_timestamp_does_not_wait(self):
        ex = run(wait(Timestamp="2000-01-01T00:00:00Z"), {})
        assert ex.status == "SUCCEEDED"
        assert event(ex, "WaitStateExited")["timestamp"] == START

    def test_timestamp_path(self):
        ex = run(wait(TimestampPath="$.start_at"), {"start_at": "2025-03-01T12:00:00Z"})
        assert ex.status == "SUCCEEDED"
        assert event(ex, "WaitStateExited")["timestamp"] == datetime(2025, 3, 1, 12, tzinfo=UTC)

    @pytest.mark.parametrize("text", ["2025-01-01T00:01:00Z", "2025-01-01T00:01:00.000000Z",
                                      "2025-01-01T00:01:00.5Z"])
    def test_timestamp_path_formats(self, text):
        # recorded: base/TestSfnWait__test_wait_timestamppath_Z and _.000000Z
        ex = run(wait(TimestampPath="$.t"), {"t": text})
        assert ex.status == "SUCCEEDED"
        assert seconds_after_start(event(ex, "WaitStateExited")) == pytest.approx(60, abs=0.5)

    def test_timestamp_path_without_offset(self):
        # recorded: base/TestSfnWait__test_wait_timestamppath
        ex = run(wait(TimestampPath="$.start_at"), {"start_at": "2026-11-26T23:04:33"})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                            "date-time format string: $.start_at == 2026-11-26T23:04:33")

    def test_timestamp_path_missing(self):
        ex = run(wait(TimestampPath="$.t"), {})
        assert ex.error == "States.Runtime"
        assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                            "The TimestampPath parameter does not reference an input value: $.t")

    def test_shared_clock_keeps_moving_across_runs(self):
        clock = VirtualClock(START)
        first = run(wait(Seconds=100), {}, clock=clock)
        second = run(wait(Seconds=100), {}, clock=clock)
        assert first.stop_date == at(100)
        assert second.start_date == at(100)
        assert second.stop_date == at(200)

    def test_timestamp_choice_after_long_wait(self):
        definition = {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": YEAR, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$$.State.EnteredTime",
                                                 "TimestampGreaterThanEquals": "2026-01-01T00:00:00Z",
                                                 "Next": "Later"}], "Default": "Earlier"},
            "Later": {"Type": "Pass", "Result": "later", "End": True},
            "Earlier": {"Type": "Pass", "Result": "earlier", "End": True}}}
        assert run(definition, {}).output == "later"
