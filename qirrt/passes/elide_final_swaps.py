"""`elide-final-swaps`: drop swaps after which their qubits are only measured, swapping the measurements.

``swap(a, b); mz(a, r0); mz(b, r1)`` measures the same as ``mz(b, r0); mz(a, r1)``, so the swap goes
and the measurements trade qubits (their results — and count keys — stay). A qubit qualifies when
nothing but measurements (``mz``/``m``) follows the swap on it up to the end of the block, and the
block ends the program (``ret``): then no later block can see where the qubit was left. Applies to
straight-line programs and to the last block of adaptive ones; other blocks pass through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit, Gate, Op, Raw

_MEASURE = {"mz", "m"}


def elide_block(items: list) -> tuple[list, int]:
    terminal: dict[int, list[int]] = {}  # qubit → indices of its later measurements (only those)
    blocked: set[int] = set()
    out = list(items)
    removed = 0
    for i in range(len(out) - 1, -1, -1):
        item = out[i]
        if isinstance(item, Op):
            if item.name in _MEASURE and item.qubit not in blocked:
                terminal.setdefault(item.qubit, []).append(i)
            else:
                blocked.add(item.qubit)
                terminal.pop(item.qubit, None)
        elif isinstance(item, Gate):
            a = item.qubits[0]
            if item.name == "swap" and all(q not in blocked for q in item.qubits):
                b = item.qubits[1]
                later_a, later_b = terminal.pop(a, []), terminal.pop(b, [])
                for j in later_a:
                    out[j] = Op(out[j].name, b, out[j].result, out[j].suffix)
                for j in later_b:
                    out[j] = Op(out[j].name, a, out[j].result, out[j].suffix)
                if later_b:
                    terminal[a] = later_b
                if later_a:
                    terminal[b] = later_a
                out[i] = None
                removed += 1
                continue
            for q in item.qubits:
                blocked.add(q)
                terminal.pop(q, None)
        elif isinstance(item, Raw) and not item.pure and item.quantum:
            return items, 0  # something opaque touches qubits: leave the block alone
    return [x for x in out if x is not None], removed


@dataclass(frozen=True)
class ElideFinalSwaps(Pass):
    """Remove swaps whose qubits are only measured afterwards (see the module docstring)."""

    name = "elide-final-swaps"

    def apply(self, program, ctx: PassContext):
        circuit = Circuit.from_program(program)
        last = circuit.blocks[-1]
        if not any(isinstance(x, Raw) and x.text.strip().startswith("ret") for x in last.items):
            return program
        last.items, removed = elide_block(last.items)
        if not removed:
            return program
        return circuit.to_program(program, note=f"{self} (-{removed} swaps)")


__all__ = ["ElideFinalSwaps"]
