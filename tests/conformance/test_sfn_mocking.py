"""The local_mocking cases recorded with a Step Functions Local MockConfigFile, run in-process.

Each ``*_mock`` case carries its ``mock_config`` and the test case name its
execution was started with (``execution.mock_test_case``); its expectation is
the execution recorded against AWS with the real services. The recording
declares which paths were not compared (``source.skip_snapshot_verify``: the
SDK metadata a mocked ``Return`` does not have, the TaskSubmitted output, or
the whole history); both sides are reduced to what the recording verified
(``scoring.py``). The table is printed (``pytest -s``) and the issue's bars
are asserted: (b) >= 95%, (d) >= 90%.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.scoring import as_recorded
from tests.conformance.sfn_backend import InProcessBackend
from tests.conformance.shared import CONFORMANCE, load_tool, require


def _mock_cases(tool: Any) -> list[dict]:
    cases = tool.load_cases(str(require(CONFORMANCE / "sfn")))
    return [c for c in cases if c.get("category") == "local_mocking" and c.get("mock_config")]


@pytest.fixture(scope="module")
def results() -> list[dict]:
    tool = load_tool("sfn_conformance")
    backend = InProcessBackend()
    out = []
    for case in _mock_cases(tool):
        try:
            observation = backend.run_case(case, timeout=10.0)
        except Exception as e:  # an engine crash is a failed case, reported with the others
            observation = {"api_error": f"engine: {type(e).__name__}: {e}"}
        out.append(tool.evaluate(*as_recorded(case, observation)))
    _print_table(out)
    return out


def _print_table(results: list[dict]) -> None:
    with_history = [r for r in results if r["c"] is not None]
    print(f"\n{'local_mocking (MockConfigFile)':<32}{'cases':>6}{'(b)result':>11}{'(c)types':>11}{'(d)history':>12}")
    print(f"{'':<32}{len(results):>6}{sum(r['b'] for r in results):>11}"
          f"{sum(bool(r['c']) for r in with_history):>7}/{len(with_history):<3}"
          f"{sum(bool(r['d']) for r in with_history):>8}/{len(with_history):<3}")
    for r in results:
        print(f"{'PASS' if r['b'] and r['d'] is not False else 'FAIL'} {r['id']}"
              + (f": {r['why']}" if r["why"] else ""))


def test_mock_cases_meet_the_bar(results: list[dict]) -> None:
    assert results, "no local_mocking case carries a mock_config"
    with_history = [r for r in results if r["c"] is not None]
    b = sum(r["b"] for r in results) / len(results)
    d = sum(bool(r["d"]) for r in with_history) / max(len(with_history), 1)
    assert b >= 0.95, f"level (b) {b:.1%} < 95%"
    assert d >= 0.90, f"level (d) {d:.1%} < 90%"
