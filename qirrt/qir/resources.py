"""Static resource summary of a `Program`: gate counts, depth, measurements, branches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyqir

from qirrt.qir.dialect import GATES, MEASUREMENTS, NON_UNITARY, qis_name
from qirrt.qir.module import entry_points


@dataclass(frozen=True)
class Resources:
    """Static resource summary of a program."""

    num_qubits: int
    num_results: int
    gate_counts: dict[str, int]
    two_qubit_gates: int
    multi_qubit_gates: int
    depth: int
    measurements: int
    branches: int
    parameters: int

    @property
    def total_gates(self) -> int:
        return sum(self.gate_counts.values())

    def to_dict(self) -> dict:
        return {
            "num_qubits": self.num_qubits,
            "num_results": self.num_results,
            "gate_counts": dict(sorted(self.gate_counts.items())),
            "total_gates": self.total_gates,
            "two_qubit_gates": self.two_qubit_gates,
            "multi_qubit_gates": self.multi_qubit_gates,
            "depth": self.depth,
            "measurements": self.measurements,
            "branches": self.branches,
            "parameters": self.parameters,
        }


def summarize(program) -> Resources:
    """The `Resources` of a `qirrt.qir.program.Program` (read from its module)."""
    module = program.module
    entry = entry_points(module)[0]
    counts: Counter[str] = Counter()
    qubit_depth: dict[int, int] = {}
    two_qubit = multi_qubit = measurements = branches = 0
    for block in entry.basic_blocks:
        terminator = block.terminator
        if terminator is not None and terminator.opcode == pyqir.Opcode.BR and len(terminator.operands) == 3:
            branches += 1
        for instruction in block.instructions:
            if not isinstance(instruction, pyqir.Call):
                continue
            name = qis_name(instruction.callee.name)
            if name is None:
                continue
            if name in MEASUREMENTS:
                measurements += 1
                qubits = [pyqir.ptr_id(instruction.args[0])]
            elif name in GATES or name in NON_UNITARY:
                spec = GATES.get(name)
                arity = spec.num_qubits if spec else NON_UNITARY[name]
                qubits = [pyqir.ptr_id(a) for a in instruction.args[len(instruction.args) - arity:]]
                if name in GATES:
                    counts[name] += 1
                    two_qubit += arity == 2
                    multi_qubit += arity >= 2
                else:
                    counts[name] += 1
            else:
                continue
            ids = [q for q in qubits if q is not None]
            level = 1 + max((qubit_depth.get(q, 0) for q in ids), default=0)
            for q in ids:
                qubit_depth[q] = level
    return Resources(
        num_qubits=program.num_qubits, num_results=program.num_results, gate_counts=dict(counts),
        two_qubit_gates=two_qubit, multi_qubit_gates=multi_qubit,
        depth=max(qubit_depth.values(), default=0), measurements=measurements, branches=branches,
        parameters=len(program.parameters),
    )


SECONDS_PER_AMPLITUDE_UPDATE = 2e-9
"""Nominal cost of one gate on one statevector amplitude; brokers rescale it by each worker's observed speed."""
SECONDS_PER_SHOT_PATH = 1e-7


def estimated_simulation_s(resources: Resources, shots: int) -> float:
    """A nominal run time from the resource summary: gates × 2ⁿ amplitude updates, plus per-shot work.

    Only the ratio between jobs matters: the distributed broker multiplies it by each worker's observed
    speed (an EWMA of observed / estimated time) to give queue ETAs.
    """
    amplitudes = 2.0 ** resources.num_qubits
    per_path = max(1, resources.total_gates) * amplitudes * SECONDS_PER_AMPLITUDE_UPDATE
    paths = 1 + resources.branches + (resources.measurements if resources.branches else 0)
    return 1e-4 + per_path * paths + shots * SECONDS_PER_SHOT_PATH
