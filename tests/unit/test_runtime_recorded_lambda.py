"""The recorded JSONPath cases that need only Lambda functions, run against local handlers.

``../shared/conformance/sfn`` marks these cases as not self-contained (they need functions), so the
conformance runner skips them; ``sfn/LAMBDA_HANDLERS.md`` says what each function does. Here they run
with Python handlers that behave the same (including the ``/var/task/handler.py`` stack trace lines AWS
reports) and are compared with the conformance tool's own normalization and levels.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import linecache
import sys
from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import START

from asl_engine import InvalidDefinition, Services, StateMachine, VirtualClock

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
CASES_DIR = CONFORMANCE / "sfn"
TOOL = CONFORMANCE / "tools" / "sfn_conformance.py"
ACCOUNT = "111111111111"
JSONATA_CATEGORIES = {"arguments", "assign", "evaluate_jsonata", "outputdecl", "query_language", "states_variables",
                      "local_mocking"}

# Cases no engine can pass: this recording kept the response's x-amzn-RequestId as a uuid, while the shared
# normalizer always replaces that key's value with a placeholder.
UNREACHABLE = {"context_object/TestSnfBase__test_result_selector": "recording's normalization"}

# The handler source, compiled under AWS's file name so that stack traces read as recorded
# (raise_exception.py raises on line 2, raise_custom_exception.py on line 9).
HANDLER_FILE = "/var/task/handler.py"
HANDLER_SOURCE = '''def handler(event, context):
    raise Exception("Some exception was raised.")
raise_exception = handler
class CustomException(Exception):
    def __init__(self):
        self.message = "CustomException message"

def handler(event, context):
    raise CustomException()
raise_custom_exception = handler
'''


def _handlers() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "recorded_handlers"}
    exec(compile(HANDLER_SOURCE, HANDLER_FILE, "exec"), namespace)
    linecache.cache[HANDLER_FILE] = (len(HANDLER_SOURCE), None, HANDLER_SOURCE.splitlines(True), HANDLER_FILE)

    async def wait_60_seconds(event, context):
        await asyncio.sleep(60)
        return event

    return {
        "echo_function.py": lambda event, context: {"Return": "HelloWorld"},
        "id_function.py": lambda event, context: event,
        "raise_exception.py": namespace["raise_exception"],
        "raise_custom_exception.py": namespace["raise_custom_exception"],
        "large_output_string.py": lambda event, context: b"a" * (257 * 1024),
        "return_bytes_str.py": lambda event, context: b'"HelloWorld!"',
        "return_decorated_input.py": lambda event, context: f"input-event-{event}",
        "wait_60_seconds.py": wait_60_seconds,
    }


def _tool():
    spec = importlib.util.spec_from_file_location("sfn_conformance_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sfn_conformance_tool", module)
    spec.loader.exec_module(module)
    return module


def _cases() -> list[tuple[str, dict]]:
    if not CASES_DIR.is_dir():
        return []
    found = []
    for path in sorted(CASES_DIR.glob("*/*.json")):
        case = json.loads(path.read_text())
        if case.get("self_contained") or case.get("interactive") or case.get("category") in JSONATA_CATEGORIES:
            continue
        if not case.get("lambda_functions") or not set(case.get("services") or []) <= {"lambda"}:
            continue
        found.append((f"{path.parent.name}/{path.stem}", case))
    return found


CASES = _cases()


def observe(case: dict) -> dict:
    """What the conformance runner's in-process backend reports, with the case's functions registered."""
    handlers = _handlers()
    resources = {f["function_name"]: handlers[f["handler_file"].rsplit("/", 1)[-1]] for f in case["lambda_functions"]}
    sm_info = case.get("state_machine") or {}
    execution = case.get("execution") or {}
    sm_name = sm_info.get("name") or "statemachine"
    exec_name = execution.get("name") or execution.get("recorded_name") or "execution"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/sfn-conformance-role"
    names = {"state_machine_name": sm_name, "execution_name": exec_name, "role_arn": role_arn,
             "account": ACCOUNT, "region": "us-east-1"}
    try:
        sm = StateMachine(case["definition"], name=sm_name, type=sm_info.get("type") or "STANDARD",
                          account=ACCOUNT, role_arn=role_arn)
    except InvalidDefinition as e:
        return {"names": names, "api_error": f"InvalidDefinition: {e}"}
    result = sm.run(case.get("input") or "{}", name=exec_name, clock=VirtualClock(START), resources=resources,
                    services=Services(seed=0))
    names["execution_arn"] = result.execution_arn
    describe = {"status": result.status}
    if result.status == "SUCCEEDED":
        describe["output"] = result.output_json
    for key in ("error", "cause"):
        if getattr(result, key) is not None:
            describe[key] = getattr(result, key)
    obs = {"names": names, "describe": describe, "status": result.status, "output": describe.get("output"),
           "error": result.error, "cause": result.cause, "history": None}
    if execution.get("api") != "start_sync_execution":
        obs["history"] = result.history
    return obs


@pytest.mark.skipif(not CASES, reason="conformance corpus not found")
@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[c for c, _ in CASES])
def test_recorded_lambda_case(case_id, case, request):
    if case_id in UNREACHABLE:
        request.applymarker(pytest.mark.xfail(reason=UNREACHABLE[case_id], strict=True))
    verdict = _tool().evaluate(case, observe(case))
    assert verdict["b"], verdict["why"]
    if verdict["d"] is not None:
        assert verdict["c"], verdict["why"]
        assert verdict["d"], verdict["why"]
