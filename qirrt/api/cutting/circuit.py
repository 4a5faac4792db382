"""A `Program` as a circuit the cutting library takes, and its subexperiments back as `Program`s.

qiskit-addon-cutting cuts circuits of gates only (no classical bits). The program is raised to Qiskit
with qirrt's own binding (`to_qiskit`; qubit i is QIR qubit i, clbit r is result r), and then:

* each qubit's **final measurement** is dropped: the library appends the observable's measurements;
* a **mid-circuit measurement** whose result nothing reads (it is only recorded) is a channel on the
  qubit like any other, so it stays in the circuit as a one-qubit placeholder instruction the library
  carries through cut finding, partitioning and QPD decomposition untouched; in each subexperiment the
  placeholder becomes a measurement into its own register again (``qirrt_mid``), whose bits the
  reconstruction ignores;
* **feed-forward** (an ``if_else``, ``while_loop`` or ``switch_case`` on measured bits) is refused with
  a `CuttingError` naming the operation, its place and the results it reads: the library decomposes
  no classically controlled operation;
* gates on three or more qubits are decomposed (the library cuts one- and two-qubit gates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qirrt.api.cutting.options import CuttingError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from qirrt.qir.program import Program

MID_MEASURE = "qirrt_mid_measure"
"""Name of the placeholder a mid-circuit measurement travels as through the cutting library."""
MID_REGISTER = "qirrt_mid"
FEED_FORWARD = ("if_else", "while_loop", "switch_case", "for_loop", "box")


@dataclass(frozen=True)
class Cuttable:
    """The program's gates as a clbit-free circuit, and which qubits it measures at the end."""

    circuit: QuantumCircuit
    measured: frozenset[int]
    mid_measurements: int


def cuttable(program: Program) -> Cuttable:
    """`program` as a circuit qiskit-addon-cutting accepts, or a `CuttingError` naming what it cannot cut."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Instruction

    from qirrt.bindings.qiskit.to_circuit import to_qiskit

    raised = to_qiskit(program)
    index_of = {q: i for i, q in enumerate(raised.qubits)}
    last: dict[int, int] = {}
    for position, instruction in enumerate(raised.data):
        _refuse_feed_forward(raised, program, position, instruction)
        for qubit in instruction.qubits:
            last[index_of[qubit]] = position
    out = QuantumCircuit(raised.num_qubits, name=raised.name)
    measured: set[int] = set()
    mid = 0
    for position, instruction in enumerate(raised.data):
        operation = instruction.operation
        qubits = [index_of[q] for q in instruction.qubits]
        if operation.name == "measure":
            if last[qubits[0]] == position:
                measured.add(qubits[0])
            else:
                out.append(Instruction(MID_MEASURE, 1, 0, []), qubits)
                mid += 1
        elif operation.name == "barrier":
            continue
        elif instruction.clbits:
            raise CuttingError(f"cannot cut @{program.entry_point}: `{operation.name}` at circuit instruction "
                               f"{position} writes classical bits, which qiskit-addon-cutting cannot carry")
        else:
            out.append(operation, qubits)
    while wide := sorted({i.operation.name for i in out.data if len(i.qubits) > 2}):
        out = out.decompose(gates_to_decompose=wide)
    return Cuttable(out, frozenset(measured), mid)


def _refuse_feed_forward(raised, program: Program, position: int, instruction) -> None:
    operation = instruction.operation
    if operation.name not in FEED_FORWARD and getattr(operation, "condition", None) is None:
        return
    results = sorted({raised.find_bit(bit).index for bit in instruction.clbits})
    reads = ", ".join(f"result {r}" for r in results) or "classical values"
    qubits = sorted({raised.find_bit(q).index for q in instruction.qubits})
    raise CuttingError(f"cannot cut @{program.entry_point}: feed-forward `{operation.name}` at circuit instruction "
                       f"{position} (reads {reads}, acts on qubits {qubits}); qiskit-addon-cutting cuts no "
                       f"classically controlled operation. Run the program uncut, or replace the feed-forward by "
                       f"quantum control (deferred measurement) before cutting")


def with_measurements(subexperiment: QuantumCircuit) -> QuantumCircuit:
    """A subexperiment with each mid-circuit-measurement placeholder a measurement again (register qirrt_mid)."""
    from qiskit import ClassicalRegister, QuantumCircuit

    count = sum(1 for i in subexperiment.data if i.operation.name == MID_MEASURE)
    if not count:
        return subexperiment
    register = ClassicalRegister(count, MID_REGISTER)
    out = QuantumCircuit(*subexperiment.qregs, *subexperiment.cregs, register, name=subexperiment.name)
    bits = iter(register)
    for instruction in subexperiment.data:
        if instruction.operation.name == MID_MEASURE:
            out.measure(instruction.qubits[0], next(bits))
        else:
            out.append(instruction)
    return out


def register_positions(circuit: QuantumCircuit) -> dict[str, int]:
    """Register name → its place in a count key split at spaces (Qiskit's order: the last register first)."""
    names = [register.name for register in circuit.cregs]
    return {name: len(names) - 1 - index for index, name in enumerate(names)}


__all__ = ["FEED_FORWARD", "MID_MEASURE", "MID_REGISTER", "Cuttable", "cuttable", "register_positions",
           "with_measurements"]
