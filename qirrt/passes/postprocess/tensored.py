"""`tensored`: the tensored readout inverse — one 2×2 confusion matrix per measured qubit, A = ⊗ A_q.

Fitted from a `Calibration` snapshot (``prob_meas1_prep0`` / ``prob_meas0_prep1`` of each physical
qubit, else its symmetric ``readout_error``) or from two calibration circuits (all zeros, all ones).
`correct` applies ⊗ A_q⁻¹ (``method=inverse``: a quasi-distribution, possibly negative) or projects
that onto the nearest probability distribution (``method=least-squares``, Smolin, Gambetta and Smith).
It models no correlation between qubits: see `learned` for that. The ``readout`` mitigation step's
tensored mode is this post-processor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qirrt.errors import CalibrationError, PassError
from qirrt.passes.outcomes import QuasiDistribution
from qirrt.passes.postprocess.base import CalibrationData, PostProcessor, Requirements
from qirrt.passes.postprocess.dense import (
    apply_per_axis,
    confusion_from_errors,
    dense,
    nearest_probability,
    sparse,
)

METHODS = ("inverse", "least-squares")


@dataclass(frozen=True)
class TensoredReadoutInverse(PostProcessor):
    """Per-qubit readout confusion matrices, inverted qubit by qubit."""

    name: ClassVar[str] = "tensored"
    requires: ClassVar[Requirements] = Requirements(snapshot=True, circuits=True)

    method: str = "inverse"
    p01: tuple[float, ...] = ()  # P(read 1 | prepared 0), per entry of `positions`
    p10: tuple[float, ...] = ()  # P(read 0 | prepared 1)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise PassError(f"tensored method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not (len(self.p01) == len(self.p10) == len(self.positions)):
            raise PassError("tensored state: p01, p10 and positions must have one entry per corrected bit")
        for p in (*self.p01, *self.p10):
            if not 0.0 <= p < 1.0:
                raise PassError(f"tensored state: readout error probabilities must lie in [0, 1), got {p}")

    @classmethod
    def from_matrices(cls, width: int, matrices, method: str = "inverse") -> TensoredReadoutInverse:
        """From {key position: 2×2 confusion matrix}."""
        positions = tuple(sorted(matrices))
        return cls(width=width, positions=positions, method=method,
                   p01=tuple(float(matrices[p][1, 0]) for p in positions),
                   p10=tuple(float(matrices[p][0, 1]) for p in positions))

    def matrices(self) -> dict[int, np.ndarray]:
        return {p: confusion_from_errors(a, b) for p, a, b in zip(self.positions, self.p01, self.p10)}

    def calibration_states(self, measured: int) -> list[str]:
        return ["0" * measured, "1" * measured]

    def fit(self, data: CalibrationData) -> TensoredReadoutInverse:
        if data.samples:
            return self._fit_circuits(data)
        if data.snapshot is None:
            raise CalibrationError("the tensored readout inverse needs a Calibration snapshot or the outcomes of its "
                                   "calibration circuits (all zeros, all ones)")
        p01, p10 = [], []
        for phys in data.physical:
            q = data.snapshot.qubits.get(phys)
            if q is None or (q.readout_error is None and (q.prob_meas1_prep0 is None or q.prob_meas0_prep1 is None)):
                raise CalibrationError(f"calibration {data.snapshot.epoch} has no readout error for physical qubit "
                                       f"{phys}: use readout source=circuits")
            p01.append(q.prob_meas1_prep0 if q.prob_meas1_prep0 is not None else q.readout_error)
            p10.append(q.prob_meas0_prep1 if q.prob_meas0_prep1 is not None else q.readout_error)
        return self._fitted_for(data, p01=tuple(map(float, p01)), p10=tuple(map(float, p10)))

    def _fit_circuits(self, data: CalibrationData) -> TensoredReadoutInverse:
        m = len(data.positions)
        by_state = {state: data.measured(d) for state, d in data.samples}
        missing = [s for s in ("0" * m, "1" * m) if s not in by_state]
        if missing:
            raise CalibrationError(f"the tensored readout inverse needs the calibration states {', '.join(missing)}")
        zeros, ones = _normalised(by_state["0" * m]), _normalised(by_state["1" * m])
        p01 = tuple(float(sum(p for bits, p in zeros.items() if bits[k] == "1")) for k in range(m))
        p10 = tuple(float(sum(p for bits, p in ones.items() if bits[k] == "0")) for k in range(m))
        return self._fitted_for(data, p01=p01, p10=p10)

    def correct(self, distribution: QuasiDistribution) -> QuasiDistribution:
        vector, template = dense(distribution.probabilities, self.width)
        inverses = {p: np.linalg.inv(m) for p, m in self.matrices().items()}
        corrected = apply_per_axis(vector, self.width, inverses)
        if self.method == "least-squares":
            corrected = nearest_probability(corrected)
        return QuasiDistribution(sparse(corrected, self.width, template), distribution.shots, distribution.circuits)


def _normalised(distribution: dict[str, float]) -> dict[str, float]:
    total = sum(distribution.values())
    return {k: v / total for k, v in distribution.items()} if total > 0 else distribution


__all__ = ["METHODS", "TensoredReadoutInverse"]
