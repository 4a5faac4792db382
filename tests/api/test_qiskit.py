"""qirrt.qiskit: BackendV2, SamplerV2 and EstimatorV2 round trips, parameter sweeps in PUBs, Qiskit result
types. Distributions are G-tested against qirrt.qir.exact (p > 0.001); expectation values must lie within
5 reported standard deviations (plus 1e-9) of Qiskit's exact StatevectorEstimator."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter, ParameterVector
from qiskit.primitives import PrimitiveResult, StatevectorEstimator
from qiskit.primitives.containers import BitArray
from qiskit.quantum_info import SparsePauliOp
from qiskit.result import Result as QiskitResult

import qirrt
from qirrt.api.qiskit import QirrtBackend, QirrtEstimator, QirrtSampler
from qirrt.errors import ExecutionError
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS
from tests.extras import FAKE_BACKENDS
from tests.stats import assert_distribution

EXECUTORS = ["local", "aer"]
SHOTS = 4000


def _ansatz() -> QuantumCircuit:
    theta = ParameterVector("θ", 3)
    qc = QuantumCircuit(3)
    qc.ry(theta[0], 0)
    qc.rx(theta[1], 1)
    qc.cx(0, 1)
    qc.rzz(theta[2], 1, 2)
    qc.h(2)
    return qc


# -- BackendV2 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("name", ["ghz4", "teleport", "registers", "rus"])
def test_backend_run_returns_qiskit_results_with_qiskit_keys(executor, name):
    circuit = CORPUS[name]()
    backend = QirrtBackend(executor)
    result = backend.run(circuit, shots=SHOTS, seed=3).result()
    assert isinstance(result, QiskitResult) and result.success
    assert_distribution(result.get_counts(), exact_distribution(qirrt.load(circuit)))


def test_backend_target_transpiles_and_binds_parameters():
    backend = QirrtBackend("aer")
    a = Parameter("a")
    qc = QuantumCircuit(2)
    qc.ry(a, 0)
    qc.cx(0, 1)
    qc.measure_all()
    transpiled = transpile(qc, backend, seed_transpiler=0)
    job = backend.run(transpiled, shots=SHOTS, seed=1, parameter_binds=[{a: [0.0, math.pi]}])
    counts = job.result().get_counts()
    assert counts[0] == {"00": SHOTS} and counts[1] == {"11": SHOTS}
    with pytest.raises(ExecutionError, match=re.escape("pass parameter_binds")):
        backend.run(qc, shots=10)


@FAKE_BACKENDS
def test_backend_memory_and_device_target():
    backend = QirrtBackend("aer", target="FakeKolkata")
    assert backend.num_qubits == 27 and "if_else" in backend.target.operation_names
    circuit = CORPUS["ghz3"]()
    result = backend.run(transpile(circuit, backend, seed_transpiler=1), shots=300, seed=2, memory=True).result()
    memory = result.get_memory()
    assert len(memory) == 300
    assert set(result.get_counts()) - {"000", "111"}  # FakeKolkata noise


# -- SamplerV2 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("executor", EXECUTORS)
def test_sampler_round_trip_with_a_parameter_sweep(executor):
    circuit = _ansatz()
    circuit.measure_all()
    program = qirrt.load(circuit)
    rng = np.random.default_rng(4)
    sweep = rng.uniform(-math.pi, math.pi, (2, 3, 3))  # PUB shape (2, 3)
    sampler = QirrtSampler(executor, seed=9)
    result = sampler.run([(circuit, sweep)], shots=SHOTS).result()
    assert isinstance(result, PrimitiveResult)
    bits = result[0].data.meas
    assert isinstance(bits, BitArray) and bits.shape == (2, 3) and bits.num_shots == SHOTS and bits.num_bits == 3
    for index in np.ndindex(2, 3):
        by_name = dict(zip([p.name for p in circuit.parameters], sweep[index]))
        expected = exact_distribution(program, [by_name[n] for n in program.parameters])
        assert_distribution(bits.get_counts(index), expected)


def test_sampler_keeps_registers_apart_and_mixes_pubs():
    teleport = CORPUS["teleport"]()
    ghz = CORPUS["ghz3"]()
    result = QirrtSampler("aer", seed=1).run([(teleport,), (ghz, None, 200)], shots=SHOTS).result()
    data = result[0].data
    assert set(data.keys()) == {"m", "out"} and data.m.num_bits == 2 and data.out.num_bits == 1
    p_one = data.out.get_counts().get("1", 0) / SHOTS
    assert abs(p_one - math.sin(0.8 / 2) ** 2) < 5 * math.sqrt(0.25 / SHOTS)
    assert result[1].data.c.num_shots == 200
    assert set(result[1].data.c.get_counts()) <= {"000", "111"}


# -- EstimatorV2 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("executor", EXECUTORS)
def test_estimator_round_trip_with_broadcasting(executor):
    circuit = _ansatz()
    observables = [[SparsePauliOp(["ZZI", "IXX"], [1.0, 0.5])],
                   [SparsePauliOp(["YYI", "ZII", "III"], [2.0, -1.0, 0.25])]]
    sweep = np.random.default_rng(7).uniform(-math.pi, math.pi, (2, 3, 3))  # broadcast shape (2, 3)
    ours = QirrtEstimator(executor, seed=5).run([(circuit, observables, sweep)], precision=0.02).result()[0]
    reference = StatevectorEstimator().run([(circuit, observables, sweep)]).result()[0]
    assert ours.data.evs.shape == (2, 3) == ours.data.stds.shape
    assert ours.metadata["shots"] == math.ceil(1 / 0.02 ** 2)
    deviation = np.abs(ours.data.evs - reference.data.evs)
    assert np.all(deviation <= 5 * ours.data.stds + 1e-9), (ours.data.evs, reference.data.evs, ours.data.stds)


def test_estimator_without_parameters_and_identity_terms():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    result = QirrtEstimator("aer", seed=1).run([(qc, [SparsePauliOp("ZZ"), SparsePauliOp("II", 3.0)])]).result()
    assert result[0].data.evs.tolist() == pytest.approx([1.0, 3.0])
    assert result[0].data.stds.tolist() == pytest.approx([0.0, 0.0])


@FAKE_BACKENDS
def test_sampler_over_the_emulated_qpu():
    from qirrt.adapters import EmulatedQPU, ManualClock

    qpu = EmulatedQPU("FakeKolkata", seed=2, clock=ManualClock(), failure_rate=0.0)
    result = QirrtSampler(qpu, seed=1).run([(CORPUS["ghz3"](),)], shots=500).result()
    counts = result[0].data.c.get_counts()
    assert sum(counts.values()) == 500 and counts.get("000", 0) + counts.get("111", 0) > 400
