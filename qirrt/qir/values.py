"""One meaning for LLVM's scalar instructions: integer, float, compare, select and cast.

Every stage that evaluates QIR's classical instructions without running LLVM — the exact interpreter
(`qirrt.qir.exact`), the raising to Qiskit (`qirrt.bindings.qiskit.to_circuit`) — evaluates them here, so they agree with
each other and with the JIT (`tests/qir/test_values.py` checks each operation against LLVM's own JIT).

Values. An integer of width *w* is a Python ``int`` in ``[0, 2**w)``: its bit pattern, read as
unsigned (i1 is 0 or 1; pyqir's `IntConstant.value` is already in this form). `signed` reads it as
two's complement. Inputs of any Python int are first wrapped to the width. A ``double`` is a Python
``float``; arithmetic follows IEEE 754 binary64 (``x / 0`` is ±inf or NaN, ``frem`` is C's
``fmod``, NaN propagates). Only ``double`` is supported among the float types.

Undefined cases. Where LLVM's result is poison or the behaviour undefined, the JIT's answer depends
on the machine and on what the optimiser folded (x86 traps on a division by zero and masks shift
amounts by the register width, constant folding picks anything), so there is no single value to
agree with. These raise `PoisonError` naming the operation and its operands:

* ``udiv``/``sdiv``/``urem``/``srem`` by zero, and ``sdiv``/``srem`` of the minimum by -1;
* ``shl``/``lshr``/``ashr`` by an amount ≥ the width;
* a result that breaks the instruction's flags: ``nsw``/``nuw`` overflow, ``exact`` with bits lost,
  ``or disjoint`` of overlapping operands, ``trunc nuw``/``nsw`` losing bits, ``zext``/``uitofp nneg``
  of a negative value;
* ``fptosi``/``fptoui`` of NaN, an infinity, or a value whose integer part does not fit the width.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqir

from qirrt.errors import ExecutionError, PoisonError
from qirrt.qir.text import bits_double, double_bits

__all__ = [
    "CASTS", "FCMP", "FLOAT_BINARY", "ICMP", "INT_BINARY", "MATH", "OPCODES", "PoisonError", "evaluate",
    "fcmp", "float_binary", "fneg", "icmp", "int_binary", "intrinsic_name", "signed", "wrap",
]


# =============================================================================================
# Integers
# =============================================================================================
def wrap(value: int, width: int) -> int:
    """`value` reduced to `width` bits, read as unsigned."""
    return int(value) & ((1 << width) - 1)


def signed(value: int, width: int) -> int:
    """The `width`-bit pattern of `value` read as two's complement."""
    value = wrap(value, width)
    return value - (1 << width) if value >> (width - 1) else value


def _udiv(a: int, b: int, w: int) -> int:
    return a // b


def _sdiv(a: int, b: int, w: int) -> int:
    x, y = signed(a, w), signed(b, w)
    quotient = abs(x) // abs(y)
    return -quotient if (x < 0) != (y < 0) else quotient


def _urem(a: int, b: int, w: int) -> int:
    return a % b


def _srem(a: int, b: int, w: int) -> int:
    x, y = signed(a, w), signed(b, w)
    remainder = abs(x) % abs(y)
    return -remainder if x < 0 else remainder  # the sign of the dividend, as C's %


def _ashr(a: int, b: int, w: int) -> int:
    return signed(a, w) >> b


INT_BINARY: dict[str, Callable[[int, int, int], int]] = {
    "add": lambda a, b, w: a + b,
    "sub": lambda a, b, w: a - b,
    "mul": lambda a, b, w: a * b,
    "udiv": _udiv, "sdiv": _sdiv, "urem": _urem, "srem": _srem,
    "shl": lambda a, b, w: a << b,
    "lshr": lambda a, b, w: a >> b,
    "ashr": _ashr,
    "and": lambda a, b, w: a & b,
    "or": lambda a, b, w: a | b,
    "xor": lambda a, b, w: a ^ b,
}
"""Integer binary operations on unsigned `width`-bit patterns; results before wrapping."""

_DIVISIONS = {"udiv", "sdiv", "urem", "srem"}
_SHIFTS = {"shl", "lshr", "ashr"}


def int_binary(op: str, a: int, b: int, width: int, flags: frozenset[str] | set[str] = frozenset()) -> int:
    """LLVM's integer `op` (``add`` … ``xor``) on `width`-bit operands; raises `PoisonError` where undefined."""
    a, b = wrap(a, width), wrap(b, width)
    if op in _DIVISIONS:
        if b == 0:
            raise PoisonError(f"{op} i{width} {signed(a, width)}, 0: division by zero is undefined behaviour")
        if op in ("sdiv", "srem") and a == 1 << (width - 1) and b == (1 << width) - 1:
            raise PoisonError(f"{op} i{width} {signed(a, width)}, -1: the quotient overflows (undefined "
                              f"behaviour)")
    elif op in _SHIFTS and b >= width:
        raise PoisonError(f"{op} i{width} {signed(a, width)}, {b}: a shift by {b} ≥ the width {width} is poison")
    result = INT_BINARY[op](a, b, width)
    if flags:
        _check_int_flags(op, a, b, width, result, flags)
    return wrap(result, width)


def _check_int_flags(op: str, a: int, b: int, width: int, result: int, flags) -> None:
    def poison(why: str) -> PoisonError:
        return PoisonError(f"{op} {' '.join(sorted(flags))} i{width} {signed(a, width)}, {signed(b, width)}: {why}")

    if "nuw" in flags and op in ("add", "sub", "mul", "shl") and not 0 <= result < 1 << width:
        raise poison("unsigned overflow is poison under nuw")
    if "nsw" in flags and op in ("add", "sub", "mul", "shl"):
        exact = INT_BINARY[op](signed(a, width), b if op == "shl" else signed(b, width), width)
        if not -(1 << (width - 1)) <= exact < 1 << (width - 1):
            raise poison("signed overflow is poison under nsw")
    if "exact" in flags:
        lost = {"udiv": lambda: a % b, "sdiv": lambda: signed(a, width) % signed(b, width) if b else 0,
                "lshr": lambda: a & ((1 << b) - 1), "ashr": lambda: a & ((1 << b) - 1)}.get(op)
        if lost is not None and lost():
            raise poison("bits lost under exact are poison")
    if "disjoint" in flags and op == "or" and a & b:
        raise poison("operands with common set bits are poison under disjoint")


ICMP: dict[str, Callable[[int, int, int], bool]] = {
    "eq": lambda a, b, w: a == b, "ne": lambda a, b, w: a != b,
    "ugt": lambda a, b, w: a > b, "uge": lambda a, b, w: a >= b,
    "ult": lambda a, b, w: a < b, "ule": lambda a, b, w: a <= b,
    "sgt": lambda a, b, w: signed(a, w) > signed(b, w), "sge": lambda a, b, w: signed(a, w) >= signed(b, w),
    "slt": lambda a, b, w: signed(a, w) < signed(b, w), "sle": lambda a, b, w: signed(a, w) <= signed(b, w),
}


def icmp(predicate: str, a: int, b: int, width: int) -> int:
    """``icmp <predicate>`` of two `width`-bit integers: 1 or 0."""
    return int(ICMP[predicate](wrap(a, width), wrap(b, width), width))


# =============================================================================================
# Floats
# =============================================================================================
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer))


def _ieee(function: Callable[[np.float64, np.float64], Any], a, b) -> float:
    with np.errstate(all="ignore"):
        return float(function(np.float64(a), np.float64(b)))


FLOAT_BINARY: dict[str, Callable[[float, float], float]] = {
    "fadd": lambda a, b: _ieee(np.add, a, b),
    "fsub": lambda a, b: _ieee(np.subtract, a, b),
    "fmul": lambda a, b: _ieee(np.multiply, a, b),
    "fdiv": lambda a, b: _ieee(np.divide, a, b),
    "frem": lambda a, b: _ieee(np.fmod, a, b),
}
_SYMBOLIC = {"fadd": lambda a, b: a + b, "fsub": lambda a, b: a - b, "fmul": lambda a, b: a * b,
             "fdiv": lambda a, b: a / b}


def float_binary(op: str, a, b):
    """LLVM's double `op` (``fadd`` … ``frem``).

    Operands that are not numbers (Qiskit parameter expressions, when raising) combine with Python's
    operators instead; ``frem`` has no such form.
    """
    if _is_number(a) and _is_number(b):
        return FLOAT_BINARY[op](a, b)
    if op not in _SYMBOLIC:
        raise ExecutionError(f"{op} of a symbolic value has no closed form")
    return _SYMBOLIC[op](a, b)


def fneg(a):
    """``fneg``: flips the sign bit (so ``fneg 0.0`` is ``-0.0`` and NaN stays NaN)."""
    return -float(a) if _is_number(a) else -a


_ORDERED: dict[str, Callable[[float, float], bool]] = {
    "eq": lambda a, b: a == b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "ne": lambda a, b: a != b,
}


def fcmp(predicate: str, a: float, b: float) -> int:
    """``fcmp <predicate>``: ``o*`` are false when either operand is NaN, ``u*`` true; 1 or 0."""
    a, b = float(a), float(b)
    unordered = math.isnan(a) or math.isnan(b)
    if predicate in ("true", "false"):
        return int(predicate == "true")
    if predicate == "ord":
        return int(not unordered)
    if predicate == "uno":
        return int(unordered)
    kind, relation = predicate[0], predicate[1:]
    if unordered:
        return int(kind == "u")
    return int(_ORDERED[relation](a, b))


FCMP = ("false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
        "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true")


# =============================================================================================
# Casts
# =============================================================================================
DOUBLE = "double"
"""The float type, where a cast takes a width."""


def _fp_to_int(x: float, width: int, is_signed: bool, op: str) -> int:
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise PoisonError(f"{op} double {x} to i{width}: NaN and infinities are poison")
    value = math.trunc(x)
    low, high = (-(1 << (width - 1)), 1 << (width - 1)) if is_signed else (0, 1 << width)
    if not low <= value < high:
        raise PoisonError(f"{op} double {x!r} to i{width}: {value} does not fit, which is poison")
    return wrap(value, width)


def _bitcast(value, source, target):
    if source == DOUBLE and target == 64:
        return double_bits(value)
    if source == 64 and target == DOUBLE:
        return bits_double(wrap(value, 64))
    if source == target:
        return value
    raise ExecutionError(f"bitcast from {_type_name(source)} to {_type_name(target)} is not supported")


def _type_name(kind) -> str:
    return kind if isinstance(kind, str) else f"i{kind}"


def _nneg(op: str, value: int, width: int, flags) -> None:
    if "nneg" in flags and value >> (width - 1):
        raise PoisonError(f"{op} nneg i{width} {signed(value, width)}: a negative operand is poison under nneg")


def _trunc(value: int, source: int, target: int, flags) -> int:
    result = wrap(value, target)
    if "nuw" in flags and result != value:
        raise PoisonError(f"trunc nuw i{source} {value} to i{target}: dropped set bits are poison")
    if "nsw" in flags and signed(result, target) != signed(value, source):
        raise PoisonError(f"trunc nsw i{source} {signed(value, source)} to i{target}: the signed value changes, "
                          f"which is poison")
    return result


def _zext(value: int, source: int, target: int, flags) -> int:
    _nneg("zext", value, source, flags)
    return value


def _uitofp(value: int, source: int, target, flags) -> float:
    _nneg("uitofp", value, source, flags)
    return float(value)


CASTS: dict[str, Callable[[Any, Any, Any, Any], Any]] = {
    "trunc": lambda v, s, t, f: _trunc(wrap(v, s), s, t, f),
    "zext": lambda v, s, t, f: _zext(wrap(v, s), s, t, f),
    "sext": lambda v, s, t, f: wrap(signed(v, s), t),
    "sitofp": lambda v, s, t, f: float(signed(v, s)),
    "uitofp": lambda v, s, t, f: _uitofp(wrap(v, s), s, t, f),
    "fptosi": lambda v, s, t, f: _fp_to_int(v, t, True, "fptosi"),
    "fptoui": lambda v, s, t, f: _fp_to_int(v, t, False, "fptoui"),
    "bitcast": lambda v, s, t, f: _bitcast(v, s, t),
    "fpext": lambda v, s, t, f: float(v),
    "fptrunc": lambda v, s, t, f: float(v),
    "inttoptr": lambda v, s, t, f: v,
    "ptrtoint": lambda v, s, t, f: wrap(v, t),
    "freeze": lambda v, s, t, f: v,
}
"""Casts ``(value, source type, target type, flags)``; a type is a width or `DOUBLE`."""


def cast(op: str, value, source, target, flags: frozenset[str] | set[str] = frozenset()):
    """LLVM's cast `op` of `value` from `source` to `target` (a width or `DOUBLE`)."""
    return CASTS[op](value, source, target, flags)


# =============================================================================================
# Math intrinsics
# =============================================================================================
def _ieee_unary(function: Callable[[np.float64], Any]) -> Callable[[float], float]:
    def apply(x: float) -> float:
        with np.errstate(all="ignore"):
            return float(function(np.float64(x)))
    return apply


MATH: dict[str, Callable[..., float]] = {
    "sin": _ieee_unary(np.sin), "cos": _ieee_unary(np.cos), "tan": _ieee_unary(np.tan),
    "exp": _ieee_unary(np.exp), "log": _ieee_unary(np.log), "asin": _ieee_unary(np.arcsin),
    "acos": _ieee_unary(np.arccos), "atan": _ieee_unary(np.arctan), "fabs": _ieee_unary(np.abs),
    "sqrt": _ieee_unary(np.sqrt), "pow": lambda x, y: _ieee(np.power, x, y),
}
"""Math intrinsics (``llvm.<name>.f64``) by name, with libm's IEEE results (NaN, ±inf) rather than Python's
exceptions."""


def intrinsic_name(callee: str) -> str | None:
    """`llvm.sin.f64` → `sin`; None for anything that is not a known f64 math intrinsic."""
    if callee.startswith("llvm.") and callee.endswith(".f64"):
        name = callee[5:-4]
        return name if name in MATH else None
    return None


# =============================================================================================
# pyqir instructions
# =============================================================================================
_O = pyqir.Opcode
OPCODES: dict[Any, str] = {
    _O.ADD: "add", _O.SUB: "sub", _O.MUL: "mul", _O.UDIV: "udiv", _O.SDIV: "sdiv", _O.UREM: "urem",
    _O.SREM: "srem", _O.SHL: "shl", _O.LSHR: "lshr", _O.ASHR: "ashr", _O.AND: "and", _O.OR: "or", _O.XOR: "xor",
    _O.FADD: "fadd", _O.FSUB: "fsub", _O.FMUL: "fmul", _O.FDIV: "fdiv", _O.FREM: "frem", _O.FNEG: "fneg",
    _O.ICMP: "icmp", _O.FCMP: "fcmp", _O.SELECT: "select",
    _O.TRUNC: "trunc", _O.ZEXT: "zext", _O.SEXT: "sext", _O.SI_TO_FP: "sitofp", _O.UI_TO_FP: "uitofp",
    _O.FP_TO_SI: "fptosi", _O.FP_TO_UI: "fptoui", _O.BIT_CAST: "bitcast", _O.FP_EXT: "fpext",
    _O.FP_TRUNC: "fptrunc", _O.INT_TO_PTR: "inttoptr", _O.PTR_TO_INT: "ptrtoint", _O.FREEZE: "freeze",
}
"""The pyqir opcodes `evaluate` knows, by LLVM mnemonic."""

_FLAGGED = {"add", "sub", "mul", "shl", "udiv", "sdiv", "lshr", "ashr", "or", "trunc", "zext", "uitofp"}
_FLAG = re.compile(r"\b(nuw|nsw|exact|disjoint|nneg)\b")


def _kind(type_) -> Any:
    """A pyqir type as a width, `DOUBLE`, or ``"ptr"``."""
    if isinstance(type_, pyqir.IntType):
        return type_.width
    if type_.is_double:
        return DOUBLE
    if isinstance(type_, pyqir.PointerType):
        return "ptr"
    return None


def _flags(instruction, mnemonic: str) -> frozenset[str]:
    if mnemonic not in _FLAGGED:
        return frozenset()
    head = str(instruction).split("=", 1)[-1].strip().split(" i", 1)[0]  # `add nsw i64 ...` → `add nsw`
    return frozenset(_FLAG.findall(head))


def evaluate(instruction, operands: Sequence[Any]):
    """The value of a pyqir `instruction` (an opcode in `OPCODES`) whose operands evaluate to `operands`.

    Raises `PoisonError` where LLVM's result is undefined and `ExecutionError` for anything else it
    cannot evaluate, each naming the instruction.
    """
    mnemonic = OPCODES.get(instruction.opcode)
    try:
        if mnemonic is None:
            raise ExecutionError(f"{instruction.opcode} is not a scalar LLVM operation")
        return _evaluate(instruction, mnemonic, operands)
    except ExecutionError as exc:
        where = str(instruction).strip()
        raise type(exc)(f"{exc} (in `{where}`)") from None


def _evaluate(instruction, mnemonic: str, operands: Sequence[Any]):
    if mnemonic in INT_BINARY:
        width = _kind(instruction.type)
        if not isinstance(width, int):
            raise ExecutionError(f"{mnemonic} on {_type_name(width)} values (vectors?) is not supported")
        return int_binary(mnemonic, int(operands[0]), int(operands[1]), width, _flags(instruction, mnemonic))
    if mnemonic in FLOAT_BINARY:
        _require_double(instruction.type, mnemonic)
        return float_binary(mnemonic, operands[0], operands[1])
    if mnemonic == "fneg":
        _require_double(instruction.type, mnemonic)
        return fneg(operands[0])
    if mnemonic == "icmp":
        width = _kind(instruction.operands[0].type)
        if width == "ptr":
            width = 64
        return icmp(_predicate(instruction), int(operands[0]), int(operands[1]), width)
    if mnemonic == "fcmp":
        return fcmp(_predicate(instruction), operands[0], operands[1])
    if mnemonic == "select":
        return operands[1] if operands[0] else operands[2]
    source = _kind(instruction.operands[0].type)
    target = _kind(instruction.type)
    if source is None or target is None:
        raise ExecutionError(f"{mnemonic} between these types is not supported (only iN, double and ptr)")
    if source == "ptr":
        source = 64
    if target == "ptr":
        target = 64
    return cast(mnemonic, operands[0], source, target, _flags(instruction, mnemonic))


def _require_double(type_, mnemonic: str) -> None:
    if not type_.is_double:
        raise ExecutionError(f"{mnemonic} on a float type other than double is not supported")


def _predicate(instruction) -> str:
    return str(instruction.predicate).rsplit(".", 1)[-1].lower()
