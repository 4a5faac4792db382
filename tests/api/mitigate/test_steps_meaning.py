"""Every step leaves the noiseless meaning alone: folding, twirling and DD padding are identities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qirrt.device.calibration import Calibration, QubitCalibration
from qirrt.device.target import Target
from qirrt.passes.base import PassContext
from qirrt.passes.circuit import Circuit
from qirrt.qir.text import parse_double
from qirrt.passes.mitigation import (
    DigitalDynamicalDecoupling,
    PauliTwirling,
    ProbabilisticErrorCancellation,
    ReadoutMitigation,
    ZeroNoiseExtrapolation,
)
from qirrt.passes.mitigation.pec import (
    inverse_pauli_channel,
    relaxation_eigenvalues,
    representation,
)
from qirrt.qir.exact import exact_distribution
from tests.api.mitigate.helpers import corpus_program, toy_calibration
from tests.stats import assert_same_distribution

STATIC = ["ghz4", "qft3", "random4x6", "random3x10", "su23", "ra3", "bell_phase", "toffoli", "ising4", "grover3"]
DYNAMIC = ["teleport", "midreset", "measurerotate"]


def _same(a, b):
    assert_same_distribution(exact_distribution(a), exact_distribution(b), atol=1e-9)


@pytest.mark.parametrize("name", STATIC + DYNAMIC)
@pytest.mark.parametrize("folding", ["global", "local", "random"])
def test_folding_is_the_identity(name, folding):
    program = corpus_program(name)
    step = ZeroNoiseExtrapolation(scale_factors=(1, 1.7, 3), folding=folding)
    expanded = step.expand(program)
    assert len(expanded) == 3
    gates = sum(1 for _ in Circuit.from_program(program).gates())
    for folded, nominal in zip(expanded, (1, 1.7, 3)):
        _same(program, folded)
        reached = folded.metadata["mitigation"][-1]["reached"]
        assert abs(reached - nominal) <= 2 / max(gates, 1) + 1e-9
    if gates:
        assert sum(1 for _ in Circuit.from_program(expanded[2]).gates()) >= 3 * gates


@pytest.mark.parametrize("name", STATIC)
def test_folding_a_padded_program_is_the_identity(name):
    (padded,) = DigitalDynamicalDecoupling().expand(corpus_program(name))
    for folded in ZeroNoiseExtrapolation(scale_factors=(1, 2, 3)).expand(padded):
        _same(padded, folded)


def test_folding_parametric_angles_stay_symbolic():
    program = corpus_program("expressions_bound")
    for folded in ZeroNoiseExtrapolation(folding="local").expand(program):
        _same(program, folded)


@pytest.mark.parametrize("name", STATIC + DYNAMIC)
def test_twirling_is_the_identity(name):
    program = corpus_program(name)
    instances = PauliTwirling(num_twirls=4, gates=("cx", "cz", "swap", "cy"), seed=3).expand(program)
    assert len(instances) == 4
    for instance in instances:
        _same(program, instance)


@pytest.mark.parametrize("name", STATIC + DYNAMIC)
@pytest.mark.parametrize("sequence", ["xx", "yy", "xy4"])
def test_ddd_is_the_identity(name, sequence):
    program = corpus_program(name)
    (padded,) = DigitalDynamicalDecoupling(sequence=sequence).expand(program)
    _same(program, padded)


def _idle_program():
    """Three qubits; qubit 0 idles through four CX on (1, 2), qubit 2 through the last CX on (0, 1)."""
    from qiskit import QuantumCircuit

    from qirrt.bindings.qiskit.from_circuit import from_qiskit

    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    for _ in range(4):
        qc.cx(1, 2)
    qc.cx(0, 1)
    qc.measure(range(3), range(3))
    return from_qiskit(qc)


def test_ddd_fills_idle_windows_from_target_durations():
    program = _idle_program()
    target = Target.from_edges("t", 3, [(0, 1), (1, 2)], gate_durations_ns={
        ("cx", (1, 2)): 400.0, ("cx", (0, 1)): 400.0, ("x", (0,)): 50.0, ("x", (1,)): 50.0, ("x", (2,)): 50.0,
        ("h", (0,)): 50.0})
    step = DigitalDynamicalDecoupling(sequence="xy4")
    padded, filled = step.pad(program, PassContext(target=target))
    assert filled == 2  # qubit 0 between its two CX; qubit 2 during the last CX, before its measurement
    circuit = Circuit.from_program(padded)
    pulses = [g for g in circuit.gates() if g.qubits == (0,) and g.name in ("x", "y")]
    assert [g.name for g in pulses] == ["x", "y", "x", "y"]
    delays = [item for item in circuit.items() if getattr(item, "name", "") == "delay" and item.qubit == 0]
    total = sum(parse_double(d.suffix.split("double")[1].split(",")[0]) for d in delays)
    assert total == pytest.approx(4 * 400.0 - 4 * 50.0)
    # a short window is left alone
    (unpadded,) = DigitalDynamicalDecoupling(min_window_ns=5000).expand(program, PassContext(target=target))
    assert "__qirrt__delay" not in unpadded.ir


def test_readout_calibration_circuits_prepare_their_states():
    program = corpus_program("ghz3")
    expanded = ReadoutMitigation(source="circuits", mode="full").expand(program)
    assert len(expanded) == 1 + 8
    assert expanded[0].ir == program.ir
    for calibration in expanded[1:]:
        state = calibration.metadata["mitigation"][-1]["state"]
        dist = exact_distribution(calibration)
        assert list(dist) == [state] and dist[state] == pytest.approx(1.0)
    tensored = ReadoutMitigation(source="circuits", mode="tensored").expand(program)
    assert [p.metadata["mitigation"][-1].get("state") for p in tensored] == [None, "000", "111"]


def _superoperator(unitary):
    return np.kron(unitary, unitary.conj())


def test_pec_representation_inverts_depolarizing_noise():
    for k in (1, 2):
        d = 2 ** k
        single = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]
        paulis = [np.eye(1, dtype=complex)]
        for _ in range(k):
            paulis = [np.kron(a, b) for a in paulis for b in single]
        p = 0.03
        noise = (1 - p) * _superoperator(paulis[0]) + p / (d * d - 1) * sum(_superoperator(P) for P in paulis[1:])
        eta_identity, eta, gamma = representation(p, k)
        inverse = eta_identity * _superoperator(paulis[0]) + eta * sum(_superoperator(P) for P in paulis[1:])
        assert np.allclose(inverse @ noise, np.eye(d * d))
        assert gamma == pytest.approx(abs(eta_identity) + (d * d - 1) * abs(eta))
        assert gamma > 1


def test_pec_samples_follow_the_quasi_probabilities():
    program = corpus_program("ghz3")
    calibration = toy_calibration(3, cx_error=0.08)
    ctx = PassContext(calibration=calibration)
    step = ProbabilisticErrorCancellation(num_samples=400, seed=1)
    samples = step.expand(program, ctx)
    assert len(samples) == 400
    eta_identity, _eta, gamma = representation(0.08 * 5 / 4, 2)
    tags = [s.metadata["mitigation"][-1] for s in samples]
    assert tags[0]["gamma"] == pytest.approx(gamma ** 2)
    negative = sum(t["sign"] < 0 for t in tags) / len(tags)
    flip = (gamma - eta_identity) / gamma  # chance of one Pauli insertion per CX
    expected_negative = 2 * flip * (1 - flip)  # odd number of insertions over two CX
    assert abs(negative - expected_negative) < 0.08
    # an instance with no insertion is the program itself
    assert any(s.hash == program.hash for s in samples)
    assert step.overhead(program, ctx) == pytest.approx(gamma ** 2)


def _pauli_superoperators():
    single = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]
    return [_superoperator(P) for P in single]


def test_pec_idle_representation_inverts_relaxation():
    """The Pauli-twirled thermal relaxation channel composed with its quasi-inverse is the identity."""
    t1, t2 = 100e-6, 60e-6
    eigenvalues = relaxation_eigenvalues(5e-6, t1, t2)
    assert eigenvalues == pytest.approx((math.exp(-5 / 60), math.exp(-5 / 60), math.exp(-5 / 100)))
    px = py = (1 - math.exp(-5 / 100)) / 4
    pz = (1 - math.exp(-5 / 60)) / 2 - px
    identity, x, y, z = _pauli_superoperators()
    channel = (1 - px - py - pz) * identity + px * x + py * y + pz * z
    quasi = inverse_pauli_channel(eigenvalues)
    assert sum(quasi) == pytest.approx(1.0)
    inverse = sum(q * s for q, s in zip(quasi, (identity, x, y, z)))
    assert np.allclose(inverse @ channel, np.eye(4))
    # T2 beyond 2·T1 is unphysical: it is capped
    assert relaxation_eigenvalues(1e-6, 10e-6, 50e-6)[0] == pytest.approx(math.exp(-1 / 20))


def test_pec_models_idle_windows_when_the_calibration_has_t1_t2():
    program = _idle_program()
    calibration = toy_calibration(3)
    relaxing = Calibration(target_name="toy", timestamp=0, gates=calibration.gates,
                           qubits={q: QubitCalibration(t1_s=100e-6, t2_s=80e-6) for q in range(3)})
    gates_only = ProbabilisticErrorCancellation().overhead(program, PassContext(calibration=calibration))
    with_idle = ProbabilisticErrorCancellation().overhead(program, PassContext(calibration=relaxing))
    idle_off = ProbabilisticErrorCancellation(idle="off").overhead(program, PassContext(calibration=relaxing))
    assert idle_off == pytest.approx(gates_only)
    # qubit 0 waits 4 × 400 ns between its CX; qubit 2 waits through the last CX before its measurement
    expected = math.prod(sum(abs(q) for q in inverse_pauli_channel(relaxation_eigenvalues(t, 100e-6, 80e-6)))
                         for t in (1600e-9, 400e-9))
    assert with_idle == pytest.approx(gates_only * expected)
