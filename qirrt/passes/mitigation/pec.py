"""`pec`: probabilistic error cancellation with a depolarizing model of each noisy gate.

**Noise model.** Every gate with an error r in the context's `Calibration` (on the physical qubits it
runs on) is modelled as the ideal gate followed by k-qubit depolarizing noise
D(ρ) = (1 − p)ρ + p/(4ᵏ − 1) Σ_{P≠I} PρP, with p = `noise-scale` · r · (2ᵏ + 1)/2ᵏ (r is an average
gate infidelity, as randomized benchmarking reports it; p the matching Pauli error probability).

**Representation.** D has Pauli-transfer eigenvalue λ = 1 − p·4ᵏ/(4ᵏ − 1) on every non-identity Pauli,
so D⁻¹(ρ) = η_I·ρ + η·Σ_{P≠I} PρP with η = (1 − 1/λ)/4ᵏ < 0 and η_I = 1/λ + η (then
η_I + (4ᵏ − 1)η = 1); the ideal gate is Σ η_P · (noisy gate, then P), of one-norm γ = η_I + (4ᵏ − 1)|η|.

**Sampling.** Each of `num-samples` instances draws, independently for every noisy gate, P with
probability |η_P|/γ and appends it after the gate (nothing for P = I); the instance's sign is the
product of the signs of the η drawn. `combine` returns γ_total/M · Σ signᵢ·outcomeᵢ with γ_total the
product of the gates' γ; the sampling overhead γ_total² (how many more shots PEC needs for the same
standard error) is in the outcome's details and in `qirrt.mitigation.plan`.

**Readout.** Measurement error is noise of the circuit too. With ``readout=auto`` (the default) and a
`Calibration` that has readout errors for every measured qubit, each sample's distribution is
corrected by the inverse of the measured bits' tensored confusion matrices before the sign-weighted
sum: that is the quasi-probability representation of the measurement noise, A_q⁻¹ = Σ η·(I or X
before the measurement), with its expectation taken exactly instead of sampled (no extra circuits;
the one-norm of A⁻¹ multiplies γ in the reported overhead). ``readout=off`` cancels gate noise only;
`qirrt.mitigation.Pipeline` switches ``auto`` off when the pipeline has its own ``readout`` step.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import CalibrationError, PassError
from ..circuit import Circuit, Gate
from .base import (
    Estimate,
    MitigationStep,
    as_distribution,
    linear_combination,
    tag_of,
    tagged,
)

_ONE_QUBIT_PAULIS = ("i", "x", "y", "z")


def representation(p: float, num_qubits: int) -> tuple[float, float, float]:
    """(η_I, η for each non-identity Pauli, γ) of the inverse of k-qubit depolarizing noise p."""
    n = 4 ** num_qubits
    lam = 1.0 - p * n / (n - 1)
    if lam <= 0:
        raise PassError(f"pec: a gate error of {p:.3g} is too large to invert (depolarizing eigenvalue {lam:.3g})")
    eta = (1.0 - 1.0 / lam) / n
    eta_identity = 1.0 / lam + eta
    gamma = abs(eta_identity) + (n - 1) * abs(eta)
    return eta_identity, eta, gamma


@dataclass(frozen=True)
class ProbabilisticErrorCancellation(MitigationStep):
    """Cancel gate noise on average with sign-weighted random Pauli insertions (needs a Calibration)."""

    name: ClassVar[str] = "pec"

    num_samples: int = 64
    noise_scale: float = 1.0
    seed: int = 0
    readout: str = "auto"

    def __post_init__(self) -> None:
        if self.num_samples < 1:
            raise PassError("pec num-samples must be ≥ 1")
        if self.noise_scale < 0:
            raise PassError("pec noise-scale must be ≥ 0")
        if self.readout not in ("auto", "off"):
            raise PassError(f"pec readout must be auto or off, got {self.readout!r}")

    def gate_noise(self, circuit: Circuit, calibration) -> list[tuple[tuple[int, int], float, int]]:
        """(block, item) → depolarizing probability for every gate the calibration says is noisy."""
        physical = circuit.physical
        out = []
        for b, block in enumerate(circuit.blocks):
            for i, item in enumerate(block.items):
                if not isinstance(item, Gate):
                    continue
                phys = tuple(physical[q] if physical is not None and q < len(physical) else q for q in item.qubits)
                error = calibration.gate_error(item.name, phys, default=0.0)
                if error <= 0:
                    continue
                k = len(item.qubits)
                p = self.noise_scale * error * (2 ** k + 1) / 2 ** k
                out.append(((b, i), p, k))
        return out

    def overhead(self, program, ctx) -> float:
        """γ_total of `program`: the PEC estimator's scale (its variance grows as γ_total²)."""
        circuit = Circuit.from_program(program)
        return math.prod(representation(p, k)[2] for _, p, k in self.gate_noise(circuit, _calibration(ctx)))

    def expand(self, program, ctx=None) -> list:
        calibration = _calibration(ctx)
        base = Circuit.from_program(program)
        base.require_static(self.name)
        noisy = self.gate_noise(base, calibration)
        reps = {(p, k): representation(p, k) for _, p, k in noisy}
        gamma = math.prod(reps[(p, k)][2] for _, p, k in noisy)
        rng = random.Random(f"pec:{self.seed}:{program.hash}")
        out = []
        for sample in range(self.num_samples):
            sign = 1
            inserts: dict[tuple[int, int], list[Gate]] = {}
            for (b, i), p, k in noisy:
                eta_identity, eta, g = reps[(p, k)]
                if rng.random() < abs(eta_identity) / g:
                    sign *= 1 if eta_identity > 0 else -1
                    continue
                sign *= 1 if eta > 0 else -1
                gate = base.blocks[b].items[i]
                while True:  # a uniformly random non-identity k-qubit Pauli
                    letters = [rng.choice(_ONE_QUBIT_PAULIS) for _ in range(k)]
                    if any(letter != "i" for letter in letters):
                        break
                inserts[(b, i)] = [Gate(letter, (q,)) for letter, q in zip(letters, gate.qubits) if letter != "i"]
            if inserts:
                circuit = Circuit.from_program(program)
                for (b, i), gates in sorted(inserts.items(), reverse=True):
                    circuit.blocks[b].items[i + 1:i + 1] = gates
                instance = circuit.to_program(program, note=f"pec{{sample={sample},paulis={len(inserts)}}}")
            else:
                instance = program
            out.append(tagged(instance, self.name, sign=sign, gamma=gamma, sample=sample))
        return out

    def combine(self, results, *, programs=None, observable=None, ctx=None):
        self._check(results, programs, need_programs=True)
        tags = [tag_of(p, self.name) for p in programs]
        gamma = tags[0]["gamma"]
        results, readout_gamma = self.correct_readout(results, programs, ctx)
        weights = [gamma * t["sign"] / len(results) for t in tags]
        details = {"gamma": gamma, "sampling_overhead": (gamma * readout_gamma) ** 2, "samples": len(results),
                   "negative_samples": sum(t["sign"] < 0 for t in tags), "readout_corrected": readout_gamma != 1.0,
                   "readout_gamma": readout_gamma}
        outcome = linear_combination(results, weights, observable, details)
        if isinstance(outcome, Estimate):  # the sample spread dominates the shot noise: report it
            from .base import value_of

            values = [gamma * t["sign"] * value_of(r, observable)[0] for r, t in zip(results, tags)]
            if len(values) > 1:
                mean = sum(values) / len(values)
                spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values))
                outcome = Estimate(outcome.value, spread, outcome.shots, outcome.circuits, outcome.details)
        return outcome

    def correct_readout(self, results, programs, ctx) -> tuple[list, float]:
        """Each sample's distribution with the calibrated readout noise inverted; (results, its one-norm)."""
        calibration = getattr(ctx, "calibration", None) if ctx is not None else None
        if self.readout == "off" or calibration is None or any(isinstance(r, Estimate) for r in results):
            return list(results), 1.0
        from .readout import ReadoutLayout, ReadoutMitigation, _has_readout

        layout = ReadoutLayout.of(programs[0])
        if not layout.measured or not all(_has_readout(calibration, layout.physical_qubit(p))
                                          for p in layout.measured):
            return list(results), 1.0
        corrector = ReadoutMitigation(method="inverse", mode="tensored")
        matrices = corrector.matrices_from_calibration(layout, calibration)
        norm = math.prod(float(np.abs(np.linalg.inv(m)).sum(axis=0).max()) for m in matrices.values())
        out = [corrector.correct(as_distribution(r), layout, matrices) for r in results]
        return out, norm


def _calibration(ctx):
    calibration = getattr(ctx, "calibration", None) if ctx is not None else None
    if calibration is None:
        raise CalibrationError("pec needs the target's noise model: give a Calibration (qirrt.adapters."
                               "calibration_from_backend, or a snapshot loaded from JSON) in the pass context")
    return calibration


__all__ = ["ProbabilisticErrorCancellation", "representation"]
