"""Shared by the pass tests: corpus programs and their exact distributions (cached), and gate-list unitaries."""

from __future__ import annotations

import numpy as np

import qirrt
from qirrt.qir.exact import exact_distribution
from qirrt.qir.gates import matrix
from tests.corpus import CORPUS

SMALL = [name for name, build in CORPUS.items() if build().num_qubits <= 6]
"""Corpus entries small enough for fast exact distributions."""

_programs: dict = {}
_distributions: dict = {}


def corpus_program(name: str):
    if name not in _programs:
        _programs[name] = qirrt.load(CORPUS[name]())
    return _programs[name]


def corpus_distribution(name: str) -> dict[str, float]:
    if name not in _distributions:
        _distributions[name] = exact_distribution(corpus_program(name))
    return _distributions[name]


def unitary(gates, n: int):
    """The 2^n × 2^n matrix of a gate list (constant angles), qubit 0 the most significant tensor axis."""
    u = np.eye(2 ** n, dtype=complex).reshape((2,) * (2 * n))
    for g in gates:
        k = len(g.qubits)
        m = matrix(g.name, [a.const for a in g.angles]).reshape((2,) * (2 * k))
        axes = list(reversed(g.qubits))  # the gate matrix's most significant bit is its last qubit
        u = np.tensordot(m, u, axes=(list(range(k, 2 * k)), axes))
        u = np.moveaxis(u, list(range(k)), axes)
    return u.reshape(2 ** n, 2 ** n)
