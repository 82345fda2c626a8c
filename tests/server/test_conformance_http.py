"""The self-contained AWS-recorded cases through the HTTP API, scored by the shared runner.

The bar is the in-process one (tests/conformance): the service must not lose
anything between the engine and the wire.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conformance.shared import CONFORMANCE, load_tool, require
from tests.server.conftest import Server


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    tool = load_tool("sfn_conformance")
    cases = [c for c in tool.load_cases(str(require(CONFORMANCE / "sfn")))
             if c.get("self_contained") and "sfn_mock_config" not in (c.get("services") or [])]
    server = Server(tmp_path_factory.mktemp("conformance") / "state.db")
    try:
        with tool.Boto3Backend("us-east-1", endpoint_url=server.url, run_tag="h") as backend:
            return [tool.evaluate(case, backend.run_case(case, 90.0, i)) for i, case in enumerate(cases)]
    finally:
        server.stop()


def test_every_case_gets_the_recorded_result(results: list[dict]) -> None:
    failures = [(r["id"], r["why"]) for r in results if not r["b"]]
    assert not failures, failures[:5]


def test_histories_match_as_in_process(results: list[dict]) -> None:
    with_history = [r for r in results if r["c"] is not None]
    assert all(r["c"] for r in with_history), [r["why"] for r in with_history if not r["c"]][:5]
    rates = Counter(bool(r["d"]) for r in with_history)
    assert rates[True] / len(with_history) >= 0.95, rates
