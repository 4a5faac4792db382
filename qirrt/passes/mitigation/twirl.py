"""`twirl`: Pauli twirling of two-qubit Clifford gates.

Each of `num-twirls` instances surrounds every two-qubit gate G in `gates` with random Paulis:
(P_c ⊗ P_d) G (P_a ⊗ P_b), where P_a ⊗ P_b is drawn uniformly from the 16 two-qubit Paulis and
P_c ⊗ P_d = G (P_a ⊗ P_b) G† (a Pauli again, G being Clifford), so every instance is the same unitary
up to a global phase. Averaged over instances, the gate's noise becomes a Pauli channel, which makes
coherent errors incoherent and ZNE's extrapolation better behaved. `combine` is the plain average,
of distributions or of expectation values. Identity factors are left out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qirrt.errors import PassError
from qirrt.passes.circuit import Circuit, Gate
from qirrt.passes.mitigation.base import MitigationStep, linear_combination, tagged
from qirrt.qir.gates import matrix

PAULIS = ("i", "x", "y", "z")
TWIRLABLE = ("cx", "cy", "cz", "swap")


def _pauli(name: str) -> np.ndarray:
    return np.eye(2, dtype=complex) if name == "i" else matrix(name)


def _pair(first: str, second: str) -> np.ndarray:
    """`first` on the gate's first qubit, `second` on its second (little-endian: the first is bit 0)."""
    return np.kron(_pauli(second), _pauli(first))


def _conjugation_table(gate: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(a, b) → (c, d) with G (a⊗b) G† = ±(c⊗d); a and c act on the gate's first qubit."""
    unitary = matrix(gate)
    table = {}
    candidates = {(c, d): _pair(c, d) for c in PAULIS for d in PAULIS}
    for a in PAULIS:
        for b in PAULIS:
            image = unitary @ _pair(a, b) @ unitary.conj().T
            for key, candidate in candidates.items():
                overlap = np.trace(candidate.conj().T @ image) / 4
                if abs(abs(overlap) - 1) < 1e-9:
                    table[(a, b)] = key
                    break
            else:  # pragma: no cover - every two-qubit Clifford maps Paulis to Paulis
                raise PassError(f"twirl: {gate} is not a Clifford gate")
    return table


TABLES = {gate: _conjugation_table(gate) for gate in TWIRLABLE}


def _layer(paulis: tuple[str, str], qubits: tuple[int, int]) -> list[Gate]:
    return [Gate(p, (q,)) for p, q in zip(paulis, qubits) if p != "i"]


@dataclass(frozen=True)
class PauliTwirling(MitigationStep):
    """Run `num-twirls` randomly Pauli-twirled, logically equivalent instances and average them."""

    name: ClassVar[str] = "twirl"

    num_twirls: int = 16
    gates: tuple[str, ...] = ("cx", "cz")
    seed: int = 0

    def __post_init__(self) -> None:
        if self.num_twirls < 1:
            raise PassError("twirl num-twirls must be ≥ 1")
        object.__setattr__(self, "gates", tuple(self.gates))
        unknown = [g for g in self.gates if g not in TWIRLABLE]
        if unknown:
            raise PassError(f"twirl cannot twirl {', '.join(unknown)}: twirlable gates are {', '.join(TWIRLABLE)}")

    def instance(self, program, rng: random.Random):
        """One twirled copy of `program`."""
        circuit = Circuit.from_program(program)
        circuit.require_static(self.name)
        twirled = 0
        for block in circuit.blocks:
            out = []
            for item in block.items:
                if isinstance(item, Gate) and item.name in self.gates:
                    before = (rng.choice(PAULIS), rng.choice(PAULIS))
                    after = TABLES[item.name][before]
                    out.extend(_layer(before, item.qubits))
                    out.append(item)
                    out.extend(_layer(after, item.qubits))
                    twirled += 1
                else:
                    out.append(item)
            block.items = out
        if not twirled:
            return program
        return circuit.to_program(program, note=f"twirl{{gates={twirled}}}")

    def expand(self, program, ctx=None) -> list:
        rng = random.Random(f"twirl:{self.seed}:{program.hash}")
        return [tagged(self.instance(program, rng), self.name, instance=i) for i in range(self.num_twirls)]

    def combine(self, results, *, programs=None, observable=None, ctx=None):
        self._check(results, programs)
        weight = 1.0 / len(results)
        return linear_combination(results, [weight] * len(results), observable, {"instances": len(results)})


__all__ = ["TABLES", "TWIRLABLE", "PauliTwirling"]
