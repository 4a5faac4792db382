"""Lowering a transpiled circuit back to QIR: the physical qubits it uses, the program's own outputs.

`to_qiskit` raised the program (its output records kept as a template in the circuit's metadata);
Qiskit mapped it onto a device's physical qubits. `lower_placed` lowers that circuit onto only the
physical qubits it touches (module qubit i is ``physical[i]``), keeps the program's parameter order
(so values bind as before, even when a parameter was optimised away), and records outputs from the
template rather than Qiskit's registers, so the compiled program's count keys are the source's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qirrt.bindings._profile import choose_profile
from qirrt.bindings.qiskit.from_circuit import _Lowering
from qirrt.errors import FrontendError

if TYPE_CHECKING:
    from qiskit.circuit import QuantumCircuit

    from qirrt.qir.program import Profile


def used_qubits(circuit: QuantumCircuit) -> set[int]:
    """Indices of the qubits any instruction acts on, control-flow bodies included."""
    used: set[int] = set()
    for instruction in circuit.data:
        if instruction.operation.name in ("barrier", "delay"):
            continue
        used.update(circuit.find_bit(q).index for q in instruction.qubits)
    return used


def lower_placed(circuit: QuantumCircuit, *, physical: list[int], records: list, parameters: tuple[str, ...],
                 entry_point: str, profile: Profile | None) -> str:
    """QIR text of `circuit` on module qubits ``0..len(physical)-1`` (module qubit i = circuit qubit
    ``physical[i]``), with output records from `records` (`to_qiskit`'s template)."""
    index = {p: i for i, p in enumerate(physical)}
    qubit_map = [index.get(q, -1) for q in range(circuit.num_qubits)]
    lowering = _Lowering(circuit, entry_point=entry_point, labeled=True, parameters=parameters)
    lowering.lower(circuit, qubit_map, list(range(circuit.num_clbits)))
    emitter = lowering.emitter
    for kind, source, value in records:
        if source == "clbit" and kind == "result":
            emitter.record_result(value)
        elif source == "clbit" and kind == "bool":
            emitter.record_bool(emitter.read_result(value))
            lowering.adaptive = True
        elif kind in ("array", "tuple"):
            getattr(emitter, f"record_{kind}")(int(value))
        elif kind == "int":
            emitter.record_int(int(value))
        elif kind == "double":
            emitter.record_double(float(value))
        elif kind == "bool":
            emitter.record_bool("true" if value else "false")
        else:
            raise FrontendError(f"cannot lower an output record of kind {kind!r} from {source!r}")
    chosen = choose_profile(lowering.adaptive, profile,
                            refusal=f"the transpiled circuit '{circuit.name}' acts on a qubit after measuring it, "
                                    f"which the base profile forbids")
    return emitter.finish(chosen, num_qubits=len(physical), num_results=circuit.num_clbits)


__all__ = ["lower_placed", "used_qubits"]
