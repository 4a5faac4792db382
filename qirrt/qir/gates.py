"""Unitary matrices of the dialect's gates (`qirrt.qir.dialect.GATES`).

A k-qubit matrix is indexed with the call's first qubit argument as the most significant bit, so
`cx(control, target)` is the textbook CNOT.
"""

from __future__ import annotations

import cmath
import math

import numpy as np

_SQ2 = 1 / math.sqrt(2)

_FIXED = {
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "z": np.diag([1, -1]).astype(complex),
    "h": np.array([[_SQ2, _SQ2], [_SQ2, -_SQ2]], dtype=complex),
    "s": np.diag([1, 1j]),
    "s__adj": np.diag([1, -1j]),
    "t": np.diag([1, cmath.exp(1j * math.pi / 4)]),
    "t__adj": np.diag([1, cmath.exp(-1j * math.pi / 4)]),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "cx": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex),
    "cy": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, -1j], [0, 0, 1j, 0]], dtype=complex),
    "cz": np.diag([1, 1, 1, -1]).astype(complex),
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
}
_CCX = np.eye(8, dtype=complex)
_CCX[6:, 6:] = [[0, 1], [1, 0]]
_FIXED["ccx"] = _CCX
_PAULI = {"x": _FIXED["x"], "y": _FIXED["y"], "z": _FIXED["z"]}


def _rotation(pauli: np.ndarray, theta: float) -> np.ndarray:
    return math.cos(theta / 2) * np.eye(len(pauli)) - 1j * math.sin(theta / 2) * pauli


def matrix(name: str, angles: tuple[float, ...] | list[float] = ()) -> np.ndarray:
    """The unitary of gate `name` (canonical dialect name) with the given angles."""
    fixed = _FIXED.get(name)
    if fixed is not None:
        return fixed
    if name in ("rx", "ry", "rz"):
        return _rotation(_PAULI[name[1]], angles[0])
    if name in ("rxx", "ryy", "rzz"):
        pauli = _PAULI[name[1]]
        return _rotation(np.kron(pauli, pauli), angles[0])
    raise KeyError(f"no matrix for gate {name!r}")
