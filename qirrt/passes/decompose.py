"""`decompose{basis=...}`: translate every gate into a basis (a target's native gates by default).

Each dialect gate has a few exact rewrites (equal up to a global phase) into other gates; the pass
picks, per basis, the rewrite whose gates are all reachable, by a fixed-point over the rule table,
so ``basis=rz,sx,x,cx`` (IBM), ``rz,sx,x,cz`` (IBM Heron), ``rx,ry,rz,cz`` or ``h,s,t,cx`` (for
angle-free programs) all work. Rotation angles are `Angle`s: parameter-derived angles stay symbolic
(an ``rx(θ)`` becomes ``rz(π/2) sx rz(θ+π) sx rz(π/2)`` with one `fadd` for ``θ+π``).

Works block by block on any program, adaptive included: a gate becomes its rewrite in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from qirrt.errors import PassError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Angle, Circuit, Gate, Raw
from qirrt.qir.dialect import GATES

PI = math.pi
Rule = Callable[[tuple[Angle, ...], tuple[int, ...]], list[Gate]]


def _g(name: str, *qubits: int, angle: Angle | float | None = None) -> Gate:
    return Gate(name, tuple(qubits), () if angle is None else (Angle.of(angle),))


RULES: dict[str, list[Rule]] = {
    "x": [lambda a, q: [_g("rx", *q, angle=PI)],
          lambda a, q: [_g("sx", *q), _g("sx", *q)],
          lambda a, q: [_g("h", *q), _g("z", *q), _g("h", *q)]],
    "y": [lambda a, q: [_g("ry", *q, angle=PI)],
          lambda a, q: [_g("z", *q), _g("x", *q)]],
    "z": [lambda a, q: [_g("rz", *q, angle=PI)],
          lambda a, q: [_g("s", *q), _g("s", *q)],
          lambda a, q: [_g("h", *q), _g("x", *q), _g("h", *q)]],
    "h": [lambda a, q: [_g("rz", *q, angle=PI / 2), _g("sx", *q), _g("rz", *q, angle=PI / 2)],
          lambda a, q: [_g("z", *q), _g("ry", *q, angle=PI / 2)],
          lambda a, q: [_g("rz", *q, angle=PI), _g("ry", *q, angle=PI / 2)]],
    "s": [lambda a, q: [_g("rz", *q, angle=PI / 2)],
          lambda a, q: [_g("t", *q), _g("t", *q)]],
    "s__adj": [lambda a, q: [_g("rz", *q, angle=-PI / 2)],
               lambda a, q: [_g("s", *q), _g("z", *q)]],
    "t": [lambda a, q: [_g("rz", *q, angle=PI / 4)]],
    "t__adj": [lambda a, q: [_g("rz", *q, angle=-PI / 4)],
               lambda a, q: [_g("t", *q), _g("s__adj", *q)]],
    "sx": [lambda a, q: [_g("rx", *q, angle=PI / 2)],
           lambda a, q: [_g("h", *q), _g("s", *q), _g("h", *q)]],
    "rx": [lambda a, q: [_g("rz", *q, angle=PI / 2), _g("sx", *q), _g("rz", *q, angle=a[0] + PI),
                         _g("sx", *q), _g("rz", *q, angle=PI / 2)],
           lambda a, q: [_g("h", *q), _g("rz", *q, angle=a[0]), _g("h", *q)],
           lambda a, q: [_g("rz", *q, angle=PI / 2), _g("ry", *q, angle=a[0]), _g("rz", *q, angle=-PI / 2)]],
    "ry": [lambda a, q: [_g("sx", *q), _g("rz", *q, angle=a[0] + PI), _g("sx", *q), _g("rz", *q, angle=PI)],
           lambda a, q: [_g("rz", *q, angle=-PI / 2), _g("rx", *q, angle=a[0]), _g("rz", *q, angle=PI / 2)],
           lambda a, q: [_g("rx", *q, angle=PI / 2), _g("rz", *q, angle=a[0]), _g("rx", *q, angle=-PI / 2)]],
    "rz": [lambda a, q: [_g("h", *q), _g("rx", *q, angle=a[0]), _g("h", *q)],
           lambda a, q: [_g("rx", *q, angle=-PI / 2), _g("ry", *q, angle=a[0]), _g("rx", *q, angle=PI / 2)]],
    "cx": [lambda a, q: [_g("h", q[1]), _g("cz", *q), _g("h", q[1])]],
    "cz": [lambda a, q: [_g("h", q[1]), _g("cx", *q), _g("h", q[1])]],
    "cy": [lambda a, q: [_g("s__adj", q[1]), _g("cx", *q), _g("s", q[1])]],
    "swap": [lambda a, q: [_g("cx", q[0], q[1]), _g("cx", q[1], q[0]), _g("cx", q[0], q[1])]],
    "rzz": [lambda a, q: [_g("cx", *q), _g("rz", q[1], angle=a[0]), _g("cx", *q)]],
    "rxx": [lambda a, q: [_g("h", q[0]), _g("h", q[1]), _g("rzz", *q, angle=a[0]), _g("h", q[0]), _g("h", q[1])]],
    "ryy": [lambda a, q: [_g("rx", q[0], angle=PI / 2), _g("rx", q[1], angle=PI / 2), _g("rzz", *q, angle=a[0]),
                          _g("rx", q[0], angle=-PI / 2), _g("rx", q[1], angle=-PI / 2)]],
    "ccx": [lambda a, q: [
        _g("h", q[2]), _g("cx", q[1], q[2]), _g("t__adj", q[2]), _g("cx", q[0], q[2]), _g("t", q[2]),
        _g("cx", q[1], q[2]), _g("t__adj", q[2]), _g("cx", q[0], q[2]), _g("t", q[1]), _g("t", q[2]),
        _g("h", q[2]), _g("cx", q[0], q[1]), _g("t", q[0]), _g("t__adj", q[1]), _g("cx", q[0], q[1])]],
}
"""Gate → rewrites in circuit (time) order, each exact up to a global phase; tests check every one."""

_PROBE_QUBITS = (0, 1, 2)
_PROBE_ANGLES = (Angle(0.1),)


def plan(basis: frozenset[str]) -> dict[str, int]:
    """For each gate reachable from `basis`, the index of the rule to use (-1: already in the basis)."""
    unknown = sorted(set(basis) - set(GATES))
    if unknown:
        raise PassError(f"basis names gates the dialect does not have: {', '.join(unknown)} "
                        f"(dialect gates: {', '.join(GATES)})")
    chosen = {g: -1 for g in basis}
    changed = True
    while changed:
        changed = False
        for gate, rules in RULES.items():
            if gate in chosen:
                continue
            spec = GATES[gate]
            for index, rule in enumerate(rules):
                produced = rule(_PROBE_ANGLES[: spec.num_params], _PROBE_QUBITS[: spec.num_qubits])
                if all(p.name in chosen for p in produced):
                    chosen[gate] = index
                    changed = True
                    break
    return chosen


def expand(gate: Gate, chosen: dict[str, int]) -> list[Gate]:
    """`gate` rewritten into the basis `chosen` was planned for."""
    index = chosen.get(gate.name)
    if index is None:
        raise PassError(f"gate '{gate.name}' cannot be expressed in the basis "
                        f"{{{', '.join(sorted(g for g, i in chosen.items() if i == -1))}}}")
    if index == -1:
        return [gate]
    out: list[Gate] = []
    for produced in RULES[gate.name][index](gate.angles, gate.qubits):
        out.extend(expand(produced, chosen))
    return out


def _neighbour_cx(items, qubits: set[int]) -> Gate | None:
    """The first gate in `items` touching `qubits`, if it is a CNOT on exactly that pair."""
    for item in items:
        touched = set(item.qubits) if isinstance(item, Gate) else {item.qubit} if hasattr(item, "qubit") else set()
        if not touched and not (isinstance(item, Raw) and not item.pure):
            continue
        if isinstance(item, Gate) and item.name == "cx" and set(item.qubits) == qubits:
            return item
        if touched & qubits or isinstance(item, Raw):
            return None
    return None


def _oriented_swap(swap: Gate, before: list, after: list) -> Gate:
    """The swap with its qubits ordered so its outer CNOTs match a neighbouring CNOT on the pair,
    which `cancel-inverses` then removes (a swap next to a CNOT costs two CNOTs, not three)."""
    pair = set(swap.qubits)
    neighbour = _neighbour_cx(reversed(before), pair) or _neighbour_cx(after, pair)
    if neighbour is not None and neighbour.qubits != swap.qubits:
        return Gate("swap", neighbour.qubits)
    return swap


@dataclass(frozen=True)
class Decompose(Pass):
    """Translate gates into `basis` (default: the target's native gates, e.g. rz,sx,x,cx)."""

    name = "decompose"
    basis: tuple[str, ...] = ()

    def resolve_basis(self, ctx: PassContext) -> frozenset[str]:
        if self.basis:
            return frozenset(self.basis)
        if ctx.target is not None:
            return ctx.target.basis
        raise PassError("pass 'decompose' needs a basis: give decompose{basis=rz,sx,x,cx} or a target")

    def apply(self, program, ctx: PassContext):
        chosen = plan(self.resolve_basis(ctx))
        circuit = Circuit.from_program(program)
        changed = False
        orient = chosen.get("cx") == -1 and chosen.get("swap") == 0
        for block in circuit.blocks:
            items = []
            for index, item in enumerate(block.items):
                if isinstance(item, Gate) and chosen.get(item.name) != -1:
                    if orient and item.name == "swap":
                        item = _oriented_swap(item, items, block.items[index + 1:])
                    items.extend(expand(item, chosen))
                    changed = True
                else:
                    items.append(item)
            block.items = items
        if not changed:
            return program
        return circuit.to_program(program, note=str(self))


__all__ = ["RULES", "Decompose", "expand", "plan"]
