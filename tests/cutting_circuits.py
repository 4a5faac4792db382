"""Circuits to cut, each unmeasured with its observable and the widest piece: shared by the cutting tests
and `benchmarks/cutting.py`."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit


def two_blocks() -> tuple[QuantumCircuit, dict, int]:
    qc = QuantumCircuit(12)
    rng = np.random.default_rng(5)
    for start in (0, 6):
        for q in range(start, start + 6):
            qc.ry(rng.uniform(0.2, 1.2), q)
        for q in range(start, start + 5):
            qc.cx(q, q + 1)
    qc.cx(5, 6)
    qc.cx(4, 7)
    for q in range(12):
        qc.ry(rng.uniform(0.2, 1.2), q)
    return qc, {"I" * 5 + "ZZ" + "I" * 5: 0.5, "I" * 4 + "ZIIZ" + "I" * 4: 1.0}, 6


def ladder() -> tuple[QuantumCircuit, dict, int]:
    qc = QuantumCircuit(12)
    rng = np.random.default_rng(7)
    for layer in range(2):
        for q in range(12):
            qc.ry(rng.uniform(0.1, 1.5), q)
        for start in (0, 6):
            for q in range(start + layer % 2, start + 5, 2):
                qc.cx(q, q + 1)
            for q in range(start + 1 - layer % 2, start + 5, 2):
                qc.cx(q, q + 1)
    qc.cx(5, 6)
    for q in range(12):
        qc.rx(rng.uniform(0.1, 1.5), q)
    return qc, {"I" * 5 + "ZZ" + "I" * 5: 1.0, "I" * 6 + "Z" * 6: 0.5}, 6


def hub() -> tuple[QuantumCircuit, dict, int]:
    qc = QuantumCircuit(9)
    for q in range(9):
        qc.ry(0.3 + 0.1 * q, q)
    for q in (0, 1, 2, 3):
        qc.cx(4, q)
    qc.ry(0.9, 4)
    for q in (5, 6, 7, 8):
        qc.cx(4, q)
    return qc, {"ZIIIIIIIZ": 1.0, "IIIIZIIIZ": 0.5}, 5
