"""JSONata mode against JSONPath mode on the same workloads, in one process.

The JSONPath workloads are the shared ones (``../shared/bench/workloads``);
their JSONata twins live in ``bench/workloads_jsonata`` and must produce the
same output.  Issue 3's bar: JSONata mode costs no more than 3x JSONPath mode.

    .venv/bin/python bench/jsonata_modes.py [--repeat 5] [--workloads choice_loop,map_10k]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from asl_engine import StateMachine, VirtualClock

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench" / "workloads"
TWINS = HERE / "workloads_jsonata"
BAR = 3.0


def _time(definition: Path, input_: Any, repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs (definition compiled once, outside the timing) and the output."""
    sm = StateMachine(definition, name=definition.stem.replace(".", "_"))
    times, output = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = sm.run(input_, clock=VirtualClock(), history_limit=None)
        times.append(time.perf_counter() - start)
        if result.status != "SUCCEEDED":
            raise SystemExit(f"{definition}: {result.status} {result.error}: {result.cause}")
        output = result.output
    return statistics.median(times), output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workloads", default=",".join(sorted(p.name.split(".")[0] for p in TWINS.glob("*.json"))))
    args = parser.parse_args(argv)
    print("| workload | JSONPath s | JSONata s | JSONata / JSONPath | same output | within 3x |")
    print("|---|---|---|---|---|---|")
    ok = True
    for name in args.workloads.split(","):
        input_ = json.loads((SHARED / f"{name}.input.json").read_text())
        path_s, path_out = _time(SHARED / f"{name}.asl.json", input_, args.repeat)
        nata_s, nata_out = _time(TWINS / f"{name}.asl.json", input_, args.repeat)
        ratio = nata_s / path_s
        same = path_out == nata_out
        ok = ok and same and ratio <= BAR
        print(f"| {name} | {path_s:.3f} | {nata_s:.3f} | {ratio:.2f}x | {'yes' if same else 'NO'} | "
              f"{'yes' if ratio <= BAR else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
