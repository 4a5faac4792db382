"""Cirq `Circuit` → `Program`, lowered operation by operation with `QirEmitter`.

**Count keys.** One shot reads as the circuit's measurement keys in sorted order (as `str(cirq.Result)`
lists them), separated by spaces; each key's bits appear in the order of the measurement gate's qubits,
first qubit leftmost — the binary digits of `result.histogram(key=k)`'s integer. With keys `a` (one
qubit) and `b` (qubits q0, q1) a shot reads `"1 01"`: a=1, q0=0, q1=1. A key measured several times
records its last measurement (Cirq's `result.records[key][:, -1]`). `invert_mask` bits are recorded
inverted. A circuit without measurements records nothing.

**Qubits** are numbered in `qubit_order` (default: `cirq.QubitOrder.DEFAULT`, i.e. sorted) — this only
names QIR qubits; keys do not depend on it.

**Parameters.** `sympy.Symbol`s left in the circuit become runtime parameters (`__qirrt__parameter`),
ordered by name unless `parameter_order` is given; angles are computed from them with float arithmetic.

**Classical control.** `with_classical_controls` (key, sympy and bit-mask conditions) becomes a branch
of an adaptive-profile program; a key condition reads the key's measurement as Cirq does (any bit set).
`CircuitOperation(..., repeat_until=condition)` becomes a do-while loop (`backwards_branching`).

Gates QIS has are emitted directly (phase-free forms where only a global phase differs); others go
through `cirq.decompose_once`. Noise channels and other non-unitary operations are refused.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import TYPE_CHECKING, Any

from qirrt.bindings._profile import choose_profile
from qirrt.bindings._symbolic import (
    AngleLowering,
    Step,
    controlled_phase,
    controlled_rotation,
    is_number,
    truth_table_condition,
)
from qirrt.errors import FrontendError, require
from qirrt.qir.emitter import QirEmitter
from qirrt.qir.program import Profile, Program

if TYPE_CHECKING:
    import cirq as _cirq

_MAX_DEPTH = 32
_Z_SPECIAL = {1.0: "z", 0.5: "s", -0.5: "s__adj", 0.25: "t", -0.25: "t__adj"}


# cirq gate class name, _Lowering handler method, leading handler arguments.
_GATE_TABLE = (
    ("XPowGate", "_x_pow"), ("Rx", "_x_pow"), ("YPowGate", "_y_pow"), ("Ry", "_y_pow"),
    ("ZPowGate", "_z_pow"), ("Rz", "_z_pow"), ("HPowGate", "_full_turn_only", "h"),
    ("CZPowGate", "_cz_pow"), ("CXPowGate", "_cx_pow"),
    ("XXPowGate", "_two_qubit_rotation", "rxx"), ("YYPowGate", "_two_qubit_rotation", "ryy"),
    ("ZZPowGate", "_two_qubit_rotation", "rzz"), ("SwapPowGate", "_full_turn_only", "swap"),
    ("CCXPowGate", "_full_turn_only", "ccx"), ("CCZPowGate", "_ccz_pow"),
    ("IdentityGate", "_nothing"), ("GlobalPhaseGate", "_nothing"), ("MeasurementGate", "measure"),
    ("ResetChannel", "_reset"), ("WaitGate", "_wait"),
)


def _cirq():
    return require("cirq", extra="cirq", feature="The Cirq frontend")


def _half_turns(exponent: Any) -> Any:
    """An exponent reduced to (-1, 1] when numeric (X**e, Z**e repeat every 2 up to a global phase)."""
    if not is_number(exponent):
        return exponent
    e = float(exponent) % 2.0
    return e - 2.0 if e > 1.0 else e


def _is_full_turn(exponent: Any) -> bool:
    """Whether a numeric exponent is +-1 half turns (the gate itself or its inverse)."""
    return is_number(exponent) and _half_turns(exponent) in (1.0, -1.0)


def _angle(exponent: Any) -> Any:
    """π·exponent, symbolic when the exponent is."""
    if is_number(exponent):
        return math.pi * float(exponent)
    import sympy

    return sympy.pi * exponent


def _power_steps(exponent: Any, native: dict[float, str], rotation, qubits: tuple[int, ...]) -> list[Step]:
    """A Pauli-like power gate: the gate named in `native` for its half turns, else `rotation(angle)`
    (nothing at exponent 0)."""
    e = _half_turns(exponent)
    name = native.get(e) if is_number(e) else None
    if name is not None:
        return [(name, qubits, ())]
    return rotation(_angle(e)) if e != 0.0 else []


def _controlled_steps(cirq, gate, qubits: tuple[int, ...]) -> list[Step] | None:
    """A `cirq.ControlledGate` with one control on a Pauli power or a global phase, exactly; None otherwise."""
    if gate.num_controls() != 1 or not hasattr(gate.control_values, "expand"):
        return None
    values = list(gate.control_values.expand())
    if len(values) != 1 or tuple(values[0]) not in ((0,), (1,)):
        return None
    control, targets = qubits[0], qubits[1:]
    sub = gate.sub_gate
    steps: list[Step] = []
    axis = {cirq.XPowGate: "x", cirq.Rx: "x", cirq.YPowGate: "y", cirq.Ry: "y",
            cirq.ZPowGate: "z", cirq.Rz: "z"}.get(type(sub))
    if axis is not None:
        # P**e with shift s = e^{iπe(s+1/2)} R_P(πe): a controlled rotation and a phase on the control.
        e = sub.exponent
        phase = _angle(e * (sub.global_shift + 0.5))
        steps.extend(controlled_rotation(axis, _angle(e), control, targets[0]))
        steps.append(("rz", (control,), (phase,)))
    elif isinstance(sub, cirq.GlobalPhaseGate):
        steps.append(("rz", (control,), (_phase_of(sub.coefficient, gate),)))
    else:
        return None
    if values[0] == (0,):
        steps = [("x", (control,), ()), *steps, ("x", (control,), ())]
    return steps


def _phase_of(coefficient: Any, gate) -> Any:
    if is_number(coefficient) or isinstance(coefficient, complex):
        return math.atan2(complex(coefficient).imag, complex(coefficient).real)
    import sympy

    phase = sympy.simplify(sympy.expand_log(sympy.log(coefficient), force=True) / sympy.I)
    if phase.has(sympy.I):
        raise FrontendError(f"cannot lower Cirq operation with gate {gate!r}: its symbolic global "
                            f"phase {coefficient} has no real angle")
    return phase


class _Lowering:
    def __init__(self, circuit, *, qubit_order, parameter_order, entry_point: str, labeled: bool):
        cirq = _cirq()
        self.cirq = cirq
        self.qubits = list(cirq.QubitOrder.as_qubit_order(qubit_order).order_for(circuit.all_qubits()))
        qudits = [q for q in self.qubits if q.dimension != 2]
        if qudits:
            raise FrontendError(f"cannot lower a Cirq circuit on qudits {qudits[:3]}: QIR has only qubits")
        self.index = {q: i for i, q in enumerate(self.qubits)}
        names = sorted(cirq.parameter_names(circuit)) if parameter_order is None else list(parameter_order)
        missing = set(cirq.parameter_names(circuit)) - set(names)
        if missing:
            raise FrontendError(f"parameter_order lacks the circuit's parameters {sorted(missing)}")
        self.parameters = tuple(names)
        self.emitter = QirEmitter(entry_point=entry_point, producer="cirq", parameters=self.parameters,
                                  labeled=labeled)
        self.angle = AngleLowering(self.emitter, {n: i for i, n in enumerate(names)})
        self.instances: dict[str, list[list[int]]] = {}  # key -> result indices of each measurement
        self.num_results = 0
        self.measured: set[int] = set()
        self.touched: set[int] = set()
        self.flipped: set[int] = set()  # qubits left X-flipped by an inverted measurement
        self.adaptive = False
        self._handlers = self._gate_handlers()

    # -- helpers -------------------------------------------------------------------------------
    def _use(self, qubits) -> None:
        for q in qubits:
            if q in self.flipped:
                self.flipped.discard(q)
                self.emitter.gate("x", (q,))
            if q in self.measured:
                self.adaptive = True
            self.touched.add(q)

    def _emit(self, steps) -> None:
        for name, qubits, angles in steps:
            self._use(qubits)
            self.emitter.gate(name, qubits, [self.angle(a) for a in angles])

    def _flush_flips(self) -> None:
        for q in sorted(self.flipped):
            self.emitter.gate("x", (q,))
        self.flipped.clear()

    # -- operations ------------------------------------------------------------------------------
    def operation(self, op, depth: int = 0) -> None:
        cirq = self.cirq
        if depth > _MAX_DEPTH:
            raise FrontendError(f"cannot lower Cirq operation {op}: decomposition does not terminate")
        if isinstance(op, cirq.TaggedOperation):
            op = op.untagged
        if isinstance(op, cirq.ClassicallyControlledOperation):
            self.classically_controlled(op, depth)
            return
        if isinstance(op, cirq.CircuitOperation) and op.repeat_until is not None:
            self.repeat_until(op, depth)
            return
        qubits = tuple(self.index[q] for q in op.qubits)
        gate = op.gate
        if gate is not None:
            handler = self._handler(type(gate))
            if handler is not None and handler(gate, qubits) is not False:
                return
            if isinstance(gate, cirq.ControlledGate) and self._controlled(gate, qubits):
                return
        try:
            decomposed = cirq.decompose_once(op, default=None)
        except (ValueError, TypeError, NotImplementedError) as exc:
            raise FrontendError(f"cannot lower Cirq operation {op!r}: its decomposition failed ({exc})") from None
        if decomposed is None:
            if not cirq.has_unitary(op) and cirq.has_kraus(op):
                raise FrontendError(f"cannot lower Cirq operation {op!r}: it is not unitary (noise "
                                    f"channels are not supported)")
            raise FrontendError(f"cannot lower Cirq operation {op!r}: it is not a QIR gate and "
                                f"cirq.decompose_once gives no decomposition")
        for sub in decomposed:
            self.operation(sub, depth + 1)

    def _handler(self, gate_type: type):
        """The handler of `gate_type` or its nearest base class (cirq.X is a `_PauliX(XPowGate)`)."""
        if gate_type not in self._handlers:
            self._handlers[gate_type] = next(
                (self._handlers[c] for c in gate_type.__mro__[1:] if c in self._handlers), None)
        return self._handlers[gate_type]

    def _gate_handlers(self) -> dict:
        """cirq gate class -> handler(gate, qubits); a handler returning False asks for decomposition."""
        handlers = {}
        for class_name, method, *args in _GATE_TABLE:
            bound = getattr(self, method)
            handlers[getattr(self.cirq, class_name)] = functools.partial(bound, *args) if args else bound
        return handlers

    def _x_pow(self, gate, qubits):
        self._emit(_power_steps(gate.exponent, {1.0: "x", -1.0: "x", 0.5: "sx"},
                                lambda a: [("rx", qubits, (a,))], qubits))

    def _y_pow(self, gate, qubits):
        self._emit(_power_steps(gate.exponent, {1.0: "y", -1.0: "y"}, lambda a: [("ry", qubits, (a,))], qubits))

    def _z_pow(self, gate, qubits):
        self._emit(_power_steps(gate.exponent, _Z_SPECIAL, lambda a: [("rz", qubits, (a,))], qubits))

    def _cz_pow(self, gate, qubits):
        self._emit(_power_steps(gate.exponent, {1.0: "cz", -1.0: "cz"}, lambda a: controlled_phase(a, *qubits),
                                qubits))

    def _cx_pow(self, gate, qubits):
        control, target = qubits
        self._emit(_power_steps(gate.exponent, {1.0: "cx", -1.0: "cx"}, lambda a: [
            ("h", (target,), ()), *controlled_phase(a, control, target), ("h", (target,), ())], qubits))

    def _two_qubit_rotation(self, name, gate, qubits):
        self._emit(_power_steps(gate.exponent, {}, lambda a: [(name, qubits, (a,))], qubits))

    def _full_turn_only(self, name, gate, qubits):
        """h, swap, ccx: only the exponent +-1 power is native; others are decomposed."""
        if not _is_full_turn(gate.exponent):
            return False
        self._emit([(name, qubits, ())])

    def _ccz_pow(self, gate, qubits):
        if not _is_full_turn(gate.exponent):
            return False
        self._emit([("h", qubits[2:], ()), ("ccx", qubits, ()), ("h", qubits[2:], ())])

    def _nothing(self, gate, qubits):
        return None

    def _reset(self, gate, qubits):
        (q,) = qubits
        if q in self.touched or q in self.flipped:
            self.flipped.discard(q)
            self._use(qubits)
            self.emitter.reset(q)

    def _wait(self, gate, qubits):
        duration = gate.duration
        if not is_number(getattr(duration, "total_nanos", lambda: None)()):
            return False
        for q in qubits:
            self.emitter.delay(q, float(duration.total_nanos()), "ns")

    def _controlled(self, gate, qubits: tuple[int, ...]) -> bool:
        """One control on a Pauli power or a global phase: emitted exactly; otherwise decomposed."""
        steps = _controlled_steps(self.cirq, gate, qubits)
        if steps is None:
            return False
        self._emit(steps)
        return True

    # -- measurement -----------------------------------------------------------------------------
    def measure(self, gate, qubits: tuple[int, ...]) -> None:
        if getattr(gate, "confusion_map", None):
            raise FrontendError(f"cannot lower Cirq measurement {gate!r}: confusion maps are not supported")
        key = str(gate.mkey)
        invert = tuple(gate.full_invert_mask())
        results = []
        for q, inverted in zip(qubits, invert):
            if q in self.measured:
                self.adaptive = True
            if (q in self.flipped) != bool(inverted):  # X·mz·(X deferred to the next use) inverts the bit
                if q in self.measured:
                    self.adaptive = True
                self.emitter.gate("x", (q,))
                self.flipped ^= {q}
            self.touched.add(q)
            self.measured.add(q)
            r = self.num_results
            self.num_results += 1
            self.emitter.measure(q, r)
            results.append(r)
        self.instances.setdefault(key, []).append(results)

    # -- classical control -----------------------------------------------------------------------
    def classically_controlled(self, op, depth: int) -> None:
        e = self.emitter
        self.adaptive = True
        terms = [self.condition(c, op) for c in op.classical_controls]
        condition = terms[0]
        for term in terms[1:]:
            condition = e.logic("and", condition, term)
        self._flush_flips()
        then_block, done = e.new_block("then"), e.new_block("endif")
        e.cond_branch(condition, then_block, done)
        e.start_block(then_block)
        self.operation(op.without_classical_controls(), depth + 1)
        self._flush_flips()
        e.branch(done)
        e.start_block(done)

    def repeat_until(self, op, depth: int) -> None:
        """`CircuitOperation(..., repeat_until=condition)`: a do-while loop (backwards branching)."""
        e = self.emitter
        self.adaptive = True
        e.mark_backwards_branching()
        self._flush_flips()
        body, done = e.new_block("repeat"), e.new_block("endrepeat")
        e.branch(body)
        e.start_block(body)
        for sub in op.replace(repeat_until=None).mapped_circuit(deep=False).all_operations():
            self.operation(sub, depth + 1)
        self._flush_flips()
        e.cond_branch(self.condition(op.repeat_until, op), done, body)
        e.start_block(done)

    def _bits(self, key: str, index: int, op) -> list[int]:
        instances = self.instances.get(key)
        if not instances:
            raise FrontendError(f"cannot lower Cirq operation {op}: its condition reads measurement key "
                                f"'{key}' before any measurement of it")
        try:
            return instances[index]
        except IndexError:
            raise FrontendError(f"cannot lower Cirq operation {op}: its condition reads measurement "
                                f"{index} of key '{key}', which was measured {len(instances)} time(s)") from None

    def condition(self, condition, op) -> str:
        cirq = self.cirq
        e = self.emitter
        if isinstance(condition, cirq.KeyCondition):
            reads = [e.read_result(r) for r in self._bits(str(condition.key), condition.index, op)]
            acc = reads[0]
            for read in reads[1:]:
                acc = e.logic("or", acc, read)
            return acc
        layout = [(key, self._bits(str(key), -1, op)) for key in condition.keys]
        reads = [e.read_result(r) for _, bits in layout for r in bits]
        widths = [len(bits) for _, bits in layout]
        truth = {}
        for row in itertools.product((0, 1), repeat=len(reads)):
            records, start = {}, 0
            for (key, _), width in zip(layout, widths):
                records[key] = [tuple(row[start:start + width])]
                start += width
            store = cirq.ClassicalDataDictionaryStore(_records=records)
            try:
                truth[row] = bool(condition.resolve(store))
            except Exception as exc:  # noqa: BLE001 - any failure means the condition is beyond us
                raise FrontendError(f"cannot lower Cirq operation {op}: condition {condition} cannot be "
                                    f"evaluated on measured bits ({exc})") from None
        return truth_table_condition(e, reads, truth, f"condition {condition} of Cirq operation {op}")

    # -- outputs ---------------------------------------------------------------------------------
    def record_outputs(self) -> None:
        e = self.emitter
        keys = sorted(self.instances)
        if not keys:
            return
        if len(keys) > 1:
            e.record_tuple(len(keys), "measurements")
        for key in keys:
            results = self.instances[key][-1]
            e.record_array(len(results), key)
            for position, r in enumerate(results):
                e.record_result(r, f"{key}[{position}]")


def from_cirq(circuit: _cirq.AbstractCircuit, *, qubit_order: Any = None, parameter_order: Any = None,
              resolver: Any = None, entry_point: str = "main", labeled: bool = True,
              profile: Profile | str | None = None) -> Program:
    """Lower a Cirq circuit to a `Program`; count keys as described in this module's docstring.

    `resolver` (a `cirq.ParamResolver` or dict) binds some or all symbols first; the rest stay runtime
    parameters. `profile` forces base or adaptive (base is refused for feed-forward circuits).
    """
    cirq = _cirq()
    if not isinstance(circuit, cirq.AbstractCircuit):
        raise FrontendError(f"expected a cirq.Circuit, got {type(circuit).__name__}")
    if resolver is not None:
        circuit = cirq.resolve_parameters(circuit, resolver)
    lowering = _Lowering(circuit, qubit_order=cirq.QubitOrder.DEFAULT if qubit_order is None else qubit_order,
                         parameter_order=parameter_order, entry_point=entry_point, labeled=labeled)
    for op in circuit.all_operations():
        lowering.operation(op)
    lowering.record_outputs()
    chosen = choose_profile(lowering.adaptive, profile,
                            refusal="the Cirq circuit uses mid-circuit measurement or classical control, "
                                    "which the base profile forbids; use profile='adaptive'")
    text = lowering.emitter.finish(chosen, num_qubits=len(lowering.qubits), num_results=lowering.num_results)
    return Program.from_trusted_ir(text, producer="cirq")


class CirqFrontend:
    """Entry-point plugin: accepts `cirq.Circuit` and `cirq.FrozenCircuit` objects."""

    name = "cirq"

    @staticmethod
    def accepts(source: Any) -> bool:
        return any(cls.__name__ == "AbstractCircuit" and cls.__module__.startswith("cirq.")
                   for cls in type(source).__mro__)

    @staticmethod
    def load(source: Any, **options) -> Program:
        return from_cirq(source, **options)
