"""Wall time of `qirrt run examples/bell.qasm`, cold and warm qirrt cache, beside Python's own start-up.

Each row runs a fresh process `repeats` times (as hyperfine does) and reports the minimum and median
wall time and the median CPU time (user + system, from `resource.getrusage(RUSAGE_CHILDREN)`):

* python -c pass           the interpreter's start-up, the floor of any Python command
* python -c "import qirrt" the package import (heavy names such as `qirrt.exact` are imported on use)
* qirrt run, cold cache    an empty `QIRRT_CACHE_DIR` each time: the OpenQASM file is parsed by Qiskit,
                           lowered, normalised and validated (numba's own kernel cache stays warm)
* qirrt run, warm cache    the program comes from qirrt's disk cache (`qirrt.qir.program_cache`), so
                           neither Qiskit nor the normaliser runs; the numba kernels load from cache

Goal (issue 18, G-CLI): the warm run ≤ 0.5 s wall. Prints a table, then one JSON line.

    python benchmarks/cli_startup.py           # 10 runs a row
    python benchmarks/cli_startup.py --quick   # 3 runs a row
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BELL = ROOT / "examples" / "bell.qasm"
GOAL_WARM_S = 0.5


def qirrt_command() -> list[str]:
    script = Path(sys.executable).with_name("qirrt")
    return [str(script)] if script.exists() else [shutil.which("qirrt") or sys.executable, "-m", "qirrt.cli"]


def time_runs(command: list[str], repeats: int, env: dict, fresh_cache: bool) -> dict:
    walls, cpus = [], []
    for _ in range(repeats):
        run_env = dict(env)
        if fresh_cache:
            run_env["QIRRT_CACHE_DIR"] = tempfile.mkdtemp(prefix="qirrt-cli-cold-")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if fresh_cache:
            shutil.rmtree(run_env["QIRRT_CACHE_DIR"], ignore_errors=True)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{out.stderr[-2000:]}")
    return {"min_s": min(walls), "median_s": statistics.median(walls), "cpu_median_s": statistics.median(cpus)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 3 if args.quick else 10
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = qirrt_command() + ["run", "-q", "--seed", "1", str(BELL)]
    with tempfile.TemporaryDirectory(prefix="qirrt-cli-warm-") as warm:
        warm_env = dict(env, QIRRT_CACHE_DIR=warm)
        subprocess.run(run, env=warm_env, capture_output=True, timeout=600, check=True)  # fills both caches
        rows = {
            "python -c pass": time_runs([sys.executable, "-c", "pass"], repeats, env, False),
            "python -c 'import qirrt'": time_runs([sys.executable, "-c", "import qirrt"], repeats, env, False),
            "qirrt run bell.qasm, cold cache": time_runs(run, repeats, env, True),
            "qirrt run bell.qasm, warm cache": time_runs(run, repeats, warm_env, False),
        }
    print(f"qirrt CLI start-up: {repeats} runs a row; Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    head = f"{'command':<34}{'min s':>8}{'median s':>10}{'CPU s':>8}"
    print(head)
    print("-" * len(head))
    for name, row in rows.items():
        print(f"{name:<34}{row['min_s']:>8.3f}{row['median_s']:>10.3f}{row['cpu_median_s']:>8.3f}")
    warm_row = rows["qirrt run bell.qasm, warm cache"]
    summary = {
        "benchmark": "cli_startup", "repeats": repeats, "goal_warm_s": GOAL_WARM_S,
        "warm_median_s": warm_row["median_s"], "warm_min_s": warm_row["min_s"],
        "cold_median_s": rows["qirrt run bell.qasm, cold cache"]["median_s"],
        "python_baseline_s": rows["python -c pass"]["median_s"],
        "import_qirrt_s": rows["python -c 'import qirrt'"]["median_s"],
        "goal_met": warm_row["median_s"] <= GOAL_WARM_S,
        "load_average": os.getloadavg()[0],
        "rows": rows,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
