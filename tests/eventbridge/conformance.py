"""Loads the AWS-recorded EventBridge corpus and the shared runner that judges it.

The runner (``../shared/conformance/tools/events_conformance.py``) owns the
comparison rules, so the numbers these tests produce mean the same as the
runner's own table. Both live outside the repository; tests skip, saying so,
when they are absent.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from argparse import Namespace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from asl_engine.eventbridge.patterns import test_event_pattern
from asl_engine.eventbridge.schedule import parse_rule_schedule
from asl_engine.eventbridge.transform import DeliveryContext, TargetInput

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "conformance" / "events"
RUNNER = SHARED / "conformance" / "tools" / "events_conformance.py"


@functools.cache
def load_runner() -> ModuleType:
    if not RUNNER.is_file():
        pytest.skip(f"the shared conformance runner is not here ({RUNNER})")
    spec = importlib.util.spec_from_file_location("events_conformance", RUNNER)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def case_files(suite: str) -> list[Path]:
    """Corpus files of a suite; an empty list (tests then skip) when shared/ is absent."""
    return sorted((CORPUS / suite).glob("*.json")) if (CORPUS / suite).is_dir() else []


def schedule_callable(expression: str, event_bus_name: str) -> object:
    return parse_rule_schedule(expression, event_bus_name)


def input_callable(event_json: str | None, target: dict[str, Any], context: dict[str, Any]) -> str | None:
    compiled = TargetInput(target)
    if event_json is None:
        return None
    delivery = DeliveryContext(context["rule_arn"], context["rule_name"], context.get("ingestion_time"))
    return compiled.render(json.loads(event_json), delivery)


def judge(suite: str, path: Path) -> dict[str, Any]:
    """Runs one case through the shared runner's python backend; returns its result row."""
    runner = load_runner()
    args = Namespace(
        callable=None, schedule_callable=None, input_callable=None, case_timeout=10.0, strict_error_codes=True
    )
    backend = runner.PythonBackend(args)
    backend.func, backend.schedule_func, backend.input_func = (
        test_event_pattern,
        schedule_callable,
        input_callable,
    )
    case = json.loads(path.read_text(encoding="utf-8"))
    case.setdefault("file", path.name)
    (result,) = runner.run_suite(backend, suite, [case], args)
    result["error_message_expected"] = case.get("error_message")
    return result
