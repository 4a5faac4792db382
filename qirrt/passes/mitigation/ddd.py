"""`ddd`: digital dynamical decoupling in the idle windows of an as-late-as-possible schedule.

The schedule (`schedule.py`) takes durations from the context's calibration, else its target, else
nominal defaults.

Every gap between two consecutive operations on one qubit that can hold the sequence gets it, with
Qiskit's uniform spacing: free time f = window − pulses; delays f/2k, f/k, …, f/k, f/2k around the
k pulses. The idle time before a qubit's first operation (it is still in |0⟩) gets nothing. Delays
are ``__qirrt__delay(qubit, duration, 0)`` calls in nanoseconds, so an executor that schedules keeps
the pulses where they were put. Sequences: ``xx`` (X X), ``yy`` (Y Y), ``xy4`` (X Y X Y); each is the
identity (up to a global phase), so the step changes no noiseless outcome. `combine` passes the one
outcome through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qirrt.errors import PassError
from qirrt.passes.circuit import Circuit, Gate, Op
from qirrt.passes.mitigation.base import MitigationStep, tagged
from qirrt.passes.mitigation.schedule import Durations, idle_windows
from qirrt.qir.text import double_literal

SEQUENCES: dict[str, tuple[str, ...]] = {"xx": ("x", "x"), "yy": ("y", "y"), "xy4": ("x", "y", "x", "y")}

DELAY_DECLARATION = "declare void @__qirrt__delay(ptr, double, i64)"


@dataclass(frozen=True)
class DigitalDynamicalDecoupling(MitigationStep):
    """Fill idle windows with an identity pulse sequence (XX, YY or XY4) that refocuses idle errors."""

    name: ClassVar[str] = "ddd"

    sequence: str = "xx"
    min_window_ns: float = 0.0

    def __post_init__(self) -> None:
        if self.sequence not in SEQUENCES:
            raise PassError(f"ddd sequence must be one of {', '.join(SEQUENCES)}, got {self.sequence!r}")
        if self.min_window_ns < 0:
            raise PassError("ddd min-window-ns must be ≥ 0")

    def pad(self, program, ctx=None):
        """`program` with the sequence in every idle window long enough for it; (program, windows filled)."""
        circuit = Circuit.from_program(program)
        circuit.require_static(self.name)
        durations = Durations(circuit.physical, ctx)
        pulses = SEQUENCES[self.sequence]
        inserts: dict[tuple[int, int], list] = {}
        filled = 0
        for window in idle_windows(circuit, durations):
            busy = sum(durations.gate(p, (window.qubit,)) for p in pulses)
            free = window.duration_ns - busy
            if free < 0 or window.duration_ns < max(self.min_window_ns, 1e-9):
                continue
            k = len(pulses)
            spacing = [free / (2 * k)] + [free / k] * (k - 1) + [free / (2 * k)]
            items: list = []
            for gap, pulse in zip(spacing, pulses + ("",)):
                if gap > 1e-9:
                    items.append(Op("delay", window.qubit, None, f", double {double_literal(gap)}, i64 0"))
                if pulse:
                    items.append(Gate(pulse, (window.qubit,)))
            inserts.setdefault((window.block, window.before), []).extend(items)
            filled += 1
        if not filled:
            return program, 0
        for (b, i), items in sorted(inserts.items(), reverse=True):
            circuit.blocks[b].items[i:i] = items
        ir = circuit.to_ir()
        if "@__qirrt__delay(" in ir and DELAY_DECLARATION not in ir:
            ir = ir.rstrip("\n") + "\n\n" + DELAY_DECLARATION + "\n"
        changes = {}
        if circuit.physical is not None:
            changes["metadata"] = {**program.metadata, "physical_qubits": list(circuit.physical)}
        padded = program.replace_ir(ir, note=f"ddd{{sequence={self.sequence},windows={filled}}}", **changes)
        return padded, filled

    def expand(self, program, ctx=None) -> list:
        padded, filled = self.pad(program, ctx)
        return [tagged(padded, self.name, windows=filled)]

    def combine(self, results, *, programs=None, observable=None, ctx=None):
        self._check(results, programs)
        if len(results) != 1:
            raise PassError(f"ddd expands into one program but was given {len(results)} results")
        return results[0]


__all__ = ["SEQUENCES", "DigitalDynamicalDecoupling"]
