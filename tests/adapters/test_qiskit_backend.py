"""QiskitBackendAdapter on fake backends (offline): backend.run and SamplerV2, adaptive programs, keys."""

from __future__ import annotations

import re

import pytest

import qirrt
from qirrt.adapters.base import Capabilities, HardwareAdapter
from qirrt.errors import AdapterError
from qirrt.executors.base import JobStatus
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS, expression_ansatz
from tests.stats import assert_distribution, assert_same_sample

pytest.importorskip("qiskit_ibm_runtime")

from qirrt.adapters.qiskit_backend import QiskitBackendAdapter

SHOTS = 8000


@pytest.fixture(scope="module")
def kolkata() -> QiskitBackendAdapter:
    return QiskitBackendAdapter("FakeKolkata")


def test_capabilities_and_calibration_come_from_the_backend(kolkata):
    assert isinstance(kolkata, HardwareAdapter)
    caps = kolkata.capabilities()
    assert isinstance(caps, Capabilities)
    assert caps.num_qubits == 27 and caps.simulator and caps.mid_circuit_measurement
    assert {"cx", "sx", "rz", "x"} <= set(caps.native_gates)
    assert "adaptive" in caps.profiles
    calibration = kolkata.calibration()
    assert calibration.target_name == "fake_kolkata" and len(calibration.qubits) == 27
    queue = kolkata.queue_info()
    assert queue.depth >= 0 and queue.own_jobs == 0


@pytest.mark.parametrize("name", ["ghz4", "teleport", "rus"])
def test_backend_run_matches_the_aer_executor_with_the_same_noise(kolkata, name):
    from qirrt.executors.aer import AerExecutor

    program = qirrt.load(CORPUS[name]())
    job = kolkata.submit(program, shots=SHOTS, seed=3)
    assert job.status() in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)
    result = job.result(timeout_s=300)
    assert job.status() is JobStatus.DONE
    assert result.metadata["backend"] == "fake_kolkata" and result.metadata["job_id"] == job.id
    reference = AerExecutor(target="FakeKolkata").run(program, shots=SHOTS, seed=4)
    assert_same_sample(result.counts, reference.counts)


def test_sampler_v2_path_with_parameter_sweep():
    adapter = QiskitBackendAdapter("generic:5", primitive="sampler")
    program = qirrt.load(expression_ansatz())
    points = [[0.1, 0.2, 0.3, 0.4], [1.0, -0.5, 0.25, 2.0]]
    results = adapter.submit(program, shots=SHOTS, seed=1, params=points).result(timeout_s=300)
    assert len(results) == 2
    for result, point in zip(results, points):
        assert result.metadata["primitive"] == "sampler"
        assert sum(result.counts.values()) == SHOTS
        # GenericBackendV2 is noisy but mildly: the dominant outcomes stay dominant
        exact = exact_distribution(program, point)
        top = max(exact, key=exact.get)
        assert result.counts.get(top, 0) / SHOTS > exact[top] - 0.1


def test_noiseless_simulator_backend_reproduces_exact_distributions():
    from qiskit_aer import AerSimulator

    adapter = QiskitBackendAdapter(AerSimulator())
    for name in ("qft3", "teleport", "ifelse"):
        program = qirrt.load(CORPUS[name]())
        assert_distribution(adapter.run(program, shots=SHOTS, seed=2).counts, exact_distribution(program))


def test_unknown_job_and_backend_names_are_clear_errors(kolkata):
    with pytest.raises(AdapterError, match=re.escape("fake_kolkata has no job 'nope'")):
        kolkata.status("nope")
    with pytest.raises(AdapterError, match=re.escape("no fake backend named 'FakeNowhere'")):
        QiskitBackendAdapter("FakeNowhere")
    with pytest.raises(AdapterError, match=re.escape("primitive must be 'run' or 'sampler'")):
        QiskitBackendAdapter("FakeKolkata", primitive="estimator")


def test_reservations_are_not_offered(kolkata):
    with pytest.raises(AdapterError, match=re.escape("does not support reservations")):
        kolkata.reserve(0, 60)


@pytest.mark.parametrize("primitive, name", [("run", "teleport"), ("sampler", "registers")])
def test_memory_is_per_shot_program_keys(primitive, name):
    adapter = QiskitBackendAdapter("FakeKolkata", primitive=primitive)
    result = adapter.run(qirrt.load(CORPUS[name]()), shots=300, seed=1, memory=True)
    assert len(result.memory) == 300
    tally: dict[str, int] = {}
    for key in result.memory:
        tally[key] = tally.get(key, 0) + 1
    assert tally == result.counts


def test_sampler_on_a_fake_backend_refuses_feed_forward_clearly():
    adapter = QiskitBackendAdapter("FakeKolkata", primitive="sampler")
    assert adapter.capabilities().profiles == ("base",)
    with pytest.raises(AdapterError, match=re.escape("does not run classical feed-forward")):
        adapter.run(qirrt.load(CORPUS["teleport"]()), shots=10)
