"""`pec`: probabilistic error cancellation with a depolarizing model of each noisy gate.

**Gate noise.** Every gate with an error r in the context's `Calibration` (on the physical qubits it
runs on) is modelled as the ideal gate followed by k-qubit depolarizing noise
D(ρ) = (1 − p)ρ + p/(4ᵏ − 1) Σ_{P≠I} PρP, with p = `noise-scale` · r · (2ᵏ + 1)/2ᵏ (r is an average
gate infidelity, as randomized benchmarking reports it; p the matching Pauli error probability).

**Representation.** D has Pauli-transfer eigenvalue λ = 1 − p·4ᵏ/(4ᵏ − 1) on every non-identity Pauli,
so D⁻¹(ρ) = η_I·ρ + η·Σ_{P≠I} PρP with η = (1 − 1/λ)/4ᵏ < 0 and η_I = 1/λ + η (then
η_I + (4ᵏ − 1)η = 1); the ideal gate is Σ η_P · (noisy gate, then P), of one-norm γ = η_I + (4ᵏ − 1)|η|.

**Idle noise.** A qubit that waits also decays. With ``idle=auto`` (the default) every idle window of
the as-late-as-possible schedule (`schedule.py`, the windows `ddd` fills) on a qubit whose T1 and T2
the calibration gives is modelled as the Pauli channel with the relaxation's Pauli-transfer
eigenvalues, λ_X = λ_Y = e^(−t/T2), λ_Z = e^(−t/T1) (p_X = p_Y = (1 − e^(−t/T1))/4,
p_Z = (1 − e^(−t/T2))/2 − p_X; the decay towards |0⟩ is not inverted). Its inverse is the Pauli
quasi-channel with eigenvalues 1/λ: η_Q = ¼ Σ_P ±1/λ_P (+ where P and Q commute). The correction sits
at the end of the window, before the qubit's next operation. ``idle=off`` models gates only.

**Sampling.** Each of `num-samples` instances draws, independently for every noise site (a noisy
gate or an idle window), a Pauli P with probability |η_P|/γ and inserts it there (nothing for
P = I); the instance's sign is the product of the signs of the η drawn. `combine` returns
γ_total/M · Σ signᵢ·outcomeᵢ with γ_total the product of the sites' γ; the sampling overhead γ_total² (how many
more shots PEC needs for the same standard error) is in the outcome's details and in
`qirrt.api.mitigate.pipeline.plan`.

**Readout.** Measurement error is noise of the circuit too. With ``readout=auto`` (the default) and a
`Calibration` that has readout errors for every measured qubit, each sample's distribution is
corrected by the inverse of the measured bits' tensored confusion matrices before the sign-weighted
sum: that is the quasi-probability representation of the measurement noise, A_q⁻¹ = Σ η·(I or X
before the measurement), with its expectation taken exactly instead of sampled (no extra circuits;
the one-norm of A⁻¹ multiplies γ in the reported overhead). ``readout=off`` cancels gate noise only;
`qirrt.api.mitigate.pipeline.Pipeline` switches ``auto`` off when the pipeline has its own ``readout`` step.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qirrt.errors import CalibrationError, PassError
from qirrt.passes.circuit import Circuit, Gate
from qirrt.passes.mitigation.base import (
    Estimate,
    MitigationStep,
    as_distribution,
    linear_combination,
    tag_of,
    tagged,
)
from qirrt.passes.mitigation.schedule import Durations, idle_windows

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


def inverse_pauli_channel(eigenvalues: tuple[float, float, float]) -> tuple[float, float, float, float]:
    """Quasi-probabilities (η_I, η_X, η_Y, η_Z) of the inverse of the one-qubit Pauli channel whose
    Pauli-transfer eigenvalues on X, Y, Z are `eigenvalues`."""
    if min(eigenvalues) <= 0:
        raise PassError(f"pec: an idle channel with eigenvalues {eigenvalues} cannot be inverted")
    ix, iy, iz = (1.0 / lam for lam in eigenvalues)
    return ((1 + ix + iy + iz) / 4, (1 + ix - iy - iz) / 4, (1 - ix + iy - iz) / 4, (1 - ix - iy + iz) / 4)


def relaxation_eigenvalues(duration_s: float, t1_s: float, t2_s: float) -> tuple[float, float, float]:
    """Pauli-transfer eigenvalues (X, Y, Z) of thermal relaxation over `duration_s` (T2 capped at 2·T1)."""
    t2_s = min(t2_s, 2 * t1_s)
    dephasing = math.exp(-duration_s / t2_s)
    return dephasing, dephasing, math.exp(-duration_s / t1_s)


@dataclass(frozen=True)
class NoiseSite:
    """Where a Pauli correction may go: before item `index` of block `block`, on `qubits`, drawn from
    `labels` (one letter per qubit, the identity first) with quasi-probabilities `quasi`."""

    block: int
    index: int
    qubits: tuple[int, ...]
    labels: tuple[str, ...]
    quasi: tuple[float, ...]

    @property
    def gamma(self) -> float:
        return sum(abs(q) for q in self.quasi)

    def draw(self, rng: random.Random) -> tuple[str, int]:
        """A label with probability |η|/γ, and the sign of its η."""
        point = rng.random() * self.gamma
        for label, q in zip(self.labels, self.quasi):
            point -= abs(q)
            if point < 0:
                return label, 1 if q >= 0 else -1
        return self.labels[-1], 1 if self.quasi[-1] >= 0 else -1


def _pauli_labels(k: int) -> tuple[str, ...]:
    return tuple("".join(letters) for letters in itertools.product(_ONE_QUBIT_PAULIS, repeat=k))


@dataclass(frozen=True)
class ProbabilisticErrorCancellation(MitigationStep):
    """Cancel gate noise on average with sign-weighted random Pauli insertions (needs a Calibration)."""

    name: ClassVar[str] = "pec"

    num_samples: int = 64
    noise_scale: float = 1.0
    seed: int = 0
    readout: str = "auto"
    idle: str = "auto"

    def __post_init__(self) -> None:
        if self.num_samples < 1:
            raise PassError("pec num-samples must be ≥ 1")
        if self.noise_scale < 0:
            raise PassError("pec noise-scale must be ≥ 0")
        if self.readout not in ("auto", "off"):
            raise PassError(f"pec readout must be auto or off, got {self.readout!r}")
        if self.idle not in ("auto", "off"):
            raise PassError(f"pec idle must be auto or off, got {self.idle!r}")

    def noise_sites(self, circuit: Circuit, ctx) -> list[NoiseSite]:
        """Every noisy gate the calibration names and, with ``idle=auto``, every idle window it can model."""
        calibration = _calibration(ctx)
        durations = Durations(circuit.physical, ctx)
        sites = []
        for b, block in enumerate(circuit.blocks):
            for i, item in enumerate(block.items):
                if not isinstance(item, Gate):
                    continue
                error = calibration.gate_error(item.name, durations.physical_qubits(item.qubits), default=0.0)
                if error <= 0:
                    continue
                k = len(item.qubits)
                eta_identity, eta, _gamma = representation(self.noise_scale * error * (2 ** k + 1) / 2 ** k, k)
                sites.append(NoiseSite(b, i + 1, item.qubits, _pauli_labels(k),
                                       (eta_identity,) + (eta,) * (4 ** k - 1)))
        if self.idle == "auto":
            sites.extend(self.idle_sites(circuit, durations, calibration))
        return sites

    def idle_sites(self, circuit: Circuit, durations: Durations, calibration) -> list[NoiseSite]:
        """A relaxation-inverting site at the end of every idle window on a qubit with T1 and T2."""
        sites = []
        for window in idle_windows(circuit, durations):
            (phys,) = durations.physical_qubits((window.qubit,))
            qubit = calibration.qubits.get(phys)
            if qubit is None or not qubit.t1_s or not qubit.t2_s:
                continue
            eigenvalues = relaxation_eigenvalues(self.noise_scale * window.duration_ns * 1e-9, qubit.t1_s, qubit.t2_s)
            site = NoiseSite(window.block, window.before, (window.qubit,), _ONE_QUBIT_PAULIS,
                             inverse_pauli_channel(eigenvalues))
            if site.gamma > 1 + 1e-12:
                sites.append(site)
        return sites

    def overhead(self, program, ctx) -> float:
        """γ_total of `program`: the PEC estimator's scale (its variance grows as γ_total²)."""
        return math.prod(site.gamma for site in self.noise_sites(Circuit.from_program(program), ctx))

    def expand(self, program, ctx=None) -> list:
        base = Circuit.from_program(program)
        base.require_static(self.name)
        sites = self.noise_sites(base, ctx)
        gamma = math.prod(site.gamma for site in sites)
        rng = random.Random(f"pec:{self.seed}:{program.hash}")
        out = []
        for sample in range(self.num_samples):
            sign = 1
            inserts: dict[tuple[int, int], list[Gate]] = {}
            for site in sites:
                label, site_sign = site.draw(rng)
                sign *= site_sign
                gates = [Gate(letter, (q,)) for letter, q in zip(label, site.qubits) if letter != "i"]
                if gates:
                    inserts.setdefault((site.block, site.index), []).extend(gates)
            if inserts:
                circuit = Circuit.from_program(program)
                for (b, i), gates in sorted(inserts.items(), reverse=True):
                    circuit.blocks[b].items[i:i] = gates
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
            from qirrt.passes.mitigation.base import value_of

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
        from qirrt.passes.mitigation.readout import (
            ReadoutLayout,
            ReadoutMitigation,
            _has_readout,
        )

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


__all__ = ["NoiseSite", "ProbabilisticErrorCancellation", "inverse_pauli_channel", "relaxation_eigenvalues",
           "representation"]
