#!/usr/bin/env python3
"""Time asl-engine against aws-local-stepfunctions on the shared ASL workloads, in one run.

Issue 2 holds the engine to: at least 1.5x faster than aws-local-stepfunctions
(npm; the fastest peer) on every workload with history recorded, map_100k
below 400 MiB peak RSS, and 50,000+ transitions/s.  This script measures
exactly that, side by side, so the ratio is taken under the same machine load.

It reuses the shared harness (``<workloads-dir>/../run_bench.py``): its
workload generators give the expected outputs and transition counts, its
``bench_one`` does the repeats, the IntervalSeconds 0 -> 1 fallback and the
correctness check, its ``run_child`` runs every execution in a fresh process
and reads the peak RSS from wait4, and its ``node_runner.mjs`` worker times the
peer.  Only the asl-engine worker is new:

- setup (not timed): ``StateMachine(definition_dict, name=..., type="STANDARD")``;
- exec s (timed): ``sm.run(input, clock=VirtualClock(), history_limit=None)``
  plus ``len(result.history_log)``: the history is always recorded, its events
  counted, not rendered; ``history_limit=None`` lifts the 25,000-event quota
  of STANDARD executions, which choice_loop and map_* exceed on purpose.

``retry_catch`` uses IntervalSeconds 0, which the engine rightly rejects; it is
rerun with 1 (marked †) and the virtual clock makes the waits free.  The
workloads named by ``--lift-payload-quota`` (default: map_100k, whose items
exceed the 256 KiB quota on purpose) run with ``payload_limit=None`` (marked ‡).

Setup of the peer, once, from the repository root (Node >= 20):

    npm install --prefix bench/.node aws-local-stepfunctions@3.0.0

Examples:

    .venv/bin/python bench/run_bench.py                                   # all workloads, 3 repeats
    .venv/bin/python bench/run_bench.py --workloads map_10k,choice_loop --repeat 5 --json out.json
    .venv/bin/python bench/run_bench.py --engine-only --repeat 1          # quick check while optimizing
    .venv/bin/python bench/run_bench.py --profile bench/results/profile   # cProfile each workload

The Markdown table goes to stdout, per-run progress to stderr; bench/README.md
explains the columns and holds the latest results.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import json
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from asl_engine import InvalidDefinition, StateMachine, VirtualClock

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_WORKLOADS_DIR = ROOT.parent / "shared" / "bench" / "workloads"
DEFAULT_NODE_DIR = BENCH_DIR / ".node"
PEER_PACKAGE = "aws-local-stepfunctions"
NODE_SETUP = f"npm install --prefix bench/.node {PEER_PACKAGE}@3.0.0"
ENGINE, PEER = "asl-engine", "node"
SPEEDUP_TARGET = 1.5
TRANSITIONS_AIM = 50_000
RSS_TARGET_MIB = {"map_100k": 400}
QUOTA_LIFTED_NOTE = "payload quota lifted (payload_limit=None)"


# --------------------------------------------------------------------------
# Child process: one asl-engine execution
# --------------------------------------------------------------------------

class GcClock:
    """Wall time spent in the cyclic garbage collector while it is entered.

    cProfile cannot show it: it bills each collection to whichever function
    happened to allocate, so it is measured apart, from ``gc.callbacks``.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def run_options(lift_payload_quota: bool) -> dict[str, Any]:
    """``StateMachine.run`` options of every measured run (timed or profiled), so both measure the same.

    The virtual clock makes retry_catch's backoffs free; ``history_limit=None``
    lifts the 25,000-event quota, not the recording.
    """
    options: dict[str, Any] = {"clock": VirtualClock(), "history_limit": None}
    if lift_payload_quota:
        options["payload_limit"] = None
    return options


def engine_worker(args: argparse.Namespace) -> None:
    """Accept the definition, then time one execution; write a record the shared harness can read.

    Runs in a fresh process (started by ``engine_runner``) so that its peak RSS
    is this execution's alone.
    """
    record: dict[str, Any] = {}

    def finish(**fields: Any) -> NoReturn:
        record.update(fields)
        Path(args.result).write_text(json.dumps(record))
        os._exit(0)

    def on_timeout(_signum: int, _frame: Any) -> None:
        finish(status="TIMEOUT", error=f"execution not finished after {args.timeout:g} s")

    definition = json.loads(Path(args.definition).read_text())
    data = json.loads(Path(args.input).read_text())
    name = Path(args.definition).name.split(".")[0]
    t0 = time.perf_counter()
    try:
        sm = StateMachine(definition, name=name, type="STANDARD")
    except InvalidDefinition as e:
        finish(status="CREATE_FAILED", setup_s=time.perf_counter() - t0,
               error="; ".join(str(d) for d in e.diagnostics))
    setup_s = time.perf_counter() - t0
    options = run_options(args.no_payload_limit)
    signal.signal(signal.SIGALRM, on_timeout)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    with GcClock() as gc_clock:
        t1 = time.perf_counter()
        result = sm.run(data, **options)
        history_events = len(result.history_log)
        exec_s = time.perf_counter() - t1
    signal.setitimer(signal.ITIMER_REAL, 0)
    measured = {"setup_s": setup_s, "exec_s": exec_s, "gc_s": gc_clock.seconds, "history_events": history_events}
    if result.status == "SUCCEEDED":
        finish(status="SUCCEEDED", output=result.output, **measured)
    finish(status="FAILED", error=f"{result.status}: {result.error}: {result.cause}", **measured)


# --------------------------------------------------------------------------
# Parent: backends plugged into the shared harness
# --------------------------------------------------------------------------

def load_shared_harness(workloads_dir: Path) -> ModuleType:
    """Import the shared run_bench.py beside ``workloads_dir`` and point it at that directory."""
    path = workloads_dir.parent / "run_bench.py"
    if not path.exists():
        sys.exit(f"the shared harness {path} is missing (it must sit beside the workloads directory)")
    spec = importlib.util.spec_from_file_location("shared_run_bench", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  # its dataclasses look themselves up here
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    module.WORKLOAD_DIR = workloads_dir
    return module


def engine_runner(shared: ModuleType, lifted: set[str]) -> Callable[..., Any]:
    """A backend for the shared ``bench_one``: one asl-engine worker process per execution."""

    def run(dp: Path, ip: Path, timeout: float, _count: bool, _args: argparse.Namespace) -> Any:
        workload = dp.name.split(".")[0]
        with tempfile.TemporaryDirectory() as td:
            rf = Path(td) / "result.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--definition", str(dp),
                   "--input", str(ip), "--result", str(rf), "--timeout", str(timeout)]
            if workload in lifted:
                cmd.append("--no-payload-limit")
            record = shared._worker_record(shared.run_child(cmd, timeout + shared.WORKER_GRACE), rf)
            if rf.exists():
                # Extra attributes: the shared RunRecord has no field for them, and
                # vars(record) is what lands in the --json runs.
                extra = json.loads(rf.read_text())
                record.history_events, record.gc_s = extra.get("history_events"), extra.get("gc_s")
        if workload in lifted:
            record.note = QUOTA_LIFTED_NOTE
        return record

    return run


def check_peer(node_dir: Path) -> str:
    """The installed peer version; exits with the setup command when it is missing."""
    manifest = node_dir / "node_modules" / PEER_PACKAGE / "package.json"
    if not manifest.exists():
        sys.exit(f"{PEER_PACKAGE} is not installed in {node_dir}; from the repository root run:\n"
                 f"  {NODE_SETUP}\n(or pass --engine-only)")
    return json.loads(manifest.read_text())["version"]


def engine_commit() -> str:
    """The checked-out commit, ``-dirty`` when tracked files differ: the tree may change while benchmarking."""
    return _version(["git", "describe", "--always", "--dirty"])


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def _s(x: float) -> str:
    """Seconds with 3 significant digits below 1 s, so that the small workloads do not read as 0.000."""
    return f"{x:.3g}" if x < 1 else f"{x:.2f}"


def _seconds(s: Any) -> str:
    if s is None or s.exec_median is None:
        return "-" if s is None else s.status
    return _s(s.exec_median) + (f" ({_s(s.exec_min)}-{_s(s.exec_max)})" if s.runs > 1 else "")


def _rate(s: Any) -> str:
    return "-" if s is None or s.transitions_per_s is None else f"{s.transitions_per_s:,.0f}"


def _rss(s: Any) -> str:
    return "-" if s is None else f"{s.peak_rss_mib:.0f}"


def _correct(s: Any) -> str:
    return "-" if s is None else {True: "yes", False: "NO", None: "-"}[s.correct]


def engine_extras(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """History events recorded, and the median share of exec s spent in the garbage collector."""
    timed = [r for r in runs if r.get("exec_s") and r.get("gc_s") is not None]
    return {"history_events": next((r["history_events"] for r in runs if r.get("history_events")), None),
            "gc_share": statistics.median(r["gc_s"] / r["exec_s"] for r in timed) if timed else None}


def speedup(engine: Any, peer: Any) -> float | None:
    """How many times faster the engine ran than the peer (median exec s over median exec s)."""
    if engine is None or peer is None or not engine.exec_median or not peer.exec_median:
        return None
    return peer.exec_median / engine.exec_median


def shortfalls(row: dict[str, Any]) -> list[str]:
    """The issue-2 targets this workload misses (empty when it meets them all)."""
    engine, misses = row["engine"], []
    if engine.correct is not True:
        misses.append(f"asl-engine status {engine.status}, correct={engine.correct}")
    peer, ratio = row["peer"], row["speedup"]
    if peer is not None and ratio is not None and ratio < SPEEDUP_TARGET:
        misses.append(f"speedup {ratio:.1f}x, below {SPEEDUP_TARGET}x")
    elif peer is not None and ratio is None and engine.correct:
        misses.append(f"speedup not measured (node: {peer.status})")
    limit = RSS_TARGET_MIB.get(row["workload"])
    if limit is not None and engine.peak_rss_mib >= limit:
        misses.append(f"peak RSS {engine.peak_rss_mib:.0f} MiB >= {limit} MiB")
    return misses


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The results table, the markers' meaning and the machine conditions, as Markdown."""
    out = ["| workload | transitions | history events | asl-engine exec s, median (min-max) | asl-engine "
           "transitions/s | asl-engine GC % of exec | asl-engine peak RSS MiB | node exec s, median (min-max) | "
           "node transitions/s | node peak RSS MiB | correct (engine / node) | speedup (node ÷ engine) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        engine, peer = row["engine"], row["peer"]
        mark = " †" if engine.interval_fallback else ""
        mark += " ‡" if row["workload"] in meta["lifted"] else ""
        ratio = "-" if row["speedup"] is None else f"{row['speedup']:.1f}x"
        events = "-" if row["history_events"] is None else f"{row['history_events']:,}"
        in_gc = "-" if row["gc_share"] is None else f"{100 * row['gc_share']:.0f}"
        out.append(f"| {row['workload']}{mark} | {engine.transitions:,} | {events} | {_seconds(engine)} | "
                   f"{_rate(engine)} | {in_gc} | {_rss(engine)} | {_seconds(peer)} | {_rate(peer)} | {_rss(peer)} | "
                   f"{_correct(engine)} / {_correct(peer)} | {ratio} |")
    out += ["", "† IntervalSeconds 0 rejected (InvalidDefinition), as AWS does; ran with IntervalSeconds 1 "
                "on the virtual clock.",
            "‡ run with `payload_limit=None` (the workload exceeds the 256 KiB payload quota on purpose).",
            "",
            f"Conditions: {meta['time']}; {meta['cpus']} CPUs, shared; 1-minute load average "
            f"{meta['load_min']:.2f}-{meta['load_max']:.2f} during the run; repeats: {meta['repeat']}, each "
            f"in a fresh process; Python {meta['python']}; asl-engine {meta['engine_commit']}; "
            f"{meta['peer']}."]
    missed = [(row["workload"], m) for row in rows for m in shortfalls(row)]
    targets = f"speedup >= {SPEEDUP_TARGET}x, map_100k < {RSS_TARGET_MIB['map_100k']} MiB, correct output"
    if all(row["peer"] is None for row in rows):
        targets += "; speedup not measured"
    out.append("")
    out.append(f"Issue-2 targets ({targets}): " + ("all met." if not missed else "missed: " + "; ".join(
        f"{w}: {m}" for w, m in missed) + "."))
    slow = [f"{row['workload']} ({_rate(row['engine'])})" for row in rows
            if (row["engine"].transitions_per_s or 0) < TRANSITIONS_AIM]
    if slow:
        out.append(f"Below the {TRANSITIONS_AIM:,} transitions/s aim: {', '.join(slow)}.")
    return "\n".join(out)


# --------------------------------------------------------------------------
# Profiling
# --------------------------------------------------------------------------

def _where(key: tuple[str, int, str]) -> tuple[str, str]:
    """(function, file:line) of a pstats key, the file relative to the repository when it is ours."""
    file, line, function = key
    if file == "~":  # a builtin, e.g. {built-in method builtins.isinstance}
        return function, "builtin"
    path = Path(file)
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(*path.parts[-2:])
    return function, f"{where}:{line}"


def hot_spots(stats: pstats.Stats, top: int) -> str:
    """Two Markdown tables: the engine's functions by cumulative time, then every function by self time.

    The cumulative list keeps to asl_engine/ because the asyncio and
    ``StateMachine.run`` wrappers above it are ~100 % and say nothing.
    """
    total = stats.total_tt
    entries = stats.stats.items()
    engine = [e for e in entries if Path(e[0][0]).is_relative_to(ROOT / "asl_engine")]
    out = []
    for title, rows, sort in (("by cumulative time (asl_engine only)", engine, 3), ("by self time", entries, 2)):
        out += [f"Top {top} {title}:", "", "| cum % | self % | calls | function | file:line |",
                "|---|---|---|---|---|"]
        for key, (_cc, calls, tt, ct, _callers) in sorted(rows, key=lambda e: e[1][sort], reverse=True)[:top]:
            function, where = _where(key)
            out.append(f"| {100 * ct / total:.1f} | {100 * tt / total:.1f} | {calls:,} | `{function}` | "
                       f"{where} |")
        out.append("")
    return "\n".join(out)


def profile_workloads(shared: ModuleType, names: list[str], lifted: set[str], out_dir: Path,
                      top: int) -> None:
    """Per workload: one plain in-process run (exec s and its GC time), then one under cProfile.

    The hot spots go to stdout and to ``<name>.md``; ``<name>.prof`` opens with
    ``python -m pstats`` or snakeviz.  cProfile's per-call overhead inflates
    small, hot functions (runs take 2-4x longer), and it bills garbage
    collection to whichever function allocated, so read it for where the
    time goes and the plain run for how much.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        wl = shared.WORKLOADS[name]()
        try:
            sm = StateMachine(wl.definition, name=name, type="STANDARD")
        except InvalidDefinition:
            sm = StateMachine(shared.interval_zero_to_one(wl.definition), name=name, type="STANDARD")
        with GcClock() as gc_clock:
            t0 = time.perf_counter()
            sm.run(wl.input, **run_options(name in lifted))
            plain_s = time.perf_counter() - t0
        profiler = cProfile.Profile()
        result = profiler.runcall(sm.run, wl.input, **run_options(name in lifted))
        profiler.dump_stats(out_dir / f"{name}.prof")
        stats = pstats.Stats(profiler)
        verdict = "correct" if result.output == wl.expected else \
            f"WRONG OUTPUT ({result.status} {result.error} {result.cause})"
        text = (f"### {name}\n\n{wl.transitions:,} transitions, {len(result.history_log):,} history events, "
                f"{verdict}. Plain run {_s(plain_s)} s, of which {_s(gc_clock.seconds)} s "
                f"({100 * gc_clock.seconds / plain_s:.0f} %) in the garbage collector; "
                f"{stats.total_tt:.3f} s under cProfile.\n\n{hot_spots(stats, top)}")
        (out_dir / f"{name}.md").write_text(text)
        print(text, flush=True)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads-dir", type=Path, default=DEFAULT_WORKLOADS_DIR,
                   help="directory of <name>.asl.json / <name>.input.json; the shared run_bench.py must sit "
                        "in its parent (default: ../shared/bench/workloads from the repository root)")
    p.add_argument("--workloads", help="comma-separated subset (default: every workload in the directory)")
    p.add_argument("--repeat", type=int, default=3, help="executions per workload and backend (default 3)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per execution (default 120)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the summaries and every run to this file")
    p.add_argument("--node-dir", type=Path, default=DEFAULT_NODE_DIR,
                   help=f"npm project holding {PEER_PACKAGE} (default bench/.node)")
    p.add_argument("--lift-payload-quota", default="map_100k", metavar="A,B",
                   help="workloads run with payload_limit=None (default map_100k)")
    p.add_argument("--engine-only", action="store_true", help="skip the peer (no speedup column)")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="instead of timing, cProfile one execution per workload into DIR")
    p.add_argument("--profile-top", type=int, default=15,
                   help="functions per hot-spot table with --profile (default 15)")
    # The asl-engine worker (internal: run by this script in a child process).
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--definition", help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--no-payload-limit", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.count_transitions = False  # read by the shared bench_one; event-log counts are not compared here
    return args


def select_workloads(shared: ModuleType, workloads_dir: Path, wanted: str | None) -> list[str]:
    """Workload names in the shared harness's order; each needs a generator (the expected output)."""
    present = sorted(p.name.removesuffix(".asl.json") for p in workloads_dir.glob("*.asl.json"))
    if wanted:
        names = [w.strip() for w in wanted.split(",") if w.strip()]
    else:
        names = [w for w in present if w in shared.WORKLOADS]
        for w in sorted(set(present) - set(names)):
            print(f"skipping {w}: the shared harness has no generator for it (no expected output)",
                  file=sys.stderr)
    unknown = [w for w in names if w not in shared.WORKLOADS]
    if unknown:
        sys.exit(f"no generator (hence no expected output) for {unknown}; "
                 f"known: {', '.join(shared.WORKLOADS)}")
    missing = [w for w in names if w not in present]
    if missing:
        sys.exit(f"not in {workloads_dir}: {missing}")
    return [w for w in shared.WORKLOADS if w in names]


def main() -> None:
    args = parse_args()
    if args.worker:
        engine_worker(args)
        return
    workloads_dir = args.workloads_dir.resolve()
    shared = load_shared_harness(workloads_dir)
    names = select_workloads(shared, workloads_dir, args.workloads)
    lifted = {w.strip() for w in args.lift_payload_quota.split(",") if w.strip()}
    if args.profile:
        profile_workloads(shared, names, lifted, args.profile, args.profile_top)
        return
    peer_version = None if args.engine_only else check_peer(args.node_dir)
    commit_at_start = engine_commit()
    args.node_dir = str(args.node_dir.resolve())  # the shared run_node passes it to node as text
    shared.BACKENDS[ENGINE] = engine_runner(shared, lifted)
    backends = [ENGINE] if args.engine_only else [ENGINE, PEER]

    loads = [os.getloadavg()[0]]
    rows, runs = [], {b: {} for b in backends}
    for name in names:
        wl = shared.WORKLOADS[name]()
        shared.ensure_files(wl)  # exits when the files differ from the generator
        summaries = {}
        for backend in backends:
            print(f"[{backend}] {name} ({wl.transitions:,} transitions)", file=sys.stderr, flush=True)
            before = os.getloadavg()[0]
            summary, raw = shared.bench_one(wl, backend, args)
            loads.append(os.getloadavg()[0])
            summary.loadavg_1m = [round(before, 2), round(loads[-1], 2)]
            summaries[backend], runs[backend][name] = summary, raw
        engine, peer = summaries[ENGINE], summaries.get(PEER)
        rows.append({"workload": name, "engine": engine, "peer": peer, "speedup": speedup(engine, peer),
                     **engine_extras(runs[ENGINE][name])})

    commit_at_end = engine_commit()
    meta = {"time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "load_min": min(loads), "load_max": max(loads), "repeat": args.repeat,
            "python": platform.python_version(),
            "engine_commit": commit_at_start if commit_at_end == commit_at_start
            else f"{commit_at_start}, changed to {commit_at_end} during the run",
            "peer": f"node {_version(['node', '--version'])}, {PEER_PACKAGE} {peer_version}" if peer_version
            else "peer skipped (--engine-only)", "lifted": sorted(lifted),
            "workloads_dir": str(workloads_dir)}
    print(markdown(rows, meta))
    for row in rows:
        for summary in filter(None, (row["engine"], row["peer"])):
            for note in summary.notes:
                if not note.endswith(QUOTA_LIFTED_NOTE):  # already marked ‡ in the table
                    print(f"\n{row['workload']}/{summary.backend}: {note}")
            if summary.error:
                error = shared._tail(summary.error, 400)
                print(f"\n{row['workload']}/{summary.backend}: {summary.status}: {error}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        results = [{"workload": r["workload"], "speedup": r["speedup"], "history_events": r["history_events"],
                    "gc_share": r["gc_share"], "targets_missed": shortfalls(r), ENGINE: vars(r["engine"]),
                    PEER: vars(r["peer"]) if r["peer"] else None} for r in rows]
        args.json.write_text(json.dumps({"meta": meta, "workloads": results, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
