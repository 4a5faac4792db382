"""Qiskit → Program: the 50-circuit corpus round-trips with equal exact distributions."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Instruction, Parameter
from qiskit_aer import AerSimulator

import qirrt
from qirrt.bindings.qiskit.from_circuit import from_qiskit
from qirrt.errors import FrontendError
from qirrt.qir.exact import exact_distribution
from tests.corpus import CONTROL_FLOW, CORPUS, DYNAMIC, expression_ansatz, teleport
from tests.reference import exact_counts
from tests.stats import assert_distribution, assert_same_distribution

STATIC = sorted(set(CORPUS) - CONTROL_FLOW)


@pytest.mark.parametrize("name", STATIC)
def test_static_corpus_matches_statevector(name):
    circuit = CORPUS[name]()
    program = qirrt.load(circuit)
    assert program.profile is qirrt.Profile.BASE
    assert_same_distribution(exact_distribution(program), exact_counts(circuit))


@pytest.mark.parametrize("name", sorted(CONTROL_FLOW))
def test_control_flow_corpus_matches_aer(name):
    """Exact QIR semantics vs Aer's sampling of the source circuit: G-test, p > 0.001."""
    circuit = CORPUS[name]()
    program = qirrt.load(circuit)
    expected = qirrt.Profile.ADAPTIVE if name in DYNAMIC else qirrt.Profile.BASE
    assert program.profile is expected
    counts = AerSimulator(method="statevector", seed_simulator=11).run(circuit, shots=20_000).result().get_counts()
    assert_distribution(counts, exact_distribution(program))


def test_teleportation_moves_the_state_exactly():
    theta = 0.8
    distribution = exact_distribution(qirrt.load(teleport(theta)))
    p_one = sum(p for key, p in distribution.items() if key.split(" ")[0] == "1")
    assert p_one == pytest.approx(math.sin(theta / 2) ** 2, abs=1e-12)
    assert sum(distribution.values()) == pytest.approx(1.0)


def test_parameters_are_runtime_arguments_in_qiskit_order():
    circuit = expression_ansatz()
    program = qirrt.load(circuit)
    assert program.parameters == tuple(p.name for p in circuit.parameters)
    assert program.is_parametric
    rng = np.random.default_rng(3)
    for _ in range(3):
        values = rng.uniform(-math.pi, math.pi, len(program.parameters))
        bound = circuit.assign_parameters(values)
        assert_same_distribution(exact_distribution(program, params=values), exact_counts(bound))


def test_keys_read_like_qiskit_counts_with_several_registers():
    circuit = CORPUS["registers"]()
    distribution = exact_distribution(qirrt.load(circuit))
    assert set(distribution) == {"000 01", "001 01", "101 01", "100 01",
                                 "010 01", "011 01", "111 01", "110 01"} & set(distribution)
    assert all(re.fullmatch(r"[01]{3} [01]{2}", key) for key in distribution)
    assert_same_distribution(distribution, exact_counts(circuit))


def test_same_circuit_same_hash_and_round_trip_through_text_and_bitcode():
    first, second = qirrt.load(CORPUS["qft4"]()), qirrt.load(CORPUS["qft4"]())
    assert first.hash == second.hash
    again = qirrt.load(first.to_ir())
    from_bitcode = qirrt.load(first.to_bitcode())
    assert again.hash == first.hash == from_bitcode.hash
    assert again.entry_point == first.entry_point


def test_gate_without_definition_is_a_clear_error():
    circuit = QuantumCircuit(2, name="opaque")
    circuit.append(Instruction("mystery", 2, 0, []), [0, 1])
    with pytest.raises(FrontendError, match=re.escape("cannot lower Qiskit instruction 'mystery' on qubits [0, 1]")):
        qirrt.load(circuit)


def test_base_profile_refused_for_feed_forward():
    with pytest.raises(FrontendError, match="base profile forbids"):
        from_qiskit(teleport(0.3), profile="base")


def test_delay_is_kept_as_timing_metadata():
    circuit = QuantumCircuit(1, 1)
    circuit.h(0)
    circuit.delay(120, 0, unit="ns")
    circuit.h(0)
    circuit.measure(0, 0)
    circuit.delay(2, 0, unit="us")
    circuit.delay(7, 0, unit="dt")
    program = qirrt.load(circuit)
    assert "__qirrt__delay" in program.ir
    assert exact_distribution(program) == pytest.approx({"0": 1.0})
    assert "double 1.200000e+02, i64 0" in program.canonical_ir  # nanoseconds
    assert "double 2.000000e+03, i64 0" in program.canonical_ir  # 2 us, in nanoseconds
    assert "double 7.000000e+00, i64 1" in program.canonical_ir  # device samples (dt)


def test_resources_count_gates_depth_and_branches():
    resources = qirrt.load(CORPUS["teleport"]()).resources()
    assert resources.gate_counts == {"ry": 1, "h": 2, "cx": 2, "x": 1, "z": 1}
    assert resources.two_qubit_gates == 2
    assert resources.measurements == 3
    assert resources.branches == 2
    assert resources.depth == 5


def test_unbound_parameter_in_standard_gate_keeps_symbolic_angle():
    theta = Parameter("theta")
    circuit = QuantumCircuit(1, 1)
    circuit.rx(theta / 2, 0)
    circuit.measure(0, 0)
    program = qirrt.load(circuit)
    assert program.parameters == ("theta",)
    probability = exact_distribution(program, params=[2.0])["1"]
    assert probability == pytest.approx(math.sin(0.5) ** 2)
