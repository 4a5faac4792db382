"""Gate matrices by opcode for the numba kernels, from `qirrt.qir.gates` (bit j of an index = j-th qubit argument).

Both tables are module-level constants (numba freezes them into the compiled code): the fixed gates'
matrices, and the rotations' Pauli generators, so a rotation is cos(θ/2) I - i sin(θ/2) P here.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.abi import GATE_ARITY, GATE_NAMES, NUM_GATES
from qirrt.executors.local.kernels.bits import offsets
from qirrt.qir.gates import ROTATIONS, generator, matrix

ARITY = np.array(GATE_ARITY, dtype=np.int64)


def _table(of) -> np.ndarray:
    """(gate, 8, 8): `of(name)` for every gate `of` answers (None: zeros), in the top-left corner."""
    table = np.zeros((NUM_GATES, 8, 8), dtype=np.complex128)
    for op, name in enumerate(GATE_NAMES):
        m = of(name)
        if m is not None:
            table[op, :len(m), :len(m)] = m
    return table


FIXED = _table(lambda name: None if name in ROTATIONS else matrix(name))
GENERATOR = _table(lambda name: generator(name) if name in ROTATIONS else None)
IS_ROTATION = np.array([name in ROTATIONS for name in GATE_NAMES], dtype=np.bool_)
_DIAGONAL = np.array([not np.any(FIXED[op] + GENERATOR[op] - np.diag(np.diag(FIXED[op] + GENERATOR[op])))
                      for op in range(NUM_GATES)], dtype=np.bool_)


@njit(cache=True)
def gate_arity(op):
    return ARITY[op]


@njit(cache=True)
def is_diagonal_gate(op):
    return _DIAGONAL[op]


@njit(cache=True)
def gate_matrix(op, angle, m):
    """Write the gate's 2**k x 2**k matrix into the top-left corner of `m`; return k."""
    k = ARITY[op]
    size = 1 << k
    if not IS_ROTATION[op]:
        for i in range(size):
            for j in range(size):
                m[i, j] = FIXED[op, i, j]
        return k
    c = math.cos(angle / 2.0)
    s = math.sin(angle / 2.0)
    for i in range(size):
        for j in range(size):
            m[i, j] = (c if i == j else 0.0) - 1j * s * GENERATOR[op, i, j]
    return k


@njit(cache=True, inline="always")
def ascending(qubits, k, order, pos):
    """pos[:k] = the gate's qubits ascending; order[r] = the argument holding the r-th smallest."""
    for b in range(k):
        rank = 0
        for c in range(k):
            if qubits[c] < qubits[b]:
                rank += 1
        order[rank] = b
    for b in range(k):
        pos[b] = qubits[order[b]]


@njit(cache=True, inline="always")
def reindexed(g, order, k, diagonal, flat):
    """Gate matrix `g` re-indexed to ascending qubits (`order` from `ascending`), into `flat`: its diagonal,
    or the row-major 2**k square."""
    size = 1 << k
    perm = offsets(order, k)  # ascending-order index → gate-order index
    for i in range(size):
        if diagonal:
            flat[i] = g[perm[i], perm[i]]
            continue
        for j in range(size):
            flat[i * size + j] = g[perm[i], perm[j]]
