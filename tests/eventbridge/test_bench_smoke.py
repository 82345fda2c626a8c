"""bench/events_match.py still runs end to end (tiny sizes) and its matcher agrees with the naive loop."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "events_match.py"


def test_bench_runs_and_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("events_match", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    if not module.WORKLOAD.is_file():
        pytest.skip(f"the shared workload generator is not here ({module.WORKLOAD})")
    assert module.main(["--sizes", "10,200", "--events", "60", "--budget-s", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[0].isdigit()]
    assert [row[0] for row in rows] == ["10", "200"]
    assert all(row[-1] == "100.0%" and row[-2] == "100.0%" for row in rows)  # agreement, witness hits
