"""Exact distributions of Qiskit circuits computed by Qiskit itself, keyed as Qiskit's counts."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector


def qiskit_key(circuit: QuantumCircuit, clbit_values: dict[int, int]) -> str:
    """Qiskit's count key: registers in reverse order separated by spaces, bit 0 rightmost."""
    words = []
    for register in reversed(circuit.cregs):
        bits = [clbit_values.get(circuit.find_bit(b).index, 0) for b in register]
        words.append("".join(str(v) for v in reversed(bits)))
    return " ".join(words)


def exact_counts(circuit: QuantumCircuit) -> dict[str, float]:
    """Exact count-key probabilities of a circuit whose measurements are all final."""
    measured: dict[int, int] = {}
    body = circuit.copy_empty_like()
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            measured[circuit.find_bit(instruction.clbits[0]).index] = circuit.find_bit(instruction.qubits[0]).index
        elif instruction.operation.name != "barrier":
            body.append(instruction)
    probabilities = Statevector(body).probabilities()
    out: dict[str, float] = {}
    for index in np.nonzero(probabilities > 1e-14)[0]:
        values = {c: (int(index) >> q) & 1 for c, q in measured.items()}
        key = qiskit_key(circuit, values)
        out[key] = out.get(key, 0.0) + float(probabilities[index])
    return out
