"""The whole recorded Step Functions corpus run in-process once per session, for every test that scores it."""

from __future__ import annotations

import pytest

from tests.conformance import report
from tests.conformance.sfn_backend import InProcessBackend


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    return report.cases()


@pytest.fixture(scope="session")
def in_process(corpus: list[dict]) -> list[dict]:
    """Every case's result in-process; each result also carries its case's ``kind`` (see ``report.kind``)."""
    results = report.evaluate(InProcessBackend(), corpus)
    for case, result in zip(corpus, results, strict=True):
        result["kind"] = report.kind(case)
    return results
