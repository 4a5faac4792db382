"""Qiskit `QuantumCircuit` → `Program`, lowered by qirrt itself.

Standard gates map onto QIS calls; gates QIS lacks are expanded through their Qiskit definitions.
Unbound `Parameter`s and `ParameterExpression`s become runtime parameters (`__qirrt__parameter`
calls and float arithmetic). Output records read exactly as Qiskit's count keys: registers in
reverse order separated by spaces, bit 0 rightmost.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from qirrt.bindings._profile import choose_profile
from qirrt.bindings._symbolic import AngleLowering, is_number
from qirrt.errors import FrontendError
from qirrt.qir.dialect import GATES
from qirrt.qir.emitter import QirEmitter
from qirrt.qir.program import Profile, Program

if TYPE_CHECKING:
    from qiskit.circuit import QuantumCircuit

_DIRECT = {
    "x": "x", "y": "y", "z": "z", "h": "h", "s": "s", "sdg": "s__adj", "t": "t", "tdg": "t__adj",
    "sx": "sx", "rx": "rx", "ry": "ry", "rz": "rz", "cx": "cx", "cy": "cy", "cz": "cz",
    "swap": "swap", "rxx": "rxx", "ryy": "ryy", "rzz": "rzz", "ccx": "ccx",
}
_IGNORED = {"barrier", "id", "global_phase"}


def _phase_free(name: str, params: list) -> list[tuple[str, tuple]] | None:
    """Gates equal to QIS sequences up to a global phase (which no measurement sees)."""
    if name in ("p", "u1"):
        return [("rz", (params[0],))]
    if name in ("u", "u3"):
        theta, phi, lam = params
        return [("rz", (lam,)), ("ry", (theta,)), ("rz", (phi,))]
    if name == "u2":
        phi, lam = params
        return [("rz", (lam,)), ("ry", (math.pi / 2,)), ("rz", (phi,))]
    if name == "sxdg":
        return [("rx", (-math.pi / 2,))]
    if name == "r":
        theta, phi = params
        return [("rz", (-phi,)), ("rx", (theta,)), ("rz", (phi,))] if is_number(phi) and is_number(theta) \
            else None
    return None


class _Lowering:
    """One circuit's lowering state."""

    def __init__(self, circuit: QuantumCircuit, *, entry_point: str, labeled: bool,
                 parameters: tuple[str, ...] | None = None):
        self.circuit = circuit
        names = tuple(p.name for p in circuit.parameters) if parameters is None else tuple(parameters)
        self.parameter_index = {name: i for i, name in enumerate(names)}
        self.emitter = QirEmitter(entry_point=entry_point, producer="qiskit", parameters=names, labeled=labeled)
        self._angles = AngleLowering(self.emitter, self.parameter_index)
        self.adaptive = False
        self.measured: set[int] = set()
        self.touched: set[int] = set()

    # -- angles ------------------------------------------------------------------------------
    def angle(self, value: Any) -> str | float:
        """A constant float, or an SSA double computing a parameter expression."""
        if type(value) is float:
            return value
        if is_number(value):
            return float(value)
        if not hasattr(value, "parameters"):
            raise FrontendError(f"unsupported gate parameter {value!r} of type {type(value).__name__}")
        try:
            return float(value.numeric())
        except (TypeError, AttributeError, ValueError):
            pass
        return self._angles(value.sympify())

    # -- instructions --------------------------------------------------------------------------
    def lower(self, circuit, qubit_map: list[int], clbit_map: list[int]) -> None:
        qubit_index = {bit: qubit_map[i] for i, bit in enumerate(circuit.qubits)}
        clbit_index = {bit: clbit_map[i] for i, bit in enumerate(circuit.clbits)}
        scope = (circuit, clbit_map)
        direct = self._direct
        for instruction in circuit.data:
            qubits = [qubit_index[q] for q in instruction.qubits]
            name = instruction.name
            if name in _DIRECT:  # CircuitInstruction.name/.params avoid building a Python gate object
                direct(name, instruction.params, qubits)
                continue
            clbits = [clbit_index[c] for c in instruction.clbits]
            self.instruction(instruction.operation, qubits, clbits, scope)

    def _direct(self, name: str, params, qubits: list[int]) -> None:
        spec = GATES[_DIRECT[name]]
        angles = [self.angle(p) for p in params[: spec.num_params]] if spec.num_params else ()
        measured = self.measured
        for q in qubits:
            if q in measured:
                self.adaptive = True
            self.touched.add(q)
        self.emitter.gate(spec.name, qubits, angles)

    def instruction(self, operation, qubits: list[int], clbits: list[int], scope) -> None:
        name = operation.name
        e = self.emitter
        if name in _DIRECT:
            self._direct(name, operation.params, qubits)
            return
        if name == "measure":
            if qubits[0] in self.measured:
                self.adaptive = True
            self.touched.add(qubits[0])
            self.measured.add(qubits[0])
            e.measure(qubits[0], clbits[0])
            return
        if name == "reset":
            if qubits[0] in self.touched:
                self._touch(qubits)
                e.reset(qubits[0])
            return
        if name == "delay":
            e.delay(qubits[0], float(operation.duration), operation.unit)
            return
        if name in _IGNORED:
            return
        if name in ("if_else", "while_loop", "for_loop", "switch_case", "box"):
            self.control_flow(operation, qubits, clbits, scope)
            return
        sequence = _phase_free(name, list(operation.params))
        if sequence is not None:
            self._touch(qubits)
            for gate, angles in sequence:
                e.gate(gate, qubits, [self.angle(a) for a in angles])
            return
        definition = getattr(operation, "definition", None)
        if definition is None:
            raise FrontendError(
                f"cannot lower Qiskit instruction '{name}' on qubits {qubits}: it is not a QIR gate "
                f"and has no definition to expand")
        self.lower(definition, qubits, clbits)

    def _touch(self, qubits: list[int]) -> None:
        for q in qubits:
            if q in self.measured:
                self.adaptive = True
            self.touched.add(q)

    # -- classical control flow ----------------------------------------------------------------
    def control_flow(self, operation, qubits: list[int], clbits: list[int], scope) -> None:
        e = self.emitter
        name = operation.name
        blocks = operation.blocks
        self.adaptive = self.adaptive or name in ("if_else", "while_loop", "switch_case")
        if name == "box":
            self._body(blocks[0], qubits, clbits)
            return
        if name == "for_loop":
            indexset, loop_parameter, body = operation.params
            for value in indexset:
                bound = body.assign_parameters({loop_parameter: value}) if loop_parameter is not None else body
                self._body(bound, qubits, clbits)
            return
        if name == "if_else":
            condition = self.condition(operation.condition, scope)
            then_block, else_block, done = e.new_block("then"), e.new_block("else"), e.new_block("endif")
            e.cond_branch(condition, then_block, else_block)
            e.start_block(then_block)
            self._body(blocks[0], qubits, clbits)
            e.branch(done)
            e.start_block(else_block)
            if len(blocks) > 1 and blocks[1] is not None:
                self._body(blocks[1], qubits, clbits)
            e.branch(done)
            e.start_block(done)
            return
        if name == "while_loop":
            header, body_block, done = e.new_block("while"), e.new_block("body"), e.new_block("endwhile")
            e.mark_backwards_branching()
            e.branch(header)
            e.start_block(header)
            condition = self.condition(operation.condition, scope)
            e.cond_branch(condition, body_block, done)
            e.start_block(body_block)
            self._body(blocks[0], qubits, clbits)
            e.branch(header)
            e.start_block(done)
            return
        if name == "switch_case":
            self.switch(operation, qubits, clbits, scope)
            return
        raise FrontendError(f"unsupported control flow '{name}'")

    def _body(self, block, qubits: list[int], clbits: list[int]) -> None:
        self.lower(block, qubits, clbits)

    def switch(self, operation, qubits, clbits, scope) -> None:
        from qiskit.circuit import CASE_DEFAULT

        e = self.emitter
        done = e.new_block("endswitch")
        for values, block in operation.cases_specifier():
            matches = None
            is_default = any(v is CASE_DEFAULT for v in values)
            if not is_default:
                for value in values:
                    test = self.condition((operation.target, value), scope)
                    matches = test if matches is None else e.logic("or", matches, test)
                body, rest = e.new_block("case"), e.new_block("next")
                e.cond_branch(matches, body, rest)
                e.start_block(body)
                self._body(block, qubits, clbits)
                e.branch(done)
                e.start_block(rest)
            else:
                self._body(block, qubits, clbits)
                break
        e.branch(done)
        e.start_block(done)

    def _bit_value(self, bit, scope) -> str:
        circuit, clbit_map = scope
        return self.emitter.read_result(clbit_map[circuit.find_bit(bit).index])

    def _register_equals(self, bits, value: int, scope) -> str:
        e = self.emitter
        acc = None
        for position, bit in enumerate(bits):
            read = self._bit_value(bit, scope)
            term = read if (value >> position) & 1 else e.logic("xor", read, "true")
            acc = term if acc is None else e.logic("and", acc, term)
        return acc if acc is not None else "true"

    def condition(self, condition, scope) -> str:
        from qiskit.circuit import ClassicalRegister, Clbit

        if isinstance(condition, tuple):
            target, value = condition
            if isinstance(target, Clbit):
                read = self._bit_value(target, scope)
                return read if int(value) else self.emitter.logic("xor", read, "true")
            if isinstance(target, ClassicalRegister):
                return self._register_equals(list(target), int(value), scope)
        return self._expr(condition, scope)

    def _expr(self, node, scope) -> str:
        from qiskit.circuit import ClassicalRegister, Clbit
        from qiskit.circuit.classical import expr, types

        e = self.emitter
        if isinstance(node, expr.Var) and isinstance(node.var, Clbit):
            return self._bit_value(node.var, scope)
        if isinstance(node, expr.Value) and isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node, expr.Unary) and node.op in (expr.Unary.Op.LOGIC_NOT, expr.Unary.Op.BIT_NOT) \
                and node.type.kind is types.Bool:
            return e.logic("xor", self._expr(node.operand, scope), "true")
        if isinstance(node, expr.Cast):
            return self._expr(node.operand, scope)
        if isinstance(node, expr.Binary):
            op = node.op
            ops = {expr.Binary.Op.LOGIC_AND: "and", expr.Binary.Op.LOGIC_OR: "or",
                   expr.Binary.Op.BIT_AND: "and", expr.Binary.Op.BIT_OR: "or", expr.Binary.Op.BIT_XOR: "xor"}
            if op in (expr.Binary.Op.EQUAL, expr.Binary.Op.NOT_EQUAL):
                left, right = node.left, node.right
                if isinstance(left, expr.Value):
                    left, right = right, left
                if isinstance(left, expr.Var) and isinstance(left.var, ClassicalRegister) \
                        and isinstance(right, expr.Value):
                    result = self._register_equals(list(left.var), int(right.value), scope)
                else:
                    result = e.logic("xor", self._expr(left, scope), self._expr(right, scope))
                    result = e.logic("xor", result, "true")
                return result if op is expr.Binary.Op.EQUAL else e.logic("xor", result, "true")
            if op in ops and node.type.kind is types.Bool:
                return e.logic(ops[op], self._expr(node.left, scope), self._expr(node.right, scope))
        raise FrontendError(f"unsupported classical condition {node}")

    # -- outputs -------------------------------------------------------------------------------
    def record_outputs(self) -> None:
        circuit, e = self.circuit, self.emitter
        registers = [(reg.name, [circuit.find_bit(b).index for b in reg]) for reg in circuit.cregs]
        in_register = {i for _, bits in registers for i in bits}
        loose = [i for i in range(circuit.num_clbits) if i not in in_register]
        if loose:
            registers.append(("loose", loose))
        if not registers:
            return
        if len(registers) > 1:
            e.record_tuple(len(registers), "registers")
        for name, bits in reversed(registers):
            e.record_array(len(bits), name)
            for position in reversed(range(len(bits))):
                e.record_result(bits[position], f"{name}[{position}]")


def from_qiskit(circuit: QuantumCircuit, *, entry_point: str | None = None, labeled: bool = True,
                profile: Profile | str | None = None) -> Program:
    """Lower a Qiskit circuit to a `Program`; bitstrings read as Qiskit's counts."""
    from qiskit.circuit import QuantumCircuit as _QC

    if not isinstance(circuit, _QC):
        raise FrontendError(f"expected a qiskit QuantumCircuit, got {type(circuit).__name__}")
    name = entry_point or _entry_name(circuit.name)
    lowering = _Lowering(circuit, entry_point=name, labeled=labeled)
    try:
        lowering.lower(circuit, list(range(circuit.num_qubits)), list(range(circuit.num_clbits)))
    except FrontendError as exc:
        raise FrontendError(f"circuit '{circuit.name}': {exc}") from None
    lowering.record_outputs()
    chosen = choose_profile(lowering.adaptive, profile,
                            refusal=f"circuit '{circuit.name}' uses mid-circuit measurement or classical "
                                    f"control flow, which the base profile forbids; use --profile adaptive")
    text = lowering.emitter.finish(chosen, num_qubits=circuit.num_qubits, num_results=circuit.num_clbits)
    return Program.from_trusted_ir(text, producer="qiskit")


def _entry_name(name: str) -> str:
    if re.fullmatch(r"circuit-\d+", name):  # Qiskit's automatic names would change the program hash
        return "main"
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "main"
    return cleaned if not cleaned[0].isdigit() else f"c_{cleaned}"


class QiskitFrontend:
    """Entry-point plugin: accepts `QuantumCircuit` objects."""

    name = "qiskit"

    @staticmethod
    def accepts(source: Any) -> bool:
        module = type(source).__module__
        return module.startswith("qiskit.") and type(source).__name__ == "QuantumCircuit"

    @staticmethod
    def load(source: Any, **options) -> Program:
        return from_qiskit(source, **options)
