"""`resynthesize-2q`: replace a run of gates on one qubit pair by a cheaper synthesis of its unitary.

A run is a maximal stretch of a block's gates that act only on one pair of qubits — its two-qubit
gates and the single-qubit gates on either qubit between and around them — with nothing else
touching those qubits in between (Qiskit's ConsolidateBlocks). The pass multiplies out the run's
4×4 unitary, resynthesises it with Qiskit's `TwoQubitBasisDecomposer` for the basis's two-qubit gate
(``cx``, else ``cz``), translates the result into the basis with `decompose`'s rules, and keeps it
only when, counted in the basis, it has fewer two-qubit gates, or as many and fewer gates in all.
The replacement is checked to equal the run up to a global phase, stays on the same pair, and puts
directed two-qubit gates only on coupler directions the target has.

Only constant angles are resynthesised: a run is cut at any gate with a parameter-derived angle
(and at measurements, resets, delays and barrier lines), so a parametric program still compiles once
and binds many times. Works block by block on any program.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qirrt.errors import PassError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Angle, Circuit, Gate, Op, Raw
from qirrt.passes.decompose import expand, plan
from qirrt.qir.gates import matrix

_EULER_BASES = (("ZSXX", {"rz", "sx", "x"}), ("ZSX", {"rz", "sx"}), ("ZYZ", {"rz", "ry"}), ("XZX", {"rx", "rz"}),
                ("XYX", {"rx", "ry"}))
"""Qiskit one-qubit Euler bases and the dialect gates each emits, most preferred first."""

_SYMMETRIC = {"cz"}
_SWAP = matrix("swap")
_IDENTITY = np.eye(2, dtype=complex)
_ATOL = 1e-9


# -- runs -------------------------------------------------------------------------------------------
@dataclass
class _Run:
    pair: tuple[int, int]
    indices: list[int] = field(default_factory=list)


def collect_runs(items: list) -> list[list[int]]:
    """Item indices (in order) of every maximal run of constant-angle gates on one qubit pair.

    Every item touching either qubit between a run's first and last index belongs to the run, so
    the run may be gathered at its last index without reordering anything else that matters.
    """
    runs: list[list[int]] = []
    open_runs: dict[int, _Run] = {}
    loose: dict[int, list[int]] = {}  # single-qubit gates since the qubit's last run or cut

    def close(qubit: int) -> None:
        run = open_runs.get(qubit)
        if run is not None:
            for q in run.pair:
                del open_runs[q]
            runs.append(sorted(run.indices))

    def cut(qubit: int) -> None:
        close(qubit)
        loose.pop(qubit, None)

    for index, item in enumerate(items):
        if isinstance(item, Raw):
            if not item.pure:
                for qubit in list(open_runs) + list(loose):
                    cut(qubit)
            continue
        if isinstance(item, Op):
            cut(item.qubit)
            continue
        if len(item.qubits) > 2 or not all(angle.is_constant for angle in item.angles):
            for qubit in item.qubits:
                cut(qubit)
        elif len(item.qubits) == 1:
            qubit = item.qubits[0]
            if qubit in open_runs:
                open_runs[qubit].indices.append(index)
            else:
                loose.setdefault(qubit, []).append(index)
        else:
            a, b = item.qubits
            run = open_runs.get(a)
            if run is None or run is not open_runs.get(b):
                close(a)
                close(b)
                run = _Run((a, b), loose.pop(a, []) + loose.pop(b, []))
                open_runs[a] = open_runs[b] = run
            run.indices.append(index)
    for qubit in list(open_runs):
        close(qubit)
    return runs


# -- synthesis --------------------------------------------------------------------------------------
def pair_unitary(gates: list[Gate], order: tuple[int, int]) -> np.ndarray:
    """The 4×4 unitary of `gates` on the pair `order`, with `order[0]` the most significant qubit."""
    unitary = np.eye(4, dtype=complex)
    for gate in gates:
        m = matrix(gate.name, [angle.const for angle in gate.angles])
        if len(gate.qubits) == 1:
            m = np.kron(m, _IDENTITY) if gate.qubits[0] == order[0] else np.kron(_IDENTITY, m)
        elif gate.qubits == order:  # little-endian: order[0] is bit 0; swap it into the most significant bit
            m = _SWAP @ m @ _SWAP
        unitary = m @ unitary
    return unitary


def equal_up_to_phase(a: np.ndarray, b: np.ndarray, atol: float = _ATOL) -> bool:
    """Whether `b` is `a` times a phase, entry by entry within `atol`."""
    overlap = np.vdot(a, b)
    if abs(overlap) < atol:
        return False
    return bool(np.allclose(a * (overlap / abs(overlap)), b, atol=atol))


@lru_cache(maxsize=8)
def _decomposer(two_qubit: str, euler_basis: str):
    from qiskit.circuit.library import CXGate, CZGate
    from qiskit.synthesis import TwoQubitBasisDecomposer

    return TwoQubitBasisDecomposer({"cx": CXGate, "cz": CZGate}[two_qubit](), euler_basis=euler_basis)


def _choose(chosen: dict[str, int], basis: frozenset[str]) -> tuple[str, str] | None:
    """(two-qubit gate, Euler basis) to synthesise with, preferring gates already in `basis`."""
    two_qubit = next((g for g in ("cx", "cz") if g in basis), None) or next(
        (g for g in ("cx", "cz") if g in chosen), None)
    euler = next((name for name, gates in _EULER_BASES if gates <= basis), None) or next(
        (name for name, gates in _EULER_BASES if all(g in chosen for g in gates)), None)
    if two_qubit is None or euler is None:
        return None
    return two_qubit, euler


def _cost(gates: list[Gate]) -> tuple[int, int]:
    return sum(len(g.qubits) == 2 for g in gates), len(gates)


@dataclass(frozen=True)
class _Synthesis:
    chosen: dict[str, int]
    two_qubit: str
    euler_basis: str
    allowed: Callable[[int, int], bool]
    """Whether a directed two-qubit gate may act on module qubits (first, second)."""

    def run(self, gates: list[Gate]) -> list[Gate] | None:
        """A cheaper equivalent of `gates` (all on one pair) in the basis, or None."""
        original = [g for gate in gates for g in expand(gate, self.chosen)]
        first = next(g for g in gates if len(g.qubits) == 2).qubits
        for order in (first, first[::-1]):
            unitary = pair_unitary(gates, order)
            circuit = _decomposer(self.two_qubit, self.euler_basis)(unitary, approximate=False)
            # Qiskit's qubit 0 is the least significant: order[1].
            module = {0: order[1], 1: order[0]}
            produced = [Gate(inst.operation.name, tuple(module[circuit.find_bit(q).index] for q in inst.qubits),
                             tuple(Angle(float(p)) for p in inst.operation.params)) for inst in circuit.data]
            if not all(len(g.qubits) == 1 or g.name in _SYMMETRIC or self.allowed(*g.qubits) for g in produced):
                continue
            replacement = [g for gate in produced for g in expand(gate, self.chosen)]
            if _cost(replacement) >= _cost(original):
                return None
            if not equal_up_to_phase(pair_unitary(replacement, order), unitary):
                return None
            return replacement
        return None


def resynthesize_block(items: list, synthesis: _Synthesis) -> tuple[list, int]:
    """Resynthesise the runs of one block; returns the new items and the number of runs replaced."""
    out: list = list(items)
    replaced = 0
    for indices in collect_runs(items):
        replacement = synthesis.run([items[i] for i in indices])
        if replacement is None:
            continue
        for i in indices:
            out[i] = None
        out[indices[-1]] = replacement
        replaced += 1
    flat: list = []
    for item in out:
        if isinstance(item, list):
            flat.extend(item)
        elif item is not None:
            flat.append(item)
    return flat, replaced


@dataclass(frozen=True)
class ResynthesizeTwoQubitRuns(Pass):
    """Resynthesise runs of gates on one qubit pair when that saves gates (see the module docstring)."""

    name = "resynthesize-2q"
    basis: tuple[str, ...] = ()

    def apply(self, program, ctx: PassContext):
        if self.basis:
            basis = frozenset(self.basis)
        elif ctx.target is not None:
            basis = ctx.target.basis
        else:
            raise PassError("pass 'resynthesize-2q' needs a basis: give resynthesize-2q{basis=rz,sx,x,cx} "
                            "or a target")
        chosen = plan(basis)
        choice = _choose(chosen, basis)
        if choice is None:
            return program
        circuit = Circuit.from_program(program)
        synthesis = _Synthesis(chosen, *choice, _direction_check(circuit, ctx.target))
        replaced = 0
        for block in circuit.blocks:
            block.items, count = resynthesize_block(block.items, synthesis)
            replaced += count
        if not replaced:
            return program
        return circuit.to_program(program, note=f"{self} (runs replaced: {replaced})")


def _direction_check(circuit: Circuit, target) -> Callable[[int, int], bool]:
    """Whether a directed gate may act on module qubits (a, b): on a coupled pair, only along a coupler."""
    if target is None:
        return lambda a, b: True
    physical = circuit.physical or list(range(circuit.num_qubits))

    def allowed(a: int, b: int) -> bool:
        pa, pb = physical[a], physical[b]
        return not target.is_coupled(pa, pb) or target.coupling.has_edge(pa, pb)

    return allowed


__all__ = ["ResynthesizeTwoQubitRuns", "collect_runs", "pair_unitary", "resynthesize_block"]
