"""qirrt's local state-vector executor against qsim, Aer and qulacs on the CPU, same threads, one run.

Circuits (terminal measurement of every qubit, 1000 shots), at 20, 22, 24 and 26 qubits (``--quick``:
20 and 22):

* random — 30 layers, each: an rx, ry or rz of a random angle on every qubit, then CX on neighbouring
  pairs (even pairs on even layers, odd pairs on odd layers); the gate list is drawn once from a seed
* QFT — ry(0.1 + 0.37·q) on every qubit (a non-trivial product state), then the textbook QFT
  (H, controlled phases, final swaps)

Each engine builds its own circuit object from the same gate list inside the clock (conversion and
compile counted on both sides): qirrt — a Qiskit circuit, `qirrt.load`, `LocalExecutor.run` (JIT
included), once at complex128 and once at complex64; Aer — the Qiskit circuit, `AerSimulator(method=
"statevector")` with no transpile; qsim — a Cirq circuit, `qsimcirq.QSimSimulator` (single precision),
run at fusion f=2 and f=4 and reported at its best of the two (the rule fixed before running);
qulacs — a `QuantumCircuit`, `update_quantum_state`, `sampling`. Every engine gets 2 threads
(``--threads``; NUMBA_NUM_THREADS / OMP_NUM_THREADS, `max_parallel_threads`, `cpu_threads`) and runs in
its own fresh process, which warms up on a 10-qubit circuit of the same kind first (imports, numba
kernels). qirrt's warm run (the same loaded, compiled program run again) is printed as its own row.

Bandwidth floor: the time numpy takes to copy a 2^n-amplitude state once (bytes per amplitude × 2^n
/ the copy bandwidth measured here) — a lower bound on one pass over the state. Printed per circuit
for complex64 and complex128, and times qirrt's pass count.

Check: the distribution of qubits 0–3 of every engine against qirrt complex128's, a two-sample G-test
(p < 0.001 fails). Goals (issue 18, G-SV): complex64 ≥ 1.0× qsim, complex128 ≥ 0.6× qsim, and both
≥ 3× Aer; ratio = peer time / qirrt time. A missing peer is skipped with a line saying so.
Prints a table and ends with one JSON line of figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _peers import P_THRESHOLD, emit, optional

SIZES = (20, 22, 24, 26)
QUICK_SIZES = (20, 22)
SHOTS = 1000
DEPTH = 30
LOW_BITS = 4
GOALS = {"complex64_vs_qsim": 1.0, "complex128_vs_qsim": 0.6, "vs_aer": 3.0}
PEERS = {"qsim": ("qsimcirq", "qsimcirq"), "aer": ("qiskit_aer", "qiskit-aer"), "qulacs": ("qulacs", "qulacs")}


# -- one gate list, read by every engine ---------------------------------------------------------------------
def gates(kind: str, n: int) -> list[tuple]:
    """(name, qubits, angle) for the circuit `kind` on `n` qubits."""
    out: list[tuple] = []
    if kind == "random":
        rng = np.random.default_rng(7000 + n)
        for layer in range(DEPTH):
            for q in range(n):
                out.append((("rx", "ry", "rz")[int(rng.integers(3))], (q,), float(rng.uniform(0, 2 * math.pi))))
            for q in range(layer % 2, n - 1, 2):
                out.append(("cx", (q, q + 1), 0.0))
        return out
    for q in range(n):
        out.append(("ry", (q,), 0.1 + 0.37 * q))
    for target in reversed(range(n)):
        out.append(("h", (target,), 0.0))
        for control in reversed(range(target)):
            out.append(("cp", (control, target), math.pi / 2 ** (target - control)))
    for q in range(n // 2):
        out.append(("swap", (q, n - 1 - q), 0.0))
    return out


def qiskit_circuit(ops: list[tuple], n: int):
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(n)
    for name, qubits, angle in ops:
        getattr(circuit, name)(*((angle,) if name in ("rx", "ry", "rz", "cp") else ()), *qubits)
    circuit.measure_all()
    return circuit


def cirq_circuit(ops: list[tuple], n: int):
    import cirq

    line = cirq.LineQubit.range(n)
    make = {"rx": lambda q, a: cirq.rx(a)(*q), "ry": lambda q, a: cirq.ry(a)(*q), "rz": lambda q, a: cirq.rz(a)(*q),
            "h": lambda q, a: cirq.H(*q), "cx": lambda q, a: cirq.CNOT(*q), "swap": lambda q, a: cirq.SWAP(*q),
            "cp": lambda q, a: cirq.CZPowGate(exponent=a / math.pi)(*q)}
    circuit = cirq.Circuit(make[name]([line[i] for i in qubits], angle) for name, qubits, angle in ops)
    circuit.append(cirq.measure(*line, key="m"))
    return circuit


def qulacs_circuit(ops: list[tuple], n: int):
    from qulacs import QuantumCircuit
    from qulacs.gate import DenseMatrix

    circuit = QuantumCircuit(n)
    for name, qubits, angle in ops:
        if name == "cp":
            circuit.add_gate(DenseMatrix(list(qubits), np.diag([1, 1, 1, np.exp(1j * angle)])))
        elif name in ("rx", "ry", "rz"):  # qulacs' rotations take the opposite sign: R(θ) = exp(+iθP/2)
            getattr(circuit, f"add_{name.upper()}_gate")(qubits[0], -angle)
        else:
            getattr(circuit, {"h": "add_H_gate", "cx": "add_CNOT_gate", "swap": "add_SWAP_gate"}[name])(*qubits)
    return circuit


# -- child: one engine, one case, fresh process ---------------------------------------------------------------
def _low(values) -> dict[str, int]:
    marginal: dict[str, int] = {}
    for value in values:
        key = str(int(value) & ((1 << LOW_BITS) - 1))
        marginal[key] = marginal.get(key, 0) + 1
    return marginal


def _run_engine(engine: str, kind: str, n: int, threads: int) -> tuple[float, dict, dict]:
    """Build, compile and run one case; (seconds, low-bit marginal, extra figures)."""
    ops = gates(kind, n)
    extra: dict = {}
    start = time.perf_counter()
    if engine.startswith("qirrt"):
        import qirrt
        from qirrt.executors.local.executor import LocalExecutor

        executor = LocalExecutor(precision=engine.split("-")[1])
        program = qirrt.load(qiskit_circuit(ops, n))
        result = executor.run(program, shots=SHOTS, seed=5)
        elapsed = time.perf_counter() - start
        extra["passes"] = result.metadata.get("passes")
        warm = time.perf_counter()
        executor.run(program, shots=SHOTS, seed=6)
        extra["warm_s"] = time.perf_counter() - warm
        values = [int(key.replace(" ", ""), 2) for key, c in result.counts.items() for _ in range(c)]
    elif engine == "aer":
        from qiskit_aer import AerSimulator

        simulator = AerSimulator(method="statevector", max_parallel_threads=threads)
        counts = simulator.run(qiskit_circuit(ops, n), shots=SHOTS, seed_simulator=5).result().get_counts()
        elapsed = time.perf_counter() - start
        values = [int(key.replace(" ", ""), 2) for key, c in counts.items() for _ in range(c)]
    elif engine.startswith("qsim"):
        import qsimcirq

        fusion = int(engine.split("-f")[1])
        simulator = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads, max_fused_gate_size=fusion))
        bits = simulator.run(cirq_circuit(ops, n), repetitions=SHOTS).measurements["m"]
        elapsed = time.perf_counter() - start
        values = (bits.astype(np.int64) << np.arange(n, dtype=np.int64)).sum(axis=1)
    elif engine == "qulacs":
        from qulacs import QuantumState

        circuit = qulacs_circuit(ops, n)
        state = QuantumState(n)
        circuit.update_quantum_state(state)
        values = state.sampling(SHOTS, 5)
        elapsed = time.perf_counter() - start
    else:
        raise ValueError(f"unknown engine {engine}")
    return elapsed, _low(values), extra


def child(engine: str, kind: str, n: int, threads: int) -> dict:
    _run_engine(engine, kind, 10, threads)  # warm up: imports, kernels
    elapsed, marginal, extra = _run_engine(engine, kind, n, threads)
    return {"engine": engine, "kind": kind, "n": n, "time_s": elapsed, "marginal": marginal, **extra}


def run_child(engine: str, kind: str, n: int, threads: int, timeout_s: float) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               QULACS_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), "--child", engine, kind, str(n), str(threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False, env=env)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "failed": f"timed out after {timeout_s:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"engine": engine, "failed": f"exit {done.returncode}: {tail[:200]}"}
    return json.loads(lines[-1])


def memory_bandwidth_bytes_per_s(mib: int = 256, repeats: int = 5) -> float:
    """Bytes of array copied per second by numpy (best of `repeats` copies of `mib` MiB)."""
    source = np.ones(mib * 2 ** 20 // 8)
    target = np.empty_like(source)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return source.nbytes / best


def two_sample_p(a: dict, b: dict) -> float:
    from scipy import stats

    keys = sorted(set(a) | set(b))
    if len(keys) < 2:
        return 1.0
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])
    return float(stats.chi2_contingency(table, lambda_="log-likelihood")[1])


def available_peers() -> list[str]:
    return [peer for peer, (module, pip) in PEERS.items() if optional(module, peer, pip) is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 and 22 qubits only")
    parser.add_argument("--sizes", type=int, nargs="*", help="qubit counts")
    parser.add_argument("--threads", type=int, default=2, help="threads for every engine")
    parser.add_argument("--timeout-s", type=float, default=1800, help="longest one engine may take on one case")
    parser.add_argument("--list-peers", action="store_true", help="say which peers import, then stop")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "KIND", "N", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, kind, n, threads = args.child
        print(json.dumps(child(engine, kind, int(n), int(threads))))
        return 0

    peers = available_peers()
    line: dict = {"benchmark": "sv_peers", "cpus": os.cpu_count(), "threads": args.threads, "shots": SHOTS,
                  "peers": peers, "rows": []}
    if args.list_peers:
        emit(line)
        return 0
    bandwidth = memory_bandwidth_bytes_per_s()
    line["copy_bandwidth_gb_s"] = bandwidth / 1e9
    engines = ["qirrt-complex128", "qirrt-complex64"]
    engines += [e for e in ("qsim-f2", "qsim-f4") if "qsim" in peers]
    engines += [e for e in ("aer", "qulacs") if e in peers]
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    print(f"State vector, {SHOTS} shots, {args.threads} threads each, conversion + compile counted; numpy copy "
          f"bandwidth {bandwidth / 1e9:.1f} GB/s. floor = one copy of the state (c64 / c128).")
    print(f"{'circuit':<11}{'engine':<22}{'time s':>9}{'qirrt64 vs':>11}{'qirrt128 vs':>12}{'p (q0-3)':>10}"
          f"{'passes':>8}{'floor×passes s':>15}")
    for kind in ("random", "qft"):
        for n in sizes:
            floor = {p: 2 ** n * b / bandwidth for p, b in (("complex64", 8), ("complex128", 16))}
            results = {e: run_child(e, kind, n, args.threads, args.timeout_s) for e in engines}
            qsim_ok = [results[e] for e in ("qsim-f2", "qsim-f4") if e in results and "time_s" in results[e]]
            if qsim_ok:  # the rule fixed before running: qsim's best of f=2 and f=4
                results["qsim-best"] = dict(min(qsim_ok, key=lambda r: r["time_s"]))
            ours = {p: results[f"qirrt-{p}"].get("time_s") for p in ("complex64", "complex128")}
            reference = results["qirrt-complex128"].get("marginal", {})
            row = {"circuit": kind, "qubits": n, "floor_s": floor, "engines": {}}
            for engine, figures in results.items():
                name = engine if engine != "qsim-best" else f"qsim best (f={figures['engine'][-1]})"
                if "failed" in figures:
                    row["engines"][engine] = {"failed": figures["failed"]}
                    print(f"{kind + ' ' + str(n):<11}{name:<22}failed: {figures['failed'][:70]}")
                    continue
                t = figures["time_s"]
                ratio = {p: (t / ours[p] if ours[p] else None) for p in ours}
                p_value = two_sample_p(figures["marginal"], reference) if reference else None
                entry = {"time_s": t, "ratio_vs_complex64": ratio["complex64"],
                         "ratio_vs_complex128": ratio["complex128"], "p": p_value}
                passes = figures.get("passes")
                precision = engine.split("-")[1] if engine.startswith("qirrt") else None
                floor_total = floor[precision] * passes if passes and precision else None
                entry.update(passes=passes, floor_total_s=floor_total)
                row["engines"][engine] = entry

                def fmt(value, width, spec):
                    return f"{'' if value is None else format(value, spec):>{width}}"

                peer = not engine.startswith("qirrt")
                print(f"{kind + ' ' + str(n):<11}{name:<22}{t:>9.3f}"
                      f"{fmt(ratio['complex64'] if peer else None, 10, '.2f')}{'x' if peer else ' '}"
                      f"{fmt(ratio['complex128'] if peer else None, 11, '.2f')}{'x' if peer else ' '}"
                      f"{fmt(p_value, 10, '.3g')}{fmt(passes, 8, 'd')}{fmt(floor_total, 15, '.3f')}", flush=True)
                if "warm_s" in figures:
                    row["engines"][engine]["warm_s"] = figures["warm_s"]
                    print(f"{'':<11}{name + ' warm run':<22}{figures['warm_s']:>9.3f}")
            print(f"{'':<11}{'floor, one pass':<22}{floor['complex64']:>9.4f} (c64){floor['complex128']:>9.4f} (c128)")
            line["rows"].append(row)

    def worst(engine: str, precision: str):
        ratios = [r["engines"][engine][f"ratio_vs_{precision}"] for r in line["rows"]
                  if engine in r["engines"] and r["engines"][engine].get(f"ratio_vs_{precision}") is not None]
        return min(ratios, default=None)

    g_sv = {"complex64_vs_qsim": worst("qsim-best", "complex64"), "complex128_vs_qsim": worst("qsim-best", "complex128"),
            "complex64_vs_aer": worst("aer", "complex64"), "complex128_vs_aer": worst("aer", "complex128"),
            "complex64_vs_qulacs": worst("qulacs", "complex64"), "complex128_vs_qulacs": worst("qulacs", "complex128")}
    goal_of = {"complex64_vs_qsim": GOALS["complex64_vs_qsim"], "complex128_vs_qsim": GOALS["complex128_vs_qsim"],
               "complex64_vs_aer": GOALS["vs_aer"], "complex128_vs_aer": GOALS["vs_aer"]}
    line["g_sv_min_ratio"] = g_sv
    line["g_sv_met"] = {k: (g_sv[k] is not None and g_sv[k] >= goal) for k, goal in goal_of.items()}
    line["distributions_ok"] = all(e.get("p") is None or e["p"] >= P_THRESHOLD
                                   for r in line["rows"] for e in r["engines"].values())
    print()
    for key, goal in goal_of.items():
        value = g_sv[key]
        print(f"G-SV {key:<20} goal ≥ {goal:.1f}x   worst {'skipped' if value is None else f'{value:.2f}x'}"
              f"   {'met' if line['g_sv_met'][key] else 'NOT met'}")
    emit(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
