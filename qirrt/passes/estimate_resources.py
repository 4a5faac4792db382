"""`estimate-resources`: gate counts, depth, duration and success probability (an analysis pass).

Writes a `ResourceEstimate` to ``ctx.properties["resources"]``. Durations come from the calibration,
else the target; the schedule is as-soon-as-possible per qubit (a gate starts when all its qubits are
free). The success probability is the product of gate and readout fidelities (``1 - error``) on the
physical qubits the program runs on (its layout, or module qubit i = physical i). In adaptive
programs every block is counted once, as if each ran — an upper bound on one shot's cost.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit, Gate, Op

_MEASURE = {"mz", "m", "mresetz"}


@dataclass
class ResourceEstimate:
    num_qubits: int
    gate_counts: dict[str, int]
    two_qubit_gates: int
    depth: int
    measurements: int
    duration_ns: float | None
    success_probability: float | None
    physical_qubits: list[int] | None = None
    log_fidelity: dict[str, float] = field(default_factory=dict)

    @property
    def total_gates(self) -> int:
        return sum(self.gate_counts.values())

    def to_dict(self) -> dict:
        return {
            "num_qubits": self.num_qubits, "gate_counts": dict(sorted(self.gate_counts.items())),
            "total_gates": self.total_gates, "two_qubit_gates": self.two_qubit_gates, "depth": self.depth,
            "measurements": self.measurements, "duration_ns": self.duration_ns,
            "success_probability": self.success_probability, "physical_qubits": self.physical_qubits,
        }


def estimate(program, ctx: PassContext) -> ResourceEstimate:
    circuit = Circuit.from_program(program)
    physical = circuit.physical or list(range(max(circuit.num_qubits, 1)))
    target, calibration = ctx.target, ctx.calibration
    counts: Counter[str] = Counter()
    level: dict[int, int] = {}
    clock_ns: dict[int, float] = {}
    known_durations = target is not None or calibration is not None
    log_fid = {"gates": 0.0, "readout": 0.0}
    has_errors = calibration is not None
    two_qubit = measurements = 0
    for item in circuit.items():
        if isinstance(item, Gate):
            qubits = item.qubits
            counts[item.name] += 1
            two_qubit += len(qubits) == 2
            phys = tuple(physical[q] if q < len(physical) else q for q in qubits)
            duration = _gate_duration(item.name, phys, target, calibration)
            if calibration is not None:
                error = calibration.gate_error(item.name, phys, default=0.0)
                log_fid["gates"] += math.log1p(-min(error, 1 - 1e-12))
        elif isinstance(item, Op):
            qubits = (item.qubit,)
            phys = (physical[item.qubit] if item.qubit < len(physical) else item.qubit,)
            if item.name in _MEASURE:
                measurements += 1
                duration = _readout_duration(phys[0], target, calibration)
                if calibration is not None:
                    log_fid["readout"] += math.log1p(-min(calibration.readout_error(phys[0]), 1 - 1e-12))
            else:
                duration = _readout_duration(phys[0], target, calibration) if item.name == "reset" else 0.0
        else:
            continue
        start_level = max((level.get(q, 0) for q in qubits), default=0) + 1
        start_ns = max((clock_ns.get(q, 0.0) for q in qubits), default=0.0)
        for q in qubits:
            level[q] = start_level
            clock_ns[q] = start_ns + (duration or 0.0)
    return ResourceEstimate(
        num_qubits=circuit.num_qubits, gate_counts=dict(counts), two_qubit_gates=two_qubit,
        depth=max(level.values(), default=0), measurements=measurements,
        duration_ns=max(clock_ns.values(), default=0.0) if known_durations else None,
        success_probability=math.exp(log_fid["gates"] + log_fid["readout"]) if has_errors else None,
        physical_qubits=circuit.physical, log_fidelity=log_fid if has_errors else {},
    )


def _gate_duration(name: str, phys: tuple[int, ...], target, calibration) -> float:
    if calibration is not None:
        found = calibration.gate_duration_ns(name, phys)
        if found is not None:
            return found
    if target is not None:
        found = target.gate_duration_ns(name, phys)
        if found is not None:
            return found
    return 0.0


def _readout_duration(qubit: int, target, calibration) -> float:
    if calibration is not None and qubit in calibration.qubits and calibration.qubits[qubit].readout_duration_ns:
        return calibration.qubits[qubit].readout_duration_ns
    if target is not None:
        return target.readout_durations_ns.get(qubit, 0.0)
    return 0.0


@dataclass(frozen=True)
class EstimateResources(Pass):
    """Analysis: leave a `ResourceEstimate` in ``ctx.properties["resources"]``."""

    name = "estimate-resources"
    analysis = True

    def apply(self, program, ctx: PassContext):
        ctx.properties["resources"] = estimate(program, ctx)
        return program


__all__ = ["EstimateResources", "ResourceEstimate", "estimate"]
