"""The whole recorded corpus through ``asl serve``'s HTTP API: case by case, the outcome it has in-process.

Issue 5's bar is the in-process one: the service must lose nothing between
the engine and the wire.  Each case is provisioned, run and observed through
the one endpoint only (``http_backend.py``): moto's services, the Lambda
API, the Step Functions API, MockConfigFiles through the admin API, the
recorded clients over HTTP, time moved by the admin clock.
"""

from __future__ import annotations

import pytest

from tests.conformance import report
from tests.conformance.http_backend import HttpBackend
from tests.server.conftest import Server


@pytest.fixture(scope="module")
def over_http(corpus: list[dict], tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    server = Server(tmp_path_factory.mktemp("conformance") / "state.db", "--virtual-clock", "--seed", "0")
    try:
        results = report.evaluate(HttpBackend(server.url), corpus)
    finally:
        server.stop()
    report.print_table(results, "over HTTP")
    return results


def test_every_case_has_its_in_process_outcome(in_process: list[dict], over_http: list[dict]) -> None:
    differ = [(local["id"], local["why"], remote["why"]) for local, remote in zip(in_process, over_http, strict=True)
              if (bool(local["b"]), local["d"]) != (bool(remote["b"]), remote["d"])]
    assert not differ, differ[:5]


def test_the_rates_are_the_in_process_rates(in_process: list[dict], over_http: list[dict]) -> None:
    """The table's numbers, category by category (what the notes report)."""
    local, remote = report.by_category(in_process), report.by_category(over_http)
    assert {c: report.rates(rs) for c, rs in remote.items()} == {c: report.rates(rs) for c, rs in local.items()}
