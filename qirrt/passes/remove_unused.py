"""`remove-unused`: drop gates whose effect no measurement can see, then unused qubits.

In a straight-line program a backward sweep keeps a gate only when one of its qubits is still going
to influence a measurement (a gate joins its qubits' futures; a reset cuts a qubit's past off). In an
adaptive program the pass keeps every gate connected, anywhere, to a measured qubit — order-blind and
therefore safe across branches. Qubits left with no operation are then renumbered away (results are
untouched, so count keys do not change); a physical layout, if any, is renumbered with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit, Gate, Op

_MEASURE = {"mz", "m", "mresetz"}


def _live_straight(items: list) -> list:
    live: set[int] = set()
    kept: list = []
    for item in reversed(items):
        if isinstance(item, Op):
            if item.name in _MEASURE:
                live.add(item.qubit)
                kept.append(item)
            elif item.name == "reset":
                if item.qubit in live:
                    kept.append(item)
                    live.discard(item.qubit)
            elif item.qubit in live:  # delay
                kept.append(item)
        elif isinstance(item, Gate):
            if live & set(item.qubits):
                live.update(item.qubits)
                kept.append(item)
        else:
            kept.append(item)
    kept.reverse()
    return kept


def _connected_to_measured(circuit: Circuit) -> set[int]:
    live = {item.qubit for item in circuit.items() if isinstance(item, Op) and item.name in _MEASURE}
    changed = True
    while changed:
        changed = False
        for item in circuit.gates():
            if live & set(item.qubits) and not set(item.qubits) <= live:
                live.update(item.qubits)
                changed = True
    return live


@dataclass(frozen=True)
class RemoveUnused(Pass):
    """Remove gates no measurement depends on, and renumber away qubits left idle."""

    name = "remove-unused"
    compact: bool = True

    def apply(self, program, ctx: PassContext):
        circuit = Circuit.from_program(program)
        if circuit.opaque_quantum():
            return program  # qubits used through calls the pass cannot read: change nothing
        before = sum(1 for item in circuit.items() if isinstance(item, (Gate, Op)))
        if circuit.is_straight_line:
            circuit.blocks[0].items = _live_straight(circuit.blocks[0].items)
        else:
            live = _connected_to_measured(circuit)
            for block in circuit.blocks:
                block.items = [item for item in block.items
                               if not (isinstance(item, Gate) and not live & set(item.qubits))]
        after = sum(1 for item in circuit.items() if isinstance(item, (Gate, Op)))
        renumbered = self.compact and _compact(circuit)
        if before == after and not renumbered:
            return program
        return circuit.to_program(program, note=f"{self} (-{before - after} operations)")


def _compact(circuit: Circuit) -> bool:
    used = sorted(circuit.used_qubits())
    if used == list(range(circuit.num_qubits)):
        return False
    index = {q: i for i, q in enumerate(used)}
    for block in circuit.blocks:
        for item in block.items:
            if isinstance(item, Gate):
                item.qubits = tuple(index[q] for q in item.qubits)
            elif isinstance(item, Op):
                item.qubit = index[item.qubit]
    if circuit.physical is not None:
        circuit.physical = [circuit.physical[q] for q in used]
    circuit.num_qubits = len(used)
    return True


__all__ = ["RemoveUnused"]
