"""Compare the JSONata engines on PyPI on the JSONata 2.0.6 test suite.

Why this exists: issue 3 asks for the engine behind asl-engine's JSONata layer
to be chosen on evidence, and for that evidence to be reproducible.  This
script runs every case of the language-neutral suite (the one jsonata-js
2.0.6 ships, kept in ``../shared/conformance/jsonata``) against each engine
and prints, per engine, how many cases pass, how long the suite took, and how
fast a handful of Step Functions-shaped expressions evaluate once compiled.

Each engine runs in a worker subprocess so that a case that hangs (jsonatapy
has been seen to) is killed after ``--timeout`` seconds and the run goes on
with a fresh worker.  Engines that ship a top-level module of the same name
(jsonata-python and jsonata-rs both install ``jsonata``) cannot share a
virtualenv, so an engine can be given its own interpreter::

    python bench/jsonata_engines.py                       # every engine importable here
    python bench/jsonata_engines.py --engine jsonata-python --engine jsonata-rs=/tmp/rs/bin/python
    python bench/jsonata_engines.py --failures jsonata-python   # list what one engine fails

``--engine asl-engine`` runs the suite through asl-engine's own layer
(``asl_engine.query.jsonata``), which is what the conformance test asserts on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_SUITE = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "jsonata"
ENGINES = ("asl-engine", "jsonata-python", "jsonatapy", "jlens", "jsonata-rs", "jsonata2py",
           "zopyx-pyjsonata")
_CODE = re.compile(r"\b([SDTU]\d{4})\b")

# Step Functions-shaped expressions for the speed figure: what Output, Assign and
# Choice conditions typically hold.  "big input" reads one field of a state input
# with 2,000 records, where engines that convert every binding up front pay for it.
MICRO = [
    ("path", "$states.input.order.customer.name"),
    ("filter+map", "$states.input.order.items[price > 10].sku"),
    ("aggregate", "$sum($states.input.order.items.(price * qty))"),
    ("object", '{"id": $states.input.order.id, "total": $sum($states.input.order.items.price), '
               '"n": $count($states.input.order.items)}'),
    ("condition", "$states.input.order.status = 'OPEN' and $count($states.input.order.items) > 3"),
    ("string", "$uppercase($states.input.order.customer.name) & '-' & $string($states.input.order.id)"),
    ("big input", "$states.input.order.id"),
]
MICRO_BINDINGS = {"states": {"input": {"order": {
    "id": 4711, "status": "OPEN", "customer": {"name": "Ada", "tier": "gold"},
    "items": [{"sku": f"SKU-{i}", "price": 5 + i * 1.5, "qty": i % 4 + 1} for i in range(20)]}},
    "context": {"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e"}}}}
# AWS quotes the engine's error text in States.QueryEvaluationError causes, and that text is
# jsonata-js's: the first was recorded on AWS (sfn/intrinsic_functions), the others are
# jsonata-js 2.0.6's message catalog.  The suite checks codes only, so this checks the wording.
MESSAGES = [
    ("$randomSeeded(1)", "T1006", "Attempted to invoke a non-function"),
    ('"a" + 1', "T2001", 'The left side of the "+" operator must evaluate to a number'),
    ('$number("x")', "D3030", 'Unable to cast value to a number: "x"'),
    ('$sum("a")', "T0412", 'Argument 1 of function "sum" must be an array of "numbers"'),
    ("1 +", "S0207", "Unexpected end of expression"),
    ('"abc', "S0101", "String literal must be terminated by a matching quote"),
]
BIG_BINDINGS = {"states": {"input": {**MICRO_BINDINGS["states"]["input"],
                                     "records": [{"id": i, "name": f"r{i}", "tags": ["a", "b"]}
                                                 for i in range(2000)]}}}


# --------------------------------------------------------------------------- worker side

class _Undefined:
    """Marks "no input document" on the way in and an undefined result on the way out."""


UNDEF = _Undefined()


def _adapter(engine: str):
    """Return ``(compile, evaluate)`` for one engine; ``evaluate`` returns UNDEF for undefined."""
    if engine == "asl-engine":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from asl_engine.query import jsonata as layer

        def ev(expr, data, bindings, timelimit, depth):
            out = expr.evaluate(bindings, input=layer.UNDEFINED if data is UNDEF else data)
            return UNDEF if out is layer.UNDEFINED else out
        return layer.compile_expression, ev

    if engine == "jsonata-python":
        from jsonata import Jsonata, utils

        def comp(src):
            expr = Jsonata(src)
            expr.set_output_convert_nulls(False)
            return src, expr

        def ev(compiled, data, bindings, timelimit, depth):
            src, expr = compiled
            if timelimit or depth:
                expr = Jsonata(src, timeout=timelimit, stack=depth)
                expr.set_output_convert_nulls(False)
            Jsonata.CURRENT.jsonata = expr
            out = expr.evaluate(None if data is UNDEF else data, bindings)
            return UNDEF if out is None else utils.Utils.convert_nulls(out)
        return comp, ev

    if engine == "jsonatapy":
        import jsonatapy

        def ev(expr, data, bindings, timelimit, depth):
            out = expr.evaluate_json_or_none(None if data is UNDEF else json.dumps(data), bindings,
                                             timeout=timelimit, max_stack_depth=depth)
            return UNDEF if out is None else json.loads(out)
        return jsonatapy.compile, ev

    if engine == "jlens":
        import jlens

        def ev(expr, data, bindings, timelimit, depth):
            out = expr.evaluate_json(None if data is UNDEF else json.dumps(data), bindings,
                                     timeout=timelimit / 1000 if timelimit else None, max_depth=depth)
            return UNDEF if out is None else json.loads(out)
        return jlens.Expression, ev

    if engine == "jsonata-rs":
        import jsonata

        def comp(src):
            expr = jsonata.Jsonata(src)
            expr.set_output_convert_nulls(False)
            return expr

        def ev(expr, data, bindings, timelimit, depth):
            out = expr.evaluate(bindings=bindings) if data is UNDEF else expr.evaluate(data, bindings)
            return UNDEF if out is jsonata.UNDEFINED else out
        return comp, ev

    if engine == "jsonata2py":
        import jsonata2py

        def ev(expr, data, bindings, timelimit, depth):
            env = jsonata2py.JsonataBindings()
            for name, value in bindings.items():
                env.bind_value(name, value)
            out = expr.evaluate(jsonata2py.MISSING if data is UNDEF else data, env)
            return UNDEF if out is jsonata2py.MISSING else out
        return jsonata2py.compile, ev

    if engine == "zopyx-pyjsonata":
        from zopyx import pyjsonata

        def ev(expr, data, bindings, timelimit, depth):
            out = expr.evaluate(pyjsonata.UNDEFINED if data is UNDEF else data, bindings, depth, timelimit)
            return UNDEF if isinstance(out, pyjsonata.Undefined) else out
        return pyjsonata.Jsonata, ev

    raise SystemExit(f"unknown engine {engine!r}")


def _error_code(exc: BaseException) -> str:
    for attr in ("code", "error_code", "error"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and _CODE.fullmatch(value):
            return value
    match = _CODE.search(str(exc))
    return match.group(1) if match else ""


def _jsonable(value: Any) -> Any:
    """Plain JSON, with functions and non-finite numbers made visible rather than fatal."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__nonfinite__": repr(value)}
    return {"__unserializable__": type(value).__name__}


def worker(engine: str) -> None:
    """Read one case per line on stdin, write one outcome per line on stdout."""
    sys.setrecursionlimit(20000)
    # Engines that print (from Python or native code) must not corrupt the protocol on fd 1.
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    compile_, evaluate = _adapter(engine)
    for line in sys.stdin:
        case = json.loads(line)
        data = case.get("data", UNDEF)
        out: dict[str, Any] = {}
        t0 = time.perf_counter()
        try:
            expr = compile_(case["expr"])
            t1 = time.perf_counter()
            result = evaluate(expr, data, case.get("bindings") or {}, case.get("timelimit"),
                              case.get("depth"))
            t2 = time.perf_counter()
            out = {"kind": "undefined"} if result is UNDEF else {"kind": "value", "value": _jsonable(result)}
            out.update(compile_s=t1 - t0, eval_s=t2 - t1)
        except RecursionError:
            out = {"kind": "error", "code": "RecursionError", "message": "Python recursion limit"}
        except Exception as exc:
            out = {"kind": "error", "code": _error_code(exc), "message": f"{type(exc).__name__}: {exc}"[:300]}
        channel.write(json.dumps(out) + "\n")
        channel.flush()


def micro_worker(engine: str, iterations: int) -> None:
    """Time compiled evaluation of the Step Functions-shaped expressions."""
    compile_, evaluate = _adapter(engine)
    report = {}
    for name, src in MICRO:
        bindings = BIG_BINDINGS if name == "big input" else MICRO_BINDINGS
        try:
            expr = compile_(src)
            evaluate(expr, UNDEF, bindings, None, None)
            t0 = time.perf_counter()
            for _ in range(iterations):
                evaluate(expr, UNDEF, bindings, None, None)
            report[name] = (time.perf_counter() - t0) / iterations * 1e6
        except Exception as exc:
            report[name] = f"error: {exc}"[:80]
    print(json.dumps(report))


# --------------------------------------------------------------------------- driver side

def load_cases(suite: Path) -> list[dict[str, Any]]:
    """Every case of the suite, in a stable order, with its input resolved."""
    datasets = {p.stem: json.loads(p.read_text()) for p in (suite / "datasets").glob("*.json")}
    cases = []
    for path in sorted((suite / "groups").glob("*/*.json")):
        loaded = json.loads(path.read_text())
        many = isinstance(loaded, list)
        for i, case in enumerate(loaded if many else [loaded]):
            case = dict(case)
            case["name"] = f"{path.parent.name}/{path.stem}" + (f"[{i}]" if many else "")
            if isinstance(case.get("error"), dict):  # some cases spell the expected code this way
                case["code"] = case["error"]["code"]
            if "expr-file" in case:
                case["expr"] = (path.parent / case["expr-file"]).read_text()
            if "data" not in case and case.get("dataset") is not None:
                case["data"] = datasets[case["dataset"]]
            cases.append(case)
    return cases


def _same(actual: Any, expected: Any) -> bool:
    """Deep equality as the JS runner's deep.equal sees it: 1 == 1.0, but true != 1."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return actual == expected
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(map(_same, actual, expected))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(_same(actual[k], expected[k]) for k in expected)
    return type(actual) is type(expected) and actual == expected


def judge(case: dict[str, Any], out: dict[str, Any]) -> str | None:
    """None when the outcome matches the case, else a short reason."""
    if "code" in case:
        if out["kind"] != "error":
            return f"expected error {case['code']}, got {out['kind']} {json.dumps(out.get('value'))[:80]}"
        return None if out["code"] == case["code"] else f"expected {case['code']}, got {out['message']}"
    if out["kind"] == "error":
        return f"raised {out['message']}"
    if case.get("undefinedResult"):
        if out["kind"] != "undefined":
            return f"expected undefined, got {json.dumps(out['value'])[:80]}"
        return None
    if out["kind"] == "undefined":
        return "returned undefined"
    actual, expected = out["value"], case.get("result")
    if case.get("unordered") and isinstance(actual, list) and isinstance(expected, list):
        key = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731
        actual, expected = sorted(actual, key=key), sorted(expected, key=key)
    return None if _same(actual, expected) else f"got {json.dumps(actual)[:120]}"


class Worker:
    """A worker subprocess for one engine, restarted after a timeout."""

    def __init__(self, engine: str, python: str) -> None:
        self.engine, self.python, self.proc = engine, python, None

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([self.python, __file__, "--worker", self.engine], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def run(self, case: dict[str, Any], timeout: float) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        payload = {k: case[k] for k in ("expr", "data", "bindings", "timelimit", "depth") if k in case}
        self.proc.stdin.write(json.dumps(payload) + "\n")
        self.proc.stdin.flush()
        line = _readline(self.proc, timeout)
        if line is None:
            self.close()
            return {"kind": "error", "code": "timeout", "message": f"timeout after {timeout:g} s"}
        if not line:
            self.proc = None
            return {"kind": "error", "code": "crash", "message": "worker died"}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _readline(proc: subprocess.Popen, timeout: float) -> str | None:
    import selectors
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        return proc.stdout.readline() if sel.select(timeout) else None


def run_engine(engine: str, python: str, cases: list[dict[str, Any]], timeout: float) -> dict[str, Any]:
    probe = subprocess.run([python, __file__, "--probe", engine], capture_output=True, text=True)
    if probe.returncode:
        return {"engine": engine, "unavailable": probe.stderr.strip().splitlines()[-1:]}
    w = Worker(engine, python)
    failures, compile_s, eval_s = {}, 0.0, 0.0
    t0 = time.perf_counter()
    try:
        for case in cases:
            out = w.run(case, timeout)
            compile_s += out.get("compile_s", 0.0)
            eval_s += out.get("eval_s", 0.0)
            reason = judge(case, out)
            if reason:
                failures[case["name"]] = reason
        wall = time.perf_counter() - t0
        wording = {}
        for expr, code, text in MESSAGES:
            out = w.run({"expr": expr}, timeout)
            if out["kind"] != "error" or out["code"] != code or text not in out["message"]:
                wording[expr] = out.get("message") or out["kind"]
    finally:
        w.close()
    return {"engine": engine, "passed": len(cases) - len(failures), "total": len(cases), "wall_s": wall,
            "compile_s": compile_s, "eval_s": eval_s, "failures": failures,
            "timeouts": sorted(n for n, r in failures.items() if "timeout" in r), "wording_failures": wording}


def run_micro(engine: str, python: str, iterations: int) -> dict[str, Any]:
    try:
        proc = subprocess.run([python, __file__, "--micro-worker", engine, "--iterations", str(iterations)],
                              capture_output=True, text=True, timeout=300)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, IndexError, json.JSONDecodeError):
        return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", type=Path, default=DEFAULT_SUITE)
    ap.add_argument("--engine", action="append", metavar="NAME[=PYTHON]",
                    help=f"engine to run, optionally with its interpreter; one of {', '.join(ENGINES)}")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds allowed per case")
    ap.add_argument("--iterations", type=int, default=2000, help="evaluations per micro-benchmark expression")
    ap.add_argument("--failures", metavar="NAME", help="list every failing case of this engine")
    ap.add_argument("--json", type=Path, help="write the full report here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--micro-worker", help=argparse.SUPPRESS)
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return _adapter(args.probe) and None
    if args.worker:
        return worker(args.worker)
    if args.micro_worker:
        return micro_worker(args.micro_worker, args.iterations)
    if not (args.suite / "groups").is_dir():
        raise SystemExit(f"JSONata suite not found at {args.suite} (pass --suite)")
    cases = load_cases(args.suite)
    specs = args.engine or list(ENGINES)
    reports = []
    for spec in specs:
        name, _, python = spec.partition("=")
        report = run_engine(name, python or sys.executable, cases, args.timeout)
        if "unavailable" not in report:
            report["micro_us"] = run_micro(name, python or sys.executable, args.iterations)
        reports.append(report)
        _print_row(report)
    if args.failures:
        for report in reports:
            if report["engine"] == args.failures:
                for case, reason in sorted(report.get("failures", {}).items()):
                    print(f"  {case}: {reason}")
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1))


def _print_row(r: dict[str, Any]) -> None:
    if "unavailable" in r:
        print(f"{r['engine']:16} not importable: {' '.join(r['unavailable'])}", flush=True)
        return
    micro = r.get("micro_us") or {}
    times = [v for v in micro.values() if isinstance(v, float)]
    micro_txt = (f"micro mean {sum(times) / len(times):8.1f} us/eval ({len(times)}/{len(MICRO)} ok)"
                 if times else "micro n/a")
    print(f"{r['engine']:16} {r['passed']:5}/{r['total']} passed ({100 * r['passed'] / r['total']:.1f}%)"
          f"  suite {r['wall_s']:6.1f} s (compile {r['compile_s']:.2f} s, eval {r['eval_s']:.2f} s)"
          f"  timeouts {len(r['timeouts'])}  {micro_txt}"
          f"  jsonata-js wording {len(MESSAGES) - len(r['wording_failures'])}/{len(MESSAGES)}", flush=True)
    for expr, got in r["wording_failures"].items():
        print(f"{'':18}wording of {expr!r}: {got}")
    for name, value in micro.items():
        print(f"{'':18}{name:12} {value if isinstance(value, str) else f'{value:9.1f} us'}")


if __name__ == "__main__":
    main()
