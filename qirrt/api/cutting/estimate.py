"""⟨O⟩ and its standard error from the subexperiments' outcomes.

**Value.** qiskit-addon-cutting's `reconstruct_expectation_values` (SamplerV1-style quasi-distributions
over each subexperiment's ``qpd_measurements`` and ``observable_measurements`` bits; a ``qirrt_mid``
register of mid-circuit measurements is summed out), then ⟨O⟩ = Σₜ wₜ ⟨Pₜ⟩ over the observable's
Pauli terms Pₜ with coefficients wₜ.

**Standard error.** With exact QPD weights the estimator is

    Ê = Σᵢ cᵢ Σₜ wₜ Πₗ M̂ᵢₗₜ

where i runs over the QPD terms (coefficients cᵢ), l over the pieces, and M̂ᵢₗₜ is the sample mean, over
the shots of subexperiment (i, l, group of t), of the ±1 value (−1)^(parity of the QPD bits) ·
(−1)^(parity of the bits Pₜ restricted to piece l measures). Different subexperiments are independent
(every (i, l) pair has its own circuits and shots), so

    Var Ê = Σᵢ cᵢ² Σₜ,ᵤ wₜ wᵤ [ Πₗ (Cᵢₗₜᵤ + μᵢₗₜ μᵢₗᵤ) − Πₗ μᵢₗₜ μᵢₗᵤ ]

— the covariance of products of independent factors — where Cᵢₗₜᵤ = Cov(per-shot values of t and u)/n
when t and u are read from the same subexperiment of n shots (one measurement group) and 0 otherwise.
The standard error is √Var with the sample means and covariances plugged in. No linearisation is
involved: a piece whose mean is near zero still contributes its variance × the other pieces' second
moments. Where the mitigation pipeline turned a subexperiment's counts into a quasi-distribution, n is
its effective shot count (`QuasiDistribution.shots`: (Σ|w|)²/Σ(w²/nⱼ) for a linear combination), and
correlations through calibration circuits shared between subexperiments are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qirrt.api.cutting.options import CuttingError
from qirrt.api.cutting.plan import Problem

OBSERVABLE_REGISTER = "observable_measurements"
QPD_REGISTER = "qpd_measurements"


@dataclass(frozen=True)
class Outcome:
    """One subexperiment's (quasi-)probabilities over its count keys and its (effective) shots."""

    probabilities: Mapping[str, float]
    shots: int


@dataclass(frozen=True)
class Reconstruction:
    """⟨O⟩ (by the library), its standard error, and each Pauli term's ⟨Pₜ⟩."""

    value: float
    std_error: float
    terms: tuple[float, ...]


def reconstruct(problem: Problem, outcomes: Sequence[Outcome]) -> Reconstruction:
    """⟨O⟩ ± SE of `problem` from one outcome per subexperiment, in `problem.programs` order."""
    from qiskit.primitives import SamplerResult
    from qiskit_addon_cutting import reconstruct_expectation_values
    from qiskit_addon_cutting.utils.observable_grouping import ObservableCollection

    collections = {label: ObservableCollection(problem.subobservables[label]) for label in problem.labels}
    quasi: dict = {}
    for label in problem.labels:
        start, stop = problem.slices[label]
        quasi[label] = [_as_outcome_ints(outcomes[j].probabilities, problem.registers[j]) for j in range(start, stop)]
    results = {label: SamplerResult(quasi_dists=quasi[label], metadata=[{} for _ in quasi[label]])
               for label in problem.labels}
    expvals = reconstruct_expectation_values(results, problem.coefficients, problem.subobservables)
    weights = np.array(problem.weights, dtype=float)
    value = float(np.dot(weights, expvals))
    variance = 0.0
    for i, (coefficient, _) in enumerate(problem.coefficients):
        second, first = np.ones((len(weights), len(weights))), np.ones((len(weights), len(weights)))
        for label in problem.labels:
            means, covariance = _piece_moments(problem, label, i, collections[label], quasi[label], outcomes)
            outer = np.outer(means, means)
            second *= covariance + outer
            first *= outer
        variance += float(coefficient) ** 2 * float(weights @ (second - first) @ weights)
    return Reconstruction(value, math.sqrt(max(variance, 0.0)), tuple(float(e) for e in expvals))


def _as_outcome_ints(probabilities: Mapping[str, float], registers: Mapping[str, int]) -> dict[int, float]:
    """Count keys → the library's SamplerV1 outcome integers, (qpd bits << observable width) | observable bits."""
    observable_at, qpd_at = registers[OBSERVABLE_REGISTER], registers[QPD_REGISTER]
    out: dict[int, float] = {}
    for key, p in probabilities.items():
        parts = key.split(" ")
        if len(parts) != len(registers):
            raise CuttingError(f"count key {key!r} has {len(parts)} registers where the subexperiment has "
                               f"{len(registers)}: the executor changed the program's output records")
        observable_bits = parts[observable_at]
        outcome = (int(parts[qpd_at], 2) << len(observable_bits)) | int(observable_bits, 2)
        out[outcome] = out.get(outcome, 0.0) + float(p)
    return out


def _piece_moments(problem: Problem, label, i: int, collection, quasi: list[dict[int, float]],
                   outcomes: Sequence[Outcome]) -> tuple[np.ndarray, np.ndarray]:
    """For QPD term i on one piece: each observable term's mean M and the covariance matrix of the means."""
    from qiskit_addon_cutting.cutting_experiments import _get_pauli_indices

    groups = collection.groups
    start, _ = problem.slices[label]
    group_stats = []
    for k, group in enumerate(groups):
        index = i * len(groups) + k
        distribution = quasi[index]
        width = len(_get_pauli_indices(group))
        keys = list(distribution)
        p = np.array([distribution[o] for o in keys])
        signs = np.array([[_sign(o >> width) * _sign((o & ((1 << width) - 1)) & mask) for mask in group.pauli_bitmasks]
                          for o in keys]).reshape(len(keys), len(group.pauli_bitmasks))
        mean = p @ signs
        total = p.sum() if p.sum() > 0 else 1.0
        covariance = (signs.T * p) @ signs / total - np.outer(mean, mean)
        covariance[np.diag_indices_from(covariance)] = np.maximum(np.diag(covariance), 0.0)
        group_stats.append((mean, covariance / max(outcomes[start + index].shots, 1)))
    entries = [collection.lookup[observable] for observable in problem.subobservables[label]]
    means = np.array([np.mean([group_stats[k][0][n] for k, n in found]) for found in entries])
    covariance = np.zeros((len(entries), len(entries)))
    for t, found_t in enumerate(entries):
        for u, found_u in enumerate(entries):
            shared = sum(group_stats[k][1][n, m] for k, n in found_t for k2, m in found_u if k == k2)
            covariance[t, u] = shared / (len(found_t) * len(found_u))
    return means, covariance


def _sign(bits: int) -> int:
    return -1 if bits.bit_count() & 1 else 1


__all__ = ["Outcome", "Reconstruction", "reconstruct"]
