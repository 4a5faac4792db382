"""When each qubit is busy: operation durations on a program's physical qubits and the idle windows
of an as-late-as-possible schedule (what `ddd` pads and `pec` models as idle noise).

Durations come from the context's calibration, else its target (on the physical qubits of the
program's layout, module qubit i = physical i without one), else nominal defaults
(`DEFAULT_DURATIONS_NS`). Diagonal single-qubit gates (``rz``, ``s``, ``t``, ``z``) take no time when
the device has no duration for them: they are frame changes on superconducting devices. Barrier
lines split the schedule: each stretch between them is scheduled on its own. The time before a
qubit's first operation is not a window (the qubit is still in |0⟩).
"""

from __future__ import annotations

from dataclasses import dataclass

from qirrt.errors import PassError
from qirrt.passes.circuit import Circuit, Gate, Op, Raw, is_barrier, qubits_of
from qirrt.qir.dialect import GATES
from qirrt.qir.text import parse_double

DEFAULT_DURATIONS_NS = {"1q": 35.5, "2q": 300.0, "3q": 900.0, "measure": 1200.0, "reset": 1200.0}
"""Nominal durations (IBM-like) used when neither calibration nor target gives one."""


@dataclass(frozen=True)
class Window:
    """An idle stretch of one qubit: [start_ns, end_ns), before item `before` of block `block`."""

    qubit: int
    start_ns: float
    end_ns: float
    block: int
    before: int

    @property
    def duration_ns(self) -> float:
        return self.end_ns - self.start_ns


class Durations:
    """Operation durations on one program's physical qubits."""

    def __init__(self, physical: list[int] | None, ctx) -> None:
        self.physical = physical
        self.target = getattr(ctx, "target", None) if ctx is not None else None
        self.calibration = getattr(ctx, "calibration", None) if ctx is not None else None

    def physical_qubits(self, qubits) -> tuple[int, ...]:
        if self.physical is None:
            return tuple(qubits)
        return tuple(self.physical[q] if q < len(self.physical) else q for q in qubits)

    def _lookup(self, name: str, phys: tuple[int, ...]) -> float | None:
        if self.calibration is not None:
            found = self.calibration.gate_duration_ns(name, phys)
            if found is not None:
                return found
        if self.target is not None:
            return self.target.gate_duration_ns(name, phys)
        return None

    def gate(self, name: str, qubits) -> float:
        phys = self.physical_qubits(qubits)
        found = self._lookup(name, phys)
        if found is not None:
            return found
        spec = GATES.get(name)
        if len(phys) == 1:
            if spec is not None and spec.diagonal:
                return 0.0
            for stand_in in ("x", "sx") if name == "y" else ("sx", "x"):
                found = self._lookup(stand_in, phys)
                if found is not None:
                    return found
            return DEFAULT_DURATIONS_NS["1q"]
        if len(phys) == 2:
            found = self._lookup("cx", phys)
            return found if found is not None else DEFAULT_DURATIONS_NS["2q"]
        return DEFAULT_DURATIONS_NS["3q"]

    def op(self, op: Op) -> float:
        if op.name == "delay":
            return _delay_ns(op, self.target)
        (phys,) = self.physical_qubits((op.qubit,))
        if self.calibration is not None:
            qubit = self.calibration.qubits.get(phys)
            if qubit is not None and qubit.readout_duration_ns:
                return qubit.readout_duration_ns
        if self.target is not None and phys in self.target.readout_durations_ns:
            return self.target.readout_durations_ns[phys]
        return DEFAULT_DURATIONS_NS["reset" if op.name == "reset" else "measure"]


def _delay_ns(op: Op, target) -> float:
    parts = [p.strip() for p in op.suffix.strip(", ").split(",")]
    value = parse_double(parts[0].removeprefix("double").strip()) if parts else None
    unit = parts[1].removeprefix("i64").strip() if len(parts) > 1 else "0"
    if value is None:
        raise PassError(f"the schedule cannot read the delay `{op.suffix.strip(', ')}`: durations must be constants")
    if unit == "1":  # samples of dt
        dt = getattr(target, "dt_ns", None)
        if dt is None:
            raise PassError("the program has delays in units of dt but the target gives no dt_ns to schedule them")
        return value * dt
    return value


def idle_windows(circuit: Circuit, durations: Durations) -> list[Window]:
    """Gaps between consecutive operations on each qubit, block by block, in an ALAP schedule."""
    windows: list[Window] = []
    for b, block in enumerate(circuit.blocks):
        # split at barriers (impure raw lines): each stretch is scheduled on its own
        stretch: list[int] = []
        for i, item in enumerate(block.items + [Raw("", pure=False)]):
            if is_barrier(item):
                if stretch:
                    windows.extend(_stretch_windows(block.items, stretch, durations, b))
                stretch = []
            elif not isinstance(item, Raw):
                stretch.append(i)
    return windows


def _stretch_windows(items: list, indices: list[int], durations: Durations, block: int) -> list[Window]:
    length = {i: (durations.gate(items[i].name, items[i].qubits) if isinstance(items[i], Gate)
                  else durations.op(items[i])) for i in indices}
    # ASAP for the total length, then ALAP backwards from it
    clock: dict[int, float] = {}
    for i in indices:
        qubits = qubits_of(items[i])
        start = max((clock.get(q, 0.0) for q in qubits), default=0.0)
        for q in qubits:
            clock[q] = start + length[i]
    total = max(clock.values(), default=0.0)
    next_start: dict[int, float] = {}
    start_of: dict[int, float] = {}
    for i in reversed(indices):
        qubits = qubits_of(items[i])
        end = min((next_start.get(q, total) for q in qubits), default=total)
        start_of[i] = end - length[i]
        for q in qubits:
            next_start[q] = start_of[i]
    out = []
    previous: dict[int, int] = {}
    for i in indices:
        for q in qubits_of(items[i]):
            if q in previous:
                j = previous[q]
                gap_start = start_of[j] + length[j]
                if start_of[i] - gap_start > 1e-9:
                    out.append(Window(q, gap_start, start_of[i], block, i))
            previous[q] = i
    return out


__all__ = ["DEFAULT_DURATIONS_NS", "Durations", "Window", "idle_windows"]
