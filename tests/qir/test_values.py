"""`qirrt.qir.values` against LLVM itself: each operation is JIT-compiled by llvmlite and called through ctypes.

Every case runs the same instruction text twice — parsed by pyqir and evaluated by `llvm_eval.evaluate`,
and compiled by LLVM's MCJIT — and compares the bit patterns. Cases where LLVM's result is poison or
undefined are not called (a division by zero would kill the test process with SIGFPE); there the
evaluator must raise `PoisonError`, which an oracle written here from the LangRef decides independently.
"""

from __future__ import annotations

import ctypes
import math
import struct
from functools import cache

import pyqir
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qirrt.qir.values import FCMP, PoisonError, evaluate, signed

WIDTHS = (1, 8, 32, 64)
INT_OPS = ("add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr", "and", "or", "xor")
FLAGGED = (("add", "nsw"), ("add", "nuw"), ("sub", "nsw"), ("sub", "nuw"), ("mul", "nsw"), ("mul", "nuw"),
           ("shl", "nsw"), ("shl", "nuw"), ("udiv", "exact"), ("sdiv", "exact"), ("lshr", "exact"),
           ("ashr", "exact"), ("or", "disjoint"))
ICMPS = ("eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle")
FLOAT_OPS = ("fadd", "fsub", "fmul", "fdiv", "frem")


def edge_values(width: int) -> list[int]:
    """0, 1, 2, -1, min, max, min+1, and shift amounts around the width, as `width`-bit patterns."""
    mask = (1 << width) - 1
    values = {0, 1, 2, mask, 1 << (width - 1), (1 << (width - 1)) - 1, (1 << (width - 1)) + 1,
              width - 1, width, width + 1, 3, 0x55 & mask}
    return sorted(v & mask for v in values)


DOUBLES = [0.0, -0.0, 1.0, -1.0, 1.5, -2.5, 3.0, 0.1, 1e16, -1e300, 5e-324, 1.7976931348623157e308,
           math.inf, -math.inf, math.nan, 9.223372036854775807e18, 1.8446744073709552e19, 255.9, -128.5]


# -- the functions under test, as LLVM text ---------------------------------------------------------
def _int_function(name: str, width: int, body: str, result_width: int | None = None) -> str:
    """i64 f(i64 x, i64 y): truncate to iW, compute `%r` by `body`, zero-extend the result to i64."""
    result_width = width if result_width is None else result_width
    lines = [f"define i64 @{name}(i64 %x, i64 %y) {{"]
    for arg, src in (("a", "x"), ("b", "y")):
        lines.append(f"  %{arg} = trunc i64 %{src} to i{width}" if width < 64 else f"  %{arg} = freeze i64 %{src}")
    lines.append(f"  %r = {body}")
    lines.append(f"  %e = zext i{result_width} %r to i64" if result_width < 64 else "  %e = freeze i64 %r")
    lines += ["  ret i64 %e", "}"]
    return "\n".join(lines)


def _functions() -> dict[str, tuple[str, str]]:
    """name → (LLVM text, ctypes signature kind)."""
    out: dict[str, tuple[str, str]] = {}
    for width in WIDTHS:
        for op in INT_OPS:
            out[f"{op}_{width}"] = (_int_function(f"{op}_{width}", width, f"{op} i{width} %a, %b"), "ii")
        for op, flag in FLAGGED:
            name = f"{op}_{flag}_{width}"
            out[name] = (_int_function(name, width, f"{op} {flag} i{width} %a, %b"), "ii")
        for predicate in ICMPS:
            name = f"icmp_{predicate}_{width}"
            out[name] = (_int_function(name, width, f"icmp {predicate} i{width} %a, %b", 1), "ii")
        name = f"select_{width}"
        out[name] = (_int_function(name, width, f"select i1 %c, i{width} %a, i{width} %b").replace(
            "  %r =", "  %c = icmp ult i64 %x, %y\n  %r =", 1), "ii")
        for target in WIDTHS:
            ops = ["trunc"] if target < width else ["zext", "sext"] if target > width else []
            for op in ops:
                name = f"{op}_{width}_{target}"
                out[name] = (_int_function(name, width, f"{op} i{width} %a to i{target}", target), "ii")
        for op in ("sitofp", "uitofp"):
            name = f"{op}_{width}"
            text = (f"define double @{name}(i64 %x) {{\n" +
                    (f"  %a = trunc i64 %x to i{width}\n" if width < 64 else "  %a = freeze i64 %x\n") +
                    f"  %r = {op} i{width} %a to double\n  ret double %r\n}}")
            out[name] = (text, "i_d")
        for op in ("fptosi", "fptoui"):
            name = f"{op}_{width}"
            text = (f"define i64 @{name}(double %x) {{\n  %r = {op} double %x to i{width}\n" +
                    (f"  %e = zext i{width} %r to i64\n" if width < 64 else "  %e = freeze i64 %r\n") +
                    "  ret i64 %e\n}")
            out[name] = (text, "d_i")
    for op in FLOAT_OPS:
        text = f"define double @{op}(double %a, double %b) {{\n  %r = {op} double %a, %b\n  ret double %r\n}}"
        out[op] = (text, "dd")
    out["fneg"] = ("define double @fneg(double %a, double %b) {\n  %r = fneg double %a\n  ret double %r\n}", "dd")
    for predicate in FCMP:
        name = f"fcmp_{predicate}"
        text = (f"define i64 @{name}(double %a, double %b) {{\n  %r = fcmp {predicate} double %a, %b\n"
                f"  %e = zext i1 %r to i64\n  ret i64 %e\n}}")
        out[name] = (text, "dd_i")
    out["bitcast_d_i"] = ("define i64 @bitcast_d_i(double %x) {\n  %r = bitcast double %x to i64\n  ret i64 %r\n}",
                          "d_i")
    out["bitcast_i_d"] = ("define double @bitcast_i_d(i64 %x) {\n  %r = bitcast i64 %x to double\n  ret double %r\n}",
                          "i_d")
    return out


_SIGNATURES = {
    "ii": ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64),
    "i_d": ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_uint64),
    "d_i": ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_double),
    "dd": ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double),
    "dd_i": ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_double, ctypes.c_double),
}


class _Harness:
    """One module with every function: JIT-compiled by llvmlite, parsed by pyqir (kept on this thread)."""

    def __init__(self):
        from qirrt.qir.llvm import llvm

        functions = _functions()
        text = "\n\n".join(t for t, _ in functions.values())
        target = llvm.Target.from_default_triple()
        machine = target.create_target_machine(opt=0, codemodel="jitdefault", jit=True)
        module = llvm.parse_assembly(text)
        module.verify()
        module.triple = machine.triple
        module.data_layout = str(machine.target_data)
        self.engine = llvm.create_mcjit_compiler(module, machine)
        self.engine.finalize_object()
        self.native = {name: _SIGNATURES[kind](self.engine.get_function_address(name))
                       for name, (_, kind) in functions.items()}
        self.pyqir_module = pyqir.Module.from_ir(pyqir.Context(), text)
        self.instruction = {}
        for function in self.pyqir_module.functions:
            for instruction in function.basic_blocks[0].instructions:
                if instruction.name == "r":
                    self.instruction[function.name] = instruction

    def evaluate(self, name: str, *operands):
        return evaluate(self.instruction[name], list(operands))


@cache
def harness() -> _Harness:
    return _Harness()


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _same_double(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or _bits(a) == _bits(b)


# -- an independent oracle for LLVM's undefined cases --------------------------------------------------
def undefined(op: str, flag: str | None, a: int, b: int, width: int) -> bool:
    sa, sb = signed(a, width), signed(b, width)
    if op in ("udiv", "sdiv", "urem", "srem") and b == 0:
        return True
    if op in ("sdiv", "srem") and sa == -(1 << (width - 1)) and sb == -1:
        return True
    if op in ("shl", "lshr", "ashr") and b >= width:
        return True
    low, high = -(1 << (width - 1)), 1 << (width - 1)
    if flag == "nsw":
        exact = sa * 2 ** b if op == "shl" else {"add": sa + sb, "sub": sa - sb, "mul": sa * sb}[op]
        return not low <= exact < high
    if flag == "nuw":
        exact = a * 2 ** b if op == "shl" else {"add": a + b, "sub": a - b, "mul": a * b}[op]
        return not 0 <= exact < 1 << width
    if flag == "exact":
        if op == "udiv":
            return a % b != 0
        if op == "sdiv":
            return sa % sb != 0
        return a % (1 << b) != 0
    if flag == "disjoint":
        return a & b != 0
    return False


def check_int(op: str, flag: str | None, a: int, b: int, width: int) -> None:
    h = harness()
    name = f"{op}_{flag}_{width}" if flag else f"{op}_{width}"
    if undefined(op, flag, a, b, width):
        with pytest.raises(PoisonError):
            h.evaluate(name, a, b)
        return
    assert h.evaluate(name, a, b) == h.native[name](a, b), (name, a, b)


# -- tests ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("op", INT_OPS)
def test_integer_binary_matches_llvm_on_edge_values(op, width):
    for a in edge_values(width):
        for b in edge_values(width):
            check_int(op, None, a, b, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("op", "flag"), FLAGGED)
def test_flags_make_poison_exactly_where_llvm_says(op, flag, width):
    for a in edge_values(width):
        for b in edge_values(width):
            check_int(op, flag, a, b, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("predicate", ICMPS)
def test_icmp_matches_llvm_on_edge_values(predicate, width):
    h = harness()
    name = f"icmp_{predicate}_{width}"
    for a in edge_values(width):
        for b in edge_values(width):
            assert h.evaluate(name, a, b) == h.native[name](a, b), (name, a, b)


@pytest.mark.parametrize("width", WIDTHS)
def test_select_and_integer_casts_match_llvm(width):
    h = harness()
    for a in edge_values(width):
        for b in edge_values(width):
            condition = int(a < b)
            assert h.evaluate(f"select_{width}", condition, a, b) == h.native[f"select_{width}"](a, b)
        for target in WIDTHS:
            for op in (["trunc"] if target < width else ["zext", "sext"] if target > width else []):
                name = f"{op}_{width}_{target}"
                assert h.evaluate(name, a) == h.native[name](a, 0), (name, a)
        for op in ("sitofp", "uitofp"):
            name = f"{op}_{width}"
            assert _same_double(h.evaluate(name, a), h.native[name](a)), (name, a)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("op", ["fptosi", "fptoui"])
def test_float_to_int_matches_llvm_and_refuses_poison(op, width):
    h = harness()
    name = f"{op}_{width}"
    low, high = (-(2 ** (width - 1)), 2 ** (width - 1)) if op == "fptosi" else (0, 2 ** width)
    for x in DOUBLES + [float(v) for v in edge_values(width)] + [-float(v) for v in edge_values(width)]:
        if math.isnan(x) or math.isinf(x) or not low <= math.trunc(x) < high:
            with pytest.raises(PoisonError):
                h.evaluate(name, x)
        else:
            assert h.evaluate(name, x) == h.native[name](x), (name, x)


@pytest.mark.parametrize("op", FLOAT_OPS + ("fneg",))
def test_float_arithmetic_matches_llvm_bit_for_bit(op):
    h = harness()
    for a in DOUBLES:
        for b in DOUBLES:
            ours = h.evaluate(op, a) if op == "fneg" else h.evaluate(op, a, b)
            assert _same_double(ours, h.native[op](a, b)), (op, a, b)


@pytest.mark.parametrize("predicate", FCMP)
def test_fcmp_ordered_and_unordered_match_llvm(predicate):
    h = harness()
    name = f"fcmp_{predicate}"
    for a in DOUBLES:
        for b in DOUBLES:
            assert h.evaluate(name, a, b) == h.native[name](a, b), (name, a, b)


def test_bitcast_round_trips_like_llvm():
    h = harness()
    for x in DOUBLES:
        assert h.evaluate("bitcast_d_i", x) == h.native["bitcast_d_i"](x)
        pattern = _bits(x)
        assert _same_double(h.evaluate("bitcast_i_d", pattern), h.native["bitcast_i_d"](pattern))


def test_poison_errors_name_the_instruction():
    with pytest.raises(PoisonError, match=r"shift by 64 ≥ the width 64 is poison \(in `%r = lshr i64 %a, %b`\)"):
        harness().evaluate("lshr_64", 5, 64)
    with pytest.raises(PoisonError, match=r"division by zero"):
        harness().evaluate("sdiv_8", 5, 0)


@st.composite
def int_case(draw):
    width = draw(st.sampled_from(WIDTHS))
    kind = draw(st.sampled_from(("plain", "flag", "icmp")))
    a = draw(st.integers(0, 2 ** width - 1))
    b = draw(st.one_of(st.integers(0, 2 ** width - 1), st.integers(0, min(width + 2, 2 ** width - 1))))
    if kind == "plain":
        return draw(st.sampled_from(INT_OPS)), None, a, b, width
    if kind == "flag":
        op, flag = draw(st.sampled_from(FLAGGED))
        return op, flag, a, b, width
    return "icmp", draw(st.sampled_from(ICMPS)), a, b, width


@settings(max_examples=400, deadline=None)
@given(int_case())
def test_random_integers_match_llvm(case):
    op, extra, a, b, width = case
    if op == "icmp":
        name = f"icmp_{extra}_{width}"
        assert harness().evaluate(name, a, b) == harness().native[name](a, b)
    else:
        check_int(op, extra, a, b, width)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
       st.sampled_from(FLOAT_OPS + tuple(f"fcmp_{p}" for p in FCMP)))
def test_random_doubles_match_llvm(a, b, name):
    ours, theirs = harness().evaluate(name, a, b), harness().native[name](a, b)
    assert _same_double(float(ours), float(theirs)), (name, a, b, ours, theirs)
