"""Integer arithmetic in whole programs: `qirrt.qir.exact`, the local JIT executor and the raising to Qiskit agree.

Each program computes on a measured bit with the operations whose signedness and width matter
(``sub`` wrapping below zero, ``lshr`` vs ``ashr``, ``icmp ult`` vs ``slt``, ``sdiv``/``srem``, ``trunc``/
``sext``) and records the results; the exact distribution is written out by hand from LLVM's LangRef.
"""

from __future__ import annotations

import re

import pytest

import qirrt
from qirrt.bindings.qiskit.to_circuit import map_counts, to_qiskit
from qirrt.errors import ExecutionError
from qirrt.qir.exact import exact_distribution
from qirrt.qir.values import PoisonError
from tests.reference import exact_counts
from tests.stats import assert_distribution, assert_same_distribution

_HEADER_ATTRS = ('attributes #0 = {{ "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="{q}" '
                 '"required_num_results"="{r}" "output_labeling_schema"="x" }}\nattributes #1 = {{ "irreversible" }}\n')
_FLAGS = """!llvm.module.flags = !{!0, !1, !2, !3, !4, !5}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 5, !"int_computations", !{!"i64", !"i8"}}
!5 = !{i32 5, !"float_computations", !{!"double"}}
"""
_DECLARATIONS = """declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__rx__body(double, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare void @__quantum__rt__bool_record_output(i1, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
"""


def module(body: str, qubits: int = 1, results: int = 1) -> str:
    return (f"define i64 @main() #0 {{\nentry:\n{body}\n  ret i64 0\n}}\n{_DECLARATIONS}"
            + _HEADER_ATTRS.format(q=qubits, r=results) + _FLAGS)


MEASURE_R0 = """  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %r = call i1 @__quantum__qis__read_result__body(ptr null)
  %z = zext i1 %r to i64"""

# the program: lshr(zext(r0) - 1, 60) is 15 when r0 = 0 (0 - 1 wraps to 2^64 - 1), 0 when r0 = 1
LSHR = module(MEASURE_R0 + """
  %d = sub i64 %z, 1
  %s = lshr i64 %d, 60
  call void @__quantum__rt__int_record_output(i64 %s, ptr null)""")

SIGNEDNESS = module(MEASURE_R0 + """
  %d = sub i64 %z, 1
  %a = ashr i64 %d, 60
  %u = icmp ult i64 %d, 5
  %s = icmp slt i64 %d, 5
  %q = sdiv i64 %d, 2
  %n = or i64 %d, 4
  %m = srem i64 -7, %n
  %t = trunc i64 %d to i8
  %x = sext i8 %t to i64
  %w = zext i8 %t to i64
  call void @__quantum__rt__int_record_output(i64 %a, ptr null)
  call void @__quantum__rt__bool_record_output(i1 %u, ptr null)
  call void @__quantum__rt__bool_record_output(i1 %s, ptr null)
  call void @__quantum__rt__int_record_output(i64 %q, ptr null)
  call void @__quantum__rt__int_record_output(i64 %m, ptr null)
  call void @__quantum__rt__int_record_output(i64 %x, ptr null)
  call void @__quantum__rt__int_record_output(i64 %w, ptr null)""")


def _key(*values) -> str:
    return qirrt.result.format_key([qirrt.result.Record("BOOL" if isinstance(v, bool) else "INT", v)
                                    for v in values])


def test_lshr_of_a_wrapped_subtraction_is_15_in_exact_and_on_the_local_executor():
    program = qirrt.load(LSHR)
    expected = {_key(15): 0.5, _key(0): 0.5}
    assert_same_distribution(exact_distribution(program), expected)
    result = qirrt.run(program, shots=4000, seed=3)
    assert set(result.counts) == set(expected)
    assert_distribution(result.counts, expected)


def test_signed_and_unsigned_operations_differ_as_in_llvm():
    program = qirrt.load(SIGNEDNESS)
    expected = {
        # d = -1: ashr → -1, ult (2^64 - 1 < 5) false, slt true, sdiv -1 / 2 = 0 (toward zero),
        # srem -7 % (-1 | 4 = -1) = 0, trunc to i8 = 255: sext → -1, zext → 255
        _key(-1, False, True, 0, 0, -1, 255): 0.5,
        # d = 0: both comparisons true, srem -7 % 4 = -3 (the sign of the dividend)
        _key(0, True, True, 0, -3, 0, 0): 0.5,
    }
    assert_same_distribution(exact_distribution(program), expected)
    result = qirrt.run(program, shots=4000, seed=5)
    assert set(result.counts) == set(expected)
    assert_distribution(result.counts, expected)


def test_undefined_arithmetic_on_a_reachable_path_is_refused_naming_it():
    # r0 = 1 makes the divisor 0: LLVM leaves the program undefined (the JIT would trap), exact says so
    program = qirrt.load(module(MEASURE_R0 + """
  %d = sub i64 %z, 1
  %m = srem i64 -7, %d
  call void @__quantum__rt__int_record_output(i64 %m, ptr null)"""))
    with pytest.raises(PoisonError, match=re.escape("srem i64 -7, 0: division by zero is undefined behaviour "
                                                    "(in `%m = srem i64 -7, %d`)")):
        exact_distribution(program)


def test_raising_folds_constant_arithmetic_width_aware():
    # angle uitofp(lshr(-1, 63)) * pi = pi flips qubit 1 (ashr would give -1 → 2^64 - 1); lshr(0 - 1, 60) = 15
    program = qirrt.load(module("""  %d = sub i64 0, 1
  %i = lshr i64 %d, 63
  %f = uitofp i64 %i to double
  %angle = fmul double %f, 0x400921FB54442D18
  call void @__quantum__qis__rx__body(double %angle, ptr inttoptr (i64 1 to ptr))
  %s = lshr i64 %d, 60
  %b = icmp ult i64 %d, 1
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  call void @__quantum__rt__int_record_output(i64 %s, ptr null)
  call void @__quantum__rt__bool_record_output(i1 %b, ptr null)""", qubits=2))
    expected = {"1 15 0": 1.0}
    assert_same_distribution(exact_distribution(program), expected)
    circuit = to_qiskit(program)
    assert_same_distribution(map_counts(exact_counts(circuit), circuit), expected)
    assert qirrt.run(program, shots=50, seed=1).counts == {"1 15 0": 50}


def test_raising_refuses_undefined_constant_arithmetic_naming_it():
    program = qirrt.load(module("""  %s = shl i64 1, 64
  %f = sitofp i64 %s to double
  call void @__quantum__qis__rx__body(double %f, ptr null)""", qubits=1, results=0))
    with pytest.raises(ExecutionError, match=re.escape("shl i64 1, 64: a shift by 64 ≥ the width 64 is poison")):
        to_qiskit(program)


def test_switch_compares_cases_at_the_condition_width():
    # d = zext(r0) - 1 is -1 (all ones) when r0 = 0: the `i64 -1` case flips qubit 1, the default leaves it
    program = qirrt.load(module(MEASURE_R0 + """
  %d = sub i64 %z, 1
  switch i64 %d, label %join [ i64 -1, label %flip
                               i64 7, label %join ]
flip:
  call void @__quantum__qis__rx__body(double 0x400921FB54442D18, ptr inttoptr (i64 1 to ptr))
  br label %join
join:
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)""", qubits=2, results=2)
                         .replace('!{!"i64", !"i8"}}', '!{!"i64", !"i8"}}\n!6 = !{i32 1, !"multiple_target_branching", '
                                  'i1 true}').replace("!{!0, !1, !2, !3, !4, !5}", "!{!0, !1, !2, !3, !4, !5, !6}"))
    expected = {"01": 0.5, "10": 0.5}
    assert_same_distribution(exact_distribution(program), expected)
    result = qirrt.run(program, shots=2000, seed=9)
    assert set(result.counts) == set(expected)
    assert_distribution(result.counts, expected)
