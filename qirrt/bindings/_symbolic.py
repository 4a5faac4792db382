"""Helpers shared by the Cirq and PennyLane frontends: symbolic angles and exact gate sequences.

An *angle* is a Python number or a `sympy` expression over runtime-parameter symbols. `AngleLowering`
turns one into an operand for `QirEmitter.gate`: a float constant, or an SSA double computed from
`__qirrt__parameter` calls with float arithmetic. The sequences below take angles of either kind (they
only add, negate and halve them), so a controlled rotation with a runtime angle stays parametric.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qirrt.errors import FrontendError
from qirrt.qir.emitter import QirEmitter, double

Step = tuple[str, tuple[int, ...], tuple[Any, ...]]
"""One QIS gate: canonical name (see `qirrt.qir.dialect.GATES`), qubit indices, angles."""


def is_number(value: Any) -> bool:
    """True for anything `float()` accepts (Python and numpy numbers, 0-d arrays, numeric sympy atoms)."""
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


class AngleLowering:
    """Lowers angles (numbers or sympy expressions over named parameters) to emitter operands."""

    def __init__(self, emitter: QirEmitter, parameter_index: Mapping[str, int]):
        self.emitter = emitter
        self.parameter_index = dict(parameter_index)

    def __call__(self, value: Any) -> float | str:
        if is_number(value):
            return float(value)
        free = getattr(value, "free_symbols", None)
        if free is None:
            raise FrontendError(f"unsupported gate parameter {value!r} of type {type(value).__name__}")
        return self._lower(value)

    def _lower(self, node) -> str:
        import sympy

        e = self.emitter
        if not node.free_symbols:  # constants fold: base programs allow float arithmetic only on parameters
            return double(_real(node))
        if node.is_Symbol:
            index = self.parameter_index.get(node.name)
            if index is None:
                raise FrontendError(f"angle refers to unknown parameter {node.name!r} "
                                    f"(known: {', '.join(self.parameter_index) or 'none'})")
            return e.parameter(index)
        if node.is_Add or node.is_Mul:
            identity, op = (0.0, "fadd") if node.is_Add else (1.0, "fmul")
            constant = identity
            args = []
            for arg in node.args:
                if arg.free_symbols:
                    args.append(self._lower(arg))
                else:
                    value = _real(arg)
                    constant = constant + value if node.is_Add else constant * value
            if constant != identity:
                args.append(double(constant))
            return _fold(e, op, args)
        args = [self._lower(a) for a in node.args]
        if node.is_Pow:
            exponent = node.args[1]
            if exponent == -1:
                return e.fbinary("fdiv", double(1.0), args[0])
            if exponent == 2:
                return e.fbinary("fmul", args[0], args[0])
            if exponent == sympy.Rational(1, 2):
                return e.fcall("sqrt", args[0])
            return e.fcall("pow", args[0], args[1])
        functions = {sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.exp: "exp",
                     sympy.log: "log", sympy.asin: "asin", sympy.acos: "acos", sympy.atan: "atan",
                     sympy.Abs: "fabs"}
        for function, name in functions.items():
            if isinstance(node, function):
                return e.fcall(name, *args)
        raise FrontendError(f"unsupported operation in parameter expression: {node}")


def _real(node) -> float:
    value = complex(node)
    if value.imag:
        raise FrontendError(f"complex value {node} in a gate angle")
    return value.real


def _fold(emitter: QirEmitter, op: str, args: list[str]) -> str:
    acc = args[0]
    for arg in args[1:]:
        acc = emitter.fbinary(op, acc, arg)
    return acc


# -- exact sequences (equal up to a global phase, so only for gates not under a further control) ------
def controlled_rotation(axis: str, theta: Any, control: int, target: int) -> Iterator[Step]:
    """C-R_axis(θ) with `control` on |1⟩: exactly, no global phase."""
    if axis == "x":
        yield "h", (target,), ()
        yield from controlled_rotation("z", theta, control, target)
        yield "h", (target,), ()
        return
    gate = {"y": "ry", "z": "rz"}[axis]
    yield gate, (target,), (theta / 2,)
    yield "cx", (control, target), ()
    yield gate, (target,), (-theta / 2,)
    yield "cx", (control, target), ()


def controlled_phase(phi: Any, control: int, target: int) -> Iterator[Step]:
    """diag(1, 1, 1, e^{iφ}) up to a global phase: Rz(φ/2)⊗Rz(φ/2)·Rzz(−φ/2)."""
    yield "rz", (control,), (phi / 2,)
    yield "rz", (target,), (phi / 2,)
    yield "rzz", (control, target), (-phi / 2,)


def multi_rz(theta: Any, qubits: tuple[int, ...]) -> Iterator[Step]:
    """exp(−iθ/2 Z⊗…⊗Z) on `qubits`: a CNOT ladder around one Rz."""
    if len(qubits) == 1:
        yield "rz", qubits, (theta,)
        return
    if len(qubits) == 2:
        yield "rzz", qubits, (theta,)
        return
    ladder = [("cx", (qubits[i], qubits[i + 1]), ()) for i in range(len(qubits) - 1)]
    yield from ladder
    yield "rz", (qubits[-1],), (theta,)
    yield from reversed(ladder)


def euler_zyz(phi: Any, theta: Any, omega: Any, qubit: int) -> Iterator[Step]:
    """RZ(ω)·RY(θ)·RZ(φ) (φ applied first), i.e. PennyLane's `Rot(φ, θ, ω)`."""
    yield "rz", (qubit,), (phi,)
    yield "ry", (qubit,), (theta,)
    yield "rz", (qubit,), (omega,)


# -- classical conditions ---------------------------------------------------------------------------
MAX_CONDITION_BITS = 12


def truth_table_condition(emitter: QirEmitter, bits: list[str], truth: Mapping[tuple[int, ...], bool],
                          what: str) -> str:
    """An i1 that is true exactly on the bit assignments `truth` marks true.

    `bits` are i1 SSA values; `truth` maps every assignment (a tuple as long as `bits`) to a bool. The
    smaller of the true and false sets is written as a sum of minterms (negated for the false set).
    """
    if len(bits) > MAX_CONDITION_BITS:
        raise FrontendError(f"{what} depends on {len(bits)} measured bits; at most "
                            f"{MAX_CONDITION_BITS} are supported")
    true_rows = [row for row, value in truth.items() if value]
    false_rows = [row for row, value in truth.items() if not value]
    if not false_rows:
        return "true"
    if not true_rows:
        return "false"
    negate = len(false_rows) < len(true_rows)
    rows = false_rows if negate else true_rows
    acc = None
    for row in rows:
        term = None
        for bit, value in zip(bits, row):
            literal = bit if value else emitter.logic("xor", bit, "true")
            term = literal if term is None else emitter.logic("and", term, literal)
        term = term if term is not None else "true"
        acc = term if acc is None else emitter.logic("or", acc, term)
    return emitter.logic("xor", acc, "true") if negate else acc
