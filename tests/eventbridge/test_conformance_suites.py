"""AWS-recorded EventBridge cases (../shared/conformance/events/{inputs,patterns,schedules}), all expected to pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conformance import case_files, judge

SUITES = ("inputs", "patterns", "schedules")


def _cases() -> list:
    cases: list = []
    for suite in SUITES:
        found = case_files(suite)
        cases += [pytest.param(suite, path, id=f"{suite}-{path.stem}") for path in found]
        if not found:
            cases.append(pytest.param(suite, None, id=suite, marks=pytest.mark.skip(
                reason=f"../shared/conformance/events/{suite} is not present")))
    return cases


@pytest.mark.parametrize(("suite", "path"), _cases())
def test_case(suite: str, path: Path) -> None:
    result = judge(suite, path)
    assert result["passed"], result
    expected_message = result["error_message_expected"]
    if expected_message and len(expected_message) < 300:  # the runner keeps 300 characters
        assert result["message"] == expected_message
