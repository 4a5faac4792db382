"""Cirq → Program: exact distributions equal Cirq's own final-state probabilities, keyed as documented."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

cirq = pytest.importorskip("cirq")
sympy = pytest.importorskip("sympy")

import qirrt
from qirrt.bindings.cirq import CirqFrontend, from_cirq
from qirrt.errors import FrontendError
from qirrt.qir.exact import exact_distribution
from tests.stats import assert_same_distribution


# -- reference: Cirq's own exact probabilities ---------------------------------------------------------
def cirq_exact(circuit: cirq.AbstractCircuit, resolver=None) -> dict[str, float]:
    """Exact count-key probabilities from Cirq's final state vector.

    Mid-circuit measurements and classical controls are first deferred (`cirq.defer_measurements`),
    so every measurement is terminal; keys are sorted, each key's bits in its gate's qubit order.
    """
    if resolver is not None:
        circuit = cirq.resolve_parameters(circuit, resolver)
    circuit = cirq.Circuit(circuit.all_operations())
    if not circuit.are_all_measurements_terminal() or any(
            isinstance(op, cirq.ClassicallyControlledOperation) for op in circuit.all_operations()):
        circuit = cirq.defer_measurements(circuit)
    assert circuit.are_all_measurements_terminal()
    keys: dict[str, tuple[list, tuple]] = {}
    body = []
    for op in circuit.all_operations():
        if isinstance(op.gate, cirq.MeasurementGate):
            keys[str(op.gate.key)] = (list(op.qubits), op.gate.full_invert_mask())
        else:
            body.append(op)
    qubits = sorted(circuit.all_qubits())
    state = cirq.final_state_vector(cirq.Circuit(body), qubit_order=qubits, dtype=np.complex128)
    probabilities = np.abs(state) ** 2
    position = {q: i for i, q in enumerate(qubits)}
    n = len(qubits)
    out: dict[str, float] = {}
    for index in np.nonzero(probabilities > 1e-14)[0]:
        words = []
        for key in sorted(keys):
            measured, invert = keys[key]
            words.append("".join(str(((int(index) >> (n - 1 - position[q])) & 1) ^ int(flip))
                                 for q, flip in zip(measured, invert)))
        word = " ".join(words)
        out[word] = out.get(word, 0.0) + float(probabilities[index])
    return out


# -- circuits ----------------------------------------------------------------------------------------
Q = cirq.LineQubit.range(5)


def bell():
    return cirq.Circuit(cirq.H(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m"))


def ghz_keys():
    return cirq.Circuit(cirq.H(Q[0]), [cirq.CNOT(Q[i], Q[i + 1]) for i in range(3)],
                        cirq.X(Q[3]), cirq.measure_each(*Q[:4], key_func=lambda q: f"q{q.x}"))


def qft():
    prep = [cirq.X(Q[0]), cirq.X(Q[2]), cirq.ry(0.7).on(Q[1]), cirq.ry(1.9).on(Q[3])]
    return cirq.Circuit(prep, cirq.qft(*Q[:4]), cirq.measure(*Q[:4], key="f"))


def random_clifford_t():
    qubits = cirq.LineQubit.range(4)
    body = cirq.testing.random_circuit(qubits, n_moments=14, op_density=0.9, random_state=5)
    return cirq.Circuit(body.all_operations(), cirq.measure(*qubits, key="r"))


def fractional_powers():
    a, b, c = Q[:3]
    return cirq.Circuit(
        cirq.H(a), cirq.H(b), cirq.H(c),
        cirq.X(a) ** 0.3, cirq.Y(b) ** -0.7, cirq.Z(c) ** 0.123, cirq.H(a) ** 0.5, cirq.X(b) ** 0.5,
        cirq.S(c), cirq.T(a), cirq.T(b) ** -1, cirq.S(c) ** -1,
        cirq.CZ(a, b) ** 0.4, cirq.CNOT(b, c) ** 0.25, cirq.XX(a, c) ** 0.3, cirq.YY(a, b) ** -0.6,
        cirq.ZZ(b, c) ** 0.8, cirq.SWAP(a, c) ** 0.5, cirq.ISWAP(a, b) ** 0.3, cirq.rx(0.4).on(c),
        cirq.ry(-1.2).on(a), cirq.rz(2.2).on(b), cirq.measure(a, b, c, key="z"))


def decomposed_gates():
    a, b, c = Q[:3]
    rng = np.random.RandomState(9)
    unitary = cirq.testing.random_unitary(2, random_state=rng)
    unitary2 = cirq.testing.random_unitary(4, random_state=rng)
    return cirq.Circuit(
        cirq.H(a), cirq.ry(0.4).on(b), cirq.rx(1.1).on(c),
        cirq.FSimGate(0.3, 0.7).on(a, b), cirq.PhasedXPowGate(phase_exponent=0.2, exponent=0.6).on(c),
        cirq.PhasedXZGate(x_exponent=0.3, z_exponent=0.2, axis_phase_exponent=-0.4).on(a),
        cirq.MatrixGate(unitary).on(b), cirq.MatrixGate(unitary2).on(a, c),
        cirq.PhasedISwapPowGate(phase_exponent=0.25, exponent=0.5).on(b, c),
        cirq.measure(a, b, c, key="d"))


def controlled():
    a, b, c, d = Q[:4]
    return cirq.Circuit(
        cirq.H(a), cirq.H(b), cirq.ry(0.9).on(c),
        cirq.ControlledGate(cirq.rx(0.3)).on(a, c), cirq.ry(0.5).controlled().on(b, c),
        cirq.ControlledGate(cirq.Z ** 0.3, control_values=[0]).on(a, b),
        cirq.ControlledGate(cirq.Y ** 0.45).on(c, a), cirq.CCX(a, b, d), cirq.CCZ(b, c, d),
        cirq.CSWAP(a, c, d), cirq.ControlledGate(cirq.H, num_controls=2).on(a, b, c),
        cirq.H(b), cirq.measure(a, b, c, d, key="c"))


def inverted_and_keys():
    a, b, c = Q[:3]
    return cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.ry(0.8).on(c),
                        cirq.measure(a, key="zeta", invert_mask=(True,)),
                        cirq.measure(c, b, key="alpha", invert_mask=(False, True)))


def teleport():
    msg, alice, bob = Q[:3]
    return cirq.Circuit(
        cirq.ry(0.8).on(msg), cirq.H(alice), cirq.CNOT(alice, bob),
        cirq.CNOT(msg, alice), cirq.H(msg), cirq.measure(msg, key="m0"), cirq.measure(alice, key="m1"),
        cirq.X(bob).with_classical_controls("m1"), cirq.Z(bob).with_classical_controls("m0"),
        cirq.measure(bob, key="out"))


def sympy_condition():
    a, b, c = Q[:3]
    condition = sympy.Eq(sympy.Symbol("pair"), 2)
    return cirq.Circuit(cirq.H(a), cirq.ry(1.1).on(b), cirq.measure(a, b, key="pair"),
                        cirq.X(c).with_classical_controls(condition),
                        cirq.H(c).with_classical_controls("pair"), cirq.measure(c, key="t"))


def subcircuit():
    a, b = Q[:2]
    inner = cirq.FrozenCircuit(cirq.rx(0.35).on(a), cirq.CNOT(a, b), cirq.ry(0.2).on(b))
    return cirq.Circuit(cirq.CircuitOperation(inner, repetitions=3), cirq.measure(a, b, key="s"))


CIRCUITS = {f.__name__: f for f in (bell, ghz_keys, qft, random_clifford_t, fractional_powers,
                                    decomposed_gates, controlled, inverted_and_keys, teleport,
                                    sympy_condition, subcircuit)}
DYNAMIC = {"teleport", "sympy_condition"}


@pytest.mark.parametrize("name", sorted(CIRCUITS))
def test_exact_distribution_matches_cirq(name):
    circuit = CIRCUITS[name]()
    program = from_cirq(circuit)
    assert program.profile is (qirrt.Profile.ADAPTIVE if name in DYNAMIC else qirrt.Profile.BASE)
    assert_same_distribution(exact_distribution(program), cirq_exact(circuit))


def test_keys_are_sorted_and_each_key_reads_in_gate_qubit_order():
    a, b = Q[:2]
    circuit = cirq.Circuit(cirq.X(b), cirq.measure(b, key="zz"), cirq.measure(b, a, key="aa"))
    assert exact_distribution(from_cirq(circuit)) == pytest.approx({"10 1": 1.0})
    histogram = cirq.Simulator().run(circuit, repetitions=3).histogram(key="aa")
    assert format(next(iter(histogram)), "02b") == "10"


def test_qubit_order_does_not_change_keys():
    circuit = CIRCUITS["controlled"]()
    reversed_order = cirq.QubitOrder.explicit(list(reversed(sorted(circuit.all_qubits()))))
    assert_same_distribution(exact_distribution(from_cirq(circuit, qubit_order=reversed_order)),
                             exact_distribution(from_cirq(circuit)))


def parametric():
    a, b, c = Q[:3]
    t, u = sympy.Symbol("t"), sympy.Symbol("u")
    return cirq.Circuit(
        cirq.H(a), cirq.rx(t).on(b), cirq.ry(2 * u - 0.3).on(c), cirq.CZ(a, b) ** u,
        cirq.ZZ(b, c) ** (t / 2 + u), cirq.X(a) ** (t * u), cirq.ControlledGate(cirq.rz(u)).on(c, a),
        cirq.CNOT(a, c) ** t, cirq.XX(a, b) ** sympy.cos(t),
        cirq.measure(a, b, c, key="p"))


def test_symbols_become_runtime_parameters_sorted_by_name():
    circuit = parametric()
    program = from_cirq(circuit)
    assert program.parameters == ("t", "u")
    assert "__qirrt__parameter" in program.ir
    rng = np.random.default_rng(4)
    for _ in range(4):
        t, u = rng.uniform(-math.pi, math.pi, 2)
        assert_same_distribution(exact_distribution(program, params=[t, u]),
                                 cirq_exact(circuit, {"t": t, "u": u}))


def test_parameter_order_and_partial_resolution():
    circuit = parametric()
    program = from_cirq(circuit, parameter_order=["u", "t"])
    assert program.parameters == ("u", "t")
    assert_same_distribution(exact_distribution(program, params=[0.4, 1.3]),
                             cirq_exact(circuit, {"t": 1.3, "u": 0.4}))
    partial = from_cirq(circuit, resolver={"u": 0.4})
    assert partial.parameters == ("t",)
    assert_same_distribution(exact_distribution(partial, params=[1.3]),
                             cirq_exact(circuit, {"t": 1.3, "u": 0.4}))


def test_reset_and_remeasure_are_adaptive():
    a, b = Q[:2]
    circuit = cirq.Circuit(cirq.H(a), cirq.measure(a, key="first"), cirq.reset(a), cirq.X(b),
                           cirq.CNOT(b, a), cirq.measure(a, b, key="second"))
    program = from_cirq(circuit)
    assert program.profile is qirrt.Profile.ADAPTIVE
    assert exact_distribution(program) == pytest.approx({"0 11": 0.5, "1 11": 0.5})


def test_repeated_inverted_measurement_restores_the_qubit():
    (a,) = Q[:1]
    circuit = cirq.Circuit(cirq.X(a), cirq.measure(a, key="k1", invert_mask=(True,)),
                           cirq.measure(a, key="k2", invert_mask=(True,)), cirq.measure(a, key="k3"))
    assert exact_distribution(from_cirq(circuit)) == pytest.approx({"0 0 1": 1.0})


def test_loaded_through_the_registry():
    circuit = bell()
    assert CirqFrontend.accepts(circuit) and CirqFrontend.accepts(cirq.FrozenCircuit(circuit))
    assert not CirqFrontend.accepts("OPENQASM 2.0;")
    program = qirrt.load(circuit)
    assert program.producer == "cirq"
    assert exact_distribution(program) == pytest.approx({"00": 0.5, "11": 0.5})


def test_noise_channel_is_a_clear_error():
    circuit = cirq.Circuit(cirq.H(Q[0]), cirq.depolarize(0.1).on(Q[0]), cirq.measure(Q[0], key="m"))
    with pytest.raises(FrontendError, match=re.escape("cannot lower Cirq operation cirq.depolarize(p=0.1)"
                                                      ".on(cirq.LineQubit(0)): it is not unitary")):
        from_cirq(circuit)


def test_gate_without_decomposition_is_a_clear_error():
    class Mystery(cirq.Gate):
        def _num_qubits_(self):
            return 1

        def __repr__(self):
            return "Mystery()"

    circuit = cirq.Circuit(Mystery().on(Q[0]))
    message = ("cannot lower Cirq operation Mystery()(cirq.LineQubit(0)): it is not a QIR gate and "
               "cirq.decompose_once gives no decomposition")
    with pytest.raises(FrontendError, match=re.escape(message)):
        from_cirq(circuit)


def test_base_profile_refused_for_feed_forward():
    with pytest.raises(FrontendError, match="base profile forbids"):
        from_cirq(teleport(), profile="base")


def test_condition_on_unmeasured_key_is_a_clear_error():
    circuit = cirq.Circuit(cirq.X(Q[0]).with_classical_controls("never"), cirq.measure(Q[0], key="never"))
    with pytest.raises(FrontendError, match="reads measurement key 'never' before any measurement"):
        from_cirq(circuit)


def test_repeat_until_is_a_loop_that_ends_when_the_condition_holds():
    a = Q[0]
    inner = cirq.FrozenCircuit(cirq.H(a), cirq.measure(a, key="r"))
    loop = cirq.CircuitOperation(inner, repeat_until=cirq.KeyCondition(cirq.MeasurementKey("r")),
                                 use_repetition_ids=False)
    program = from_cirq(cirq.Circuit(loop, cirq.measure(a, key="out")))
    assert program.profile is qirrt.Profile.ADAPTIVE
    assert "br i1" in program.ir
    distribution = exact_distribution(program)
    assert set(distribution) == {"1 1"}
    assert distribution["1 1"] == pytest.approx(1.0, abs=1e-9)


def test_wait_becomes_timing_metadata():
    circuit = cirq.Circuit(cirq.H(Q[0]), cirq.wait(Q[0], nanos=50), cirq.H(Q[0]), cirq.measure(Q[0], key="m"))
    program = from_cirq(circuit)
    assert "__qirrt__delay" in program.ir
    assert exact_distribution(program) == pytest.approx({"0": 1.0})


def test_qudits_are_refused():
    class Qutrit(cirq.Gate):
        def _qid_shape_(self):
            return (3,)

    with pytest.raises(FrontendError, match="QIR has only qubits"):
        from_cirq(cirq.Circuit(Qutrit().on(cirq.LineQid(0, dimension=3))))
