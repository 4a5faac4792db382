"""qirrt's local executor against the simulators users would pick instead, measured in one run.

* Static circuits — random (Qiskit `random_circuit`, depth 30, ≤ 2-qubit gates) and QFT (on a
  non-trivial product state) at 16, 20, 22, 24 and 26 qubits, 1000 shots: qirrt local vs
  `AerSimulator(method="statevector")`, both given the same transpiled circuit. Each case runs in a
  fresh child process, which warms its engine up on a small circuit first (numba kernels, Aer's
  library), then times one run and reports its peak resident memory (`ru_maxrss`). qirrt's times
  exclude the Qiskit → QIR lowering and the LLVM JIT of the program; both are reported separately,
  as is the process warm-up.
* Adaptive programs — teleportation, repeat-until-success (`while_loop`) and a 12-qubit program with
  6 mid-circuit measurements and feed-forward — at 10,000 shots, timed as a user runs them: from a
  `.ll` file to counts, in one warm process (imports and numba kernels warmed on another program).
  qirrt's row ("from file") is the median of N repetitions, with qirrt's disk caches off (a peer has
  none), of: clear qirrt's in-process loaded-program, compiled-program and validator caches (`clear_qirrt_caches`, which names them in the JSON), `qirrt.load(path)` (read,
  parse, normalise, validate), `LocalExecutor.run` (JIT or operation list, then the shots). qirrt's
  warm-run figure (the loaded, compiled program run again) is printed as its own row and is not used
  in any ratio. Peers: qir-runner (`qirrunner.run` on the file, with `cnot__body`) and
  `qdk.simulation.run_qir` (the file's text, `__quantum__rt__read_result`, `type="cpu"`). Each peer
  is timed at 10 shots and two larger counts (≤ 1000 and ≤ 3000, smaller when the 10-shot pilot says
  a run would take more than a quarter of the budget) and fitted to time = a + b·shots (a: its
  start-up, b: per shot, both printed), then run at 10,000 shots; only when the fit says that run would exceed
  `--peer-budget-s` is the fitted time used instead (marked ``~``). Every distribution — qirrt's and
  each peer's largest run — is G-tested against `qirrt.qir.exact`, the whole key and every bit's
  marginal, Bonferroni-corrected (`_peers.distribution_check`; outcomes expected < 5 times pooled);
  p < 0.001 is a failed check, reported in the row and in ``distributions_ok``.
* A peer that does not import is skipped with one line saying so; a peer that fails on a program is
  a row saying "failed". G-ADAPT: ratio = peer time / qirrt from-file time, goal ≥ 100× both peers.

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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _peers import P_THRESHOLD, distribution_check, emit, fit_linear, optional

warnings.filterwarnings("ignore", category=DeprecationWarning)

STATIC_SIZES = (16, 20, 22, 24, 26)
QUICK_SIZES = (16,)
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


def qirrunner_timer(module):
    """Time `qirrunner.run` on a file (its own parse, its own simulation), as a user would call it."""
    def run(path: str, shots: int, seed: int) -> tuple[float, dict]:
        handler = module.OutputHandler()
        start = time.perf_counter()
        module.run(path, shots=shots, rng_seed=seed, output_fn=handler.handle)
        elapsed = time.perf_counter() - start
        return elapsed, _runner_counts(handler.get_output())
    return run


def qdk_timer(run_qir):
    """Time `qdk.simulation.run_qir` on the file's text (read inside the clock, as qirrt reads its file)."""
    def run(path: str, shots: int, seed: int) -> tuple[float, dict]:
        start = time.perf_counter()
        with open(path) as handle:
            text = handle.read()
        shots_out = run_qir(text, shots=shots, seed=seed, type="cpu")
        elapsed = time.perf_counter() - start
        counts: dict[str, int] = {}
        for value in shots_out:
            key = _qdk_key(value)
            counts[key] = counts.get(key, 0) + 1
        return elapsed, counts
    return run


def adaptive_peers() -> dict:
    """name → (file dialect rewrite, timer) for every adaptive peer that imports; a line for each skipped."""
    peers: dict = {}
    runner = optional("qirrunner", "qir-runner", "qirrunner")
    if runner is not None:
        peers["qir-runner"] = ({"@__quantum__qis__cx__body": "@__quantum__qis__cnot__body"}, qirrunner_timer(runner))
    simulation = optional("qdk.simulation", "qdk", "qdk")
    run_qir = getattr(simulation, "run_qir", None) if simulation is not None else None
    if simulation is not None and run_qir is None:
        print("skipping qdk: this qdk has no qdk.simulation.run_qir; install a newer one: pip install -U qdk")
    if run_qir is not None:
        peers["qdk"] = ({"@__quantum__qis__read_result__body": "@__quantum__rt__read_result"}, qdk_timer(run_qir))
    return peers


def time_peer(timer, path: str, shots: int, budget_s: float) -> dict:
    """Time the peer at ≥ 2 shot counts and fit time = a + b·shots. A 10-shot pilot (also a fit point)
    picks the two larger counts so each takes at most about a quarter of `budget_s` (at most 1000 and
    3000); then `shots` itself is run when the fit says it takes ≤ `budget_s` (the fit then uses it too),
    otherwise the fitted time is reported, marked extrapolated. The counts checked are the largest run's."""
    pilot_s, counts = timer(path, PILOT_SHOTS, 3)
    points = [(PILOT_SHOTS, pilot_s)]
    high = int(min(PROBE_SHOTS[1], max(3 * PILOT_SHOTS, budget_s / 4 / (pilot_s / PILOT_SHOTS))))
    for n in (max(PILOT_SHOTS + 1, high // 3), high):
        elapsed, counts = timer(path, n, 3 + n)
        points.append((n, elapsed))
    a, b = fit_linear(points)
    extrapolated = a + b * shots > budget_s
    if not extrapolated:
        elapsed, counts = timer(path, shots, 3 + shots)
        points.append((shots, elapsed))
        a, b = fit_linear(points)
    measured = dict(points)
    return {"time_s": measured.get(shots, a + b * shots), "extrapolated": extrapolated, "startup_s": a,
            "per_shot_s": b, "points": points, "counts": counts, "counts_shots": max(measured)}


def clear_qirrt_caches() -> list[str]:
    """Empty qirrt's in-process caches that would make a second load of the same file free (the
    compiled-program caches of the JIT and the operation list, the validator's line caches); return
    the names cleared. The disk caches are switched off by the caller (`time_qirrt_from_file`)."""
    import importlib

    cleared = []
    for module_name, attributes in (("qirrt.executors.local.jit", ("_cache",)),
                                    ("qirrt.executors.local.operations", ("_cache",)),
                                    ("qirrt.qir.validate.core", ("_LINE_CACHE", "_SHAPE_CACHE")),
                                    ("qirrt.qir.program_cache", ("_MEMORY",))):
        module = importlib.import_module(module_name)
        for attribute in attributes:
            cache = getattr(module, attribute, None)
            if cache is not None and hasattr(cache, "clear"):
                cache.clear()
                cleared.append(f"{module_name}.{attribute}")
    return cleared


def time_qirrt_from_file(executor, path: str, shots: int, repeats: int) -> dict:
    """Each repetition: clear the caches, `qirrt.load(path)` (read, parse, normalise, validate), run
    `shots` (JIT or operation list included); the median and best of `repeats`, and the last counts.
    qirrt's disk caches of loaded programs and object code are off here (QIRRT_NO_CACHE), as a peer has
    none: every repetition parses and compiles afresh (`benchmarks/adaptive_load.py` measures the caches)."""
    import os

    import qirrt

    times, result = [], None
    saved = os.environ.get("QIRRT_NO_CACHE")
    os.environ["QIRRT_NO_CACHE"] = "1"
    try:
        for index in range(repeats):
            clear_qirrt_caches()
            start = time.perf_counter()
            result = executor.run(qirrt.load(path), shots=shots, seed=11 + index)
            times.append(time.perf_counter() - start)
    finally:
        if saved is None:
            os.environ.pop("QIRRT_NO_CACHE", None)
        else:
            os.environ["QIRRT_NO_CACHE"] = saved
    return {"median_s": float(np.median(times)), "best_s": min(times), "counts": result.counts,
            "metadata": result.metadata}


def time_qirrt_warm(executor, program, shots: int, repeats: int) -> dict:
    """The already-loaded, already-compiled program run again: qirrt's warm-run figure."""
    times = []
    executor.run(program, shots=shots, seed=1)
    for index in range(repeats):
        start = time.perf_counter()
        executor.run(program, shots=shots, seed=21 + index)
        times.append(time.perf_counter() - start)
    return {"median_s": float(np.median(times)), "best_s": min(times)}


# -- main -----------------------------------------------------------------------------------------------------
ADAPTIVE_SHOTS = 10_000
PROBE_SHOTS = (1000, 3000)
PILOT_SHOTS = 10
GOALS = {"aer": 1.5, "qirrunner": 100.0, "qdk": 100.0}


def static_rows(sizes, report: dict) -> None:
    if optional("qiskit_aer", "Aer (static circuits)", "qiskit-aer") is None:
        return
    print(f"Static circuits, {SHOTS} shots — qirrt local vs AerSimulator(statevector); each case in a fresh "
          f"process, warm-up excluded (benchmarks/sv_peers.py compares against qsim and qulacs too)")
    print(f"{'circuit':<14}{'qirrt s':>10}{'aer s':>10}{'ratio':>8}{'qirrt MiB':>11}{'aer MiB':>9}"
          f"{'load s':>8}{'jit s':>7}{'ops':>6}{'passes':>7}{'tvd4':>7}")
    for n in sizes:
        for kind in ("random", "qft"):
            ours = run_child("qirrt", kind, n, SHOTS, timeout_s=3600)
            aer = run_child("aer", kind, n, SHOTS, timeout_s=3600)
            row = {"circuit": kind, "qubits": n, "qirrt_s": ours["time_s"], "aer_s": aer["time_s"],
                   "ratio": aer["time_s"] / ours["time_s"], "qirrt_peak_mib": ours["peak_mib"],
                   "aer_peak_mib": aer["peak_mib"], "qirrt_load_s": ours["load_s"],
                   "qirrt_jit_s": ours["jit_s"], "fused_operations": ours["fused_operations"],
                   "passes": ours["passes"], "tvd_low4": _tvd(ours["marginal"], aer["marginal"])}
            report["static"].append(row)
            print(f"{kind + ' ' + str(n):<14}{row['qirrt_s']:>10.3f}{row['aer_s']:>10.3f}{row['ratio']:>7.2f}x"
                  f"{row['qirrt_peak_mib']:>11.0f}{row['aer_peak_mib']:>9.0f}{row['qirrt_load_s']:>8.2f}"
                  f"{row['qirrt_jit_s']:>7.3f}{row['fused_operations']:>6}{row['passes']:>7}"
                  f"{row['tvd_low4']:>7.3f}", flush=True)


def adaptive_rows(peers: dict, args, report: dict) -> None:
    import qirrt
    from qirrt.executors.local.executor import LocalExecutor
    from qirrt.qir.exact import exact_distribution

    executor = LocalExecutor()
    start = time.perf_counter()
    executor.run(qirrt.load(teleport()), shots=10, seed=1)  # the process warm-up: imports, numba kernels
    report["qirrt_process_warmup_s"] = time.perf_counter() - start
    report["qirrt_caches_cleared_per_repeat"] = clear_qirrt_caches()
    shots, repeats = ADAPTIVE_SHOTS, (3 if args.quick else 7)
    print()
    print(f"Adaptive programs, {shots} shots, from a .ll file to counts in one warm process. qirrt 'from file' = "
          f"median of {repeats} × (clear caches, qirrt.load(file), run), JIT included; 'warm run' = the loaded,")
    print(f"compiled program run again (not a like-for-like figure). Peers timed at {PILOT_SHOTS} shots and two "
          f"larger counts (up to {PROBE_SHOTS[0]} and {PROBE_SHOTS[1]}), fit a + b·shots, then run at {shots} unless")
    print(f"the fit exceeds {args.peer_budget_s:.0f} s (~ = from the fit). p = G-test against qirrt.exact "
          f"(key and per-bit marginals, Bonferroni; fail < {P_THRESHOLD}) of the largest run.")
    print(f"{'program':<22}{'row':<26}{'time s':>10}{'a (start) s':>13}{'b per shot':>12}{'ratio':>9}{'p':>9}")
    with tempfile.TemporaryDirectory(prefix="qirrt-bench-") as folder:
        programs = [("teleport", teleport()), ("repeat-until-success", repeat_until_success()),
                    ("mcm12", mid_circuit(12))]
        for name, circuit in programs:
            program = qirrt.load(circuit)
            exact = exact_distribution(program)
            path = os.path.join(folder, f"{name}.ll")
            with open(path, "w") as handle:
                handle.write(program.ir)
            cold = time_qirrt_from_file(executor, path, shots, repeats)
            warm = time_qirrt_warm(executor, program, shots, repeats)
            row = {"program": name, "qubits": program.num_qubits, "shots": shots,
                   "qirrt_from_file_s": cold["median_s"], "qirrt_from_file_best_s": cold["best_s"],
                   "qirrt_warm_run_s": warm["median_s"], "qirrt_paths": cold["metadata"].get("paths"),
                   "qirrt_p": distribution_check(cold["counts"], exact), "peers": {}}
            print(f"{name:<22}{'qirrt from file':<26}{cold['median_s']:>10.4f}{'':>13}{'':>12}{'':>9}"
                  f"{row['qirrt_p']:>9.3g}")
            print(f"{'':<22}{'qirrt warm run (separate)':<26}{warm['median_s']:>10.4f}")
            for peer, (rewrites, timer) in peers.items():
                peer_path = os.path.join(folder, f"{name}.{peer}.ll")
                text = program.ir
                for old, new in rewrites.items():
                    text = text.replace(old, new)
                with open(peer_path, "w") as handle:
                    handle.write(text)
                try:
                    timed = time_peer(timer, peer_path, shots, args.peer_budget_s)
                except Exception as exc:  # noqa: BLE001 -- a peer that fails on a program is a row saying so
                    row["peers"][peer] = {"failed": f"{type(exc).__name__}: {exc}"[:300]}
                    print(f"{'':<22}{peer:<26}{'failed: ' + type(exc).__name__ + ': ' + str(exc)[:60]}")
                    continue
                p_value = distribution_check(timed["counts"], exact)
                ratio = timed["time_s"] / cold["median_s"]
                row["peers"][peer] = {"time_s": timed["time_s"], "extrapolated": timed["extrapolated"],
                                      "startup_s": timed["startup_s"], "per_shot_s": timed["per_shot_s"],
                                      "points": timed["points"], "p": p_value, "ratio": ratio,
                                      "distribution_ok": p_value >= P_THRESHOLD}
                mark = "~" if timed["extrapolated"] else ""
                print(f"{'':<22}{peer:<26}{mark + format(timed['time_s'], '.4f'):>10}{timed['startup_s']:>13.4f}"
                      f"{timed['per_shot_s']:>12.3g}{ratio:>8.0f}x{p_value:>9.3g}", flush=True)
            report["adaptive"].append(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small static sizes, fewer repeats")
    parser.add_argument("--sizes", type=int, nargs="*", help="static-circuit sizes (qubits)")
    parser.add_argument("--peer-budget-s", type=float, default=None,
                        help="longest a peer run at the full shot count may take before the fit is used instead "
                             "(default 60 s, 20 s with --quick)")
    parser.add_argument("--skip-static", action="store_true")
    parser.add_argument("--skip-adaptive", action="store_true")
    parser.add_argument("--list-peers", action="store_true", help="say which peers import, then stop")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "KIND", "N", "SHOTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, kind, n, shots = args.child
        print(json.dumps(child(engine, kind, int(n), int(shots))))
        return 0

    if args.peer_budget_s is None:
        args.peer_budget_s = 20.0 if args.quick else 60.0
    peers = adaptive_peers()
    report: dict = {"benchmark": "local_vs_peers", "machine": {"cpus": os.cpu_count(),
                    "python": sys.version.split()[0]}, "peers": sorted(peers), "static": [], "adaptive": []}
    if args.list_peers:
        emit(report)
        return 0
    sizes = args.sizes or (QUICK_SIZES if args.quick else STATIC_SIZES)
    if not args.skip_static:
        static_rows(sizes, report)
    if not args.skip_adaptive:
        adaptive_rows(peers, args, report)

    static = [r for r in report["static"] if r["qubits"] >= 20]

    def worst(peer):
        ratios = [row["peers"][peer]["ratio"] for row in report["adaptive"] if "ratio" in row["peers"].get(peer, {})]
        return min(ratios, default=None)

    g_adapt = {peer: worst(peer) for peer in ("qir-runner", "qdk")}
    report["summary"] = {
        "min_ratio_vs_aer_20_26": min((r["ratio"] for r in static), default=None),
        "g_adapt_min_ratio": g_adapt,
        "g_adapt_met": {peer: (ratio is not None and ratio >= GOALS["qirrunner"]) for peer, ratio in g_adapt.items()},
        "distributions_ok": all(row["qirrt_p"] >= P_THRESHOLD and all(v.get("distribution_ok", False)
                                for v in row["peers"].values()) for row in report["adaptive"]),
        "goals": GOALS,
    }
    print()
    print("G-ADAPT (from file, JIT counted, ≥ 100× each peer): "
          + ", ".join(f"{peer} {'skipped' if r is None else f'{r:.1f}x'}" for peer, r in g_adapt.items()))
    for row in report["adaptive"]:
        row.pop("counts", None)
    emit(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
