"""Finding the cuts and generating the subexperiments: `cut()` → `CutPlan`, the cost before anything runs.

The steps are qiskit-addon-cutting's: `find_cuts` (gate and wire cuts so that no piece is wider than
`max_qubits`, at the least sampling overhead it finds), `cut_wires` + `expand_observables` (a wire cut
becomes a `Move` onto a fresh qubit), `partition_problem` (one subcircuit per piece, each cut a
quasi-probability decomposition, QPD) and `generate_cutting_experiments` with exact weights (every term
of every cut's QPD, no sampling). Each subexperiment then becomes a qirrt `Program` through `qirrt.load`.

The sampling overhead of the cuts is Π κ² over the cuts' QPD bases (9 for a CX cut, 16 for a wire cut):
for the same standard error a cut run needs about that many times the shots of an uncut one.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from qirrt.api.cutting.circuit import (
    Cuttable,
    cuttable,
    register_positions,
    with_measurements,
)
from qirrt.api.cutting.options import CuttingError, CuttingOptions
from qirrt.errors import require
from qirrt.observables import PauliObservable
from qirrt.qir.program import Program


@dataclass(frozen=True)
class Cut:
    """One cut: a gate cut (`operation` on `qubits`) or a wire cut (qubit `qubits[0]` just before
    `operation`); `position` counts the instructions of the program's gate circuit before it."""

    kind: str
    operation: str
    qubits: tuple[int, ...]
    position: int

    def __str__(self) -> str:
        if self.kind == "gate":
            return f"gate cut: {self.operation} on qubits {list(self.qubits)} (gate {self.position})"
        return f"wire cut: qubit {self.qubits[0]} before {self.operation} (gate {self.position})"


@dataclass(frozen=True)
class CutPlan:
    """What a cut run costs, before it runs (`print(plan)` shows it).

    `subexperiments` counts the circuits the cuts ask for (every QPD term × measurement group × piece);
    with a mitigation pipeline each is expanded further into `circuits`, of which `executions` distinct
    ones run. `sampling_overhead` = `cutting_overhead` (Π κ² of the cuts) × `mitigation_overhead` (PEC's
    γ², 1 for the other steps). `equivalent_shots` is the shot count of an uncut, unmitigated run with
    about the same standard error as this plan's `shots`.
    """

    max_qubits: int
    num_qubits: int
    observable: str | None
    cuts: tuple[Cut, ...]
    pieces: tuple[int, ...]
    terms: int
    subexperiments: int
    cutting_overhead: float
    mitigation: str | None
    mitigation_overhead: float
    sampling_overhead: float
    circuits: int
    executions: int
    shots_per_subexperiment: int
    shots: int
    equivalent_shots: int
    minimum_reached: bool
    estimated_time_s: float | None = None

    def to_dict(self) -> dict:
        return {"max_qubits": self.max_qubits, "num_qubits": self.num_qubits, "observable": self.observable,
                "cuts": [{"kind": c.kind, "operation": c.operation, "qubits": list(c.qubits),
                          "position": c.position} for c in self.cuts],
                "pieces": list(self.pieces), "terms": self.terms, "subexperiments": self.subexperiments,
                "cutting_overhead": self.cutting_overhead, "mitigation": self.mitigation,
                "mitigation_overhead": self.mitigation_overhead, "sampling_overhead": self.sampling_overhead,
                "circuits": self.circuits, "executions": self.executions,
                "shots_per_subexperiment": self.shots_per_subexperiment, "shots": self.shots,
                "equivalent_shots": self.equivalent_shots, "minimum_reached": self.minimum_reached,
                "estimated_time_s": self.estimated_time_s}

    def __str__(self) -> str:
        lines = [f"cutting {self.num_qubits} qubits into pieces of at most {self.max_qubits}: "
                 f"{len(self.cuts)} cut(s), pieces of {', '.join(map(str, self.pieces))} qubits"
                 + ("" if self.minimum_reached else " (cut finder stopped before proving its cuts optimal)")]
        lines += [f"  {cut}" for cut in self.cuts]
        lines.append(f"  subexperiments      {self.subexperiments} ({self.terms} QPD term(s) × measurement groups"
                     f" × pieces)")
        if self.mitigation:
            lines.append(f"  mitigation          {self.mitigation}: {self.circuits} circuits, "
                         f"{self.executions} distinct executions")
        lines.append(f"  sampling overhead   {self.sampling_overhead:g} (cutting {self.cutting_overhead:g} × "
                     f"mitigation {self.mitigation_overhead:g})")
        lines.append(f"  shots               {self.shots:,} ({self.shots_per_subexperiment:,} per subexperiment; "
                     f"about the standard error of {self.equivalent_shots:,} uncut shots)")
        if self.estimated_time_s is not None:
            lines.append(f"  estimated time      {self.estimated_time_s:.2f} s on a device")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class Problem:
    """A program cut into pieces: the library's subexperiments, QPD coefficients and sub-observables,
    the subexperiments as qirrt programs (piece by piece, in the library's order) and where each
    subexperiment's registers sit in a count key."""

    program: Program
    options: CuttingOptions
    observable: PauliObservable | None
    labels: tuple[Hashable, ...]
    subexperiments: dict
    coefficients: list
    subobservables: dict
    programs: tuple[Program, ...]
    slices: dict = field(default_factory=dict)  # label -> (start, stop) into programs
    registers: tuple[dict, ...] = ()
    cuts: tuple[Cut, ...] = ()
    pieces: tuple[int, ...] = ()
    cutting_overhead: float = 1.0
    minimum_reached: bool = True

    @property
    def weights(self) -> tuple[float, ...]:
        """The observable's term coefficients (1 for the placeholder identity when none was given)."""
        return tuple(c for _, c in self.observable.terms) if self.observable else (1.0,)


def library():
    return require("qiskit_addon_cutting", extra="cutting", feature="circuit cutting")


def prepare(program: Program, options: CuttingOptions, observable: Any = None) -> Problem:
    """Cut `program` and generate its subexperiments as qirrt programs."""
    import numpy as np

    from qirrt.api.load import load

    cutting = library()
    if program.parameters:
        raise CuttingError(f"@{program.entry_point} has unbound parameters ({', '.join(program.parameters)}): "
                           "bind them before cutting (program.bind(...))")
    parsed = PauliObservable.parse(observable) if observable is not None else None
    gates = cuttable(program)
    paulis = _pauli_list(parsed, gates, program)
    cut_circuit, metadata = _find_cuts(cutting, gates, options)
    wired = cutting.cut_wires(cut_circuit)
    expanded = cutting.expand_observables(paulis, cut_circuit, wired)
    labels = _piece_labels(wired, options.max_qubits)
    try:
        problem = cutting.partition_problem(circuit=wired, partition_labels=labels, observables=expanded)
    except ValueError as exc:
        raise CuttingError(f"cannot partition @{program.entry_point}: {exc}") from None
    overhead = float(np.prod([basis.kappa ** 2 for basis in problem.bases])) if problem.bases else 1.0
    _check_size(problem, options, program)
    subexperiments, coefficients = cutting.generate_cutting_experiments(
        problem.subcircuits, problem.subobservables, num_samples=np.inf)
    order = sorted(subexperiments, key=str)
    programs, slices, registers = [], {}, []
    for label in order:
        start = len(programs)
        for circuit in subexperiments[label]:
            circuit = with_measurements(circuit)
            registers.append(register_positions(circuit))
            programs.append(load(circuit))
        slices[label] = (start, len(programs))
    pieces = tuple(sorted((problem.subcircuits[label].num_qubits for label in order), reverse=True))
    return Problem(program, options, parsed, tuple(order), subexperiments, list(coefficients),
                   dict(problem.subobservables), tuple(programs), slices, tuple(registers),
                   _cuts(cut_circuit, metadata), pieces, overhead, bool(metadata.get("minimum_reached", True)))


def _pauli_list(observable: PauliObservable | None, gates: Cuttable, program: Program):
    from qiskit.quantum_info import PauliList

    width = gates.circuit.num_qubits
    if observable is None:
        return PauliList(["I" * width])
    if observable.num_qubits > width:
        raise CuttingError(f"observable {observable} acts on {observable.num_qubits} qubits but @{program.entry_point} "
                           f"has {width}")
    unmeasured = sorted(observable.support() - gates.measured)
    if unmeasured:
        raise CuttingError(f"the observable acts on qubit {unmeasured[0]}, which @{program.entry_point} does not "
                           "measure at the end: measure every qubit the observable acts on as its last operation")
    return PauliList([label.rjust(width, "I") for label, _ in observable.terms])


def _find_cuts(cutting, gates: Cuttable, options: CuttingOptions):
    circuit = gates.circuit
    if circuit.num_qubits <= options.max_qubits:  # nothing to cut; disconnected blocks still run apart
        return circuit, {"cuts": [], "minimum_reached": True}
    parameters = cutting.OptimizationParameters(seed=options.seed, max_gamma=options.max_gamma,
                                                max_backjumps=options.max_backjumps, gate_lo=options.gate_cuts,
                                                wire_lo=options.wire_cuts)
    try:
        return cutting.find_cuts(circuit, parameters, cutting.DeviceConstraints(options.max_qubits))
    except ValueError as exc:
        raise CuttingError(f"cannot cut the program into pieces of {options.max_qubits} qubits: {exc}") from None


def _piece_labels(circuit, max_qubits: int) -> list[int]:
    """One label per qubit: qubits joined by an uncut multi-qubit instruction share a piece; idle qubits
    are packed into pieces of at most `max_qubits`. Labels count up in order of each piece's first qubit."""
    from qiskit_addon_cutting.qpd import TwoQubitQPDGate

    parent = list(range(circuit.num_qubits))

    def root(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    used = set()
    for instruction in circuit.data:
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        used.update(qubits)
        if len(qubits) > 1 and not isinstance(instruction.operation, TwoQubitQPDGate):
            for q in qubits[1:]:
                parent[root(q)] = root(qubits[0])
    idle = [q for q in range(circuit.num_qubits) if q not in used]
    for chunk_start in range(0, len(idle), max_qubits):
        chunk = idle[chunk_start:chunk_start + max_qubits]
        for q in chunk[1:]:
            parent[root(q)] = root(chunk[0])
    numbering: dict[int, int] = {}
    return [numbering.setdefault(root(q), len(numbering)) for q in range(circuit.num_qubits)]


def _check_size(problem, options: CuttingOptions, program: Program) -> None:
    from qiskit_addon_cutting.utils.observable_grouping import ObservableCollection

    terms = math.prod(len(basis.maps) for basis in problem.bases)
    groups = sum(len(ObservableCollection(so).groups) for so in problem.subobservables.values())
    circuits = terms * groups
    if circuits > options.max_subexperiments:
        raise CuttingError(f"cutting @{program.entry_point} into pieces of {options.max_qubits} qubits needs "
                           f"{len(problem.bases)} cuts and {circuits:,} subexperiments, more than max_subexperiments="
                           f"{options.max_subexperiments:,}: allow wider pieces (max_qubits), or raise the limit")


def _cuts(cut_circuit, metadata: dict) -> tuple[Cut, ...]:
    cuts = []
    wires_before = 0
    for kind, index in metadata.get("cuts", ()):
        instruction = cut_circuit.data[index]
        qubits = tuple(cut_circuit.find_bit(q).index for q in instruction.qubits)
        if kind.lower().startswith("gate"):
            name = (instruction.operation.label or instruction.operation.name).removeprefix("cut_")
            cuts.append(Cut("gate", name, qubits, index - wires_before))
        else:
            following = next((i for i in cut_circuit.data[index + 1:] if
                              qubits[0] in [cut_circuit.find_bit(q).index for q in i.qubits]
                              and i.operation.name != "cut_wire"), None)
            name = following.operation.name if following is not None else "the end"
            cuts.append(Cut("wire", name, qubits, index - wires_before))
            wires_before += 1
    return tuple(cuts)


def plan_of(problem: Problem, programs, *, shots: int, mitigation: Any = None, target=None, calibration=None,
            executor=None) -> CutPlan:
    """The `CutPlan` of running `problem`'s subexperiments as `programs` (compiled for a device, or as they
    are) with `shots` each and `mitigation` on each."""
    from qirrt.api.mitigate.pipeline import Pipeline, plan_batch

    pipeline = Pipeline.parse(mitigation)
    mitigated = plan_batch([(p, pipeline) for p in programs], shots=shots, reference=False, target=target,
                           calibration=calibration, executor=executor)
    terms = len(problem.coefficients)
    mitigation_overhead = float(mitigated.sampling_overhead)
    overhead = problem.cutting_overhead * mitigation_overhead
    equivalent = max(int(terms * shots / overhead), 1)
    return CutPlan(max_qubits=problem.options.max_qubits, num_qubits=problem.program.num_qubits,
                   observable=str(problem.observable) if problem.observable else None, cuts=problem.cuts,
                   pieces=problem.pieces, terms=terms, subexperiments=len(problem.programs),
                   cutting_overhead=problem.cutting_overhead, mitigation=str(pipeline) or None,
                   mitigation_overhead=mitigation_overhead, sampling_overhead=overhead,
                   circuits=mitigated.circuits, executions=mitigated.executions, shots_per_subexperiment=shots,
                   shots=mitigated.shots, equivalent_shots=equivalent, minimum_reached=problem.minimum_reached,
                   estimated_time_s=mitigated.estimated_time_s)


__all__ = ["Cut", "CutPlan", "Problem", "library", "plan_of", "prepare"]
