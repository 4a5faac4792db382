"""`cancel-inverses`: remove pairs of gates that multiply to the identity.

A self-inverse gate (``x``, ``h``, ``cx``, ``cz``, ``swap``, ``ccx``, ...) or one of ``s``/``s__adj``,
``t``/``t__adj`` cancels against its inverse on the same qubits when every gate between them on those
qubits commutes with it — so ``cx(a,b) rz(a) cx(a,b)`` and ``cx(a,b) cx(a,c) cx(a,b)`` lose their
outer CNOTs. Works block by block on any program; nothing crosses a barrier line.
"""

from __future__ import annotations

from dataclasses import dataclass

from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit, Gate, earlier_partners
from qirrt.qir.dialect import GATES, INVERSES

_SYMMETRIC = {"cz", "swap"}
_LOOKBACK = 64


def _inverse_name(name: str) -> str | None:
    if GATES[name].self_inverse:
        return name
    return INVERSES.get(name)


def _same_operands(a: Gate, b: Gate) -> bool:
    if a.name in _SYMMETRIC:
        return set(a.qubits) == set(b.qubits)
    if a.name == "ccx":
        return set(a.qubits[:2]) == set(b.qubits[:2]) and a.qubits[2] == b.qubits[2]
    return a.qubits == b.qubits


def cancel_block(items: list) -> tuple[list, int]:
    out: list = list(items)
    removed = 0
    for i, item in enumerate(out):
        if not isinstance(item, Gate) or item.angles:
            continue
        inverse = _inverse_name(item.name)
        if inverse is None:
            continue
        for j in earlier_partners(out, i, item, lookback=_LOOKBACK):
            other = out[j]
            if isinstance(other, Gate) and other.name == inverse and _same_operands(other, item):
                out[i] = out[j] = None
                removed += 2
                break
    return [x for x in out if x is not None], removed


@dataclass(frozen=True)
class CancelInverses(Pass):
    """Remove gate/inverse pairs separated only by gates that commute with them."""

    name = "cancel-inverses"

    def apply(self, program, ctx: PassContext):
        return Circuit.rewrite_blocks(program, cancel_block, note=str(self))


__all__ = ["CancelInverses", "cancel_block"]
