"""The meaning of the LLVM arithmetic a QIR program may contain, as Python functions.

Shared by every stage that evaluates instructions without running LLVM (the exact interpreter,
raising to Qiskit).
"""

from __future__ import annotations

import math

import pyqir

FLOAT_BINARY = {
    pyqir.Opcode.FADD: lambda a, b: a + b, pyqir.Opcode.FSUB: lambda a, b: a - b,
    pyqir.Opcode.FMUL: lambda a, b: a * b, pyqir.Opcode.FDIV: lambda a, b: a / b,
}
INT_BINARY = {
    pyqir.Opcode.ADD: lambda a, b: a + b, pyqir.Opcode.SUB: lambda a, b: a - b,
    pyqir.Opcode.MUL: lambda a, b: a * b, pyqir.Opcode.AND: lambda a, b: a & b,
    pyqir.Opcode.OR: lambda a, b: a | b, pyqir.Opcode.XOR: lambda a, b: a ^ b,
    pyqir.Opcode.SHL: lambda a, b: a << b, pyqir.Opcode.LSHR: lambda a, b: a >> b,
    pyqir.Opcode.ASHR: lambda a, b: a >> b,
    pyqir.Opcode.SDIV: lambda a, b: int(a / b), pyqir.Opcode.UDIV: lambda a, b: a // b,
    pyqir.Opcode.SREM: lambda a, b: int(math.fmod(a, b)), pyqir.Opcode.UREM: lambda a, b: a % b,
}
ICMP = {
    pyqir.IntPredicate.EQ: lambda a, b: a == b, pyqir.IntPredicate.NE: lambda a, b: a != b,
    pyqir.IntPredicate.SGT: lambda a, b: a > b, pyqir.IntPredicate.SGE: lambda a, b: a >= b,
    pyqir.IntPredicate.SLT: lambda a, b: a < b, pyqir.IntPredicate.SLE: lambda a, b: a <= b,
    pyqir.IntPredicate.UGT: lambda a, b: a > b, pyqir.IntPredicate.UGE: lambda a, b: a >= b,
    pyqir.IntPredicate.ULT: lambda a, b: a < b, pyqir.IntPredicate.ULE: lambda a, b: a <= b,
}
MATH = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
        "asin": math.asin, "acos": math.acos, "atan": math.atan, "fabs": abs, "sqrt": math.sqrt,
        "pow": math.pow}
"""Math intrinsics (`llvm.<name>.f64`) by name."""


def intrinsic_name(callee: str) -> str | None:
    """`llvm.sin.f64` → `sin`; None for anything that is not a known f64 math intrinsic."""
    if callee.startswith("llvm.") and callee.endswith(".f64"):
        name = callee[5:-4]
        return name if name in MATH else None
    return None
