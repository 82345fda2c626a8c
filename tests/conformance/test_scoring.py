"""A case is compared on what its recording verified: skipped result fields, and history-only observations."""

from __future__ import annotations

import json

from tests.conformance.scoring import as_recorded


def _case(expected: dict, expected_from: dict, skipped: list[str]) -> dict:
    return {"expected": expected, "normalize": [],
            "source": {"expected_from": expected_from,
                       "skip_snapshot_verify": [{"paths": skipped, "conditional": False}]}}


def test_a_skipped_cause_leaves_the_recorded_cause_unverified():
    failed = {"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "E", "cause": "recorded"}}
    case = _case({"status": "FAILED", "error": "E", "cause": "recorded", "history": [failed]},
                 {"history": "get_execution_history"}, ["$..cause"])
    observed = {"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "E", "cause": "ours"}}
    case, observation = as_recorded(case, {"status": "FAILED", "error": "E", "cause": "ours",
                                           "describe": {"status": "FAILED", "error": "E", "cause": "ours"},
                                           "history": [observed]})
    assert case["expected"]["cause"] is None and observation["cause"] is None
    assert case["expected"]["error"] == "E"
    assert "cause" not in observation["history"][0]["executionFailedEventDetails"]


def test_a_skipped_history_path_leaves_a_described_result_verified():
    case = _case({"status": "FAILED", "error": "E", "cause": "recorded", "history": []},
                 {"describe": "describe_execution"}, ["$..events..executionFailedEventDetails.cause"])
    case, observation = as_recorded(case, {"status": "FAILED", "error": "E", "cause": "ours",
                                           "describe": {"status": "FAILED", "cause": "ours"}, "history": []})
    assert case["expected"]["cause"] == "recorded" and observation["describe"]["cause"] == "ours"


def test_a_history_only_recording_is_compared_without_describe_execution():
    cause = json.dumps({"requestId": "8f0b6a52-0c52-4a43-9d67-3d7b2e7c0a11"})
    failed = {"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "E", "cause": cause}}
    case = _case({"status": "FAILED", "error": "E", "cause": {"requestId": "<uuid:1>"}, "history": []},
                 {"history": "get_execution_history"}, [])
    _, observation = as_recorded(case, {"status": "FAILED", "error": "E", "cause": cause,
                                        "describe": {"status": "FAILED", "error": "E", "cause": cause},
                                        "history": [failed]})
    assert observation["describe"] == {"status": "FAILED"}
    assert observation["cause"] is None and observation["history"] == [failed]
