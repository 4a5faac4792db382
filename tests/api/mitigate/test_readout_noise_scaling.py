"""ZNE scales measurement noise with the calibration's confusion matrices; PEC inverts it; no double correction."""

from __future__ import annotations

import numpy as np
import pytest

from qirrt.api.mitigate.pipeline import (
    ErrorMitigatedExecutionBackend,
    ExecutionBackend,
    Pipeline,
    run,
)
from qirrt.errors import PassError
from qirrt.passes.base import PassContext
from qirrt.passes.mitigation import (
    ProbabilisticErrorCancellation,
    QuasiDistribution,
    ZeroNoiseExtrapolation,
)
from qirrt.passes.mitigation.readout import confusion_from_errors
from qirrt.passes.mitigation.zne import confusion_power
from tests.api.mitigate.helpers import DepolarizingSampler, ExactSampler, corpus_program, toy_calibration

P01, P10 = 0.01, 0.03  # _kolkata_like's readout errors


def _with_readout_noise(distribution: dict[str, float]) -> dict[str, float]:
    a = confusion_from_errors(P01, P10)
    out: dict[str, float] = {}
    for key, p in distribution.items():
        bits = key.replace(" ", "")
        partial = {"": p}
        for bit in bits:
            column = a[:, int(bit)]
            partial = {prefix + str(m): v * column[m] for prefix, v in partial.items() for m in (0, 1)}
        for noisy, v in partial.items():
            out[noisy] = out.get(noisy, 0.0) + v
    return out


class ReadoutNoisySampler(DepolarizingSampler):
    """Global depolarizing gate noise, then independent readout flips P(1|0)=0.01, P(0|1)=0.03 per bit."""

    def distribution(self, program):
        return _with_readout_noise(super().distribution(program))


class ReadoutOnlySampler(ExactSampler):
    def distribution(self, program):
        return _with_readout_noise(super().distribution(program))


def test_confusion_power_is_a_stochastic_matrix_power():
    a = confusion_from_errors(0.02, 0.05)
    assert np.allclose(confusion_power(a, 0), np.eye(2))
    assert np.allclose(confusion_power(a, 1), a)
    assert np.allclose(confusion_power(a, 3), a @ a @ a)
    half = confusion_power(a, 0.5)
    assert np.allclose(half @ half, a)
    assert np.allclose(confusion_power(a, 2.7).sum(axis=0), 1.0) and (confusion_power(a, 2.7) >= 0).all()
    assert np.allclose(confusion_power(np.eye(2), 4), np.eye(2))
    with pytest.raises(PassError, match="too large to scale"):
        confusion_power(confusion_from_errors(0.6, 0.5), 2)


def test_zne_combine_raises_readout_noise_to_the_scale_factor():
    program = corpus_program("ghz3")
    ctx = PassContext(calibration=toy_calibration(3))
    step = ZeroNoiseExtrapolation(scale_factors=(1, 3))
    expanded = step.expand(program, ctx)
    ideal = {"000": 0.5, "111": 0.5}
    noisy = _with_readout_noise(ideal)
    scaled, done = step.scale_readout([QuasiDistribution(noisy, 1000)] * 2, expanded,
                                      [1.0, 3.0], ctx)
    assert done
    assert scaled[0].probabilities == pytest.approx(noisy)
    three = _with_readout_noise(_with_readout_noise(noisy))  # A·A·A on every bit
    assert {k: v for k, v in scaled[1].probabilities.items() if v > 1e-12} == pytest.approx(three)
    off = ZeroNoiseExtrapolation(scale_factors=(1, 3), readout_scaling="off")
    assert off.scale_readout([QuasiDistribution(noisy, 1000)] * 2, expanded, [1.0, 3.0], ctx)[1] is False
    assert step.scale_readout([QuasiDistribution(noisy, 1000)] * 2, expanded, [1.0, 3.0], None)[1] is False
    with pytest.raises(PassError, match="readout-scaling must be one of auto, off"):
        ZeroNoiseExtrapolation(readout_scaling="sometimes")


def test_zne_with_readout_scaling_removes_measurement_error():
    program = corpus_program("ghz4")
    calibration = toy_calibration(4)
    kwargs = {"executor": ReadoutNoisySampler(error_per_gate=0.02, seed=3), "shots": 400_000, "seed": 5,
                  "calibration": calibration}
    scaled = run(program, "zne{scale-factors=1,3,5}", "ZZZZ", **kwargs)
    gates_only = run(program, "zne{scale-factors=1,3,5,readout-scaling=off}", "ZZZZ", **kwargs)
    raw_error = abs(scaled.expectation_unmitigated - 1.0)
    assert raw_error > 0.1
    # readout attenuates ⟨ZZZZ⟩ by ≈ Π(1 − P01 − P10) ≈ 0.85: folding alone leaves that
    assert abs(gates_only.expectation - 1.0) > 0.08
    assert abs(scaled.expectation - 1.0) < 0.03
    assert scaled.metadata["mitigation"]["groups"][0]["details"]["readout_scaled"] is True


def test_a_readout_step_switches_zne_and_pec_readout_handling_off():
    pipeline = Pipeline.parse("zne{scale-factors=1,3,5},readout")
    assert pipeline.steps[0].readout_scaling == "off"
    assert Pipeline.parse("readout,pec").steps[1].readout == "off"
    assert Pipeline.parse("zne").steps[0].readout_scaling == "auto"
    assert Pipeline.parse("pec").steps[0].readout == "auto"
    zne_of_pec = Pipeline.parse("zne,pec")
    assert zne_of_pec.steps[0].readout_scaling == "off" and zne_of_pec.steps[1].readout == "auto"
    assert Pipeline.parse("zne,pec{readout=off}").steps[0].readout_scaling == "auto"
    inner = ErrorMitigatedExecutionBackend(ExecutionBackend(ExactSampler()), "zne")
    ErrorMitigatedExecutionBackend(inner, "readout")
    assert inner.transform.readout_scaling == "off"
    # composed with an explicit readout step, ZNE corrects readout once, not twice
    program = corpus_program("ghz4")
    kwargs = {"executor": ReadoutOnlySampler(seed=2), "shots": 200_000, "seed": 3, "calibration": toy_calibration(4)}
    both = run(program, "zne{scale-factors=1,3},readout", "ZZZZ", **kwargs)
    assert both.expectation == pytest.approx(1.0, abs=0.02)


def test_pec_inverts_calibrated_readout_noise():
    program = corpus_program("ghz3")
    calibration = toy_calibration(3, cx_error=0.0, sx_error=0.0)
    kwargs = {"executor": ReadoutOnlySampler(seed=4), "shots": 200_000, "seed": 6, "calibration": calibration}
    corrected = run(program, "pec{num-samples=4}", "ZZI", **kwargs)
    raw = run(program, "pec{num-samples=4,readout=off}", "ZZI", **kwargs)
    assert abs(raw.expectation - 1.0) > 0.05
    assert corrected.expectation == pytest.approx(1.0, abs=0.02)
    details = corrected.metadata["mitigation"]["groups"][0]["details"]
    assert details["readout_corrected"] is True and details["readout_gamma"] > 1
    with pytest.raises(PassError, match="pec readout must be auto or off"):
        ProbabilisticErrorCancellation(readout="maybe")
