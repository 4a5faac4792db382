"""AerExecutor: noiseless Aer agrees with the exact distribution and the local executor on the corpus;
with a FakeKolkata calibration it agrees with Qiskit's own `AerSimulator.from_backend(FakeKolkataV2())`.

Statistical bound: every comparison is a G-test (one sample against exact probabilities, or two
samples against each other as a 2×K contingency table) rejected only at p ≤ 0.001.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

import qirrt
from qirrt.device.calibration import Calibration
from qirrt.errors import CalibrationError, ExecutionError
from qirrt.executors.aer import AerExecutor
from qirrt.executors.base import JobStatus
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS, expression_ansatz
from tests.extras import FAKE_BACKENDS
from tests.stats import assert_distribution, assert_same_sample

SHOTS = 4000


@pytest.fixture(scope="module")
def aer() -> AerExecutor:
    return AerExecutor(method="statevector")


# -- noiseless ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_noiseless_aer_matches_exact_and_the_local_executor(aer, name):
    program = qirrt.load(CORPUS[name]())
    result = aer.run(program, shots=SHOTS, seed=11)
    assert result.shots == SHOTS and sum(result.counts.values()) == SHOTS
    assert result.metadata["executor"] == "aer" and result.metadata["noise"] is None
    assert_distribution(result.counts, exact_distribution(program))
    local = qirrt.run(program, shots=SHOTS, seed=12)
    assert_same_sample(result.counts, local.counts)


@pytest.mark.parametrize("method", ["density_matrix", "matrix_product_state", "automatic"])
@pytest.mark.parametrize("name", ["ghz4", "qft3", "teleport", "rus"])
def test_every_method_gives_the_exact_distribution(method, name):
    program = qirrt.load(CORPUS[name]())
    result = AerExecutor(method=method).run(program, shots=SHOTS, seed=3)
    assert_distribution(result.counts, exact_distribution(program))


def test_parameter_sweep_binds_each_point():
    program = qirrt.load(expression_ansatz())
    rng = np.random.default_rng(1)
    points = rng.uniform(-math.pi, math.pi, (3, len(program.parameters)))
    results = AerExecutor().run(program, shots=SHOTS, seed=5, params=points)
    assert len(results) == 3
    for result, point in zip(results, points):
        assert result.metadata["parameters"] == dict(zip(program.parameters, point.tolist()))
        assert_distribution(result.counts, exact_distribution(program, point))


def test_memory_is_in_program_keys_and_matches_counts():
    program = qirrt.load(CORPUS["teleport"]())
    result = AerExecutor().run(program, shots=500, seed=2, memory=True)
    assert len(result.memory) == 500
    tally: dict[str, int] = {}
    for key in result.memory:
        tally[key] = tally.get(key, 0) + 1
    assert tally == result.counts
    assert all(re.fullmatch(r"[01] [01]{2}", key) for key in result.memory)


def test_seed_makes_runs_reproducible():
    program = qirrt.load(CORPUS["qft4"]())
    a = AerExecutor().run(program, shots=300, seed=42)
    b = AerExecutor().run(program, shots=300, seed=42)
    assert a.counts == b.counts


def test_zero_shots_are_refused_and_programs_without_records_run():
    from qiskit import QuantumCircuit

    program = qirrt.load(CORPUS["ghz3"]())
    with pytest.raises(ExecutionError, match="shots must be a whole number ≥ 1, got 0"):
        AerExecutor().run(program, shots=0)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    silent = qirrt.load(qc)
    assert AerExecutor().run(silent, shots=10).counts == {"": 10}


# -- async ----------------------------------------------------------------------------------------
def test_submit_returns_at_once_and_jobs_run_concurrently():
    executor = AerExecutor()
    programs = [qirrt.load(CORPUS[name]()) for name in ("ghz5", "qft5", "teleport", "rus")]
    start = time.perf_counter()
    jobs = [executor.submit(p, shots=2000, seed=i) for i, p in enumerate(programs)]
    assert time.perf_counter() - start < 1.0
    for job, program in zip(jobs, programs):
        result = job.result(timeout_s=120)
        assert job.status() is JobStatus.DONE
        assert_distribution(result.counts, exact_distribution(program))


def test_registered_as_aer_executor():
    result = qirrt.run(CORPUS["ghz3"](), shots=200, seed=1, executor="aer")
    assert set(result.counts) <= {"000", "111"}
    assert result.metadata["executor"] == "aer"


def test_bad_options_are_refused_with_the_known_ones():
    with pytest.raises(ExecutionError, match=re.escape("unknown Aer method 'gpu'; choose one of")):
        AerExecutor(method="gpu")
    with pytest.raises(ExecutionError, match=re.escape("unknown option(s) colour for the aer executor")):
        AerExecutor(colour="red")


def test_a_bare_target_needs_a_calibration_for_noise():
    from qirrt.device.target import Target

    program = qirrt.load(CORPUS["ghz3"]())
    target = Target.line(3)
    with pytest.raises(CalibrationError, match=re.escape("is a bare Target without calibration data")):
        AerExecutor(target=target).run(program, shots=10)
    result = AerExecutor(target=target, noise=False).run(program, shots=400, seed=1)
    assert_distribution(result.counts, exact_distribution(program))


# -- noise from a calibration ---------------------------------------------------------------------
NOISY = ["ghz4", "qft3", "grover3", "random4x6", "ising4", "teleport", "measurerotate"]
NOISY_SHOTS = 20_000


@pytest.fixture(scope="module")
def kolkata_aer(kolkata):
    from qiskit_aer import AerSimulator

    return AerSimulator.from_backend(kolkata.backend)


@pytest.mark.parametrize("name", NOISY)
def test_fake_kolkata_noise_matches_qiskits_from_backend(kolkata_aer, name):
    """Same transpiled circuit, qirrt's noise model vs Aer's own: two-sample G-test, p > 0.001."""
    from qirrt.bindings.qiskit.to_circuit import map_counts

    program = qirrt.load(CORPUS[name]())
    executor = AerExecutor(target="FakeKolkata")
    ours = executor.run(program, shots=NOISY_SHOTS, seed=21)
    assert ours.metadata["noise"]["calibration"] == "fake_kolkata"
    transpiled = executor.prepare(program).circuit
    theirs = kolkata_aer.run(transpiled, shots=NOISY_SHOTS, seed_simulator=22).result().get_counts()
    assert_same_sample(ours.counts, map_counts(theirs, transpiled))
    # and the noise is real: the noiseless distribution is rejected
    assert stats_distance(ours.counts, exact_distribution(program)) > 0.005


def stats_distance(counts: dict[str, int], probabilities: dict[str, float]) -> float:
    shots = sum(counts.values())
    keys = set(counts) | set(probabilities)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - probabilities.get(k, 0.0)) for k in keys)


def test_noise_model_equals_aers_from_backend_channel_by_channel(kolkata):
    from qiskit.quantum_info import SuperOp
    from qiskit_aer.noise import NoiseModel

    from qirrt.adapters import calibration_from_backend
    from qirrt.device.noise_model import noise_model_from_calibration

    backend = kolkata.backend

    qubits = [0, 1, 2, 3]
    reference = NoiseModel.from_backend(backend)
    ours = noise_model_from_calibration(calibration_from_backend(backend), dt_s=backend.dt, qubits=qubits)
    compared = 0
    for name in ("x", "sx", "cx"):
        for gate_qubits, error in reference._local_quantum_errors[name].items():
            if not set(gate_qubits) <= set(qubits):
                continue
            mine = ours._local_quantum_errors[name][gate_qubits]
            assert np.allclose(SuperOp(mine).data, SuperOp(error).data, atol=1e-12)
            compared += 1
    for q in qubits:
        assert np.allclose(ours._local_readout_errors[(q,)].probabilities,
                           reference._local_readout_errors[(q,)].probabilities)
    assert compared >= 10


@FAKE_BACKENDS
def test_a_drifted_calibration_changes_the_noise():
    program = qirrt.load(CORPUS["ghz4"]())
    base = qirrt.adapters.resolve_calibration("FakeKolkata")
    worse = base.scaled(readout_error=6.0)
    assert isinstance(worse, Calibration) and worse.epoch != base.epoch
    good = AerExecutor(target="FakeKolkata").run(program, shots=NOISY_SHOTS, seed=1)
    bad = AerExecutor(target="FakeKolkata", calibration=worse).run(program, shots=NOISY_SHOTS, seed=1)
    assert bad.metadata["noise"]["epoch"] == worse.epoch
    wrong = lambda r: 1 - (r.counts.get("0000", 0) + r.counts.get("1111", 0)) / NOISY_SHOTS
    assert wrong(bad) > 2 * wrong(good)


@FAKE_BACKENDS
def test_calibration_alone_applies_to_the_programs_own_qubits():
    program = qirrt.load(CORPUS["ghz3"]())
    calibration = qirrt.adapters.resolve_calibration("FakeKolkata")
    result = AerExecutor(calibration=calibration).run(program, shots=NOISY_SHOTS, seed=4)
    ops = result.metadata["circuit"]["ops"]
    assert set(ops) <= {"rz", "sx", "x", "cx", "measure"}
    assert result.metadata["circuit"]["num_qubits"] == 3
    assert stats_distance(result.counts, exact_distribution(program)) > 0.005
