"""PennyLane → Program: exact distributions equal `qml.probs` on default.qubit, keyed as `qml.counts`."""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import pytest

qml = pytest.importorskip("pennylane")

from pennylane import numpy as pnp

import qirrt
from qirrt.bindings.pennylane import PennyLaneFrontend, from_pennylane
from qirrt.errors import FrontendError
from qirrt.qir.exact import exact_distribution
from tests.stats import assert_same_distribution

DEVICE = qml.device("default.qubit")


def probs_dict(probabilities) -> dict[str, float]:
    probabilities = np.asarray(probabilities, dtype=float)
    width = int(round(math.log2(len(probabilities))))
    return {format(i, f"0{width}b"): float(p) for i, p in enumerate(probabilities) if p > 1e-14}


def pl_exact(tape, key_wires) -> dict[str, float]:
    """`qml.probs(wires=key_wires)` of the tape's operations (after its observables' diagonalizing gates)."""
    operations = list(tape.operations)
    done = set()
    for m in tape.measurements:
        if m.obs is not None:
            for gate in m.obs.diagonalizing_gates():
                if repr(gate) not in done:
                    done.add(repr(gate))
                    operations.append(gate)
    script = qml.tape.QuantumScript(operations, [qml.probs(wires=key_wires)])
    (probabilities,) = qml.execute([script], DEVICE)
    return probs_dict(probabilities)


# -- circuits: (tape, key wires) -----------------------------------------------------------------------
def bell():
    return qml.tape.QuantumScript([qml.Hadamard(0), qml.CNOT([0, 1])], [qml.counts()]), [0, 1]


def ghz_string_wires():
    ops = [qml.Hadamard("a"), qml.CNOT(["a", "b"]), qml.CNOT(["b", "c"]), qml.PauliX("c")]
    return qml.tape.QuantumScript(ops, [qml.counts(wires=["c", "a"])]), ["c", "a"]


def fixed_and_rotations():
    ops = [qml.Hadamard(0), qml.Hadamard(1), qml.RY(0.4, 2), qml.PauliX(0), qml.PauliY(1), qml.PauliZ(2),
           qml.S(0), qml.T(1), qml.SX(2), qml.CY([0, 2]), qml.CZ([1, 2]), qml.SWAP([0, 1]),
           qml.RX(0.3, 0), qml.RY(-0.8, 1), qml.RZ(1.7, 2), qml.IsingXX(0.4, [0, 1]), qml.IsingYY(-0.6, [1, 2]),
           qml.IsingZZ(0.9, [0, 2]), qml.PhaseShift(0.5, 1), qml.U1(0.2, 0), qml.U2(0.3, -0.4, 1),
           qml.U3(0.5, 0.6, 0.7, 2), qml.Rot(0.1, 0.9, -0.3, 0), qml.adjoint(qml.S(1)), qml.adjoint(qml.T(2)),
           qml.adjoint(qml.SX(0)), qml.adjoint(qml.RX(0.7, 1)), qml.adjoint(qml.Rot(0.2, 0.3, 0.4, 2)),
           qml.adjoint(qml.U3(0.3, 0.1, 0.9, 0)), qml.Hadamard(1)]
    return qml.tape.QuantumScript(ops, [qml.probs(wires=[0, 1, 2])]), [0, 1, 2]


def controlled():
    ops = [qml.Hadamard(0), qml.Hadamard(1), qml.RY(0.9, 2), qml.RX(0.4, 3),
           qml.CRX(0.3, [0, 2]), qml.CRY(0.5, [1, 2]), qml.CRZ(-0.7, [2, 0]), qml.CRot(0.1, 0.2, 0.3, [3, 1]),
           qml.ControlledPhaseShift(0.8, [0, 3]), qml.Toffoli([0, 1, 3]), qml.ctrl(qml.Hadamard(2), 0),
           qml.MultiControlledX(wires=[0, 1, 2, 3]), qml.CSWAP([0, 1, 2]), qml.CCZ([1, 2, 3]),
           qml.ctrl(qml.RX(0.6, 3), control=[0, 1], control_values=[1, 0]), qml.Hadamard(1)]
    return qml.tape.QuantumScript(ops, [qml.probs(wires=[0, 1, 2, 3])]), [0, 1, 2, 3]


def decomposed():
    rng = np.random.default_rng(3)
    matrix, _ = np.linalg.qr(rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))
    ops = [qml.BasisState(np.array([1, 0, 1]), wires=[0, 1, 2]), qml.Hadamard(1),
           qml.MultiRZ(0.4, wires=[0, 1, 2]), qml.PauliRot(0.7, "XYZ", wires=[0, 1, 2]),
           qml.IsingXY(0.3, wires=[1, 2]), qml.QubitUnitary(matrix, wires=[0, 2]), qml.ISWAP([0, 1]),
           qml.SISWAP([1, 2]), qml.ECR([0, 1])]
    return qml.tape.QuantumScript(ops, [qml.probs(wires=[2, 1, 0])]), [2, 1, 0]


def templates():
    weights = np.random.default_rng(8).uniform(0, 2 * math.pi, (2, 3, 3))
    ops = [qml.RY(0.3, 0), qml.RY(1.2, 2), *qml.QFT(wires=[0, 1, 2]).decomposition(),
           qml.StronglyEntanglingLayers(weights, wires=[0, 1, 2])]
    return qml.tape.QuantumScript(ops, [qml.counts(wires=[0, 1, 2])]), [0, 1, 2]


def observables():
    ops = [qml.Hadamard(0), qml.RY(0.7, 1), qml.CNOT([0, 2]), qml.RX(0.3, 2)]
    measurements = [qml.expval(qml.PauliX(0) @ qml.PauliY(1)), qml.counts(qml.PauliZ(2)),
                    qml.var(qml.PauliX(0))]
    return qml.tape.QuantumScript(ops, measurements), [0, 1, 2]


def teleport():
    theta = 0.8

    def circuit():
        qml.RY(theta, 0)
        qml.Hadamard(1)
        qml.CNOT([1, 2])
        qml.CNOT([0, 1])
        qml.Hadamard(0)
        m0, m1 = qml.measure(0), qml.measure(1)
        qml.cond(m1, qml.PauliX)(2)
        qml.cond(m0, qml.PauliZ)(2)
        return qml.probs(wires=[2])

    return qml.workflow.construct_tape(qml.QNode(circuit, DEVICE))(), [2]


def feed_forward_reset():
    def circuit():
        qml.Hadamard(0)
        qml.RY(1.1, 1)
        m0 = qml.measure(0, reset=True)
        m1 = qml.measure(1)
        qml.cond(m0 & ~m1, qml.RY, qml.RZ)(0.9, wires=2)
        qml.cond(m0 | m1, qml.CNOT)(wires=[2, 0])
        qml.Hadamard(1)
        return qml.probs(wires=[0, 1, 2])

    return qml.workflow.construct_tape(qml.QNode(circuit, DEVICE))(), [0, 1, 2]


CIRCUITS = {f.__name__: f for f in (bell, ghz_string_wires, fixed_and_rotations, controlled, decomposed,
                                    templates, observables, teleport, feed_forward_reset)}
DYNAMIC = {"teleport", "feed_forward_reset"}


@pytest.mark.parametrize("name", sorted(CIRCUITS))
def test_exact_distribution_matches_default_qubit(name):
    tape, key_wires = CIRCUITS[name]()
    program = from_pennylane(tape, parameters="none")
    assert program.profile is (qirrt.Profile.ADAPTIVE if name in DYNAMIC else qirrt.Profile.BASE)
    assert_same_distribution(exact_distribution(program), pl_exact(tape, key_wires))


def test_mid_circuit_values_are_recorded_as_probs_reads_them():
    def circuit():
        qml.Hadamard(0)
        qml.RY(0.6, 1)
        m0 = qml.measure(0)
        qml.cond(m0, qml.CNOT)(wires=[0, 1])
        m1 = qml.measure(1)
        return qml.counts([m0, m1])

    qnode = qml.QNode(circuit, DEVICE)
    program = from_pennylane(qnode)

    def reference():
        qml.Hadamard(0)
        qml.RY(0.6, 1)
        m0 = qml.measure(0)
        qml.cond(m0, qml.CNOT)(wires=[0, 1])
        m1 = qml.measure(1)
        return qml.probs(op=[m0, m1])

    assert_same_distribution(exact_distribution(program), probs_dict(qml.QNode(reference, DEVICE)()))


def test_counts_keys_follow_device_wire_order():
    device = qml.device("default.qubit", wires=[1, 0, 2])

    @qml.qnode(device, shots=50)
    def circuit():
        qml.PauliX(2)
        qml.Hadamard(0)
        return qml.counts()

    assert set(circuit()) <= {"001", "011"}
    assert exact_distribution(qirrt.load(circuit)) == pytest.approx({"001": 0.5, "011": 0.5})


def test_qnode_trainable_arguments_become_runtime_parameters():
    @qml.qnode(DEVICE)
    def circuit(x, y, z):
        qml.RX(x, 0)
        qml.CRY(y, wires=[0, 1])
        qml.Rot(x, z, 0.3, wires=1)
        qml.adjoint(qml.IsingZZ(z, wires=[0, 1]))
        qml.U3(y, z, x, wires=0)
        return qml.probs(wires=[0, 1])

    args = (pnp.array(0.4, requires_grad=True), pnp.array(1.1, requires_grad=False),
            pnp.array(-0.7, requires_grad=True))
    program = from_pennylane(circuit, args=args)
    tape = qml.workflow.construct_tape(circuit)(*args)
    assert program.parameters == tuple(f"p{k}" for k in range(len(tape.trainable_params)))
    assert "__qirrt__parameter" in program.ir
    rng = np.random.default_rng(2)
    for _ in range(3):
        x, z = rng.uniform(-math.pi, math.pi, 2)
        values = (pnp.array(x, requires_grad=True), args[1], pnp.array(z, requires_grad=True))
        bound = qml.workflow.construct_tape(circuit)(*values)
        assert_same_distribution(exact_distribution(program, params=bound.get_parameters()),
                                 probs_dict(circuit(*values)))


def test_all_gate_parameters_of_a_tape_round_trip():
    tape, key_wires = CIRCUITS["fixed_and_rotations"]()
    program = from_pennylane(tape, parameters="all")
    values = tape.get_parameters(trainable_only=False)
    assert program.parameters == tuple(f"p{k}" for k in range(len(values)))
    shifted = [v + 0.25 * (k % 3) for k, v in enumerate(values)]
    rebuilt = tape.bind_new_parameters(shifted, list(range(len(values))))
    assert_same_distribution(exact_distribution(program, params=shifted), pl_exact(rebuilt, key_wires))
    assert from_pennylane(tape, parameters="none").parameters == ()


def test_parameter_without_symbolic_lowering_is_baked_with_a_warning(caplog):
    tape = qml.tape.QuantumScript([qml.RX(0.3, 0), qml.IsingXY(0.5, [0, 1]), qml.RY(0.2, 1)],
                                  [qml.probs(wires=[0, 1])])
    with caplog.at_level(logging.WARNING, logger="qirrt.bindings.pennylane"):
        program = from_pennylane(tape)
    assert program.parameters == ("p0", "p2")
    assert "IsingXY has no symbolic lowering" in caplog.text
    assert_same_distribution(exact_distribution(program, params=[0.3, 0.2]), pl_exact(tape, [0, 1]))


def test_loaded_through_the_registry():
    tape, _ = bell()
    assert PennyLaneFrontend.accepts(tape)
    assert PennyLaneFrontend.accepts(qml.QNode(lambda: qml.probs(wires=0), DEVICE))
    assert not PennyLaneFrontend.accepts(object())
    program = qirrt.load(tape)
    assert program.producer == "pennylane"
    assert exact_distribution(program) == pytest.approx({"00": 0.5, "11": 0.5})


def test_state_measurement_is_a_clear_error():
    tape = qml.tape.QuantumScript([qml.Hadamard(0)], [qml.state()])
    with pytest.raises(FrontendError, match=re.escape("cannot lower PennyLane measurement state(wires=[]): "
                                                      "only sample, counts, probs, expval and var")):
        from_pennylane(tape)


def test_operation_without_decomposition_is_a_clear_error():
    class Mystery(qml.operation.Operation):
        num_wires = 2

    tape = qml.tape.QuantumScript([Mystery(wires=[0, 1])], [qml.probs(wires=[0, 1])])
    with pytest.raises(FrontendError, match=re.escape("cannot lower PennyLane operation Mystery on wires [0, 1]: "
                                                      "it is not a QIR gate and has no decomposition")):
        from_pennylane(tape)


def test_postselection_is_refused():
    def circuit():
        qml.Hadamard(0)
        qml.measure(0, postselect=1)
        return qml.probs(wires=[0])

    with pytest.raises(FrontendError, match="postselect=1 is not supported"):
        from_pennylane(qml.QNode(circuit, DEVICE))


def test_conflicting_measurement_bases_are_refused():
    tape = qml.tape.QuantumScript([qml.Hadamard(0)], [qml.expval(qml.PauliX(0)), qml.counts(wires=[0])])
    with pytest.raises(FrontendError, match="wire 0 is measured in two different bases"):
        from_pennylane(tape)


def test_base_profile_refused_for_feed_forward():
    tape, _ = teleport()
    with pytest.raises(FrontendError, match="base profile forbids"):
        from_pennylane(tape, profile="base")


def test_expectation_of_a_sum_is_recovered_from_the_eigenbasis_counts():
    observable = qml.X(0) + qml.Z(0) @ qml.Y(1) + 0.5 * qml.Y(0)
    tape = qml.tape.QuantumScript([qml.Hadamard(0), qml.RY(0.4, 1), qml.CNOT([1, 0])], [qml.expval(observable)])
    distribution = exact_distribution(from_pennylane(tape, parameters="none"))
    eigenvalues = observable.eigvals()
    estimate = sum(p * eigenvalues[int(key, 2)] for key, p in distribution.items())
    (expected,) = qml.execute([tape], DEVICE)
    assert estimate == pytest.approx(float(expected), abs=1e-10)
