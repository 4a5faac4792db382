"""Load and run time of very large and deeply nested programs on the local executor, with growth exponents.

Two families of QIR programs whose exact distributions are known (`tests/large_programs.py`):

* straight line   N gate calls without classical control flow (cancelling pairs, then H and CX)
* nested branches D nested ifs on mid-circuit measurements (about 6 instructions a level)

Both run from their operation list, without LLVM JIT compilation; each is also run through the JIT
(`interpret=False`, the path every program took before; unoptimised, with runs of gates outlined,
above 1,000 instructions), the straight line up to 10⁵ gates.

Each size runs in a fresh process (after the numba kernels are loaded), which times `qirrt.load(text)`
(parse, normalise, validate) and `qirrt.run(program, shots=1000)` (hash, operation list or JIT, run) in
wall and process CPU time, records the peak resident memory ("+MB": above the process's own after the
warm-up), and checks the counts against the exact distribution (G-test, p > 0.001). The growth
exponent is the slope of log(CPU time) against log(size) fitted over all sizes (numpy.polyfit), and
between the two largest sizes (constant costs flatten the small ones). Goal (issue 14): linear growth,
10⁵ gates loaded and run in < 10 s. Prints a table, then one JSON line.

    python benchmarks/load_scaling.py           # 10³…10⁶ gates, 10…5,000 nested branches
    python benchmarks/load_scaling.py --quick   # 10³…10⁵ gates, 10…1,000 nested branches

Last full run (2026-12-03, shared 2-core machine at load average 2.4, Python 3.11; load + run, CPU
seconds): straight line 10³ / 10⁴ / 10⁵ / 10⁶ gates 0.03 / 0.26 / 3.2 / 38 s (10⁵: 4.9 s wall), +1 /
11 / 111 / 999 MB, exponent 1.04 (1.08 between 10⁵ and 10⁶); through the JIT 0.09 / 0.69 / 7.9 s
(main took 15 s for 10⁴ and over 5 minutes for 10⁵). Nested branches 10 / 100 / 1,000 / 5,000:
0.006 / 0.026 / 0.20 / 1.7 s, exponent 0.90 (1.33 between the two largest, from the loader); through
the JIT 0.03 / 0.25 / 0.87 / 5.3 s (main: 105 s for 5,000). Every count matched its exact distribution.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STRAIGHT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
NESTED_DEPTHS = (10, 100, 1_000, 5_000)
QUICK_STRAIGHT = (1_000, 10_000, 100_000)
QUICK_NESTED = (10, 100, 1_000)
JIT_MAX_GATES = 100_000
SHOTS = 1000
GOAL_100K_S = 10.0


def measure(kind: str, size: int, jit: bool) -> dict:
    """One size in this process: load and run times, peak memory, the G-test p-value."""
    import resource

    import qirrt
    from tests import large_programs as large
    from tests.stats import g_test_pvalue

    qirrt.run(qirrt.load(large.straight_line(10)), shots=10)       # numba kernels loaded, LLVM up
    qirrt.run(qirrt.load(large.nested_branches(2)), shots=10)
    if kind == "straight":
        text, expected = large.straight_line(size), large.straight_line_distribution()
    else:
        text, expected = large.nested_branches(size), large.nested_branches_distribution(size)
    options = {"interpret": False, "max_jit_instructions": 10**9} if jit else {}
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    program = qirrt.load(text)
    load_wall, load_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    result = qirrt.run(program, shots=SHOTS, seed=7, **options)
    run_wall, run_cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"kind": kind, "size": size, "jit": jit, "instructions": text.count("\n  "),
            "load_s": load_wall, "load_cpu_s": load_cpu, "run_s": run_wall, "run_cpu_s": run_cpu,
            "total_s": load_wall + run_wall, "total_cpu_s": load_cpu + run_cpu,
            "compile_s": result.metadata.get("jit_time_s"), "interpreted": result.metadata.get("interpreted"),
            "paths": result.metadata.get("paths"),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "baseline_rss_mb": baseline_mb,
            "extra_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - baseline_mb,
            "pvalue": g_test_pvalue(result.counts, expected)}


def child(kind: str, size: int, jit: bool, timeout_s: float) -> dict:
    args = [sys.executable, __file__, "--child", kind, str(size)] + (["--jit"] if jit else [])
    try:
        out = subprocess.run(args, cwd=ROOT, check=False, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "size": size, "jit": jit, "error": f"timed out after {timeout_s:.0f} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"kind": kind, "size": size, "jit": jit, "error": tail}
    return json.loads(out.stdout.strip().splitlines()[-1])


def exponents(rows: list[dict], field: str) -> dict:
    """Slope of log(field) against log(size): fitted over all rows, and between the two largest."""
    good = [r for r in rows if "error" not in r and r.get(field)]
    if len(good) < 2:
        return {"fit": None, "last": None}
    x = np.log([r["size"] for r in good])
    y = np.log([r[field] for r in good])
    fit = float(np.polyfit(x, y, 1)[0])
    last = float((y[-1] - y[-2]) / (x[-1] - x[-2]))
    return {"fit": fit, "last": last}


def run(straight: tuple[int, ...], nested: tuple[int, ...], timeout_s: float) -> dict:
    rows = {"straight": [], "straight_jit": [], "nested": [], "nested_jit": []}
    for size in straight:
        rows["straight"].append(child("straight", size, False, timeout_s))
        if size <= JIT_MAX_GATES:
            rows["straight_jit"].append(child("straight", size, True, timeout_s))
    for depth in nested:
        rows["nested"].append(child("nested", depth, False, timeout_s))
        rows["nested_jit"].append(child("nested", depth, True, timeout_s))
    report = {"benchmark": "load_scaling", "shots": SHOTS, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
              "goal_100k_s": GOAL_100K_S, "rows": rows, "exponents": {}}
    for family, family_rows in rows.items():
        report["exponents"][family] = {field: exponents(family_rows, field)
                                       for field in ("load_cpu_s", "run_cpu_s", "total_cpu_s", "extra_rss_mb")}
    hundred_k = next((r for r in rows["straight"] if r["size"] == 100_000 and "error" not in r), None)
    if hundred_k is not None:
        report["straight_100k_total_s"] = hundred_k["total_s"]
        report["straight_100k_total_cpu_s"] = hundred_k["total_cpu_s"]
        report["goal_met"] = hundred_k["total_s"] < GOAL_100K_S or hundred_k["total_cpu_s"] < GOAL_100K_S
    return report


def print_table(report: dict) -> None:
    titles = {"straight": "straight line (operation list, no JIT)", "straight_jit": "straight line through the JIT",
              "nested": "nested branches (operation list, no JIT)", "nested_jit": "nested branches through the JIT"}
    head = (f"{'size':>9} {'instr':>9} {'load':>9} {'load cpu':>9} {'run':>9} {'run cpu':>9} "
            f"{'total':>9} {'+MB':>7} {'paths':>6} {'p-value':>8}")
    print(f"Load and run on the local executor ({report['shots']} shots; times in seconds, wall and CPU)")
    for family, rows in report["rows"].items():
        if not rows:
            continue
        print(f"\n{titles[family]}")
        print(head)
        print("-" * len(head))
        for r in rows:
            if "error" in r:
                print(f"{r['size']:>9} error: {r['error']}")
                continue
            print(f"{r['size']:>9} {r['instructions']:>9} {r['load_s']:9.3f} {r['load_cpu_s']:9.3f} {r['run_s']:9.3f} "
                  f"{r['run_cpu_s']:9.3f} {r['total_s']:9.3f} {r['extra_rss_mb']:7.0f} {r['paths']:>6} "
                  f"{r['pvalue']:8.3f}")
        ex = report["exponents"][family]
        print("growth exponent (log-log slope of CPU time; fit over all sizes / between the two largest): "
              + ", ".join(f"{name} {v['fit']:.2f} / {v['last']:.2f}" for name, v in
                          (("load", ex["load_cpu_s"]), ("run", ex["run_cpu_s"]), ("total", ex["total_cpu_s"]),
                           ("memory", ex["extra_rss_mb"])) if v["fit"] is not None))
    if "straight_100k_total_s" in report:
        print(f"\n10^5 gates loaded and run in {report['straight_100k_total_s']:.2f} s wall, "
              f"{report['straight_100k_total_cpu_s']:.2f} s CPU (goal < {GOAL_100K_S:.0f} s)")
    if report.get("load_average") is not None and report["load_average"] > (report["cpus"] or 1):
        print(f"note: load average {report['load_average']:.1f} on {report['cpus']} CPUs during the run; "
              "wall times are inflated, CPU times are steadier")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10³…10⁵ gates and 10…1,000 nested branches")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per size (default 1800)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--jit", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(measure(options.child[0], int(options.child[1]), options.jit)))
        return 0
    if options.quick:
        report = run(QUICK_STRAIGHT, QUICK_NESTED, options.timeout)
    else:
        report = run(STRAIGHT_SIZES, NESTED_DEPTHS, options.timeout)
    print_table(report)
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
