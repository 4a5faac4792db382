"""`merge-rotations`: fuse rotations about the same axis that meet on a qubit.

Walking back from each rotation over gates it commutes with (on each shared qubit both act through
the same Pauli), it finds the previous rotation about the same axis and adds the angles: ``rz(a)``
and ``rz(b)`` become ``rz(a+b)``, ``rx(θ)`` after ``sx`` becomes ``rx(θ + π/2)``; fixed gates (``x``,
``sx``, ``y``, ``z``, ``s``, ``t`` and adjoints) join only a parametric rotation, so the gate set never
grows. ``rxx``/``ryy``/``rzz`` on the same pair merge too. A merged constant angle that is a multiple of
2π drops the gate (identity up to a global phase). Parameter-derived angles merge symbolically
(`Angle` sums; one `fadd` at most per merge), and the merged gate sits where the later one was, after
every SSA value it uses.

Works block by block on any program (adaptive included); nothing moves across a barrier line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Angle, Circuit, Gate, earlier_partners

_AXIS = {"rx": "X", "ry": "Y", "rz": "Z"}
_FIXED = {"x": ("X", math.pi), "sx": ("X", math.pi / 2), "y": ("Y", math.pi), "z": ("Z", math.pi),
          "s": ("Z", math.pi / 2), "s__adj": ("Z", -math.pi / 2), "t": ("Z", math.pi / 4),
          "t__adj": ("Z", -math.pi / 4)}
_PAIR = {"rxx", "ryy", "rzz"}
_LOOKBACK = 64
_TWO_PI = 2 * math.pi


def _rotation(gate: Gate) -> tuple[str, Angle, bool] | None:
    """(axis, angle, parametric) of a one-qubit gate that is a rotation up to phase."""
    if gate.name in _AXIS:
        return _AXIS[gate.name], gate.angles[0], True
    if gate.name in _FIXED:
        axis, angle = _FIXED[gate.name]
        return axis, Angle(angle), False
    return None


def _merge(earlier: Gate, later: Gate) -> Gate | None:
    """The single gate equal to `earlier` then `later`, or None when they do not merge."""
    if later.name in _PAIR:
        if earlier.name == later.name and set(earlier.qubits) == set(later.qubits):
            return Gate(later.name, later.qubits, (earlier.angles[0] + later.angles[0],))
        return None
    if len(later.qubits) != 1 or earlier.qubits != later.qubits:
        return None
    a, b = _rotation(earlier), _rotation(later)
    if a is None or b is None or a[0] != b[0] or not (a[2] or b[2]):
        return None
    name = later.name if b[2] else earlier.name
    return Gate(name, later.qubits, (a[1] + b[1],))


def _is_identity(gate: Gate) -> bool:
    return (gate.name in _AXIS or gate.name in _PAIR) and gate.angles[0].is_multiple_of(_TWO_PI)


def merge_block(items: list) -> tuple[list, int]:
    """Merge rotations in one block; returns the new items and the number of gates removed."""
    out: list = list(items)
    removed = 0
    for i, item in enumerate(out):
        if not isinstance(item, Gate) or not (item.name in _AXIS or item.name in _FIXED or item.name in _PAIR):
            continue
        for j in earlier_partners(out, i, item, lookback=_LOOKBACK):
            other = out[j]
            merged = _merge(other, item) if isinstance(other, Gate) else None
            if merged is not None:
                out[j] = None
                out[i] = item = merged
                removed += 1
                break
        if isinstance(item, Gate) and _is_identity(item):
            out[i] = None
            removed += 1
    return [x for x in out if x is not None], removed


@dataclass(frozen=True)
class MergeRotations(Pass):
    """Fuse same-axis rotations that meet on a qubit (see the module docstring)."""

    name = "merge-rotations"

    def apply(self, program, ctx: PassContext):
        return Circuit.rewrite_blocks(program, merge_block, note=str(self))


__all__ = ["MergeRotations", "merge_block"]
