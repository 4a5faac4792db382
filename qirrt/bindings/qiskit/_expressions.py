"""Values of a raised program as Qiskit sees them: constants, i1 logic over clbits, parameter expressions.

Arithmetic on constants (and on parameters, for doubles) is `qirrt.qir.values`'s; this module only maps
what that cannot fold to Qiskit — i1 ``and``/``or``/``xor``/``icmp eq|ne``/``select`` over measured bits
become `qiskit.circuit.classical.expr` trees (`Bool`), math intrinsics on parameters become
`ParameterExpression` methods, and program parameters become `Parameter`s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pyqir

from qirrt.bindings.qiskit._clbits import Bool
from qirrt.errors import ExecutionError
from qirrt.qir.values import MATH, OPCODES, evaluate, float_binary, fneg

__all__ = ["and_", "compute", "is_bool_type", "math", "not_", "or_", "parameter_objects", "xor"]

_MATH = {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "asin": "arcsin",
         "acos": "arccos", "atan": "arctan", "fabs": "abs"}
"""Math intrinsics on a parameter, by `ParameterExpression` method."""
_VECTOR_ELEMENT = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")
_FLOAT_OPS = ("fadd", "fsub", "fmul", "fdiv", "frem", "fneg")

Fail = Callable[..., ExecutionError]


def is_bool_type(value) -> bool:
    kind = value.type
    return isinstance(kind, pyqir.IntType) and kind.width == 1


def compute(instruction, operand: Callable[[Any, Any], Any], fail: Fail):
    """Fold an instruction on constants (`qirrt.qir.values`), or build the i1 logic / parameter
    expression it computes from measured bits and parameters; `operand(value, user)` evaluates an operand."""
    mnemonic = OPCODES.get(instruction.opcode)
    if mnemonic is None:
        raise fail(f"instruction `{instruction.opcode.name.lower()}` cannot be raised to Qiskit",
                   instruction=instruction)
    values = [operand(v, instruction) for v in instruction.operands]
    if all(isinstance(v, (int, float)) for v in values):
        return _fold(instruction, values, fail)
    if mnemonic in ("inttoptr", "freeze"):
        return values[0]
    if mnemonic in _FLOAT_OPS:
        values = [_float(v, instruction, fail) for v in values]
        try:
            return fneg(values[0]) if mnemonic == "fneg" else float_binary(mnemonic, *values)
        except ExecutionError as exc:
            raise fail(str(exc), instruction=instruction) from None
    if mnemonic == "select" and isinstance(values[0], bool):
        return values[1] if values[0] else values[2]
    if any(not isinstance(v, (int, float, Bool)) for v in values):
        raise fail(f"`{mnemonic}` of a symbolic parameter cannot be raised; bind the parameters "
                   f"(params=...)", instruction=instruction)
    return _logic(instruction, mnemonic, values, fail)


def _logic(instruction, mnemonic: str, values: list, fail: Fail):
    """i1 logic on measured bits (at least one operand is a `Bool`)."""
    boolean = all(isinstance(v, (bool, Bool)) for v in values)
    if mnemonic in ("and", "or", "xor") and boolean and is_bool_type(instruction):
        return {"and": and_, "or": or_, "xor": xor}[mnemonic](*values)
    if mnemonic == "icmp" and boolean:
        predicate = str(instruction.predicate).rsplit(".", 1)[-1].lower()
        if predicate == "eq":
            return not_(xor(*values))
        if predicate == "ne":
            return xor(*values)
        raise fail("ordered comparison of measured i1 values cannot be raised", instruction=instruction)
    if mnemonic == "select":
        if is_bool_type(instruction) and boolean:
            return or_(and_(values[0], values[1]), and_(not_(values[0]), values[2]))
        raise fail("a select on a measured condition of a non-i1 value cannot be raised",
                   instruction=instruction)
    raise fail("integer computation on measured values cannot be raised", instruction=instruction)


def _fold(instruction, values, fail: Fail):
    """The value of an instruction on constants: i1 results as bool, other integers as their bit pattern."""
    try:
        value = evaluate(instruction, values)
    except ExecutionError as exc:
        raise fail(str(exc), instruction=instruction) from None
    return bool(value) if is_bool_type(instruction) else value


def _float(value, instruction, fail: Fail):
    if isinstance(value, (bool, Bool)):
        raise fail("float computation on measured values cannot be raised", instruction=instruction)
    return value


def math(call, function: str, args: list, fail: Fail):
    """``llvm.<function>.f64`` of `args` (numbers or parameter expressions)."""
    args = [_float(a, call, fail) for a in args]
    if all(isinstance(a, (int, float)) for a in args):
        if function not in MATH:
            raise fail(f"math intrinsic llvm.{function}.f64 has no equivalent", instruction=call)
        return float(MATH[function](*args))
    if function in _MATH:
        return getattr(args[0], _MATH[function])()
    if function == "sqrt":
        return args[0] ** 0.5
    if function == "pow":
        return args[0] ** args[1]
    raise fail(f"math intrinsic llvm.{function}.f64 on a parameter has no Qiskit equivalent", instruction=call)


def not_(a):
    from qiskit.circuit.classical import expr

    if isinstance(a, bool):
        return not a
    if isinstance(a.expr, expr.Unary) and a.expr.op is expr.Unary.Op.LOGIC_NOT:
        return Bool(a.expr.operand, a.refs)
    return Bool(expr.logic_not(a.expr), a.refs)


def and_(a, b):
    from qiskit.circuit.classical import expr

    return _connective(a, b, True, expr.logic_and)


def or_(a, b):
    from qiskit.circuit.classical import expr

    return _connective(a, b, False, expr.logic_or)


def _connective(a, b, identity: bool, build):
    """``and`` (identity True) or ``or`` (identity False), folding a constant operand."""
    if isinstance(a, bool):
        return b if a == identity else a
    if isinstance(b, bool):
        return a if b == identity else b
    return Bool(build(a.expr, b.expr), a.refs | b.refs)


def xor(a, b):
    from qiskit.circuit.classical import expr

    if isinstance(a, bool) and isinstance(b, bool):
        return a != b
    if isinstance(a, bool):
        return not_(b) if a else b
    if isinstance(b, bool):
        return not_(a) if b else a
    return Bool(expr.bit_xor(a.expr, b.expr), a.refs | b.refs)


def parameter_objects(names: tuple[str, ...], params) -> list:
    """Bound values, or Qiskit `Parameter`s named as the program's (vectors rebuilt as vectors)."""
    if params is not None:
        if isinstance(params, Mapping):
            missing = [n for n in names if n not in params]
            if missing:
                raise ExecutionError(f"no value for parameter(s) {missing}; the program's parameters are "
                                     f"{list(names)}")
            return [float(params[n]) for n in names]
        values = [float(v) for v in params]
        if len(values) != len(names):
            raise ExecutionError(f"program has {len(names)} parameters {list(names)}, got {len(values)} values")
        return values
    from qiskit.circuit import Parameter, ParameterVector

    vectors: dict[str, int] = {}
    for name in names:
        match = _VECTOR_ELEMENT.match(name)
        if match:
            base, index = match.group("name"), int(match.group("index"))
            vectors[base] = max(vectors.get(base, 0), index + 1)
    built = {base: ParameterVector(base, size) for base, size in vectors.items()}
    out = []
    for name in names:
        match = _VECTOR_ELEMENT.match(name)
        if match and match.group("name") in built:
            out.append(built[match.group("name")][int(match.group("index"))])
        else:
            out.append(Parameter(name))
    return out
