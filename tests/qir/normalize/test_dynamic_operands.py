"""Qubit operands chosen at run time (`qirrt.qir.normalize.dispatch`) and classical memory (`qirrt.qir.normalize.promote`).

Hand-written modules; references are computed in Python over the measured bits, independently of
qirrt. The producer corpus (tests/qir/normalize/test_producer_corpus.py) covers what qdk and cudaq emit.
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qirrt
from qirrt.errors import InvalidProgramError
from qirrt.qir.exact import exact_distribution
from qirrt.qir.normalize.dispatch import MAX_ARMS
from qirrt.qir.program import Program
from tests.stats import assert_distribution, assert_same_distribution


def _p(index: int) -> str:
    return "null" if index == 0 else f"inttoptr (i64 {index} to ptr)"


def _attrs(n: int) -> str:
    return (f'attributes #0 = {{ "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="{n}" '
            f'"required_num_results"="{n}" "output_labeling_schema" }}\nattributes #1 = {{ "irreversible" }}\n')


_DECLARE = """
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__cnot__body(ptr, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
"""


def test_cudaq_style_array_indexed_by_a_loop_counter():
    text = """
define void @main() #0 {
entry:
  %q = call ptr @__quantum__rt__qubit_allocate_array(i64 2)
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %n, %loop ]
  %p = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %q, i64 %i)
  %x = load ptr, ptr %p
  call void @__quantum__qis__h(ptr %x)
  %n = add i64 %i, 1
  %c = icmp slt i64 %n, 2
  br i1 %c, label %loop, label %exit
exit:
  %p0 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %q, i64 0)
  %q0 = load ptr, ptr %p0
  %p1 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %q, i64 1)
  %q1 = load ptr, ptr %p1
  %r0 = call ptr @__quantum__qis__mz(ptr %q0)
  %r1 = call ptr @__quantum__qis__mz(ptr %q1)
  ret void
}
declare ptr @__quantum__rt__qubit_allocate_array(i64)
declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)
declare void @__quantum__qis__h(ptr)
declare ptr @__quantum__qis__mz(ptr)
attributes #0 = { "entry_point" }
"""
    program = Program.from_ir(text)
    assert any("dispatched 1 call(s)" in note for note in program.normalisation)
    expected = {f"{a}{b}": 0.25 for a in "01" for b in "01"}
    assert_same_distribution(exact_distribution(program), expected)
    assert_distribution(qirrt.run(program, shots=3000, seed=5).counts, expected)


def table_program(table: list[int], how: str) -> str:
    """Two measured bits a, b pick `table[a + 2b]` (a `getelementptr` on a constant table), or
    `a ? table[1] : table[0]` (`select`), or the same through a `phi`; that qubit is flipped."""
    n = 2 + max(table) + 1
    lines = [f"@table = internal constant [{len(table)} x ptr] [{', '.join(f'ptr {_p(2 + t)}' for t in table)}]",
             "define void @main() #0 {", "entry:"]
    for q in (0, 1):
        lines += [f"  call void @__quantum__qis__h__body(ptr {_p(q)})",
                  f"  call void @__quantum__qis__mz__body(ptr {_p(q)}, ptr {_p(q)})"]
    lines += ["  %a = call i1 @__quantum__qis__read_result__body(ptr null)",
              f"  %b = call i1 @__quantum__qis__read_result__body(ptr {_p(1)})"]
    if how == "table":
        lines += ["  %za = zext i1 %a to i64", "  %zb = zext i1 %b to i64", "  %twob = shl i64 %zb, 1",
                  "  %k = or i64 %za, %twob",
                  f"  %e = getelementptr [{len(table)} x ptr], ptr @table, i64 0, i64 %k",
                  "  %t = load ptr, ptr %e", "  call void @__quantum__qis__x__body(ptr %t)", "  br label %done"]
    elif how == "select":
        lines += [f"  %t = select i1 %a, ptr {_p(2 + table[1])}, ptr {_p(2 + table[0])}",
                  "  call void @__quantum__qis__x__body(ptr %t)", "  br label %done"]
    else:  # phi
        lines += ["  br i1 %a, label %one, label %zero", "one:", "  br label %join", "zero:", "  br label %join",
                  "join:", f"  %t = phi ptr [ {_p(2 + table[1])}, %one ], [ {_p(2 + table[0])}, %zero ]",
                  "  call void @__quantum__qis__x__body(ptr %t)", "  br label %done"]
    lines += ["done:"]
    for q in range(2, n):
        lines += [f"  call void @__quantum__qis__mz__body(ptr {_p(q)}, ptr {_p(q)})",
                  f"  call void @__quantum__rt__result_record_output(ptr {_p(q)}, ptr null)"]
    lines += ["  ret void", "}"]
    return "\n".join(lines) + _DECLARE + _attrs(n)


def table_reference(table: list[int], how: str) -> dict[str, float]:
    width = max(table) + 1
    out: dict[str, float] = {}
    for a in (0, 1):
        for b in (0, 1):
            position = a + 2 * b if how == "table" else a
            bits = ["0"] * width
            bits[table[position]] = "1"
            key = "".join(bits)
            out[key] = out.get(key, 0.0) + 0.25
    return out


@pytest.mark.parametrize("how", ["table", "select", "phi"])
@pytest.mark.parametrize("table", list(itertools.permutations(range(4))))
def test_operand_from_a_table_select_or_phi_matches_the_reference(table, how):
    """Every table of four qubits (affine up, affine down, any other order)."""
    program = Program.from_ir(table_program(list(table), how))
    assert_same_distribution(exact_distribution(program), table_reference(list(table), how))


def test_local_executor_agrees_on_dispatched_operands():
    for how in ("table", "select", "phi"):
        table = [2, 0, 3, 1]
        program = Program.from_ir(table_program(table, how))
        assert_distribution(qirrt.run(program, shots=3000, seed=9).counts, table_reference(table, how))


def test_too_many_combinations_are_refused():
    size = 17
    text = f"""
@table = internal constant [{size} x ptr] [{', '.join(f'ptr {_p(i)}' for i in range(size))}]
define void @main() #0 {{
entry:
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %a = call i1 @__quantum__qis__read_result__body(ptr null)
  %k = zext i1 %a to i64
  %m = add i64 %k, 1
  %e = getelementptr [{size} x ptr], ptr @table, i64 0, i64 %k
  %f = getelementptr [{size} x ptr], ptr @table, i64 0, i64 %m
  %s = load ptr, ptr %e
  %t = load ptr, ptr %f
  call void @__quantum__qis__cnot__body(ptr %s, ptr %t)
  ret void
}}
""" + _DECLARE + _attrs(size)
    with pytest.raises(InvalidProgramError, match=re.escape(f"more than the {MAX_ARMS} qirrt dispatches over")) as info:
        Program.from_ir(text)
    assert info.value.code == "QIR101"


# -- classical memory (qirrt.qir.normalize.promote) ----------------------------------------------------------------
RUS_IN_MEMORY = """
define void @main() #0 {
entry:
  %n = alloca i64
  store i64 0, ptr %n
  br label %try
try:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__reset__body(ptr null)
  %old = load i64, ptr %n
  %new = add i64 %old, 1
  store i64 %new, ptr %n
  %one = call i1 @__quantum__qis__read_result__body(ptr null)
  %more = icmp slt i64 %new, 3
  %again = and i1 %one, %more
  br i1 %again, label %try, label %done
done:
  %count = load i64, ptr %n
  call void @__quantum__rt__int_record_output(i64 %count, ptr null)
  ret void
}
declare void @__quantum__qis__reset__body(ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
""" + _DECLARE + _attrs(1)


def test_memory_in_a_measurement_loop_becomes_ssa_and_stays_a_loop():
    program = Program.from_ir(RUS_IN_MEMORY)
    assert "alloca" not in program.ir and "store" not in program.ir
    assert "backwards_branching" in program.ir, "the repeat-until-success loop is still a loop"
    expected = {"1": 0.5, "2": 0.25, "3": 0.25}
    assert_same_distribution(exact_distribution(program), expected)
    assert_distribution(qirrt.run(program, shots=3000, seed=2).counts, expected)


def test_write_result_of_a_runtime_value_is_refused():
    text = """
define void @main() #0 {
entry:
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %a = call i1 @__quantum__qis__read_result__body(ptr null)
  %slot = alloca i1
  store i1 %a, ptr %slot
  %v = load i1, ptr %slot
  call void @__quantum__rt__write_result(i1 %v, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret void
}
declare void @__quantum__rt__write_result(i1, ptr)
""" + _DECLARE + _attrs(2)
    with pytest.raises(InvalidProgramError, match="qirrt lowers only constant writes") as info:
        Program.from_ir(text)
    assert info.value.code == "QIR104"


def test_cli_runs_a_program_with_memory(tmp_path):
    path = tmp_path / "rus.ll"
    path.write_text(RUS_IN_MEMORY)
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "inspect", str(path)], capture_output=True,
                          check=False, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "promoted memory to SSA values with LLVM" in done.stdout


def counted_loop(trip_count: int) -> str:
    """x(qs[i % 3]) for i < trip_count, the counter in memory: small counts unroll into static calls,
    large ones stay a loop whose operand is dispatched over the three qubits."""
    return f"""
@qs = internal constant [3 x ptr] [ptr null, ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr)]
define void @main() #0 {{
entry:
  %i = alloca i64
  store i64 0, ptr %i
  br label %head
head:
  %n = load i64, ptr %i
  %more = icmp slt i64 %n, {trip_count}
  br i1 %more, label %body, label %exit
body:
  %k = urem i64 %n, 3
  %e = getelementptr [3 x ptr], ptr @qs, i64 0, i64 %k
  %q = load ptr, ptr %e
  call void @__quantum__qis__x__body(ptr %q)
  %next = add i64 %n, 1
  store i64 %next, ptr %i
  br label %head
exit:
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  ret void
}}
""" + _DECLARE + _attrs(3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.integers(0, 40), st.integers(2000, 6000)))
def test_counted_loops_unrolled_or_not_match_the_reference(trip_count):
    program = Program.from_ir(counted_loop(trip_count))
    key = "".join(str(len(range(j, trip_count, 3)) % 2) for j in range(3))
    assert_same_distribution(exact_distribution(program), {key: 1.0})
    if trip_count <= 40:
        assert "br label" not in program.ir.split("define", 1)[1], "a small constant loop is unrolled"


def test_a_long_counted_loop_runs_on_the_local_executor():
    program = Program.from_ir(counted_loop(5000))
    assert any("dispatched 1 call(s)" in note for note in program.normalisation), "too long to unroll"
    key = "".join(str(len(range(j, 5000, 3)) % 2) for j in range(3))
    assert qirrt.run(program, shots=100, seed=1).counts == {key: 100}


def test_a_million_iteration_loop_stays_a_loop():
    import time

    started = time.perf_counter()
    program = Program.from_ir(counted_loop(1_000_000))
    assert time.perf_counter() - started < 30, "a loop too long to unroll must load quickly"
    assert "backwards_branching" in program.ir and program.ir.count("__quantum__qis__x__body(") <= 10


def test_memory_and_a_runtime_parameter():
    text = """
define void @main(double %theta) #0 {
entry:
  %angle = alloca double
  store double %theta, ptr %angle
  %a = load double, ptr %angle
  %twice = fmul double %a, 2.0
  call void @__quantum__qis__ry__body(double %twice, ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  ret void
}
declare void @__quantum__qis__ry__body(double, ptr)
""" + _DECLARE + _attrs(1)
    program = Program.from_ir(text)
    assert program.parameters == ("theta",)
    for theta in (0.3, 1.1):
        p1 = math.sin(theta) ** 2  # ry(2θ)
        assert_same_distribution(exact_distribution(program, [theta]), {"0": 1 - p1, "1": p1})
