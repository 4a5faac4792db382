"""Readout inversion recovers known confusion matrices; extrapolations are exact on their own models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qirrt.api.mitigate.pipeline import run
from qirrt.errors import CalibrationError, PassError
from qirrt.observables import MeasurementLayout
from qirrt.passes.base import PassContext
from qirrt.passes.mitigation import (
    QuasiDistribution,
    ReadoutMitigation,
    ZeroNoiseExtrapolation,
)
from qirrt.passes.mitigation.readout import (
    ReadoutLayout,
    confusion_from_errors,
    nearest_probability,
)
from qirrt.passes.mitigation.zne import extrapolate_exponential
from tests.api.mitigate.helpers import DepolarizingSampler, ExactSampler, corpus_program, toy_calibration


def _apply(matrix, distribution, width):
    vector = np.zeros(2 ** width)
    for key, p in distribution.items():
        vector[int(key, 2)] += p
    noisy = matrix @ vector
    return {format(i, f"0{width}b"): float(v) for i, v in enumerate(noisy) if v > 0}


IDEAL = {"000": 0.5, "111": 0.4, "010": 0.1}


def _full_matrix(seed=0):
    rng = np.random.default_rng(seed)
    matrix = np.eye(8) * 0.85 + rng.uniform(0, 0.15 / 7, (8, 8)) * (1 - np.eye(8))
    return matrix / matrix.sum(axis=0, keepdims=True)  # columns are distributions (correlated errors)


def test_full_inversion_recovers_a_known_confusion_matrix():
    program = corpus_program("ghz3")
    step = ReadoutMitigation(source="circuits", mode="full")
    expanded = step.expand(program)
    matrix = _full_matrix()
    results = [QuasiDistribution(_apply(matrix, IDEAL, 3), 10**6)]
    for calibration in expanded[1:]:
        state = calibration.metadata["mitigation"][-1]["state"]
        results.append(QuasiDistribution(_apply(matrix, {state: 1.0}, 3), 10**6))
    layout = ReadoutLayout.of(program)
    estimated = step.matrices_from_circuits(layout, [(p.metadata["mitigation"][-1]["state"], r)
                                                     for p, r in zip(expanded[1:], results[1:])], "full")
    assert np.allclose(estimated, matrix)
    corrected = step.combine(results, programs=expanded)
    for key in set(IDEAL) | set(corrected.probabilities):
        assert corrected.probabilities.get(key, 0.0) == pytest.approx(IDEAL.get(key, 0.0), abs=1e-9)


@pytest.mark.parametrize("method", ["inverse", "least-squares"])
def test_tensored_inversion_recovers_per_qubit_matrices(method):
    program = corpus_program("ghz3")
    step = ReadoutMitigation(source="circuits", mode="tensored", method=method)
    expanded = step.expand(program)
    per_qubit = [confusion_from_errors(0.02, 0.05), confusion_from_errors(0.01, 0.08), confusion_from_errors(0.04, 0.03)]
    matrix = np.kron(np.kron(per_qubit[0], per_qubit[1]), per_qubit[2])  # key position 0 is the leftmost bit
    results = [QuasiDistribution(_apply(matrix, IDEAL, 3), 10**6),
               QuasiDistribution(_apply(matrix, {"000": 1.0}, 3), 10**6),
               QuasiDistribution(_apply(matrix, {"111": 1.0}, 3), 10**6)]
    corrected = step.combine(results, programs=expanded)
    for key in set(IDEAL) | set(corrected.probabilities):
        assert corrected.probabilities.get(key, 0.0) == pytest.approx(IDEAL.get(key, 0.0), abs=1e-6)


def test_readout_from_calibration_data_uses_each_physical_qubit():
    program = corpus_program("ghz3")
    calibration = toy_calibration(3)
    ctx = PassContext(calibration=calibration)
    step = ReadoutMitigation()
    expanded = step.expand(program, ctx)
    assert len(expanded) == 1  # the snapshot covers every qubit: no calibration circuits
    a = confusion_from_errors(0.01, 0.03)
    noisy = _apply(np.kron(np.kron(a, a), a), IDEAL, 3)
    corrected = step.combine([QuasiDistribution(noisy, 10**6)], programs=expanded, ctx=ctx)
    assert corrected.probabilities["000"] == pytest.approx(0.5, abs=1e-9)
    with pytest.raises(CalibrationError, match="readout source=calibration needs a Calibration"):
        ReadoutMitigation(source="calibration").expand(program)


def test_least_squares_projection_is_a_distribution():
    projected = nearest_probability(np.array([0.7, 0.45, -0.1, -0.05]))
    assert projected.min() >= 0 and projected.sum() == pytest.approx(1.0)


def test_observable_positions_follow_records():
    program = corpus_program("ghz3")  # Qiskit order: c[2] c[1] c[0]
    assert MeasurementLayout.of(program).positions == {0: 2, 1: 1, 2: 0}


# -- ZNE --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("extrapolation, model", [
    ("linear", lambda x: 0.9 - 0.1 * x),
    ("richardson", lambda x: 0.9 - 0.1 * x + 0.01 * x * x),
    ("polynomial", lambda x: 0.8 - 0.05 * x + 0.002 * x * x),
])
def test_linear_extrapolations_are_exact_on_their_model(extrapolation, model):
    step = ZeroNoiseExtrapolation(scale_factors=(1, 2, 3, 4), extrapolation=extrapolation, order=2)
    weights = step.weights([1, 2, 3, 4])
    assert float(np.dot(weights, [model(x) for x in (1, 2, 3, 4)])) == pytest.approx(model(0))


def test_exponential_extrapolation_recovers_the_decay():
    def model(x):
        return 0.1 + 0.8 * math.exp(-0.3 * x)

    assert extrapolate_exponential([1, 2, 3, 5], [model(x) for x in (1, 2, 3, 5)], None) == pytest.approx(0.9, abs=1e-4)
    assert extrapolate_exponential([1, 3], [model(x) for x in (1, 3)], 0.1) == pytest.approx(0.9)


def test_zne_options_are_checked():
    with pytest.raises(PassError, match="zne scale factors must be ≥ 1"):
        ZeroNoiseExtrapolation(scale_factors=(0.5, 1))
    with pytest.raises(PassError, match="zne folding must be one of global, local, random"):
        ZeroNoiseExtrapolation(folding="sideways")


@pytest.mark.parametrize("extrapolation, factor", [("richardson", 3), ("exponential", 3), ("linear", 2)])
def test_zne_reduces_depolarizing_error(extrapolation, factor):
    program = corpus_program("ghz4")
    sampler = DepolarizingSampler(error_per_gate=0.03, seed=11)
    result = run(program, f"zne{{scale-factors=1,2,3,extrapolation={extrapolation}}}", "XXXX",
                 executor=sampler, shots=20000, seed=4)
    raw_error = abs(result.expectation_unmitigated - 1.0)
    assert raw_error > 0.15
    assert abs(result.expectation - 1.0) < raw_error / factor  # a line is biased on an exponential decay


def test_zne_extrapolates_distributions_without_an_observable():
    program = corpus_program("ghz3")
    result = run(program, "zne{scale-factors=1,2,3}", None, executor=ExactSampler(), shots=1000, seed=1)
    quasi = result.metadata["mitigation"]["quasi_probabilities"]
    assert set(quasi) <= {"000", "111"} and sum(quasi.values()) == pytest.approx(1.0)
    with pytest.raises(PassError, match="no observable was given"):
        run(program, "zne{extrapolation=exponential}", None, executor=ExactSampler(), shots=100)
