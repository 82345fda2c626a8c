#!/usr/bin/env python3
"""EventBridge matching throughput: one compiled EventMatcher against a per-rule loop.

For each rule count (10, 1,000 and 10,000 by default) this builds the rules of
../shared/bench/events/events_bench.py (seeded, realistic: exact, prefix,
suffix, numeric ranges, anything-but, exists, wildcard, equals-ignore-case,
cidr, arrays, $or), then times, in the same process (CPU time):

- compile: seconds to add every rule to one EventMatcher;
- matcher: events per second through ``EventMatcher.matching_rules_json`` (one
  event = parsing its JSON text and finding every matching rule, as the shared
  benchmark counts it);
- naive: events per second for the per-rule loop that emulators use (moto,
  LocalStack): parse and flatten the event once, then test each rule's
  compiled pattern on its own. Same semantics, same validation, no shared
  states, so the ratio isolates what the shared index buys.

It also checks that both give the same match sets and that every witness event
(built by the generator to satisfy a rule) finds its rule, and prints which
accelerators are there (the C walk, built at install; orjson parses; gmpy2
lists set bits where the Python walk runs).

    .venv/bin/python bench/events_match.py [--sizes 10,1000,10000] [--events 2000] [--budget-s 10]

``factory()`` adapts EventMatcher to the shared benchmark's ``--machine``
interface (``PYTHONPATH=bench python ../shared/bench/events/events_bench.py
--backend moto --backend python --machine events_match:factory --sizes
1,100,1000,10000 --events 2000 --budget-s 45``).

Results, with the method and what an event costs: bench/README.md, section
"EventBridge matching".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asl_engine.eventbridge.patterns import EventMatcher, compile_pattern  # noqa: E402
from asl_engine.eventbridge.patterns.decode import orjson  # noqa: E402
from asl_engine.eventbridge.patterns.flatten import flatten  # noqa: E402
from asl_engine.eventbridge.patterns.masks import xmpz  # noqa: E402
from asl_engine.eventbridge.patterns.model import CompiledPattern, Exists  # noqa: E402
from asl_engine.eventbridge.patterns.native import Walker  # noqa: E402

WORKLOAD = ROOT.parent / "shared" / "bench" / "events" / "events_bench.py"


class _SharedBenchMachine:
    """The ``add_rule(name, pattern_json)`` / ``matches(event_json)`` shape events_bench.py drives."""

    def __init__(self) -> None:
        self._matcher = EventMatcher()
        self.matches: Callable[[str], Iterable[str]] = self._matcher.matching_rules_json  # type: ignore[assignment]

    def add_rule(self, name: str, pattern_json: str) -> None:
        self._matcher.add_rule(name, pattern_json)


def factory() -> _SharedBenchMachine:
    return _SharedBenchMachine()


def load_workload(path: Path) -> ModuleType:
    if not path.is_file():
        raise SystemExit(f"workload generator not found: {path} (pass --workload)")
    spec = importlib.util.spec_from_file_location("events_bench", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _rule_matches(compiled: CompiledPattern, leaves: dict) -> bool:
    for branch in compiled.branches:
        for path, values in branch.items():
            found = leaves.get(path)
            if found is None:
                ok = any(isinstance(v, Exists) and not v.present for v in values)
            else:
                ok = any(v.matches(leaf) for leaf, _ in found for v in values)
            if not ok:
                break
        else:
            return True
    return False


def naive_matcher(rules: list[dict]) -> Callable[[str], set[str]]:
    compiled = [(r["name"], compile_pattern(r["pattern_json"])) for r in rules]

    def match(event_json: str) -> set[str]:
        leaves = flatten(json.loads(event_json))
        return {name for name, pattern in compiled if _rule_matches(pattern, leaves)}

    return match


def throughput(match: Callable[[str], set[str]], events: list[dict], budget_s: float) -> tuple[float, list]:
    """Events per CPU second over as many events as fit in the budget (CPU time too); also the match sets."""
    results = []
    start = time.process_time()
    for event in events:
        results.append(match(event["json"]))
        if time.process_time() - start > budget_s:
            break
    elapsed = time.process_time() - start
    return len(results) / elapsed, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--budget-s", type=float, default=10.0, help="seconds of matching per backend and size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workload", type=Path, default=WORKLOAD)
    args = parser.parse_args(argv)
    workload = load_workload(args.workload)
    print(
        f"accelerators: C walk {'yes' if Walker else 'NO (extension not built)'}, orjson {'yes' if orjson else 'no'}, "
        f"gmpy2 {'yes' if xmpz else 'no'} (times are CPU time)"
    )
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"{'rules':>6} {'compile s':>9} {'matcher ev/s':>12} {'naive ev/s':>10} {'ratio':>7} "
        f"{'matches/ev':>10} {'witness':>8} {'agree':>6}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        rules = workload.generate_rules(size, args.seed)
        events = workload.generate_events(rules, args.events, args.seed + 1, 0.5)
        start = time.process_time()
        matcher = EventMatcher()
        for rule in rules:
            matcher.add_rule(rule["name"], rule["pattern_json"])
        compile_s = time.process_time() - start
        fast, fast_sets = throughput(matcher.matching_rules_json, events, args.budget_s)
        slow, slow_sets = throughput(naive_matcher(rules), events, args.budget_s)
        agree = sum(a == b for a, b in zip(fast_sets, slow_sets, strict=False)) / len(slow_sets)
        witnesses = [(e, s) for e, s in zip(events, fast_sets, strict=False) if e["witness_of"] is not None]
        hit = sum(rules[e["witness_of"]]["name"] in s for e, s in witnesses) / max(1, len(witnesses))
        mean = sum(len(s) for s in fast_sets) / len(fast_sets)
        print(
            f"{size:>6} {compile_s:>9.2f} {fast:>12.0f} {slow:>10.1f} {fast / slow:>6.1f}x "
            f"{mean:>10.1f} {hit:>8.1%} {agree:>6.1%}"
        )
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
