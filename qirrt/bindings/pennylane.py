"""PennyLane `QuantumTape` / `QuantumScript` / `QNode` → `Program`, lowered operation by operation.

**Count keys.** One shot is one bit string, no spaces, leftmost bit first, as `qml.counts` prints it and
`qml.probs` indexes it (its first wire is the most significant bit). Its bits are the *fields* of the
tape's terminal measurements in order of first appearance, without repeats:

* `qml.sample` / `qml.counts` / `qml.probs` / `qml.expval` / `qml.var` on wires (or on an observable's
  wires) contribute those wires in the measurement's order; without wires, every wire in *wire order*;
* the same measurements of mid-circuit values (`qml.counts(m)`, `qml.sample([m0, m1])`) contribute the
  recorded values of those `qml.measure` calls.

So a tape returning a single `qml.counts(wires=[2, 0])` reads exactly as that counts dictionary's keys.
Observables are measured in their eigenbasis: their diagonalizing gates are applied and their wires
measured, so keys are bits (not eigenvalues) from which the caller computes expectation values;
observables that overlap on a wire must share the basis there.

**Wire order** (qubit numbering, and the "all wires" order): `wire_order` if given; else a QNode's device
wires; else, as default.qubit does, the integers 0..n-1 when the tape's wires are exactly those, or the
order of first use otherwise.

**Parameters.** With `parameters="trainable"` (default) each trainable gate parameter (PennyLane's
`tape.trainable_params`; on a QNode, the arguments marked `requires_grad`) stays a runtime parameter named
`p{k}`, `k` its position in `tape.get_parameters()`; `"all"` does this for every gate parameter (`k` then
indexes `tape.get_parameters(trainable_only=False)`), `"none"` bakes every value. Gates with a symbolic
lowering keep them (rotations, controlled rotations, phase shifts, `Rot`, `U1`-`U3`, `MultiRZ`,
`PauliRot`, their adjoints and conditionals); a parameter of any other gate is baked into its
decomposition, logged at WARNING, and left out of `Program.parameters`.

**Mid-circuit measurement.** `qml.measure` (with `reset=True` too) and `qml.cond` lower to measurements and
forward branches of an adaptive-profile program; `postselect` is refused.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from qirrt.bindings._profile import choose_profile
from qirrt.bindings._symbolic import (
    AngleLowering,
    controlled_phase,
    controlled_rotation,
    euler_zyz,
    is_number,
    multi_rz,
    truth_table_condition,
)
from qirrt.errors import FrontendError, require
from qirrt.qir.emitter import QirEmitter
from qirrt.qir.program import Profile, Program

logger = logging.getLogger(__name__)

_FIXED = {"PauliX": "x", "PauliY": "y", "PauliZ": "z", "Hadamard": "h", "S": "s", "T": "t", "SX": "sx",
          "CNOT": "cx", "CY": "cy", "CZ": "cz", "SWAP": "swap", "Toffoli": "ccx"}
_SELF_INVERSE = {"PauliX", "PauliY", "PauliZ", "Hadamard", "CNOT", "CY", "CZ", "SWAP", "Toffoli"}
_FIXED_ADJOINT = {"S": [("s__adj", ())], "T": [("t__adj", ())], "SX": [("rx", (-math.pi / 2,))]}
_ROTATIONS = {"RX": "rx", "RY": "ry", "RZ": "rz", "IsingXX": "rxx", "IsingYY": "ryy", "IsingZZ": "rzz"}
_IGNORED = {"Identity", "GlobalPhase", "Barrier", "Snapshot"}
_NEGATE_TO_INVERT = set(_ROTATIONS) | {"PhaseShift", "U1", "CRX", "CRY", "CRZ", "ControlledPhaseShift",
                                        "MultiRZ", "PauliRot"}
_REVERSE_TO_INVERT = {"Rot", "CRot"}  # Rot(φ, θ, ω)† = Rot(−ω, −θ, −φ)
_ACCEPTED_MEASUREMENTS = ("SampleMP", "CountsMP", "ProbabilityMP", "ExpectationMP", "VarianceMP")


def _pennylane():
    return require("pennylane", extra="pennylane", feature="The PennyLane frontend")


def _rule(name: str, params: list, qubits: tuple[int, ...], hyper: dict):
    """Steps for gates lowered with symbolic angles; None when `name` has no rule."""
    if name in ("PhaseShift", "U1"):
        return [("rz", qubits, (params[0],))]
    if name == "Rot":
        return list(euler_zyz(*params, qubits[0]))
    if name == "U3":
        theta, phi, delta = params
        return list(euler_zyz(delta, theta, phi, qubits[0]))
    if name == "U2":
        phi, delta = params
        return list(euler_zyz(delta, math.pi / 2, phi, qubits[0]))
    if name in ("CRX", "CRY", "CRZ"):
        return list(controlled_rotation(name[-1].lower(), params[0], *qubits))
    if name == "CRot":
        phi, theta, omega = params
        return [*controlled_rotation("z", phi, *qubits), *controlled_rotation("y", theta, *qubits),
                *controlled_rotation("z", omega, *qubits)]
    if name == "ControlledPhaseShift":
        return list(controlled_phase(params[0], *qubits))
    if name == "MultiRZ":
        return list(multi_rz(params[0], qubits))
    if name == "PauliRot":
        word = hyper["pauli_word"]
        active = tuple(q for q, p in zip(qubits, word) if p != "I")
        if not active:
            return []
        into = [("h", (q,), ()) if p == "X" else ("rx", (q,), (math.pi / 2,))
                for q, p in zip(qubits, word) if p in "XY"]
        back = [("h", (q,), ()) if p == "X" else ("rx", (q,), (-math.pi / 2,))
                for q, p in zip(qubits, word) if p in "XY"]
        return [*into, *multi_rz(params[0], active), *back]
    return None


_RULES = {"PhaseShift", "U1", "Rot", "U3", "U2", "CRX", "CRY", "CRZ", "CRot", "ControlledPhaseShift",
          "MultiRZ", "PauliRot"}


def _symbolic_ok(op) -> bool:
    """Whether `op`'s parameters can stay symbolic (see `_Lowering.operation`)."""
    name = op.name
    if name in _ROTATIONS or name in _RULES:
        return True
    kind = type(op).__name__
    if kind == "Conditional":
        return _symbolic_ok(op.base)
    if kind in ("Adjoint", "AdjointOperation", "AdjointOpObs", "AdjointObs"):
        base = op.base.name
        return base in _NEGATE_TO_INVERT or base in _REVERSE_TO_INVERT or base == "U3"
    return False


class _Lowering:
    def __init__(self, tape, wires: list, parameters: str, *, entry_point: str, labeled: bool):
        self.qml = _pennylane()
        self.tape = tape
        self.wires = wires
        self.index = {w: i for i, w in enumerate(wires)}
        self.symbols = self._choose_parameters(parameters)
        names = sorted({s.name for s in self.symbols.values()}, key=lambda n: int(n[1:]))
        self.parameters = tuple(names)
        self.emitter = QirEmitter(entry_point=entry_point, producer="pennylane", parameters=self.parameters,
                                  labeled=labeled)
        self.angle = AngleLowering(self.emitter, {n: i for i, n in enumerate(names)})
        self.mcm_results: dict[str, int] = {}
        self.num_results = 0
        self.measured: set[int] = set()
        self.adaptive = False

    # -- parameters ------------------------------------------------------------------------------
    def _choose_parameters(self, mode: str) -> dict:
        """(operation index, data index) → sympy Symbol for the gate parameters kept at run time."""
        if mode == "none":
            return {}
        import sympy

        tape = self.tape
        selected = list(tape.trainable_params) if mode == "trainable" else list(range(tape.num_params))
        operations = tape.operations
        symbols = {}
        for k, index in enumerate(selected):
            info = tape.par_info[index]
            op_index, data_index = info["op_idx"], info["p_idx"]
            if op_index >= len(operations):
                continue  # an observable's parameter: observables are diagonalised numerically
            op = operations[op_index]
            value = op.data[data_index]
            if not is_number(value):
                continue  # matrices and other non-scalar data are baked
            if not _symbolic_ok(op):
                logger.warning("PennyLane operation %s has no symbolic lowering: its parameter p%d = %s is "
                               "baked into the program", op.name, k, float(value))
                continue
            symbols[(op_index, data_index)] = sympy.Symbol(f"p{k}")
        return symbols

    # -- operations ------------------------------------------------------------------------------
    def qubits_of(self, op) -> tuple[int, ...]:
        return tuple(self.index[w] for w in op.wires)

    def _emit(self, steps) -> None:
        for name, qubits, angles in steps:
            for q in qubits:
                if q in self.measured:
                    self.adaptive = True
            self.emitter.gate(name, qubits, [self.angle(a) for a in angles])

    def run(self) -> None:
        for op_index, op in enumerate(self.tape.operations):
            params = [self.symbols.get((op_index, j), value) for j, value in enumerate(op.data)]
            self.operation(op, params)

    def operation(self, op, params: list, depth: int = 0) -> None:
        if depth > 32:
            raise FrontendError(f"cannot lower PennyLane operation {op}: decomposition does not terminate")
        name = op.name
        kind = type(op).__name__
        qubits = self.qubits_of(op)
        if kind == "MidMeasure" or name == "MidMeasureMP":
            self.mid_measure(op, qubits)
            return
        if kind == "Conditional":
            self.conditional(op, params, depth)
            return
        if name in _IGNORED:
            return
        if name in _FIXED:
            self._emit([(_FIXED[name], qubits, ())])
            return
        if name in _ROTATIONS:
            self._emit([(_ROTATIONS[name], qubits, (self._scalar(op, params[0]),))])
            return
        steps = _rule(name, [self._scalar(op, p) for p in params], qubits, op.hyperparameters) \
            if name in _RULES else None
        if steps is not None:
            self._emit(steps)
            return
        if kind in ("Adjoint", "AdjointOperation", "AdjointOpObs", "AdjointObs") \
                and self.adjoint(op.base, params, depth):
            return
        self.decompose(op, params, depth)

    def adjoint(self, base, params: list, depth: int) -> bool:
        name = base.name
        qubits = self.qubits_of(base)
        if name in _SELF_INVERSE:
            self._emit([(_FIXED[name], qubits, ())])
        elif name in _FIXED_ADJOINT:
            self._emit([(gate, qubits, angles) for gate, angles in _FIXED_ADJOINT[name]])
        elif name in _NEGATE_TO_INVERT:
            self.operation(base, [-self._scalar(base, p) for p in params], depth + 1)
        elif name in _REVERSE_TO_INVERT:
            self.operation(base, [-self._scalar(base, p) for p in reversed(params)], depth + 1)
        elif name == "U3":
            theta, phi, delta = (self._scalar(base, p) for p in params)
            self.operation(base, [-theta, -delta, -phi], depth + 1)
        else:
            return False
        return True

    def decompose(self, op, params: list, depth: int) -> None:
        if any(not is_number(p) and hasattr(p, "free_symbols") for p in params):
            raise FrontendError(f"cannot lower PennyLane operation {op}: its runtime parameters have no "
                                f"symbolic lowering; pass parameters='none' to bake their values")
        if not op.has_decomposition:
            raise FrontendError(f"cannot lower PennyLane operation {op.name} on wires {op.wires.tolist()}: "
                                f"it is not a QIR gate and has no decomposition")
        try:
            decomposition = op.decomposition()
        except Exception as exc:  # noqa: BLE001 - PennyLane raises several types here
            raise FrontendError(f"cannot lower PennyLane operation {op.name} on wires {op.wires.tolist()}: "
                                f"its decomposition failed ({exc})") from None
        for sub in decomposition:
            self.operation(sub, list(sub.data), depth + 1)

    def _scalar(self, op, value: Any) -> Any:
        if hasattr(value, "free_symbols"):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            raise FrontendError(f"cannot lower PennyLane operation {op.name} on wires {op.wires.tolist()}: "
                                f"parameter {value!r} is not a scalar (broadcasting is not supported)") from None

    # -- mid-circuit measurement -----------------------------------------------------------------
    def mid_measure(self, op, qubits: tuple[int, ...]) -> None:
        if op.postselect is not None:
            raise FrontendError(f"cannot lower PennyLane mid-circuit measurement on wire {op.wires[0]}: "
                                f"postselect={op.postselect} is not supported")
        (q,) = qubits
        self.mcm_results[op.meas_uid] = self._measure(q)
        if op.reset:
            self.adaptive = True
            self.emitter.reset(q)

    def _measure(self, q: int) -> int:
        if q in self.measured:
            self.adaptive = True
        self.measured.add(q)
        r = self.num_results
        self.num_results += 1
        self.emitter.measure(q, r)
        return r

    def conditional(self, op, params: list, depth: int) -> None:
        e = self.emitter
        self.adaptive = True
        value = op.meas_val
        reads = [e.read_result(self._mcm_result(m, op)) for m in value.measurements]
        truth = {tuple(int(b) for b in row): bool(v) for row, v in value.branches.items()}
        condition = truth_table_condition(e, reads, truth, f"condition of PennyLane operation {op.name}")
        then_block, done = e.new_block("then"), e.new_block("endif")
        e.cond_branch(condition, then_block, done)
        e.start_block(then_block)
        self.operation(op.base, params, depth + 1)
        e.branch(done)
        e.start_block(done)

    def _mcm_result(self, measurement, where) -> int:
        r = self.mcm_results.get(measurement.meas_uid)
        if r is None:
            raise FrontendError(f"PennyLane {where} uses a mid-circuit measurement on wire "
                                f"{measurement.wires[0]} that the tape does not perform before it")
        return r

    # -- terminal measurements -------------------------------------------------------------------
    def terminal(self) -> None:
        fields: list[tuple[str, Any]] = []
        bases: dict[Any, tuple] = {}
        emitted: set = set()
        for m in self.tape.measurements:
            kind = type(m).__name__
            if kind not in _ACCEPTED_MEASUREMENTS:
                raise FrontendError(f"cannot lower PennyLane measurement {m}: only sample, counts, probs, "
                                    f"expval and var have a counts-based QIR form")
            if m.mv is not None:
                for value in (m.mv if isinstance(m.mv, (list, tuple)) else [m.mv]):
                    fields.append(("mcm", self._identity_value(value, m)))
                continue
            if m.obs is not None:
                wires = list(m.obs.wires)
                try:
                    gates = list(m.obs.diagonalizing_gates())
                except Exception as exc:  # noqa: BLE001
                    raise FrontendError(f"cannot lower PennyLane measurement {m}: its observable has no "
                                        f"diagonalizing gates ({exc})") from None
            else:
                wires = list(m.wires) if len(m.wires) else list(self.wires)
                gates = []
            for wire in wires:
                basis = tuple(_gate_key(g) for g in gates if wire in g.wires)
                if bases.setdefault(wire, basis) != basis:
                    raise FrontendError(f"cannot lower PennyLane measurement {m}: wire {wire} is measured "
                                        f"in two different bases by the tape's measurements")
            for gate in gates:
                if _gate_key(gate) not in emitted:
                    emitted.add(_gate_key(gate))
                    self.operation(gate, list(gate.data))
            fields.extend(("wire", w) for w in wires)
        seen: set = set()
        results: list[tuple[int, str]] = []
        for kind, item in fields:
            if (kind, item) in seen:
                continue
            seen.add((kind, item))
            if kind == "wire":
                results.append((self._measure(self.index[item]), str(item)))
            else:
                results.append((item, f"mcm{len(results)}"))
        if results:
            self.emitter.record_array(len(results), "measurements")
            for r, label in results:
                self.emitter.record_result(r, label)

    def _identity_value(self, value, measurement) -> int:
        branches = {tuple(int(b) for b in k): v for k, v in value.branches.items()}
        if len(value.measurements) != 1 or branches != {(0,): 0, (1,): 1}:
            raise FrontendError(f"cannot lower PennyLane measurement {measurement}: only single mid-circuit "
                                f"measurement values (or lists of them) can be recorded, not expressions")
        return self._mcm_result(value.measurements[0], measurement)


def _gate_key(gate) -> tuple:
    import numpy as np

    data = tuple(tuple(np.round(np.asarray(d, dtype=complex).ravel(), 12).tolist()) for d in gate.data)
    return gate.name, tuple(gate.wires), data


def _default_wires(tape) -> list:
    """default.qubit's order: 0..n-1 when the wires are those integers, else first use (ops, then measurements)."""
    order: list = []
    for op in tape.operations:
        order.extend(w for w in op.wires if w not in order)
    for m in tape.measurements:
        order.extend(w for w in m.wires if w not in order)
    if set(order) == set(range(len(order))):
        return list(range(len(order)))
    return order


def _tape_of(source, args: tuple, kwargs: dict | None):
    qml = _pennylane()
    if isinstance(source, qml.workflow.QNode):
        try:
            tape = qml.workflow.construct_tape(source, level="user")(*args, **(kwargs or {}))
        except Exception as exc:
            raise FrontendError(f"constructing the tape of QNode {getattr(source, '__name__', source)} "
                                f"failed: {type(exc).__name__}: {exc}") from exc
        device_wires = source.device.wires
        return tape, (list(device_wires) if device_wires is not None else None)
    if isinstance(source, qml.tape.QuantumScript):
        if args or kwargs:
            raise FrontendError("args and kwargs apply only to a QNode, not to a tape")
        return source, None
    raise FrontendError(f"expected a PennyLane QuantumTape, QuantumScript or QNode, got {type(source).__name__}")


def from_pennylane(tape_or_qnode: Any, *, args: tuple = (), kwargs: dict | None = None,
                   parameters: str = "trainable", wire_order: list | None = None, entry_point: str = "main",
                   labeled: bool = True, profile: Profile | str | None = None) -> Program:
    """Lower a PennyLane tape or QNode (called with `args`/`kwargs`) to a `Program`.

    Keys, wire order and parameters follow this module's docstring.
    """
    if parameters not in ("trainable", "all", "none"):
        raise FrontendError(f"parameters must be 'trainable', 'all' or 'none', not {parameters!r}")
    tape, device_wires = _tape_of(tape_or_qnode, tuple(args), kwargs)
    if tape.batch_size is not None:
        raise FrontendError(f"cannot lower a PennyLane tape with broadcast parameters (batch size "
                            f"{tape.batch_size}); split it with qml.transforms.broadcast_expand first")
    wires = list(wire_order) if wire_order is not None else device_wires or _default_wires(tape)
    unknown = [w for w in tape.wires if w not in wires]
    if unknown:
        raise FrontendError(f"wires {unknown} of the tape are missing from the wire order {wires}")
    lowering = _Lowering(tape, wires, parameters, entry_point=entry_point, labeled=labeled)
    lowering.run()
    lowering.terminal()
    chosen = choose_profile(lowering.adaptive, profile,
                            refusal="the PennyLane tape uses mid-circuit measurement or qml.cond, which the base "
                                    "profile forbids; use profile='adaptive'")
    text = lowering.emitter.finish(chosen, num_qubits=len(wires), num_results=lowering.num_results)
    return Program.from_trusted_ir(text, producer="pennylane")


class PennyLaneFrontend:
    """Entry-point plugin: accepts PennyLane tapes, quantum scripts and QNodes (`args=`, `kwargs=` options)."""

    name = "pennylane"

    @staticmethod
    def accepts(source: Any) -> bool:
        return any(cls.__module__.startswith("pennylane.") and cls.__name__ in ("QuantumScript", "QNode")
                   for cls in type(source).__mro__)

    @staticmethod
    def load(source: Any, **options) -> Program:
        return from_pennylane(source, **options)
