"""Lowering speed: 20-qubit Qiskit circuits → QIR text and bitcode, qirrt against qdk, in one run.

For each size (1,000 and 3,000 gates drawn with a fixed seed from h, x, sx, rz, rx, ry, cx, cz, then a
measurement of every qubit) it times, as the median of several repeats on the same circuit:

* qirrt load      `qirrt.load(circuit)` (lowering, parse, verify, validate: a checked `Program`)
* qirrt → text    `qirrt.load(circuit).to_ir()`
* qirrt → bitcode `qirrt.load(circuit).to_bitcode()`
* qdk             `QSharpBackend(skip_transpilation=True, target_profile=Base).qir(circuit)` (text)

and prints a table, then one JSON line with every figure and the ratios qdk / qirrt (goal: ≥ 100), on
wall time (the headline) and on process CPU time (steadier on a shared machine).

    python benchmarks/lowering.py            # both sizes, 15 qirrt repeats, 3 qdk repeats
    python benchmarks/lowering.py --quick    # the 1,000-gate size once
    python benchmarks/lowering.py --profile  # also a cProfile of qirrt's end-to-end path
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from qiskit import QuantumCircuit

import qirrt

NUM_QUBITS = 20
SIZES = (1_000, 3_000)
SEED = 2026
_ONE_QUBIT = ("h", "x", "sx")
_ROTATIONS = ("rz", "rx", "ry")
_TWO_QUBIT = ("cx", "cz")


def random_circuit(num_qubits: int, num_gates: int, seed: int = SEED) -> QuantumCircuit:
    """`num_gates` gates drawn uniformly from the eight standard gates, then `measure` on every qubit."""
    rng = np.random.default_rng(seed)
    circuit = QuantumCircuit(num_qubits, num_qubits, name=f"random_{num_qubits}q_{num_gates}g")
    kinds = _ONE_QUBIT + _ROTATIONS + _TWO_QUBIT
    for _ in range(num_gates):
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind in _TWO_QUBIT:
            a, b = rng.choice(num_qubits, 2, replace=False)
            getattr(circuit, kind)(int(a), int(b))
        elif kind in _ROTATIONS:
            getattr(circuit, kind)(float(rng.uniform(-np.pi, np.pi)), int(rng.integers(num_qubits)))
        else:
            getattr(circuit, kind)(int(rng.integers(num_qubits)))
    circuit.measure(range(num_qubits), range(num_qubits))
    return circuit


def timed(function: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call with the garbage collector off, as `timeit` does."""
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        gc.enable()


def qdk_lowering() -> Callable[[QuantumCircuit], str] | None:
    """qdk's Qiskit → QIR entry point (`qdk.qiskit`, formerly `qsharp.interop.qiskit`), or None."""
    try:
        from qdk import TargetProfile
        from qdk.qiskit import QSharpBackend
    except ImportError:
        try:
            from qsharp import TargetProfile
            from qsharp.interop.qiskit import QSharpBackend
        except ImportError:
            print("skipping qdk: cannot import qdk.qiskit or qsharp.interop.qiskit; install it with: pip install qdk")
            return None

    def lower(circuit: QuantumCircuit) -> str:
        backend = QSharpBackend(skip_transpilation=True, target_profile=TargetProfile.Base)
        return backend.qir(circuit)

    return lower


def run(sizes: tuple[int, ...], qirrt_repeats: int, qdk_repeats: int) -> dict:
    """Median wall and CPU times per size; the measurements are interleaved round by round, so a busy
    machine slows qirrt and qdk alike instead of whichever happened to run during the busy spell."""
    qdk = qdk_lowering()
    warm = random_circuit(NUM_QUBITS, 50, seed=1)
    qirrt.load(warm).to_bitcode()  # imports, LLVM initialisation
    if qdk is not None:
        qdk(warm)
    rows = []
    for size in sizes:
        circuit = random_circuit(NUM_QUBITS, size)
        subjects = {
            "qirrt_load": lambda: qirrt.load(circuit),
            "qirrt_text": lambda: qirrt.load(circuit).to_ir(),
            "qirrt_bitcode": lambda: qirrt.load(circuit).to_bitcode(),
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in subjects}
        if qdk is not None:
            subjects["qdk_text"] = lambda: qdk(circuit)
            samples["qdk_text"] = []
        for round_index in range(max(qirrt_repeats, qdk_repeats if qdk is not None else 0)):
            for name, function in subjects.items():
                wanted = qdk_repeats if name == "qdk_text" else qirrt_repeats
                if round_index < wanted:
                    samples[name].append(timed(function))
        row: dict = {"gates": size, "qir_gate_calls": qirrt.load(circuit).resources().total_gates}
        for name, values in samples.items():
            row[f"{name}_s"] = statistics.median(wall for wall, _ in values)
            row[f"{name}_cpu_s"] = statistics.median(cpu for _, cpu in values)
        row.setdefault("qdk_text_s", None)
        if qdk is not None:
            for what in ("load", "text", "bitcode"):
                row[f"ratio_{what}"] = row["qdk_text_s"] / row[f"qirrt_{what}_s"]
                row[f"ratio_{what}_cpu"] = row["qdk_text_cpu_s"] / row[f"qirrt_{what}_cpu_s"]
        rows.append(row)
    return {"benchmark": "lowering", "num_qubits": NUM_QUBITS, "seed": SEED, "qirrt_repeats": qirrt_repeats,
            "qdk_repeats": qdk_repeats, "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "qdk": qdk is not None, "goal_ratio": 100, "rows": rows}


def print_table(report: dict) -> None:
    header = f"{'gates':>6} {'qirrt load':>11} {'→ text':>9} {'→ bitcode':>10} {'qdk text':>10} " \
             f"{'× load':>8} {'× text':>8} {'× bitcode':>10}"
    print(f"Lowering {report['num_qubits']}-qubit Qiskit circuits (median of {report['qirrt_repeats']} qirrt / "
          f"{report['qdk_repeats']} qdk runs; × = qdk time / qirrt time, goal ≥ {report['goal_ratio']})")
    print(header)
    print("-" * len(header))
    for row in report["rows"]:
        qdk = f"{row['qdk_text_s'] * 1e3:8.1f}ms" if row["qdk_text_s"] is not None else f"{'n/a':>10}"
        ratios = "".join(f"{row[f'ratio_{w}']:>{width}.0f}×" for w, width in (("load", 7), ("text", 7),
                                                                            ("bitcode", 9))) \
            if row["qdk_text_s"] is not None else ""
        print(f"{row['gates']:>6} {row['qirrt_load_s'] * 1e3:9.2f}ms {row['qirrt_text_s'] * 1e3:7.2f}ms "
              f"{row['qirrt_bitcode_s'] * 1e3:8.2f}ms {qdk} {ratios}")
        if row["qdk_text_s"] is not None:
            print(f"{'':>6} CPU time: qirrt {row['qirrt_load_cpu_s'] * 1e3:.2f} / "
                  f"{row['qirrt_text_cpu_s'] * 1e3:.2f} / {row['qirrt_bitcode_cpu_s'] * 1e3:.2f} ms, qdk {row['qdk_text_cpu_s'] * 1e3:.1f} ms → "
                  f"{row['ratio_load_cpu']:.0f}× / {row['ratio_text_cpu']:.0f}× / {row['ratio_bitcode_cpu']:.0f}×")
    if report.get("load_average") is not None and report["load_average"] > (report["cpus"] or 1):
        print(f"note: load average {report['load_average']:.1f} on {report['cpus']} CPUs during the run; "
              "wall times are inflated, the CPU-time ratios are steadier")


def profile(size: int, repeats: int = 20, top: int = 25) -> None:
    circuit = random_circuit(NUM_QUBITS, size)
    qirrt.load(circuit).to_bitcode()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        qirrt.load(circuit).to_bitcode()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of {repeats} × qirrt.load(circuit).to_bitcode(), {size} gates, by own time:")
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 1,000-gate size, once")
    parser.add_argument("--repeats", type=int, default=15, help="qirrt repeats per figure (default 15)")
    parser.add_argument("--qdk-repeats", type=int, default=3, help="qdk repeats per size (default 3)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of qirrt's path")
    options = parser.parse_args(argv)
    if options.quick:
        report = run((SIZES[0],), 1, 1)
    else:
        report = run(SIZES, options.repeats, options.qdk_repeats)
    print_table(report)
    if options.profile:
        profile(SIZES[0] if options.quick else SIZES[-1])
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
