"""Gate matrices by opcode (numba): bit j of a matrix index is the gate's j-th qubit argument."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)
from qirrt.executors.local.abi import GATE_ARITY, OPCODES

_X, _Y, _Z, _H = OPCODES["x"], OPCODES["y"], OPCODES["z"], OPCODES["h"]
_S, _SDG, _T, _TDG, _SX = OPCODES["s"], OPCODES["s__adj"], OPCODES["t"], OPCODES["t__adj"], OPCODES["sx"]
_RX, _RY, _RZ = OPCODES["rx"], OPCODES["ry"], OPCODES["rz"]
_CX, _CY, _CZ, _SWAP = OPCODES["cx"], OPCODES["cy"], OPCODES["cz"], OPCODES["swap"]
_RXX, _RYY, _RZZ, _CCX = OPCODES["rxx"], OPCODES["ryy"], OPCODES["rzz"], OPCODES["ccx"]
ARITY = np.array(GATE_ARITY, dtype=np.int64)
_R2 = 1.0 / math.sqrt(2.0)
_T_PHASE = complex(math.cos(math.pi / 4), math.sin(math.pi / 4))


@njit(cache=True)
def gate_arity(op):
    return ARITY[op]


@njit(cache=True)
def is_diagonal_gate(op):
    return op == _Z or op == _S or op == _SDG or op == _T or op == _TDG or op == _RZ or op == _CZ or op == _RZZ


# Long (one flat branch per gate) for now on purpose: a numba kernel, kept in one compiled frame. Splitting it
# waits for @njit(inline="always") helpers measured against benchmarks/local_vs_peers.py.
@njit(cache=True)
def gate_matrix(op, angle, m):
    """Write the gate's 2**k x 2**k matrix into the top-left corner of `m` (zeroed here); return k."""
    k = ARITY[op]
    size = 1 << k
    for i in range(size):
        for j in range(size):
            m[i, j] = 0.0
    c = math.cos(angle / 2.0)
    s = math.sin(angle / 2.0)
    if op == _X:
        m[0, 1] = 1.0
        m[1, 0] = 1.0
    elif op == _Y:
        m[0, 1] = -1j
        m[1, 0] = 1j
    elif op == _Z:
        m[0, 0] = 1.0
        m[1, 1] = -1.0
    elif op == _H:
        m[0, 0] = _R2
        m[0, 1] = _R2
        m[1, 0] = _R2
        m[1, 1] = -_R2
    elif op == _S:
        m[0, 0] = 1.0
        m[1, 1] = 1j
    elif op == _SDG:
        m[0, 0] = 1.0
        m[1, 1] = -1j
    elif op == _T:
        m[0, 0] = 1.0
        m[1, 1] = _T_PHASE
    elif op == _TDG:
        m[0, 0] = 1.0
        m[1, 1] = _T_PHASE.conjugate()
    elif op == _SX:
        m[0, 0] = 0.5 + 0.5j
        m[0, 1] = 0.5 - 0.5j
        m[1, 0] = 0.5 - 0.5j
        m[1, 1] = 0.5 + 0.5j
    elif op == _RX:
        m[0, 0] = c
        m[0, 1] = -1j * s
        m[1, 0] = -1j * s
        m[1, 1] = c
    elif op == _RY:
        m[0, 0] = c
        m[0, 1] = -s
        m[1, 0] = s
        m[1, 1] = c
    elif op == _RZ:
        m[0, 0] = complex(c, -s)
        m[1, 1] = complex(c, s)
    elif op == _CX:  # bit 0 control, bit 1 target
        m[0, 0] = 1.0
        m[2, 2] = 1.0
        m[1, 3] = 1.0
        m[3, 1] = 1.0
    elif op == _CY:
        m[0, 0] = 1.0
        m[2, 2] = 1.0
        m[1, 3] = -1j
        m[3, 1] = 1j
    elif op == _CZ:
        m[0, 0] = 1.0
        m[1, 1] = 1.0
        m[2, 2] = 1.0
        m[3, 3] = -1.0
    elif op == _SWAP:
        m[0, 0] = 1.0
        m[1, 2] = 1.0
        m[2, 1] = 1.0
        m[3, 3] = 1.0
    elif op == _RXX:
        for i in range(4):
            m[i, i] = c
            m[i, 3 - i] = -1j * s
    elif op == _RYY:
        for i in range(4):
            m[i, i] = c
        m[0, 3] = 1j * s
        m[3, 0] = 1j * s
        m[1, 2] = -1j * s
        m[2, 1] = -1j * s
    elif op == _RZZ:
        m[0, 0] = complex(c, -s)
        m[1, 1] = complex(c, s)
        m[2, 2] = complex(c, s)
        m[3, 3] = complex(c, -s)
    elif op == _CCX:  # bits 0, 1 controls, bit 2 target
        for i in range(8):
            m[i, i] = 1.0
        m[3, 3] = 0.0
        m[7, 7] = 0.0
        m[3, 7] = 1.0
        m[7, 3] = 1.0
    return k
