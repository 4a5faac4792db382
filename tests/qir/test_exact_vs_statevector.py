"""`exact_distribution` against Qiskit's `Statevector` on every static corpus circuit, to 1e-9.

The reference is independent of qirrt: the circuit's unitary part runs in `Statevector`, and its
`probabilities_dict` is folded onto the classical bits its terminal measurements write, keyed the way
Qiskit keys counts (registers last-first, separated by spaces).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import Statevector

import qirrt
from qirrt.qir.exact import exact_distribution
from tests.corpus import CONTROL_FLOW, CORPUS, random_static
from tests.stats import assert_same_distribution

STATIC = sorted(name for name in CORPUS if name not in CONTROL_FLOW)


def statevector_distribution(circuit: QuantumCircuit) -> dict[str, float]:
    """Probabilities of the classical registers after the circuit's terminal measurements."""
    unitary = QuantumCircuit(*circuit.qregs)
    measured: dict[int, int] = {}  # clbit index → qubit index
    for instruction in circuit.data:
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if instruction.operation.name == "measure":
            measured[circuit.find_bit(instruction.clbits[0]).index] = qubits[0]
        elif instruction.operation.name != "barrier":
            assert not set(qubits) & set(measured.values()), f"{circuit.name}: a gate after a measurement"
            assert not instruction.clbits, f"{circuit.name}: a classically controlled operation"
            unitary.append(instruction.operation, instruction.qubits)
    width = circuit.num_qubits
    out: dict[str, float] = {}
    for bits, p in Statevector(unitary).probabilities_dict().items():
        value = {clbit: bits[width - 1 - qubit] for clbit, qubit in measured.items()}
        key = " ".join(
            "".join(value.get(circuit.find_bit(bit).index, "0") for bit in reversed(register))
            for register in reversed(circuit.cregs)
        )
        out[key] = out.get(key, 0.0) + p
    return {key: p for key, p in out.items() if p > 1e-15}


def test_the_static_corpus_is_most_of_it():
    assert len(STATIC) >= 40
    assert {"ghz8", "qft6", "grover4", "registers", "toffoli", "expressions_bound"} <= set(STATIC)


@pytest.mark.parametrize("name", STATIC)
def test_exact_equals_statevector_on_the_corpus(name):
    circuit = CORPUS[name]()
    assert_same_distribution(exact_distribution(qirrt.load(circuit)), statevector_distribution(circuit), atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), depth=st.integers(1, 12), seed=st.integers(0, 2**31 - 1))
def test_exact_equals_statevector_on_random_circuits(n, depth, seed):
    circuit = random_static(n, depth, seed)
    assert_same_distribution(exact_distribution(qirrt.load(circuit)), statevector_distribution(circuit), atol=1e-9)


def test_the_reference_reads_registers_the_way_qiskit_keys_counts():
    """A check of the checker: x on qubit 1, measured into the second register's bit 0."""
    circuit = QuantumCircuit(QuantumRegister(2), ClassicalRegister(1, "a"), ClassicalRegister(2, "b"))
    circuit.x(1)
    circuit.measure(0, 0)
    circuit.measure(1, 1)
    assert statevector_distribution(circuit) == {"01 0": 1.0}
