"""AWS-recorded EventBridge inputs cases (../shared/conformance/events/inputs), all expected to pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conformance import case_files, judge

CASES = case_files("inputs")


@pytest.mark.skipif(not CASES, reason="../shared/conformance/events/inputs is not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    result = judge("inputs", path)
    assert result["passed"], result
    expected_message = result["error_message_expected"]
    if expected_message and len(expected_message) < 300:  # the runner keeps 300 characters
        assert result["message"] == expected_message
