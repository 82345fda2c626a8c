"""``asl run`` and ``asl validate`` as a user runs them: output on stdout, errors on stderr, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from asl_engine.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INVALID_DEFINITION, EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[2]
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.r", "End": True}}}
YEAR_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 31_536_000, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}


@pytest.fixture
def write(tmp_path: Path):
    def write(name: str, content: object) -> str:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)
    return write


def test_run_prints_the_output(write, capsys) -> None:
    assert main(["run", write("d.json", PASS), "--input", '{"a": 1}']) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"a": 1, "r": {"ok": True}}


def test_run_reads_input_from_a_file_and_from_stdin(write, capsys, monkeypatch) -> None:
    definition = write("d.json", PASS)
    assert main(["run", definition, "--input", "@" + write("in.json", {"from": "file"})]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["from"] == "file"
    monkeypatch.setattr("sys.stdin", io.StringIO('{"from": "stdin"}'))
    assert main(["run", definition, "--input", "-"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["from"] == "stdin"


def test_a_failed_execution_exits_1_with_error_and_cause_on_stderr(write, capsys) -> None:
    assert main(["run", write("d.json", FAIL)]) == EXIT_FAILED
    out = capsys.readouterr()
    assert out.out == ""
    assert "FAILED: Boom" in out.err and "it broke" in out.err


def test_an_invalid_definition_exits_3_with_diagnostics_and_runs_nothing(write, capsys) -> None:
    broken = {"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}}
    assert main(["run", write("d.json", broken)]) == EXIT_INVALID_DEFINITION
    err = capsys.readouterr().err
    assert "MISSING_TRANSITION_TARGET at /StartAt" in err


def test_invalid_input_json_exits_4_with_line_and_column(write, capsys) -> None:
    assert main(["run", write("d.json", PASS), "--input", '{"a": 1,\n "b" 2}']) == EXIT_BAD_INPUT
    assert "line 2, column 6" in capsys.readouterr().err


def test_a_missing_definition_file_is_a_usage_error(tmp_path, capsys) -> None:
    assert main(["run", str(tmp_path / "nope.json")]) in (EXIT_USAGE, EXIT_INVALID_DEFINITION)
    assert "nope.json" in capsys.readouterr().err


def test_virtual_clock_makes_a_year_long_wait_instant_and_history_shows_it(write, capsys) -> None:
    assert main(["run", write("d.json", YEAR_WAIT), "--virtual-clock", "--start-time", "2026-01-01T00:00:00+00:00",
                 "--history"]) == EXIT_OK
    events = json.loads(capsys.readouterr().out)
    assert [e["type"] for e in events] == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                                           "ExecutionSucceeded"]
    assert events[0]["timestamp"].startswith("2026-01-01") and events[-1]["timestamp"].startswith("2027-01-01")


def test_validate_reports_ok_and_fail_with_distinct_exit_codes(write, capsys) -> None:
    good, bad = write("good.json", PASS), write("bad.json", {"StartAt": "X", "States": {}})
    assert main(["validate", good]) == EXIT_OK
    assert main(["validate", good, bad, "--json"]) == EXIT_INVALID_DEFINITION
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["result"] for r in results] == ["OK", "FAIL"]
    assert all({"severity", "code", "message", "location"} <= set(d) for d in results[1]["diagnostics"])


def test_the_example_workflow_runs_with_its_local_lambda_handlers(capsys) -> None:
    """statemachine/model_promotion.asl.json: Map over candidates, Lambda handlers bound on the command line."""
    assert main(["run", str(ROOT / "statemachine/model_promotion.asl.json"),
                 "--input", "@" + str(ROOT / "events/model_promotion_input.json"), "--virtual-clock",
                 "--resource", f"evaluate-model={ROOT}/functions/evaluate_model/app.py:lambda_handler",
                 "--resource", f"notify={ROOT}/functions/notify/app.py:lambda_handler"]) == EXIT_OK
    output = json.loads(capsys.readouterr().out)
    assert output["decision"]["decision"] == "PROMOTE"
    assert output["decision"]["model_name"] == "xgb-2026-11-26"
