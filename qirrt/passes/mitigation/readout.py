"""`readout`: measurement-error mitigation with calibration (confusion) matrices.

A confusion matrix A has A[m, p] = P(read m | prepared p). It is either

* **tensored** — one 2×2 matrix per measured qubit, A = ⊗ A_q (no correlated readout errors), or
* **full** — one 2^m × 2^m matrix over the m measured qubits (correlations included; few qubits).

``mode=auto`` takes full up to `max-full-qubits` measured bits and tensored above. The matrices come
from the context's `Calibration` (``prob_meas1_prep0`` / ``prob_meas0_prep1``, else the symmetric
``readout_error``: tensored only, as a snapshot holds no correlations) with ``source=calibration``,
or from calibration circuits run beside the program with ``source=circuits`` (2^m circuits preparing
each basis state for full, the all-zeros and all-ones states for tensored); ``source=auto`` uses the
snapshot when it covers every measured qubit. Calibration circuits keep the program's measurements,
records and layout, so their keys line up, and later steps in a pipeline pass them through unchanged.

Correction: ``method=inverse`` applies A⁻¹ (a quasi-distribution, possibly with negative entries);
``method=least-squares`` finds the probability distribution p ≥ 0, Σp = 1 closest to it (for full
matrices min ‖A·p − p_noisy‖ when SciPy is there; else, and for tensored ones, the nearest
distribution to A⁻¹·p_noisy by Smolin, Gambetta and Smith's projection).

Bits are located through the program's measurements and result records (`MeasurementLayout`);
recorded bits no final measurement explains (``bool`` records) are left as they are.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qirrt.errors import CalibrationError, PassError
from qirrt.observables import strip_key
from qirrt.passes.circuit import Circuit, Gate, Op, Raw
from qirrt.passes.mitigation.base import MitigationStep, QuasiDistribution, as_distribution
from qirrt.passes.mitigation.base import linear_combination, tag_of, tagged
from qirrt.passes.postprocess.base import ReadoutLayout
from qirrt.passes.postprocess.dense import (
    MAX_DENSE_BITS,
    confusion_from_errors,
    dense,
    nearest_probability,
    sparse,
)
from qirrt.passes.postprocess.tensored import TensoredReadoutInverse

METHODS = ("inverse", "least-squares")
MODES = ("auto", "full", "tensored")
SOURCES = ("auto", "calibration", "circuits")
FIXED = "mitigation_fixed"
"""``Program.metadata`` flag: a calibration circuit that later pipeline steps must not expand."""


def calibration_program(program, layout: ReadoutLayout, state: str):
    """The program's measurements and records, preceded by X on the qubits `state` (bits over the measured
    key positions, in key order) sets to one; flagged so later pipeline steps leave it alone."""
    from dataclasses import replace

    circuit = Circuit.from_program(program)
    if not circuit.is_straight_line:
        raise PassError("readout calibration circuits need a straight-line program: use source=calibration "
                        "with a Calibration snapshot for programs with branches")
    flips = [layout.qubit_at[p] for p, bit in zip(layout.measured, state) if bit == "1"]
    final: dict[int, int] = {}
    items = circuit.blocks[0].items
    for i, item in enumerate(items):
        if isinstance(item, Op) and item.name in ("mz", "m", "mresetz"):
            final[item.qubit] = i
    kept = [item for i, item in enumerate(items)
            if isinstance(item, Raw) or (isinstance(item, Op) and final.get(item.qubit) == i)]
    circuit.blocks[0].items = [Gate("x", (q,)) for q in sorted(flips)] + kept
    calibration = circuit.to_program(program, note=f"readout-calibration{{state={state}}}")
    return replace(calibration, metadata={**calibration.metadata, FIXED: True})


@dataclass(frozen=True)
class ReadoutMitigation(MitigationStep):
    """Undo measurement errors with full or tensored confusion matrices."""

    name: ClassVar[str] = "readout"

    method: str = "inverse"
    mode: str = "auto"
    source: str = "auto"
    max_full_qubits: int = 4

    def __post_init__(self) -> None:
        for option, value, allowed in (("method", self.method, METHODS), ("mode", self.mode, MODES),
                                       ("source", self.source, SOURCES)):
            if value not in allowed:
                raise PassError(f"readout {option} must be one of {', '.join(allowed)}, got {value!r}")
        if self.max_full_qubits < 1:
            raise PassError("readout max-full-qubits must be ≥ 1")

    # -- choices ----------------------------------------------------------------------------------
    def resolved_mode(self, layout: ReadoutLayout) -> str:
        if self.mode != "auto":
            return self.mode
        return "full" if len(layout.measured) <= self.max_full_qubits else "tensored"

    def resolved_source(self, layout: ReadoutLayout, ctx) -> str:
        calibration = getattr(ctx, "calibration", None) if ctx is not None else None
        if self.source != "auto":
            if self.source == "calibration" and calibration is None:
                raise CalibrationError("readout source=calibration needs a Calibration in the pass context; "
                                       "give one, or use source=circuits")
            return self.source
        if calibration is not None and all(_has_readout(calibration, layout.physical_qubit(p))
                                           for p in layout.measured):
            return "calibration"
        return "circuits"

    # -- expand -----------------------------------------------------------------------------------
    def calibration_states(self, layout: ReadoutLayout, mode: str) -> list[str]:
        """Prepared states over the measured positions (in key order), as bit strings."""
        m = len(layout.measured)
        if mode == "full":
            if m > MAX_DENSE_BITS // 2:
                raise PassError(f"full readout calibration of {m} qubits needs {2 ** m} circuits: use mode=tensored")
            return ["".join(bits) for bits in itertools.product("01", repeat=m)]
        return ["0" * m, "1" * m]

    def calibration_program(self, program, layout: ReadoutLayout, state: str):
        """The program's measurements and records, preceded by X on the qubits `state` sets to one."""
        return calibration_program(program, layout, state)

    def expand(self, program, ctx=None) -> list:
        layout = ReadoutLayout.of(program)
        out = [tagged(program, self.name, role="target")]
        if self.resolved_source(layout, ctx) == "circuits":
            mode = self.resolved_mode(layout)
            for state in self.calibration_states(layout, mode):
                out.append(tagged(self.calibration_program(program, layout, state), self.name,
                                  role="calibration", state=state, mode=mode))
        return out

    # -- matrices ---------------------------------------------------------------------------------
    def matrices_from_calibration(self, layout: ReadoutLayout, calibration) -> dict[int, np.ndarray]:
        """Per key position: the 2×2 confusion matrix of its physical qubit from a snapshot."""
        out = {}
        for position in layout.measured:
            phys = layout.physical_qubit(position)
            data = calibration.qubits.get(phys)
            if data is None or not _has_readout(calibration, phys):
                raise CalibrationError(f"calibration {calibration.epoch} has no readout error for physical qubit "
                                       f"{phys}: use readout source=circuits")
            p01 = data.prob_meas1_prep0 if data.prob_meas1_prep0 is not None else data.readout_error
            p10 = data.prob_meas0_prep1 if data.prob_meas0_prep1 is not None else data.readout_error
            out[position] = confusion_from_errors(p01, p10)
        return out

    def matrices_from_circuits(self, layout: ReadoutLayout, measured: Sequence[tuple[str, QuasiDistribution]],
                               mode: str):
        """From calibration outcomes: per-position 2×2 matrices (tensored) or one 2^m matrix (full)."""
        positions = layout.measured
        m = len(positions)
        marginals = {}
        for state, distribution in measured:
            vector = np.zeros(2 ** m)
            for key, p in distribution.probabilities.items():
                bits = strip_key(key)
                vector[int("".join(bits[i] for i in positions) or "0", 2)] += p
            marginals[state] = vector / max(vector.sum(), 1e-300)
        if mode == "full":
            matrix = np.zeros((2 ** m, 2 ** m))
            for state, vector in marginals.items():
                matrix[:, int(state or "0", 2)] = vector
            return matrix
        zeros, ones = marginals["0" * m], marginals["1" * m]
        out = {}
        for k, position in enumerate(positions):
            mask = np.array([(index >> (m - 1 - k)) & 1 for index in range(2 ** m)], dtype=bool)
            p01 = float(zeros[mask].sum())
            p10 = float(ones[~mask].sum())
            out[position] = confusion_from_errors(p01, p10)
        return out

    # -- correction -------------------------------------------------------------------------------
    def correct(self, distribution: QuasiDistribution, layout: ReadoutLayout, matrices) -> QuasiDistribution:
        """Apply the inverse (or least-squares) correction to one distribution."""
        width = layout.width
        if not isinstance(matrices, np.ndarray):  # tensored: the `tensored` post-processor
            return TensoredReadoutInverse.from_matrices(width, matrices, self.method).correct(distribution)
        vector, template = dense(distribution.probabilities, width)
        if len(layout.measured) != width:  # full, over the measured positions
            raise PassError("full readout correction needs every recorded bit to be a final measurement; "
                            "use mode=tensored")
        corrected = self._solve_full(matrices, vector)
        return QuasiDistribution(sparse(corrected, width, template), distribution.shots, distribution.circuits)

    def _solve_full(self, matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
        inverse = np.linalg.solve(matrix, vector)
        if self.method == "inverse":
            return inverse
        try:
            from scipy.optimize import minimize
        except ImportError:
            return nearest_probability(inverse)
        start = nearest_probability(inverse)
        n = len(vector)
        fit = minimize(lambda p: float(np.sum((matrix @ p - vector) ** 2)), start,
                       jac=lambda p: 2 * matrix.T @ (matrix @ p - vector), method="SLSQP",
                       bounds=[(0.0, 1.0)] * n, constraints=({"type": "eq", "fun": lambda p: np.sum(p) - 1.0},),
                       options={"ftol": 1e-12, "maxiter": 500})
        return np.clip(fit.x, 0.0, None) if fit.success else start

    def combine(self, results, *, programs=None, observable=None, ctx=None):
        self._check(results, programs, need_programs=True)
        targets, calibrations = [], []
        for result, program in zip(results, programs):
            tag = tag_of(program, self.name)
            if tag["role"] == "target":
                targets.append((result, program))
            else:
                calibrations.append((tag["state"], as_distribution(result), tag["mode"]))
        if len(targets) != 1:
            raise PassError(f"readout expects one target program among its results, got {len(targets)}")
        result, program = targets[0]
        layout = ReadoutLayout.of(program)
        if calibrations:
            mode = calibrations[0][2]
            matrices = self.matrices_from_circuits(layout, [(s, d) for s, d, _ in calibrations], mode)
        else:
            calibration = getattr(ctx, "calibration", None) if ctx is not None else None
            if calibration is None:
                raise CalibrationError("readout mitigation from calibration data needs the Calibration in the "
                                       "context at combine time")
            matrices = self.matrices_from_calibration(layout, calibration)
        corrected = self.correct(as_distribution(result), layout, matrices)
        return corrected_outcome(corrected, [d for _, d, _ in calibrations], observable)


def corrected_outcome(corrected: QuasiDistribution, calibrations: Sequence[QuasiDistribution], observable):
    """A corrected target distribution as a step's outcome: the calibration circuits and shots it cost
    counted in, and ⟨O⟩ (an `Estimate`) when an observable is given."""
    extra = sum(d.shots for d in calibrations)
    corrected = QuasiDistribution(corrected.probabilities, corrected.shots, corrected.circuits + len(calibrations))
    if observable is not None:
        outcome = linear_combination([corrected], [1.0], observable, {"calibration_shots": extra})
        return type(outcome)(outcome.value, outcome.std_error, corrected.shots + extra, outcome.circuits,
                             outcome.details)
    return corrected


def _has_readout(calibration, phys: int) -> bool:
    data = calibration.qubits.get(phys)
    return data is not None and (data.readout_error is not None or
                                 (data.prob_meas1_prep0 is not None and data.prob_meas0_prep1 is not None))


__all__ = [
    "FIXED",
    "MAX_DENSE_BITS",
    "METHODS",
    "MODES",
    "SOURCES",
    "ReadoutLayout",
    "ReadoutMitigation",
    "calibration_program",
    "confusion_from_errors",
    "corrected_outcome",
    "nearest_probability",
]
