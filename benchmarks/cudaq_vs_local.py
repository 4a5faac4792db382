"""The cudaq executor against the local one at 16–24 qubits: CPU here, and the GPU when there is one.

The circuit is a brickwork U (``ry``/``rz`` layers and CNOT ladders, seeded) measured on every qubit.
(A mirror U·U† would be cheaper to check, but CUDA-Q's compiler cancels it away.) The check compares
each qubit's sampled P(1) with the exact marginal from Aer's state vector: every qubit must lie within
5 binomial standard deviations (a false alarm about once in a million qubits). Each engine runs it twice:
the first (cold) run includes building/JIT-compiling the program, the second (warm) run is the
steady cost. Engines: ``local`` (qirrt's JIT state vector), ``cudaq:qpp-cpu``, and ``cudaq:nvidia``
when `qirrt.executors.cudaq.gpu_available()` (probed in a subprocess). Prints a table, then one JSON line.

    python benchmarks/cudaq_vs_local.py            # 16, 18, 20, 22, 24 qubits, depth 10, 1000 shots
    python benchmarks/cudaq_vs_local.py --quick    # 16, 18, 20 qubits, depth 6

Measured 2026-11-26 on one NVIDIA H100 80GB (driver 580, CUDA 13) with 16 CPU cores, cudaq
0.16.0 (cuda-quantum-cu13), ``--qubits 16 20 24 26 28 --budget-s 40``, depth 10, 1000 shots; warm run
time relative to qirrt's local executor on the same machine (every run passed the 5σ marginal check):

| qubits | local (16 threads) | cudaq:nvidia | cudaq:qpp-cpu       |
|--------|--------------------|--------------|---------------------|
| 16     | 1.00×              | 5.46×        | 90.7×               |
| 20     | 1.00×              | 0.69×        | 472×                |
| 24     | 1.00×              | 0.076×       | skipped (~390 s)    |
| 26     | 1.00×              | 0.018×       | skipped (~1,700 s)  |
| 28     | 1.00×              | 0.0057×      | skipped (~7,300 s)  |

The GPU passes the local executor between 16 and 20 qubits and is 175× faster at 28 (0.077 s against
13.4 s per 1000-shot run); its cold run (kernel build included) stays under 0.5 s. The same session ran
``tests/executors/test_cudaq.py -m 'gpu or not gpu'`` there: 56 passed (the four GPU tests included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import optional

import qirrt


def brickwork_circuit(n: int, depth: int, seed: int):
    from qiskit import QuantumCircuit

    rng = np.random.default_rng(seed)
    forward = QuantumCircuit(n)
    for layer in range(depth):
        for q in range(n):
            forward.ry(float(rng.uniform(0, np.pi)), q)
            forward.rz(float(rng.uniform(0, np.pi)), q)
        for q in range(layer % 2, n - 1, 2):
            forward.cx(q, q + 1)
    circuit = QuantumCircuit(n, n, name=f"brickwork{n}")
    circuit.compose(forward, inplace=True)
    circuit.measure(range(n), range(n))
    return circuit


def engines(include_gpu: bool) -> list[tuple[str, object]]:
    from qirrt.executors.local.executor import LocalExecutor

    found: list[tuple[str, object]] = [("local", LocalExecutor())]
    if optional("cudaq", "cudaq (qpp-cpu and nvidia rows)", "cudaq") is None:
        return found
    from qirrt.executors.cudaq import CudaqExecutor, gpu_available

    found.append(("cudaq:qpp-cpu", CudaqExecutor(target="qpp-cpu")))
    if include_gpu and gpu_available():
        found.append(("cudaq:nvidia", CudaqExecutor(target="nvidia")))
    return found


def marginals(counts: dict[str, int], n: int) -> np.ndarray:
    """P(qubit q reads 1) for every q (keys are Qiskit's: qubit 0 rightmost)."""
    ones = np.zeros(n)
    for key, count in counts.items():
        ones += count * np.array([key[n - 1 - q] == "1" for q in range(n)])
    return ones / max(1, sum(counts.values()))


def exact_marginals(circuit) -> np.ndarray:
    """P(qubit q reads 1) from Aer's exact state vector of the circuit without its measurements."""
    from qiskit_aer import AerSimulator

    body = circuit.remove_final_measurements(inplace=False)
    body.save_statevector()
    state = np.asarray(AerSimulator(method="statevector").run(body).result().get_statevector())
    probabilities = (np.abs(state) ** 2).reshape((2,) * circuit.num_qubits)
    n = circuit.num_qubits
    return np.array([probabilities.sum(axis=tuple(a for a in range(n) if a != n - 1 - q))[1] for q in range(n)])


def local_marginals(circuit) -> np.ndarray:
    """P(qubit q reads 1) from qirrt's local state vector (used only when Aer is missing)."""
    from qirrt.executors.local.executor import LocalExecutor

    n = circuit.num_qubits
    state = LocalExecutor().statevector(qirrt.load(circuit))
    probabilities = np.abs(np.asarray(state)) ** 2
    index = np.arange(probabilities.size)
    return np.array([probabilities[(index >> q) & 1 == 1].sum() for q in range(n)])


def measure(executor, program, shots: int) -> dict:
    start = time.perf_counter()
    executor.run(program, shots=shots, seed=1)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    second = executor.run(program, shots=shots, seed=2)
    warm = time.perf_counter() - start
    return {"cold_s": cold, "warm_s": warm, "marginals": marginals(second.counts, program.num_qubits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16–20 qubits, depth 6")
    parser.add_argument("--qubits", type=int, nargs="*", help="register sizes (default 16 18 20 22 24)")
    parser.add_argument("--depth", type=int, help="brickwork layers of U (default 10, 6 with --quick)")
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU even when one is usable")
    parser.add_argument("--budget-s", type=float, default=120.0,
                        help="skip a size when an engine's predicted run (from its previous size) exceeds this")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    sizes = args.qubits or ([16, 18, 20] if args.quick else [16, 18, 20, 22, 24])
    depth = args.depth or (6 if args.quick else 10)
    chosen = engines(include_gpu=not args.no_gpu)
    have_aer = optional("qiskit_aer", "Aer (the exact marginals each engine is checked against)",
                        "qiskit-aer") is not None
    rows = []
    last: dict[str, tuple[int, int, float]] = {}
    for n in sizes:
        circuit = brickwork_circuit(n, depth, seed=n)
        program = qirrt.load(circuit)
        gates = program.resources().total_gates
        if not have_aer:
            print(f"  n={n}: no exact marginals without Aer; the local executor's own state vector is used")
        exact = exact_marginals(circuit) if have_aer else local_marginals(circuit)
        sigma = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / args.shots)
        for name, executor in chosen:
            previous = last.get(name)
            if previous is not None:
                predicted = previous[2] * 2 ** (n - previous[0]) * gates / previous[1]
                if 2 * predicted > args.budget_s:
                    rows.append({"engine": name, "qubits": n, "gates": gates, "skipped": True,
                                 "predicted_warm_s": predicted})
                    print(f"  {name:<14} n={n:<3} skipped: predicted {predicted:.0f} s per run", file=sys.stderr)
                    continue
            figures = measure(executor, program, args.shots)
            last[name] = (n, gates, figures["warm_s"])
            deviation = np.abs(figures.pop("marginals") - exact) / sigma
            figures["max_marginal_sigma"] = float(np.max(deviation))
            figures["correct"] = figures["max_marginal_sigma"] < 5.0
            rows.append({"engine": name, "qubits": n, "gates": gates, **figures})
            print(f"  {name:<14} n={n:<3} cold {figures['cold_s']:8.3f} s  warm {figures['warm_s']:8.3f} s  "
                  f"{'ok' if figures['correct'] else 'WRONG'}", file=sys.stderr, flush=True)
    print(f"{'engine':<14} {'qubits':>6} {'gates':>6} {'cold s':>9} {'warm s':>9} {'vs local':>9} {'check':>6}")
    local = {r["qubits"]: r["warm_s"] for r in rows if r["engine"] == "local" and not r.get("skipped")}
    for r in rows:
        if r.get("skipped"):
            print(f"{r['engine']:<14} {r['qubits']:>6} {r['gates']:>6} {'skipped':>9} "
                  f"{'~' + format(r['predicted_warm_s'], '.0f'):>9} {'':>9} {'':>6}")
            continue
        ratio = r["warm_s"] / local[r["qubits"]] if local.get(r["qubits"]) else float("nan")
        r["warm_vs_local"] = ratio
        print(f"{r['engine']:<14} {r['qubits']:>6} {r['gates']:>6} {r['cold_s']:>9.3f} {r['warm_s']:>9.3f} "
              f"{ratio:>8.2f}x {'ok' if r['correct'] else 'WRONG':>6}")
    summary = {
        "benchmark": "cudaq_vs_local", "depth": depth, "shots": args.shots, "rows": rows,
        "engines": [name for name, _ in chosen], "gpu": any(name == "cudaq:nvidia" for name, _ in chosen),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
