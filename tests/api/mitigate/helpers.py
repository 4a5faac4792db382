"""Helpers for the mitigation tests: exact sampling (noiseless), a toy noise model and a toy calibration, no JIT."""

from __future__ import annotations

import numpy as np

from qirrt.bindings.qiskit.from_circuit import from_qiskit
from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration
from qirrt.passes.circuit import Circuit
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS


class ExactSampler:
    """A callable executor: samples each program's exact distribution; records what it ran."""

    def __init__(self, seed: int = 7):
        self.rng = np.random.default_rng(seed)
        self.calls: list[tuple[list, int]] = []

    def distribution(self, program) -> dict[str, float]:
        return exact_distribution(program)

    def __call__(self, programs, shots):
        self.calls.append((list(programs), shots))
        out = []
        for program in programs:
            dist = self.distribution(program)
            keys = list(dist)
            p = np.array([dist[k] for k in keys])
            drawn = self.rng.multinomial(shots, p / p.sum())
            out.append({k: int(n) for k, n in zip(keys, drawn) if n})
        return out

    @property
    def programs_run(self) -> int:
        return sum(len(programs) for programs, _ in self.calls)

    @property
    def shots_run(self) -> int:
        return sum(len(programs) * shots for programs, shots in self.calls)


class DepolarizingSampler(ExactSampler):
    """Global depolarizing noise: each gate keeps the state with probability 1 − ε (else uniform noise)."""

    def __init__(self, error_per_gate: float = 0.01, seed: int = 7, exact: bool = False):
        super().__init__(seed)
        self.error = error_per_gate
        self.exact = exact

    def distribution(self, program) -> dict[str, float]:
        ideal = exact_distribution(program)
        gates = sum(1 for _ in Circuit.from_program(program).gates())
        keep = (1 - self.error) ** gates
        width = len(next(iter(ideal)).replace(" ", ""))
        uniform = 1.0 / 2 ** width
        out = {k: keep * v for k, v in ideal.items()}
        for index in range(2 ** width):
            key = format(index, f"0{width}b")
            out[key] = out.get(key, 0.0) + (1 - keep) * uniform
        return out


def corpus_program(name: str):
    return from_qiskit(CORPUS[name]())


def toy_calibration(num_qubits: int, cx_error: float = 0.01, sx_error: float = 0.0005) -> Calibration:
    """A line of qubits with Kolkata-like error rates (sx/x, cx between neighbours, asymmetric readout)."""
    gates = {("sx", (q,)): GateCalibration(error=sx_error, duration_ns=35.5) for q in range(num_qubits)}
    gates.update({("x", (q,)): GateCalibration(error=sx_error, duration_ns=35.5) for q in range(num_qubits)})
    gates.update({("cx", (q, q + 1)): GateCalibration(error=cx_error, duration_ns=400.0)
                  for q in range(num_qubits - 1)})
    qubits = {q: QubitCalibration(readout_error=0.02, prob_meas1_prep0=0.01, prob_meas0_prep1=0.03)
              for q in range(num_qubits)}
    return Calibration(target_name="toy", timestamp=0, qubits=qubits, gates=gates)
