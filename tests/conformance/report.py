"""Running the recorded Step Functions cases through a backend, and the per-category table of the result.

One place for what every conformance test does: choose cases, run each on a
backend (in-process or ``asl serve``), score it with the shared runner on
what its recording verified (``scoring.py``), print the table, and compute
rates.  A crash of the engine or of a recorded client is a failed case,
reported with the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from tests.conformance.scoring import as_recorded
from tests.conformance.shared import CONFORMANCE, load_tool, require

JSONATA_CATEGORIES = {"assign", "evaluate_jsonata", "query_language", "outputdecl", "arguments"}
# Categories the interactive runner takes whole; elsewhere it takes only the cases recorded with a client.
INTERACTIVE_CATEGORIES = {"activities", "callback"}
# Clock seconds a case may run: the longest recorded wait of an interactive case is a 600 s TimeoutSeconds
# (on the virtual clock, so it costs no time); the others end well within 10 s of recorded time.
INTERACTIVE_TIMEOUT, TIMEOUT = 700.0, 10.0


def cases(select: Callable[[dict], bool] = lambda case: True) -> list[dict]:
    """The corpus's cases that ``select`` keeps (the test skips when ../shared is absent)."""
    tool = load_tool("sfn_conformance")
    return [c for c in tool.load_cases(str(require(CONFORMANCE / "sfn"))) if select(c)]


def kind(case: dict) -> str:
    """Which group a case belongs to: mock (a MockConfigFile), interactive (a client mid-run), self_contained
    (no AWS service), or services (moto, provisioned as recorded)."""
    if case.get("mock_config"):
        return "mock"
    if case.get("category") in INTERACTIVE_CATEGORIES or case.get("interactive"):
        return "interactive"
    if case.get("self_contained") and "sfn_mock_config" not in (case.get("services") or []):
        return "self_contained"
    return "services"


def timeout(case: dict) -> float:
    return INTERACTIVE_TIMEOUT if kind(case) == "interactive" else TIMEOUT


def evaluate(backend: Any, selected: Iterable[dict]) -> list[dict]:
    """Each case run on ``backend`` and scored; a result also says whether the case is a JSONata one."""
    tool = load_tool("sfn_conformance")
    out = []
    for case in selected:
        try:
            observation = backend.run_case(case, timeout(case))
        except Exception as e:  # an engine or client crash is a failed case, reported with the others
            observation = {"api_error": f"engine: {type(e).__name__}: {e}"}
        result = tool.evaluate(*as_recorded(case, observation))
        result["jsonata"] = case.get("category") in JSONATA_CATEGORIES or '"JSONata"' in case["definition"]
        out.append(result)
    return out


def by_category(results: Iterable[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        grouped[r["category"]].append(r)
    return dict(sorted(grouped.items()))


def rates(results: list[dict]) -> tuple[float, float, float]:
    """Levels (b), (c) and (d); (c) and (d) over the cases that recorded a history (1.0 when none did:
    StartSyncExecution answers without one)."""
    with_history = [r for r in results if r["c"] is not None]
    b = sum(bool(r["b"]) for r in results) / max(len(results), 1)
    c = sum(bool(r["c"]) for r in with_history) / len(with_history) if with_history else 1.0
    d = sum(bool(r["d"]) for r in with_history) / len(with_history) if with_history else 1.0
    return b, c, d


def print_table(results: list[dict], title: str = "category") -> None:
    """The per-category table (``pytest -s`` shows it), then every failing case and why."""
    print(f"\n{title:<22}{'cases':>6}{'(b)result':>11}{'(c)types':>11}{'(d)history':>12}")
    for category, rs in by_category(results).items():
        with_history = [r for r in rs if r["c"] is not None]
        print(f"{category:<22}{len(rs):>6}{sum(bool(r['b']) for r in rs):>11}"
              f"{sum(bool(r['c']) for r in with_history):>7}/{len(with_history):<3}"
              f"{sum(bool(r['d']) for r in with_history):>8}/{len(with_history):<3}")
    for r in results:
        if not r["b"] or r["d"] is False:
            print(f"FAIL {r['id']}: {r['why']}")
