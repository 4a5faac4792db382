"""The classical bits of a raised circuit: result clbits, scratch clbits, and their versions.

Clbit r is QIR result r; scratch clbits follow them (register ``qirrt_scratch``) and hold i1 phis,
copies of reads and computed bool records. Every write bumps the clbit's version, so a value that
read an older version is caught (`Clbits.fresh`) before it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyqir

from qirrt.errors import ExecutionError
from qirrt.qir.dialect import QIS_PREFIX

__all__ = ["Bool", "Clbits", "Hazard", "ScratchFull", "pointer_index"]

_MEASUREMENTS = (f"{QIS_PREFIX}mz__body", f"{QIS_PREFIX}m__body", f"{QIS_PREFIX}mresetz__body")


@dataclass(frozen=True)
class Bool:
    """An i1 value that depends on measurements: a Qiskit expression and the clbit versions it reads."""

    expr: Any
    refs: frozenset  # {(clbit, version)}


class Hazard(Exception):
    """A value or record refers to result clbit `clbit`, overwritten since: raise again copying its reads."""

    def __init__(self, clbit: int):
        super().__init__(clbit)
        self.clbit = clbit


class ScratchFull(Exception):
    """More scratch bits are needed than were allocated."""


def pointer_index(value) -> int | None:
    """The static index of a qubit/result pointer constant (null is 0); None for anything else."""
    if isinstance(value, pyqir.Constant):
        if value.is_null:
            return 0
        index = pyqir.ptr_id(value)
        return None if index is None else int(index)
    return None


class Clbits:
    """The circuit's clbits, their write versions, and the scratch bits handed out so far."""

    def __init__(self, qc, num_results: int, *, copies: frozenset[int], capacity: int,
                 fail: Callable[..., ExecutionError]):
        self.qc = qc
        self.bits = list(qc.clbits)
        self.num_results = num_results
        self.copies = copies
        self.capacity = capacity
        self.fail = fail
        self.scratch: dict[Any, int] = {}  # instruction → clbit index
        self.version = [0] * len(self.bits)

    def read(self, clbit: int) -> Bool:
        from qiskit.circuit.classical import expr

        return Bool(expr.lift(self.bits[clbit]), frozenset({(clbit, self.version[clbit])}))

    def measured(self, clbit: int) -> None:
        """A measurement wrote `clbit`."""
        self.version[clbit] += 1

    def scratch_bit(self, key) -> int:
        clbit = self.scratch.get(key)
        if clbit is None:
            if len(self.scratch) >= self.capacity:
                raise ScratchFull
            clbit = self.num_results + len(self.scratch)
            self.scratch[key] = clbit
        return clbit

    def store(self, clbit: int, value) -> None:
        from qiskit.circuit.classical import expr

        rvalue = expr.lift(value) if isinstance(value, bool) else value.expr
        self.qc.store(self.bits[clbit], rvalue)
        self.version[clbit] += 1

    def copy_of(self, clbit: int, key) -> int:
        """The clbit to read result `clbit` through: itself, or (for a copied result) a fresh copy."""
        if clbit not in self.copies:
            return clbit
        copy = self.scratch_bit(key)
        self.store(copy, self.read(clbit))
        return copy

    def fresh(self, refs: frozenset, instruction) -> None:
        """Check that every clbit version `refs` read is still current."""
        for clbit, version in refs:
            if self.version[clbit] != version:
                if clbit >= self.num_results or clbit in self.copies:
                    raise self.fail("a value is used after the clbit it was read from was overwritten",
                                    instruction=instruction)
                raise Hazard(clbit)

    def overwrite(self, instructions: Iterable) -> None:
        """The clbits `instructions` (a loop body) may write are overwritten before any outside value is used."""
        for instruction in instructions:
            if instruction.opcode != pyqir.Opcode.CALL:
                if instruction in self.scratch:
                    self.version[self.scratch[instruction]] += 1
                continue
            if instruction.callee.name in _MEASUREMENTS:
                r = pointer_index(instruction.args[1])
                if r is not None and 0 <= r < self.num_results:
                    self.version[r] += 1
            elif instruction in self.scratch:
                self.version[self.scratch[instruction]] += 1

    def single(self, value: Bool) -> int | None:
        """The clbit `value` is, when it is just one clbit read."""
        from qiskit.circuit.classical import expr

        if isinstance(value.expr, expr.Var) and len(value.refs) == 1:
            return next(iter(value.refs))[0]
        return None
