"""Unitary matrices of the dialect's gates (`qirrt.qir.dialect.GATES`).

Little-endian, Qiskit's order: bit j of a k-qubit matrix's index is the call's j-th qubit argument.
So `cx(control, target)` swaps indices 1 (control set) and 3 (both set), and `np.kron(b, a)` is `a` on
the first argument and `b` on the second.
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
    "cx": np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=complex),
    "cy": np.array([[1, 0, 0, 0], [0, 0, 0, -1j], [0, 0, 1, 0], [0, 1j, 0, 0]], dtype=complex),
    "cz": np.diag([1, 1, 1, -1]).astype(complex),
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
}
_CCX = np.eye(8, dtype=complex)  # controls: bits 0 and 1; target: bit 2
_CCX[[3, 7], [3, 7]] = 0
_CCX[[3, 7], [7, 3]] = 1
_FIXED["ccx"] = _CCX
for _m in _FIXED.values():
    _m.setflags(write=False)
_PAULI = {"x": _FIXED["x"], "y": _FIXED["y"], "z": _FIXED["z"]}
ROTATIONS = ("rx", "ry", "rz", "rxx", "ryy", "rzz")
"""The gates with one angle; every other gate of the dialect is fixed."""


def generator(name: str) -> np.ndarray:
    """The Pauli product P of rotation `name`: `matrix(name, [theta])` is exp(-i theta P / 2)."""
    if name not in ROTATIONS:
        raise KeyError(f"{name!r} is not a rotation; rotations: {', '.join(ROTATIONS)}")
    pauli = _PAULI[name[1]]
    return pauli if len(name) == 2 else np.kron(pauli, pauli)


def matrix(name: str, angles: tuple[float, ...] | list[float] = ()) -> np.ndarray:
    """The unitary of gate `name` (canonical dialect name) with the given angles (read-only when fixed)."""
    fixed = _FIXED.get(name)
    if fixed is not None:
        return fixed
    if name not in ROTATIONS:
        raise KeyError(f"no matrix for gate {name!r}")
    pauli = generator(name)
    theta = angles[0]
    return math.cos(theta / 2) * np.eye(len(pauli)) - 1j * math.sin(theta / 2) * pauli
