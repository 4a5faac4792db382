"""qirrt's local executor against the simulators users would pick instead, measured in one run.

* Static circuits — random (Qiskit `random_circuit`, depth 30, ≤ 2-qubit gates) and QFT (on a
  non-trivial product state) at 16, 20, 22, 24 and 26 qubits, 1000 shots: qirrt local vs
  `AerSimulator(method="statevector")`, both given the same transpiled circuit. Each case runs in a
  fresh child process, which warms its engine up on a small circuit first (numba kernels, Aer's
  library), then times one run and reports its peak resident memory (`ru_maxrss`). qirrt's times
  exclude the Qiskit → QIR lowering and the LLVM JIT of the program; both are reported separately,
  as is the process warm-up.
* Adaptive programs — teleportation, repeat-until-success (`while_loop`) and a 20-qubit program with
  5 mid-circuit measurements and feed-forward — at 1000 and 10,000 shots: qirrt vs qir-runner
  (`qirrunner.run`, given `cnot__body`) and `qdk.simulation.run_qir` (given `__quantum__rt__read_result`,
  `type="cpu"`, its fastest mode without a GPU). A peer whose run would take longer than
  `--peer-budget-s` is timed on fewer shots and extrapolated linearly (marked ``~``): both peers
  simulate every shot from scratch, so their time is linear in shots.

Prints a table and ends with one JSON line of figures and ratios (``ratio`` = peer time / qirrt time).
``--quick`` runs small sizes only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

warnings.filterwarnings("ignore", category=DeprecationWarning)

STATIC_SIZES = (16, 20, 22, 24, 26)
QUICK_SIZES = (16, 18)
SHOTS = 1000


# -- circuits ---------------------------------------------------------------------------------------------
def random_depth30(n: int):
    from qiskit.circuit.random import random_circuit

    circuit = random_circuit(n, 30, max_operands=2, measure=False, seed=1000 + n)
    circuit.measure_all()
    return circuit


def qft(n: int):
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import QFTGate

    circuit = QuantumCircuit(n)
    for q in range(n):
        circuit.ry(0.1 + 0.37 * q, q)
    circuit.append(QFTGate(n), range(n))
    circuit.measure_all()
    return circuit


def transpiled(kind: str, n: int):
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    circuit = random_depth30(n) if kind == "random" else qft(n)
    return transpile(circuit, AerSimulator(method="statevector"), optimization_level=0, seed_transpiler=1)


def teleport():
    from tests.corpus import teleport as teleport_circuit

    return teleport_circuit(1.2)


def repeat_until_success():
    """Try an entangling 'V-gate' step until the ancilla reads 0; undo a failed try and retry."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 2, name="rus")
    qc.ry(0.6, 1)

    def attempt():
        qc.reset(0)
        qc.h(0)
        qc.cx(0, 1)
        qc.t(1)
        qc.cx(0, 1)
        qc.h(0)
        qc.measure(0, 0)

    attempt()
    with qc.while_loop((qc.clbits[0], 1)):
        qc.rz(-math.pi / 4, 1)  # correct the failed try
        attempt()
    qc.measure(1, 1)
    return qc


def mid_circuit(n: int = 20, layers: int = 10):
    """n qubits, `layers` layers of ry + cx ladders; after every second layer one qubit is measured
    and a far qubit is flipped on its outcome (5 mid-circuit measurements for 10 layers)."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    rng = np.random.default_rng(n)
    mid, out = ClassicalRegister(layers // 2, "mid"), ClassicalRegister(n, "out")
    qc = QuantumCircuit(QuantumRegister(n), mid, out, name=f"mcm{n}")
    for layer in range(layers):
        for q in range(n):
            qc.ry(float(rng.uniform(0.2, 2.9)), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
        if layer % 2 == 1:
            k = layer // 2
            qc.measure(k, mid[k])
            with qc.if_test((mid[k], 1)):
                qc.x(n - 1 - k)
    qc.measure(range(n), out)
    return qc


# -- child: one static case in a fresh process --------------------------------------------------------------
def child(engine: str, kind: str, n: int, shots: int) -> dict:
    """Warm the engine up, time one run, report peak memory (called with --child)."""
    circuit = transpiled(kind, n)
    warm = transpiled(kind, 10)
    out: dict = {"engine": engine, "kind": kind, "n": n}
    if engine == "qirrt":
        import qirrt
        from qirrt.executors.local import jit
        from qirrt.executors.local.executor import LocalExecutor

        executor = LocalExecutor()
        start = time.perf_counter()
        executor.run(qirrt.load(warm), shots=shots, seed=1)
        out["warmup_s"] = time.perf_counter() - start
        start = time.perf_counter()
        program = qirrt.load(circuit)
        out["load_s"] = time.perf_counter() - start
        start = time.perf_counter()
        jit.compile_program(program)
        out["jit_s"] = time.perf_counter() - start
        start = time.perf_counter()
        result = executor.run(program, shots=shots, seed=7)
        out["time_s"] = time.perf_counter() - start
        out["fused_operations"] = result.metadata["fused_operations"]
        out["passes"] = result.metadata["passes"]
        counts = result.counts
    else:
        from qiskit_aer import AerSimulator

        simulator = AerSimulator(method="statevector")
        start = time.perf_counter()
        simulator.run(warm, shots=shots, seed_simulator=1).result()
        out["warmup_s"] = time.perf_counter() - start
        start = time.perf_counter()
        counts = simulator.run(circuit, shots=shots, seed_simulator=7).result().get_counts()
        out["time_s"] = time.perf_counter() - start
    out["marginal"] = _low_bits(counts, 4)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _low_bits(counts: dict, bits: int) -> dict:
    """Counts of the lowest `bits` classical bits (rightmost characters of the keys)."""
    marginal: dict[str, int] = {}
    for key, count in counts.items():
        low = key.replace(" ", "")[-bits:]
        marginal[low] = marginal.get(low, 0) + count
    return marginal


def _tvd(a: dict, b: dict) -> float:
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))


def run_child(engine: str, kind: str, n: int, shots: int, timeout_s: float) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child", engine, kind, str(n), str(shots)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{engine} {kind} {n}: child failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1])


# -- peers on adaptive programs ------------------------------------------------------------------------------
def _runner_counts(text: str) -> dict[str, int]:
    """qir-runner's output-schema text → counts keyed by qirrt's convention."""
    from qirrt.result import Record, format_key

    counts: dict[str, int] = {}
    records: list = []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "START":
            records = []
        elif parts[0] == "OUTPUT" and len(parts) >= 3:
            kind, value = parts[1], parts[2]
            records.append(Record(kind, {"true": 1, "false": 0}.get(value, value) if kind == "BOOL"
                                  else float(value) if kind == "DOUBLE" else int(value)))
        elif parts[0] == "END":
            key = format_key(records)
            counts[key] = counts.get(key, 0) + 1
    return counts


def _qdk_key(value) -> str:
    if isinstance(value, tuple):
        return " ".join(_qdk_key(v) for v in value)
    if isinstance(value, list):
        return "".join(_qdk_key(v) for v in value)
    text = str(value)
    return {"Zero": "0", "One": "1", "Result.Zero": "0", "Result.One": "1"}.get(text, text)


def time_qirrunner(ir: str, shots: int) -> tuple[float, dict]:
    import qirrunner

    with tempfile.NamedTemporaryFile("w", suffix=".ll", delete=False) as handle:
        handle.write(ir.replace("@__quantum__qis__cx__body", "@__quantum__qis__cnot__body"))
        path = handle.name
    try:
        handler = qirrunner.OutputHandler()
        start = time.perf_counter()
        qirrunner.run(path, shots=shots, rng_seed=3, output_fn=handler.handle)
        elapsed = time.perf_counter() - start
        return elapsed, _runner_counts(handler.get_output())
    finally:
        os.unlink(path)


def time_qdk(ir: str, shots: int) -> tuple[float, dict]:
    from qdk.simulation import run_qir

    text = ir.replace("@__quantum__qis__read_result__body", "@__quantum__rt__read_result")
    start = time.perf_counter()
    shots_out = run_qir(text, shots=shots, seed=3, type="cpu")
    elapsed = time.perf_counter() - start
    counts: dict[str, int] = {}
    for value in shots_out:
        key = _qdk_key(value)
        counts[key] = counts.get(key, 0) + 1
    return elapsed, counts


def time_peer(timer, ir: str, shots: int, budget_s: float, probe_shots: int, probes: dict) -> dict:
    """Time `shots` shots, or `probe_shots` and extrapolate when the full run would blow the budget
    (`probes` keeps each probe, so a program is probed once per peer)."""
    key = (timer.__name__, ir, probe_shots)
    if key not in probes:
        probes[key] = timer(ir, probe_shots)
    probe_time, counts = probes[key]
    predicted = probe_time * shots / probe_shots
    if shots == probe_shots:
        return {"time_s": probe_time, "extrapolated": False, "counts": counts}
    if predicted <= budget_s:
        elapsed, counts = timer(ir, shots)
        return {"time_s": elapsed, "extrapolated": False, "counts": counts}
    return {"time_s": predicted, "extrapolated": True, "measured_shots": probe_shots,
            "measured_s": probe_time, "counts": counts}


def time_qirrt(executor, program, shots: int, repeats: int) -> tuple[float, dict, dict]:
    best = math.inf
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = executor.run(program, shots=shots, seed=11)
        best = min(best, time.perf_counter() - start)
    return best, result.counts, result.metadata


# -- main -----------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a minute or two)")
    parser.add_argument("--sizes", type=int, nargs="*", help="static-circuit sizes (qubits)")
    parser.add_argument("--peer-budget-s", type=float, default=30.0,
                        help="longest a single peer run may take before it is extrapolated")
    parser.add_argument("--skip-static", action="store_true")
    parser.add_argument("--skip-adaptive", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "KIND", "N", "SHOTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, kind, n, shots = args.child
        print(json.dumps(child(engine, kind, int(n), int(shots))))
        return 0

    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "static": [],
                    "adaptive": []}
    sizes = args.sizes or (QUICK_SIZES if args.quick else STATIC_SIZES)

    if not args.skip_static:
        print(f"Static circuits, {SHOTS} shots — qirrt local vs AerSimulator(statevector); each case in a fresh "
              f"process, warm-up excluded")
        print(f"{'circuit':<14}{'qirrt s':>10}{'aer s':>10}{'ratio':>8}{'qirrt MiB':>11}{'aer MiB':>9}"
              f"{'load s':>8}{'jit s':>7}{'ops':>6}{'passes':>7}{'tvd4':>7}")
        for n in sizes:
            for kind in ("random", "qft"):
                ours = run_child("qirrt", kind, n, SHOTS, timeout_s=3600)
                aer = run_child("aer", kind, n, SHOTS, timeout_s=3600)
                row = {"circuit": kind, "qubits": n, "qirrt_s": ours["time_s"], "aer_s": aer["time_s"],
                       "ratio": aer["time_s"] / ours["time_s"], "qirrt_peak_mib": ours["peak_mib"],
                       "aer_peak_mib": aer["peak_mib"], "qirrt_load_s": ours["load_s"],
                       "qirrt_jit_s": ours["jit_s"], "qirrt_warmup_s": ours["warmup_s"],
                       "aer_warmup_s": aer["warmup_s"], "fused_operations": ours["fused_operations"],
                       "passes": ours["passes"], "tvd_low4": _tvd(ours["marginal"], aer["marginal"])}
                report["static"].append(row)
                print(f"{kind + ' ' + str(n):<14}{row['qirrt_s']:>10.3f}{row['aer_s']:>10.3f}{row['ratio']:>7.2f}x"
                      f"{row['qirrt_peak_mib']:>11.0f}{row['aer_peak_mib']:>9.0f}{row['qirrt_load_s']:>8.2f}"
                      f"{row['qirrt_jit_s']:>7.3f}{row['fused_operations']:>6}{row['passes']:>7}"
                      f"{row['tvd_low4']:>7.3f}", flush=True)

    if not args.skip_adaptive:
        import qirrt
        from qirrt.executors.local import jit
        from qirrt.executors.local.executor import LocalExecutor

        executor = LocalExecutor()
        start = time.perf_counter()
        executor.run(qirrt.load(teleport()), shots=10, seed=1)
        report["qirrt_process_warmup_s"] = time.perf_counter() - start
        programs = [("teleport", teleport(), 5), ("repeat-until-success", repeat_until_success(), 5),
                    ("mcm20" if not args.quick else "mcm12",
                     mid_circuit(20 if not args.quick else 12), 2)]
        shot_counts = (1000,) if args.quick else (1000, 10_000)
        probes: dict = {}
        print()
        print("Adaptive programs — qirrt local vs qir-runner and qdk.simulation.run_qir (~ = extrapolated)")
        print(f"{'program':<24}{'shots':>7}{'qirrt s':>11}{'paths':>7}{'qir-runner s':>14}{'ratio':>9}"
              f"{'qdk s':>12}{'ratio':>9}{'tvd':>7}")
        for name, circuit, repeats in programs:
            start = time.perf_counter()
            program = qirrt.load(circuit)
            load_s = time.perf_counter() - start
            jit_s = jit.compile_program(program).compile_time_s
            big = program.num_qubits > 10
            for shots in shot_counts:
                ours_s, ours_counts, meta = time_qirrt(executor, program, shots, repeats)
                probe = 1 if big else min(shots, 1000)
                runner = time_peer(time_qirrunner, program.ir, shots, args.peer_budget_s, probe, probes)
                qdk = time_peer(time_qdk, program.ir, shots, args.peer_budget_s, probe, probes)
                tvd = (max(_tvd(ours_counts, runner["counts"]), _tvd(ours_counts, qdk["counts"]))
                       if not big else None)
                row = {"program": name, "qubits": program.num_qubits, "shots": shots, "qirrt_s": ours_s,
                       "qirrt_paths": meta["paths"], "qirrt_load_s": load_s, "qirrt_jit_s": jit_s,
                       "qirrunner_s": runner["time_s"], "qirrunner_extrapolated": runner["extrapolated"],
                       "qdk_s": qdk["time_s"], "qdk_extrapolated": qdk["extrapolated"],
                       "ratio_qirrunner": runner["time_s"] / ours_s, "ratio_qdk": qdk["time_s"] / ours_s,
                       "tvd": tvd}
                report["adaptive"].append(row)

                def fmt(peer):
                    return ("~" if peer["extrapolated"] else "") + f"{peer['time_s']:.4g}"

                print(f"{name:<24}{shots:>7}{ours_s:>11.5f}{meta['paths']:>7}{fmt(runner):>14}"
                      f"{row['ratio_qirrunner']:>8.0f}x{fmt(qdk):>12}{row['ratio_qdk']:>8.0f}x"
                      f"{'' if tvd is None else f'{tvd:.3f}':>7}", flush=True)

    static = [r for r in report["static"] if r["qubits"] >= 20]
    adaptive = report["adaptive"]
    report["summary"] = {
        "min_ratio_vs_aer_20_26": min((r["ratio"] for r in static), default=None),
        "min_ratio_vs_qirrunner": min((r["ratio_qirrunner"] for r in adaptive), default=None),
        "min_ratio_vs_qdk": min((r["ratio_qdk"] for r in adaptive), default=None),
        "peak_mib_largest": {r["circuit"]: {"qirrt": r["qirrt_peak_mib"], "aer": r["aer_peak_mib"]}
                             for r in report["static"] if r["qubits"] == max(sizes)},
        "goals": {"aer": 1.5, "qirrunner": 100, "qdk": 100},
    }
    print()
    print(json.dumps(report, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
