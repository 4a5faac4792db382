"""Measuring a Pauli observable's X and Y terms: the basis change before each qubit's final measurement,
and one program per qubit-wise commuting group of the observable (`measurement_circuits`)."""

from __future__ import annotations

from collections.abc import Mapping

from qirrt.errors import PassError
from qirrt.observables import (
    BoundObservable,
    MeasurementGroup,
    MeasurementLayout,
    PauliObservable,
)
from qirrt.passes.circuit import Circuit, Gate, Op

_BASIS_GATES = {"X": ("h",), "Y": ("s__adj", "h"), "Z": ()}


def with_basis_change(program, basis: Mapping[int, str]):
    """`program` with X/Y measurements turned into Z ones: gates inserted before each qubit's final mz."""
    if not any(p in ("X", "Y") for p in basis.values()):
        return program
    circuit = Circuit.from_program(program)
    last: dict[int, tuple[int, int]] = {}  # qubit -> (block index, item index) of its final measurement
    for b, block in enumerate(circuit.blocks):
        for i, item in enumerate(block.items):
            if isinstance(item, Op) and item.name in ("mz", "m", "mresetz"):
                last[item.qubit] = (b, i)
    inserts: dict[int, list[tuple[int, list]]] = {}
    for q, pauli in basis.items():
        gates = _BASIS_GATES[pauli]
        if not gates:
            continue
        if q not in last:
            raise PassError(f"the observable measures {pauli} on qubit {q}, which @{program.entry_point} never "
                            "measures: measure every qubit the observable acts on")
        b, i = last[q]
        inserts.setdefault(b, []).append((i, [Gate(g, (q,)) for g in gates]))
    for b, edits in inserts.items():
        items = circuit.blocks[b].items
        for i, gates in sorted(edits, key=lambda e: e[0], reverse=True):
            items[i:i] = gates
    label = ",".join(f"{p}{q}" for q, p in sorted(basis.items()))
    return circuit.to_program(program, note=f"measure-basis{{{label}}}")


def measurement_circuits(program, observable) -> list[tuple[object, BoundObservable, MeasurementGroup]]:
    """One (program, diagonal observable, group) per qubit-wise commuting group of `observable`."""
    observable = PauliObservable.parse(observable)
    if observable.num_qubits > program.num_qubits and any(
            q >= program.num_qubits for q in observable.support()):
        raise PassError(f"observable {observable} acts on {observable.num_qubits} qubits but "
                        f"@{program.entry_point} has {program.num_qubits}")
    out = []
    for group in observable.groups():
        measured = with_basis_change(program, group.basis)
        layout = MeasurementLayout.of(measured)
        diagonal = MeasurementGroup(group.basis, tuple((_diagonal(label), c) for label, c in group.terms))
        out.append((measured, BoundObservable.bind(diagonal, layout, f"@{program.entry_point}"), group))
    return out


def _diagonal(label: str) -> str:
    return "".join("I" if p == "I" else "Z" for p in label)


__all__ = ["measurement_circuits", "with_basis_change"]
