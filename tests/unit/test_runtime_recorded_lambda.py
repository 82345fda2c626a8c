"""The recorded JSONPath cases that need only Lambda functions, each asserted on its own.

``../shared/conformance/sfn`` marks these cases as not self-contained (they need functions), so the
self-contained conformance run skips them, and the service-category test only asserts a rate over all
of them. Here each one must pass, through the same in-process backend (which provisions the functions
``sfn/LAMBDA_HANDLERS.md`` describes) and the conformance tool's own normalization and levels.
"""

from __future__ import annotations

import json

import pytest

from tests.conformance.sfn_backend import InProcessBackend
from tests.conformance.shared import CONFORMANCE, load_tool

CASES_DIR = CONFORMANCE / "sfn"
JSONATA_CATEGORIES = {"arguments", "assign", "evaluate_jsonata", "outputdecl", "query_language", "states_variables",
                      "local_mocking"}

# Cases no engine can pass: this recording kept the response's x-amzn-RequestId as a uuid, while the shared
# normalizer always replaces that key's value with a placeholder.
UNREACHABLE = {"context_object/TestSnfBase__test_result_selector": "recording's normalization"}


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


@pytest.mark.skipif(not CASES, reason=f"conformance corpus not found at {CASES_DIR} (../shared beside the repo)")
@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[c for c, _ in CASES])
def test_recorded_lambda_case(case_id, case, request):
    if case_id in UNREACHABLE:
        request.applymarker(pytest.mark.xfail(reason=UNREACHABLE[case_id], strict=True))
    verdict = load_tool("sfn_conformance").evaluate(case, InProcessBackend().run_case(case, timeout=10.0))
    assert verdict["b"], verdict["why"]
    if verdict["d"] is not None:
        assert verdict["c"], verdict["why"]
        assert verdict["d"], verdict["why"]
