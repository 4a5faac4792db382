"""Circuit cutting against the uncut run at the same total shot budget (issue 21; extra `cutting`).

Three circuits, each cut by `qirrt.cut`/`qirrt.run(..., cutting=...)` into pieces of at most `max_qubits`:

* ``two-blocks``: two 6-qubit blocks (RY layer, CX chain) joined by two CX gates → two gate cuts (κ² = 9 each);
* ``ladder``: two 6-qubit hardware-efficient blocks (two RY/CX layers) joined by one CX → one gate cut;
* ``hub``: a 9-qubit star whose hub talks to four qubits, then to four others → one wire cut (κ² = 16)
  instead of four gate cuts.

For each, the cut run spends the budget B over its subexperiments (B // subexperiments shots each) and the
uncut run spends B shots on the whole program (local executor, both). Over R seeds it reports the RMS
error against the exact ⟨O⟩ (statevector), the mean reported standard error of the cut run, the measured
error ratio and √(sampling overhead) — the ratio one expects from the overhead alone, up to how the terms'
variances differ — and the shots an uncut run would need to be as bad (B / ratio²).

    python benchmarks/cutting.py            # B = 200,000, R = 24
    python benchmarks/cutting.py --quick    # B = 50,000, R = 8

Prints a table, then one JSON line.

Measured 2026-12-03 on the 2-core development box (B = 200,000, 24 seeds, 17 s):

| circuit    | qubits → max | cuts       | overhead | subexperiments | RMS error cut | uncut  | ratio | √overhead |
|------------|-------------:|------------|---------:|---------------:|--------------:|-------:|------:|----------:|
| two-blocks |       12 → 6 | gate, gate |       81 |             72 |        0.0133 | 0.0022 | 6.0×  |      9.0  |
| ladder     |       12 → 6 | gate       |        9 |             12 |        0.0056 | 0.0026 | 2.2×  |      3.0  |
| hub        |        9 → 5 | wire       |       16 |             16 |        0.0093 | 0.0024 | 3.8×  |      4.0  |

The cut runs' mean reported standard errors (0.0183, 0.0062, 0.0103) match their RMS errors within the
spread of 24 seeds. The error ratios stay at or below √overhead: the overhead is the worst case (every
QPD term at full variance); terms whose values are near ±1 cost less. An uncut run matches the cut run's
error with 1/ratio² of the budget (5,500, 43,000 and 13,600 shots here).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

import qirrt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.cutting_circuits import hub, ladder, two_blocks  # noqa: E402

CIRCUITS = {"two-blocks": two_blocks, "ladder": ladder, "hub": hub}


def exact(qc: QuantumCircuit, observable: dict) -> float:
    return float(Statevector(qc).expectation_value(SparsePauliOp.from_list(list(observable.items()))).real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="B = 50,000 shots, 8 seeds")
    parser.add_argument("--budget", type=int, help="total shots per run (default 200,000; 50,000 with --quick)")
    parser.add_argument("--repeats", type=int, help="seeds per circuit (default 24; 8 with --quick)")
    args = parser.parse_args()
    if importlib.util.find_spec("qiskit_addon_cutting") is None:
        print("skipping: qiskit-addon-cutting is not installed (pip install 'qirrt[cutting]')")
        print(json.dumps({"benchmark": "cutting", "skipped": "qiskit-addon-cutting not installed"}))
        return
    budget = args.budget or (50_000 if args.quick else 200_000)
    repeats = args.repeats or (8 if args.quick else 24)
    rows = []
    started = time.perf_counter()
    for name, make in CIRCUITS.items():
        unitary, observable, max_qubits = make()
        measured = unitary.copy()
        measured.measure_all()
        program = qirrt.load(measured)
        truth = exact(unitary, observable)
        plan = qirrt.cut(program, max_qubits=max_qubits, observable=observable)
        per = max(budget // plan.subexperiments, 1)
        cut_errors, uncut_errors, reported, cut_s = [], [], [], 0.0
        for seed in range(repeats):
            t0 = time.perf_counter()
            result = qirrt.run(program, observable=observable, cutting={"max_qubits": max_qubits}, shots=per,
                               seed=seed)
            cut_s += time.perf_counter() - t0
            cut_errors.append(result.expectation - truth)
            reported.append(result.metadata["cutting"]["std_error"])
            uncut = qirrt.run(program, observable=observable, shots=budget, seed=1000 + seed)
            uncut_errors.append(uncut.expectation - truth)
        rms_cut = math.sqrt(np.mean(np.square(cut_errors)))
        rms_uncut = math.sqrt(np.mean(np.square(uncut_errors)))
        ratio = rms_cut / rms_uncut if rms_uncut > 0 else math.inf
        rows.append({"circuit": name, "qubits": program.num_qubits, "max_qubits": max_qubits,
                     "cuts": [c.kind for c in plan.cuts], "sampling_overhead": plan.sampling_overhead,
                     "subexperiments": plan.subexperiments, "shots_each": per, "cut_shots": per * plan.subexperiments,
                     "uncut_shots": budget, "exact": round(truth, 6), "rms_error_cut": round(rms_cut, 5),
                     "rms_error_uncut": round(rms_uncut, 5), "mean_reported_se": round(float(np.mean(reported)), 5),
                     "error_ratio": round(ratio, 2), "sqrt_overhead": round(math.sqrt(plan.sampling_overhead), 2),
                     "uncut_shots_for_same_error": int(budget / ratio ** 2) if ratio > 0 else None,
                     "cut_run_s": round(cut_s / repeats, 3)})
    header = (f"{'circuit':<11} {'qubits':>6} {'max':>4} {'cuts':<12} {'overhead':>8} {'subexp':>6} {'shots':>8} "
              f"{'rms cut':>8} {'rms uncut':>9} {'SE cut':>7} {'ratio':>6} {'√ovh':>5}")
    print(header)
    for r in rows:
        print(f"{r['circuit']:<11} {r['qubits']:>6} {r['max_qubits']:>4} {','.join(r['cuts']) or '-':<12} "
              f"{r['sampling_overhead']:>8g} {r['subexperiments']:>6} {r['cut_shots']:>8} {r['rms_error_cut']:>8.4f} "
              f"{r['rms_error_uncut']:>9.4f} {r['mean_reported_se']:>7.4f} {r['error_ratio']:>5.2f}× "
              f"{r['sqrt_overhead']:>5.2f}")
    print(f"budget {budget:,} shots per run, {repeats} seeds; {time.perf_counter() - started:.1f} s")
    print(json.dumps({"benchmark": "cutting", "budget": budget, "repeats": repeats, "circuits": rows}))


if __name__ == "__main__":
    main()
