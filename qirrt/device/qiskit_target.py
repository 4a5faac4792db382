"""A Qiskit `transpiler.Target` from a qirrt `Target` and its `Calibration` (errors and durations).

The basis is the target's `basis` (the dialect gates passes translate to, ``ecr`` stood in by ``cx``)
in Qiskit's spelling; two-qubit gates are offered on every coupled pair in both directions, as qirrt's
own router treats them (a hardware adapter fixes directions with one-qubit gates). Errors and durations
come from the calibration, else the target's durations; measurement carries the readout error, so
Qiskit's noise-aware layout (VF2Post) scores readout as qirrt's success estimate does. Control-flow
operations are declared, so adaptive programs transpile too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qirrt.device.calibration import Calibration
    from qirrt.device.target import Target

QISKIT_NAMES = {"s__adj": "sdg", "t__adj": "tdg"}
"""Dialect gate names Qiskit spells otherwise."""

_NS = 1e-9


def qiskit_target(target: Target, calibration: Calibration | None = None):
    """The Qiskit `Target` for `target` under `calibration` (cached per target and epoch)."""
    return _build(target, calibration)


@lru_cache(maxsize=16)
def _build(target: Target, calibration: Calibration | None):
    from qiskit.circuit import (
        ForLoopOp,
        IfElseOp,
        Measure,
        Reset,
        SwitchCaseOp,
        WhileLoopOp,
    )
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.transpiler import InstructionProperties
    from qiskit.transpiler import Target as QiskitTarget

    standard = get_standard_gate_name_mapping()
    out = QiskitTarget(num_qubits=target.num_qubits, dt=target.dt_ns * _NS if target.dt_ns else None)
    qubits = range(target.num_qubits)
    pairs = sorted({(a, b) for a, b in target.coupling.edges} | {(b, a) for a, b in target.coupling.edges})

    def properties(gate: str, qargs: tuple[int, ...]):
        error = duration_ns = None
        if calibration is not None:
            found = calibration.gate(gate, qargs)
            if found is not None:
                error, duration_ns = found.error, found.duration_ns
        if duration_ns is None:
            duration_ns = target.gate_duration_ns(gate, qargs)
        return InstructionProperties(duration=duration_ns * _NS if duration_ns else None, error=error)

    for gate in sorted(target.basis):
        operation = standard.get(QISKIT_NAMES.get(gate, gate))
        if operation is None or operation.num_qubits > 2:
            continue
        if operation.num_qubits == 1:
            out.add_instruction(operation, {(q,): properties(gate, (q,)) for q in qubits})
        elif pairs:
            out.add_instruction(operation, {pair: properties(gate, pair) for pair in pairs})

    def readout(q: int):
        error = calibration.readout_error(q, default=None) if calibration is not None else None
        duration_ns = target.readout_durations_ns.get(q)
        if calibration is not None and q in calibration.qubits and calibration.qubits[q].readout_duration_ns:
            duration_ns = calibration.qubits[q].readout_duration_ns
        return InstructionProperties(duration=duration_ns * _NS if duration_ns else None, error=error)

    out.add_instruction(Measure(), {(q,): readout(q) for q in qubits})
    out.add_instruction(Reset(), {(q,): None for q in qubits})
    for name, kind in (("if_else", IfElseOp), ("while_loop", WhileLoopOp), ("for_loop", ForLoopOp),
                       ("switch_case", SwitchCaseOp)):
        out.add_instruction(kind, name=name)
    return out


__all__ = ["QISKIT_NAMES", "qiskit_target"]
