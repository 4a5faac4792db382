"""Normalisation, rule by rule, on hand-written modules: each rewrite, its note, and each error code."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import library
from qiskit.quantum_info import Operator

from qirrt.errors import InvalidProgramError, ParseError
from qirrt.qir.exact import exact_distribution
from qirrt.qir.normalize.calls import _Ctx, controlled
from qirrt.qir.normalize.core import NORMALISATION_ERRORS, State, double_literal, parse_double
from qirrt.qir.normalize.producers import detect
from qirrt.qir.program import Profile, Program
from tests.stats import assert_same_distribution


def load(text: str, **options) -> Program:
    return Program.from_ir(text, **options)


def notes(program: Program) -> str:
    return "\n".join(program.normalisation)


def raises(code: str, text: str, match: str | None = None) -> InvalidProgramError:
    with pytest.raises(InvalidProgramError) as info:
        load(text)
    assert info.value.code == code, str(info.value)
    if match is not None:
        assert re.search(match, str(info.value)), str(info.value)
    return info.value


STATIC_FLAGS = """
!llvm.module.flags = !{!0, !1, !2, !3}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
"""

# -- QIR 0.1, typed pointers, old gate spellings -----------------------------------------------------
TYPED_V01 = """
%Qubit = type opaque
%Result = type opaque

define void @main() #0 {
entry:
  call void @__quantum__qis__h(%Qubit* null)
  call void @__quantum__qis__cnot(%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*))
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* null)
  call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*), %Result* inttoptr (i64 1 to %Result*))
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
  call void @__quantum__rt__result_record_output(%Result* inttoptr (i64 1 to %Result*), i8* null)
  ret void
}

declare void @__quantum__qis__h(%Qubit*)
declare void @__quantum__qis__cnot(%Qubit*, %Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result*)
declare void @__quantum__rt__result_record_output(%Result*, i8*)

attributes #0 = { "EntryPoint" "requiredQubits"="2" "requiredResults"="2" }
"""


def test_typed_pointers_and_qir_01_attributes():
    program = load(TYPED_V01)
    assert (program.entry_point, program.num_qubits, program.num_results) == ("main", 2, 2)
    assert program.profile is Profile.BASE
    assert "%Qubit" not in program.ir and "%Result" not in program.ir
    assert '"required_num_qubits"="2"' in program.ir and '"entry_point"' in program.ir
    text = notes(program)
    for line in ("attribute EntryPoint renamed to entry_point (QIR 0.1 → 1.0)",
                 "attribute requiredQubits renamed to required_num_qubits (QIR 0.1 → 1.0)",
                 "renamed @__quantum__qis__cnot to @__quantum__qis__cx__body",
                 "renamed @__quantum__qis__h to @__quantum__qis__h__body",
                 "profile 'missing' read as base_profile (inferred from the program)",
                 "module flag qir_major_version added (i32 1)"):
        assert line in program.normalisation, f"{line!r} not in\n{text}"
    assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})


def test_normalising_twice_changes_nothing():
    program = load(TYPED_V01)
    again = load(program.ir)
    assert again.normalisation == () and again.hash == program.hash


def test_qirrt_own_programs_pass_unchanged():
    from qirrt.bindings.qiskit.from_circuit import from_qiskit

    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.measure(1, 1)
    program = from_qiskit(qc)
    again = load(program.ir)
    assert again.normalisation == () and again.hash == program.hash


# -- gate spellings --------------------------------------------------------------------------------
GATES = """
define void @main() #0 {
entry:
  call void @__quantum__qis__toffoli__body(ptr null, ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__x__adj(ptr null)
  call void @__quantum__qis__rx__adj(double 0.5, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__sdg(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__t__adj(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__r1(double 0.3, ptr null)
  call void @__quantum__qis__u3(double 0.1, double 0.2, double 0.3, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__phased_rx(double 0.7, double 0.4, ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__h(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  ret void
}

declare void @__quantum__qis__toffoli__body(ptr, ptr, ptr)
declare void @__quantum__qis__x__adj(ptr)
declare void @__quantum__qis__rx__adj(double, ptr)
declare void @__quantum__qis__sdg(ptr)
declare void @__quantum__qis__t__adj(ptr)
declare void @__quantum__qis__r1(double, ptr)
declare void @__quantum__qis__u3(double, double, double, ptr)
declare void @__quantum__qis__phased_rx(double, double, ptr)
declare void @__quantum__qis__h(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="3" "required_num_results"="3" }
""" + STATIC_FLAGS


def test_gate_spellings_adjoints_and_decompositions():
    program = load(GATES)
    called = set(re.findall(r"call void @__quantum__qis__(\w+)__body", program.ir))
    assert called <= {"ccx", "x", "rx", "ry", "rz", "s__adj", "t__adj", "h", "mz"}, called
    text = notes(program)
    for line in ("renamed @__quantum__qis__toffoli__body to @__quantum__qis__ccx__body",
                 "renamed @__quantum__qis__sdg to @__quantum__qis__s__adj__body",
                 "renamed @__quantum__qis__t__adj to @__quantum__qis__t__adj__body",
                 "adjoint `x__adj`: 1 call(s)", "adjoint `rx__adj`: 1 call(s)", "`r1` decomposed: 1 call(s)",
                 "`u3` decomposed: 1 call(s)", "`phased_rx` decomposed: 1 call(s)",
                 "the program records no output: added result records r0, r1, r2 in result-id order (r0 leftmost)"):
        assert line in program.normalisation, f"{line!r} not in\n{text}"
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    qc.x(0)
    qc.rx(-0.5, 1)
    qc.sdg(2)
    qc.tdg(2)
    qc.p(0.3, 0)
    qc.u(0.1, 0.2, 0.3, 1)
    qc.unitary(_phased_rx(0.7, 0.4), [2])
    qc.h(2)
    expected = {key[::-1]: p for key, p in _probabilities(qc).items()}  # record order: r0 leftmost
    assert_same_distribution(exact_distribution(program), expected)


def _probabilities(qc: QuantumCircuit) -> dict[str, float]:
    from qiskit.quantum_info import Statevector

    return {k: v for k, v in Statevector(qc).probabilities_dict().items() if v > 1e-14}


def _phased_rx(theta: float, phi: float) -> np.ndarray:
    """exp(-iθ/2 (cos φ X + sin φ Y)), as cudaq and pytket (PhasedX) define it."""
    axis = np.array([[0, np.exp(-1j * phi)], [np.exp(1j * phi), 0]])
    return math.cos(theta / 2) * np.eye(2) - 1j * math.sin(theta / 2) * axis


# -- controlled gates -------------------------------------------------------------------------------
_TO_QISKIT = {"s__adj": "sdg", "t__adj": "tdg"}


def _circuit(gates, width: int) -> QuantumCircuit:
    qc = QuantumCircuit(width)
    for name, angles, qubits in gates:
        getattr(qc, _TO_QISKIT.get(name, name))(*[parse_double(a) for a in angles], *qubits)
    return qc


@pytest.mark.parametrize("base, gate, angles, controls, targets", [
    ("x", "XGate", (), 1, 1), ("x", "XGate", (), 2, 1), ("x", "XGate", (), 3, 1), ("x", "XGate", (), 4, 1),
    ("y", "YGate", (), 1, 1), ("y", "YGate", (), 2, 1), ("z", "ZGate", (), 1, 1), ("z", "ZGate", (), 2, 1),
    ("z", "ZGate", (), 3, 1), ("h", "HGate", (), 1, 1), ("h", "HGate", (), 2, 1), ("s", "SGate", (), 1, 1),
    ("s__adj", "SdgGate", (), 1, 1), ("t", "TGate", (), 1, 1), ("t__adj", "TdgGate", (), 1, 1),
    ("r1", "PhaseGate", (0.3,), 1, 1), ("r1", "PhaseGate", (0.3,), 2, 1), ("rx", "RXGate", (0.4,), 1, 1),
    ("ry", "RYGate", (0.5,), 1, 1), ("rz", "RZGate", (0.6,), 1, 1), ("rz", "RZGate", (0.6,), 2, 1),
    ("swap", "SwapGate", (), 1, 2), ("swap", "SwapGate", (), 2, 2), ("u3", "U3Gate", (0.1, 0.2, 0.3), 0, 1),
    ("u3", "U3Gate", (0.1, 0.2, 0.3), 1, 1),
])
def test_controlled_gates_are_exact(base, gate, angles, controls, targets):
    ctx = _Ctx(State(ir="", producer="test", source_file=None))
    width = controls + targets
    gates = controlled(ctx, base, [double_literal(a) for a in angles], list(range(controls)),
                       list(range(controls, width)))
    reference = QuantumCircuit(width)
    operation = getattr(library, gate)(*angles)
    reference.append(operation.control(controls, annotated=False) if controls else operation, range(width))
    assert Operator(_circuit(gates, width)).equiv(Operator(reference))


@pytest.mark.parametrize("base, angles, matrix", [
    ("phased_rx", (0.7, 0.4), lambda: _phased_rx(0.7, 0.4)),
    ("phasedx", (0.7, 0.4), lambda: _phased_rx(0.7, 0.4)),
    ("zzmax", (), lambda: library.RZZGate(math.pi / 2).to_matrix()),
    ("rxxyyzz", (0.1, 0.2, 0.3), lambda: _expm_pauli((0.1, 0.2, 0.3))),
])
def test_native_gate_decompositions_are_exact(base, angles, matrix):
    ctx = _Ctx(State(ir="", producer="test", source_file=None))
    width = 2 if base in ("zzmax", "rxxyyzz") else 1
    gates = controlled(ctx, base, [double_literal(a) for a in angles], [], list(range(width)))
    assert Operator(_circuit(gates, width)).equiv(Operator(matrix()))


def _expm_pauli(abc) -> np.ndarray:
    from scipy.linalg import expm

    x, y, z = (np.array(m) for m in ([[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]))
    a, b, c = abc
    return expm(-0.5j * (a * np.kron(x, x) + b * np.kron(y, y) + c * np.kron(z, z)))


INVOKE = """
define void @main(double %theta) #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void (i64, i64, i64, i64, ptr, ...) @generalizedInvokeWithRotationsControlsTargets(i64 1, i64 0, i64 1, i64 1, ptr @__quantum__qis__ry__ctl, double %theta, ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret void
}

declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__ry__ctl(double, ptr, ptr)
declare void @generalizedInvokeWithRotationsControlsTargets(i64, i64, i64, i64, ptr, ...)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="2" }
""" + STATIC_FLAGS


def test_controlled_rotation_by_a_runtime_parameter():
    program = load(INVOKE)
    assert program.parameters == ("theta",)
    assert "generalizedInvoke" not in program.ir and "fmul double" in program.ir
    assert "entry point @main: double parameter(s) theta became runtime parameters (@__qirrt__parameter)" \
        in program.normalisation
    assert "module flag float_computations added: the program uses it" in program.normalisation
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cry(0.8, 0, 1)
    expected = {key[::-1]: p for key, p in _probabilities(qc).items()}
    assert_same_distribution(exact_distribution(program, [0.8]), expected)


def test_controlled_gate_that_cannot_be_lowered():
    text = INVOKE.replace("i64 1, i64 0, i64 1, i64 1, ptr @__quantum__qis__ry__ctl, double %theta, ptr null,",
                          "i64 1, i64 0, i64 2, i64 1, ptr @__quantum__qis__ry__ctl, double %theta, ptr null, "
                          "ptr inttoptr (i64 2 to ptr),")
    error = raises("QIR103", text)
    assert "cannot lower `ry` with 2 control(s) and dynamic angles to the dialect's gates" in str(error)
    assert error.location.function == "main" and "generalizedInvoke" in error.location.instruction


# -- qdk: initialize, rt read_result, m and mresetz ---------------------------------------------------
QDK_LIKE = """
define i64 @ENTRYPOINT__main() #0 {
block_0:
  call void @__quantum__rt__initialize(ptr null)
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mresetz__body(ptr null, ptr null)
  %var_1 = call zeroext i1 @__quantum__rt__read_result(ptr null)
  br i1 %var_1, label %block_1, label %block_2
block_1:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %block_2
block_2:
  call void @__quantum__qis__m__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 2, ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__mresetz__body(ptr, ptr) #1
declare zeroext i1 @__quantum__rt__read_result(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__m__body(ptr, ptr) #1
declare void @__quantum__rt__tuple_record_output(i64, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="2" }
attributes #1 = { "irreversible" }
""" + STATIC_FLAGS


def test_qdk_runtime_calls_and_measurements():
    program = load(QDK_LIKE)
    assert program.producer == "qdk"
    for symbol in ("__quantum__rt__initialize", "__quantum__rt__read_result", "mresetz", "__quantum__qis__m__body"):
        assert symbol not in program.ir
    assert "call void @__quantum__qis__reset__body(ptr null)" in program.ir
    for line in ("`__quantum__rt__initialize` dropped (no effect on a static-qubit program)",
                 "renamed @__quantum__rt__read_result to @__quantum__qis__read_result__body",
                 "renamed @__quantum__qis__m__body to @__quantum__qis__mz__body",
                 "`mresetz` → `mz` + `reset`: 1 call(s)"):
        assert line in program.normalisation, notes(program)
    assert_same_distribution(exact_distribution(program), {"0 0": 0.5, "1 1": 0.5})


def test_trailing_mresetz_needs_no_reset():
    text = QDK_LIKE.replace("""  %var_1 = call zeroext i1 @__quantum__rt__read_result(ptr null)
  br i1 %var_1, label %block_1, label %block_2
block_1:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %block_2
block_2:
""", "")
    program = load(text)
    assert "reset" not in program.ir and "`mresetz` → `mz`: 1 call(s)" in program.normalisation


# -- entry-point parameters -------------------------------------------------------------------------
PARAMETERS = """
define void @kernel(double %theta, i64 %n, double %unused) #0 {
entry:
  call void @__quantum__qis__rx__body(double %theta, ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  ret void
}

declare void @__quantum__qis__rx__body(double, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="1" "required_num_results"="1" }
""" + STATIC_FLAGS


def test_entry_parameters_unused_dropped_doubles_become_runtime_parameters():
    program = load(PARAMETERS)
    assert program.parameters == ("theta",)
    assert re.search(r"define void @kernel\(\)", program.ir)
    assert "entry point @kernel: 2 unused parameter(s) removed" in program.normalisation
    theta = 1.1
    assert_same_distribution(exact_distribution(program, [theta]),
                             {"0": math.cos(theta / 2) ** 2, "1": math.sin(theta / 2) ** 2})


def test_used_integer_parameter_is_refused():
    text = PARAMETERS.replace("call void @__quantum__qis__rx__body(double %theta, ptr null)",
                              "%x = sitofp i64 %n to double\n"
                              "  call void @__quantum__qis__rx__body(double %x, ptr null)")
    raises("QIR100", text, re.escape("entry-point parameter 1 (i64 %n) is used by the program and is not a double"))


# -- full QIR: dynamic qubits and results ------------------------------------------------------------
FULL = """
define void @kernel() #0 {
entry:
  %q = call ptr @__quantum__rt__qubit_allocate_array(i64 3)
  %p0 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %q, i64 0)
  %q0 = load ptr, ptr %p0
  %p2 = call ptr @__quantum__rt__array_get_element_ptr_1d(ptr %q, i64 2)
  %q2 = load ptr, ptr %p2
  %a = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %q0)
  %r = call ptr @__quantum__qis__mz(ptr %q0)
  %one = call ptr @__quantum__rt__result_get_one()
  %is1 = call i1 @__quantum__rt__result_equal(ptr %r, ptr %one)
  br i1 %is1, label %then, label %done
then:
  call void @__quantum__qis__x(ptr %a)
  br label %done
done:
  %r2 = call ptr @__quantum__qis__mz(ptr %a)
  %r3 = call ptr @__quantum__qis__mz(ptr %q2)
  call void @__quantum__rt__qubit_release(ptr %a)
  call void @__quantum__rt__qubit_release_array(ptr %q)
  ret void
}

declare ptr @__quantum__rt__qubit_allocate_array(i64)
declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)
declare ptr @__quantum__rt__qubit_allocate()
declare void @__quantum__qis__h(ptr)
declare void @__quantum__qis__x(ptr)
declare ptr @__quantum__qis__mz(ptr)
declare ptr @__quantum__rt__result_get_one()
declare i1 @__quantum__rt__result_equal(ptr, ptr)
declare void @__quantum__rt__qubit_release(ptr)
declare void @__quantum__rt__qubit_release_array(ptr)

attributes #0 = { "entry_point" }
"""


def test_dynamic_qubits_arrays_and_results_become_static():
    program = load(FULL)
    assert (program.num_qubits, program.num_results, program.profile) == (4, 3, Profile.ADAPTIVE)
    assert "__quantum__rt__" not in program.ir.replace("__quantum__rt__result_record_output", "")
    for line in ("lowered 4 dynamically allocated qubit(s) to static qubits 0..3 in allocation order",
                 "lowered 3 result-returning measurement(s) to @__quantum__qis__mz__body into static results "
                 "0..2 in program order",
                 "dropped 2 qubit release/reference-count call(s)",
                 "the program records no output: added result records r0, r1, r2 in result-id order (r0 leftmost)",
                 "module flag dynamic_qubit_management added (i1 false)"):
        assert line in program.normalisation, notes(program)
    assert_same_distribution(exact_distribution(program), {"000": 0.5, "110": 0.5})


def test_qubit_allocated_in_a_loop_is_refused():
    text = """
define void @main() #0 {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %n, %loop ]
  %q = call ptr @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__h(ptr %q)
  call void @__quantum__rt__qubit_release(ptr %q)
  %n = add i64 %i, 1
  %c = icmp slt i64 %n, 3
  br i1 %c, label %loop, label %exit
exit:
  ret void
}
declare ptr @__quantum__rt__qubit_allocate()
declare void @__quantum__rt__qubit_release(ptr)
declare void @__quantum__qis__h(ptr)
attributes #0 = { "entry_point" }
"""
    error = raises("QIR102", text, "a qubit is allocated inside a loop")
    assert error.location.block == "loop"


def test_untraceable_qubit_operand_is_refused():
    """A qubit pointer made from a computed integer has no finite set of static values to dispatch over
    (an index into an allocated array does: tests/qir/normalize/test_dynamic_operands.py)."""
    text = """
define void @main() #0 {
entry:
  %q = call ptr @__quantum__rt__qubit_allocate_array(i64 2)
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %n, %loop ]
  %x = inttoptr i64 %i to ptr
  call void @__quantum__qis__h(ptr %x)
  %n = add i64 %i, 1
  %c = icmp slt i64 %n, 2
  br i1 %c, label %loop, label %exit
exit:
  ret void
}
declare ptr @__quantum__rt__qubit_allocate_array(i64)
declare ptr @__quantum__rt__array_get_element_ptr_1d(ptr, i64)
declare void @__quantum__qis__h(ptr)
attributes #0 = { "entry_point" }
"""
    raises("QIR101", text, re.escape("qubit operand `ptr %x` is not a compile-time constant"))


# -- output records ---------------------------------------------------------------------------------
RECORDS_BETWEEN = """
define void @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__rt__array_record_output(i64 2, ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  %b = call i1 @__quantum__qis__read_result__body(ptr null)
  br i1 %b, label %flip, label %next
flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %next
next:
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret void
}
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__array_record_output(i64, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="2" }
""" + STATIC_FLAGS


def test_records_between_gates_move_to_the_end():
    program = load(RECORDS_BETWEEN)
    assert "moved 3 output record(s) to the end of the program (they were recorded between gates)" \
        in program.normalisation
    body = program.ir[program.ir.index("define"):program.ir.index("ret void")]
    last_gate = max(body.rfind("__quantum__qis__mz__body"), body.rfind("__quantum__qis__x__body"))
    assert body.find("_record_output") > last_gate
    assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})


def test_conditional_record_inside_a_loop_is_refused():
    """Records on only some paths are placed by `qirrt.qir.normalize.records` (tests/qir/normalize/test_records_on_paths.py); inside a
    loop their number per shot is unknown."""
    text = RECORDS_BETWEEN.replace("""flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %next""", """flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__bool_record_output(i1 true, ptr null)
  %again = call i1 @__quantum__qis__read_result__body(ptr null)
  br i1 %again, label %flip, label %next""")
    text = text.replace("declare void @__quantum__rt__array_record_output(i64, ptr)",
                        "declare void @__quantum__rt__array_record_output(i64, ptr)\n"
                        "declare void @__quantum__rt__bool_record_output(i1, ptr)")
    error = raises("QIR105", text, "inside a loop that runs on only some paths")
    assert error.location.block == "flip"


def test_record_before_a_second_measurement_is_refused():
    text = RECORDS_BETWEEN.replace(
        "call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))",
        "call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr null)")
    raises("QIR106", text, re.escape("result 0 is recorded here and measured again later"))


def test_records_with_two_return_points_are_refused():
    text = RECORDS_BETWEEN.replace("""flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %next""", """flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  ret void""")
    raises("QIR108", text, "has 2 return points")


def test_int_record_is_kept_as_an_int_output():
    text = """
define void @main() #0 {
entry:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  %0 = call i1 @__quantum__qis__read_result__body(ptr null)
  %1 = call i1 @__quantum__qis__read_result__body(ptr inttoptr (i64 1 to ptr))
  %2 = zext i1 %0 to i64
  %3 = zext i1 %1 to i64
  %4 = shl i64 %3, 1
  %5 = or i64 %2, %4
  call void @__quantum__rt__int_record_output(i64 %5, ptr null)
  ret void
}
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
attributes #0 = { "entry_point" "qir_profiles"="custom" "required_num_qubits"="2" "required_num_results"="2" }
""" + STATIC_FLAGS
    program = load(text, producer="pytket")
    assert program.profile is Profile.ADAPTIVE and "int_record_output" in program.ir
    assert "module flag int_computations added: the program uses it" in program.normalisation
    assert re.search(r'!"int_computations", (!\d+)\}', program.ir)
    assert_same_distribution(exact_distribution(program), {"2": 1.0})


# -- pytket's PYTKET profile ---------------------------------------------------------------------------
PYTKET_REGISTER = """
define void @main() #0 {
entry:
  %0 = call ptr @create_creg(i64 2)
  call void @__quantum__qis__h__body(ptr null)
  call void @mz_to_creg_bit(ptr null, ptr %0, i64 0)
  %1 = call i1 @get_creg_bit(ptr %0, i64 0)
  br i1 %1, label %condb0, label %contb0
condb0:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %contb0
contb0:
  call void @mz_to_creg_bit(ptr inttoptr (i64 1 to ptr), ptr %0, i64 1)
  %2 = call i64 @get_int_from_creg(ptr %0)
  call void @__quantum__rt__int_record_output(i64 %2, ptr null)
  ret void
}
declare ptr @create_creg(i64)
declare void @mz_to_creg_bit(ptr, ptr, i64)
declare i1 @get_creg_bit(ptr, i64)
declare void @set_creg_bit(ptr, i64, i1)
declare i64 @get_int_from_creg(ptr)
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="custom" "required_num_qubits"="2" "required_num_results"="2" }
""" + STATIC_FLAGS


def test_pytket_register_helpers_are_lowered():
    program = load(PYTKET_REGISTER)
    assert program.producer == "pytket"
    assert not re.search(r"creg", program.ir)
    assert any(line.startswith("lowered pytket's register helpers (5 call(s), 1 register(s)) to 2 static result(s)")
               for line in program.normalisation), notes(program)
    assert_same_distribution(exact_distribution(program), {"0": 0.5, "3": 0.5})


def test_pytket_register_writes_are_refused():
    text = PYTKET_REGISTER.replace("  %2 = call i64 @get_int_from_creg(ptr %0)",
                                   "  call void @set_creg_bit(ptr %0, i64 0, i1 true)\n"
                                   "  %2 = call i64 @get_int_from_creg(ptr %0)")
    raises("QIR107", text, re.escape("pytket's `set_creg_bit` writes a classical register"))


# -- module structure ---------------------------------------------------------------------------------
def test_parse_and_verify_errors():
    with pytest.raises(ParseError) as info:
        load("define void @main() {\n  call void @x(\n}\n")
    assert info.value.code == "QIR001"
    broken = """
define void @main() #0 {
entry:
  %a = add i64 %b, 1
  %b = add i64 1, 1
  ret void
}
attributes #0 = { "entry_point" }
"""
    raises("QIR002", broken, "does not verify")


def test_entry_point_errors():
    no_entry = TYPED_V01.replace('"EntryPoint" ', "")
    raises("QIR010", no_entry, re.escape("no function has the `entry_point` attribute"))
    two = TYPED_V01 + '\ndefine void @other() #0 {\nentry:\n  ret void\n}\n'
    raises("QIR011", two, re.escape("more than one entry point: @main, @other"))


def test_module_flags_are_brought_to_qir_1_0():
    pyqir_like = TYPED_V01.replace('attributes #0 = { "EntryPoint" "requiredQubits"="2" "requiredResults"="2" }',
                                   'attributes #0 = { "entry_point" "qir_profiles"="custom" '
                                   '"required_num_qubits"="2" "required_num_results"="2" }')
    pyqir_like += STATIC_FLAGS.replace('!"qir_major_version", i32 1', '!"qir_major_version", i32 2')
    program = load(pyqir_like)
    assert "module flag qir_major_version set from i32 2 to i32 1" in program.normalisation
    assert re.search(r'!"qir_major_version", i32 1\}', program.ir)


def test_counts_too_low_are_left_for_validation():
    """A producer that declares too few qubits wrote an invalid program: validation says so (QIR030)."""
    text = TYPED_V01.replace('"requiredQubits"="2"', '"requiredQubits"="1"')
    with pytest.raises(InvalidProgramError) as info:
        load(text)
    assert info.value.code == "QIR030"


def test_backwards_branching_is_declared():
    text = """
define void @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  br label %loop
loop:
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %b = call i1 @__quantum__qis__read_result__body(ptr null)
  br i1 %b, label %again, label %exit
again:
  call void @__quantum__qis__h__body(ptr null)
  br label %loop
exit:
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  ret void
}
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="1" }
""" + STATIC_FLAGS
    program = load(text)
    assert '!"backwards_branching", i2 -1}' in program.ir  # i2 3, which LLVM prints signed
    assert_same_distribution(exact_distribution(program), {"0": 1.0})


def test_producer_detection_and_override():
    assert detect(TYPED_V01) == "unknown"
    assert detect(QDK_LIKE) == "qdk"
    assert detect(PYTKET_REGISTER) == "pytket"
    assert detect('define void @__nvqpp__mlirgen__k..0x1234() {\n  ret void\n}\n') == "cudaq"
    assert load(TYPED_V01, producer="mytool").producer == "mytool"


def test_every_error_code_is_documented():
    import pathlib

    source = (pathlib.Path(__file__).parent.parent.parent.parent / "qirrt").rglob("*.py")
    used = set()
    for path in source:
        if path.parent.name == "normalize":
            used |= set(re.findall(r'"(QIR1\d\d)"', path.read_text()))
    assert used <= set(NORMALISATION_ERRORS), used - set(NORMALISATION_ERRORS)


OLD_CUDAQ_TYPED = """
%Array = type opaque
%Qubit = type opaque
%Result = type opaque

define void @__nvqpp__mlirgen__ghz() local_unnamed_addr {
  %1 = tail call %Array* @__quantum__rt__qubit_allocate_array(i64 3)
  %2 = tail call %Qubit** @__quantum__rt__array_get_element_ptr_1d(%Array* %1, i64 0)
  %3 = load %Qubit*, %Qubit** %2, align 8
  tail call void @__quantum__qis__h(%Qubit* %3)
  %4 = tail call %Qubit** @__quantum__rt__array_get_element_ptr_1d(%Array* %1, i64 1)
  %5 = bitcast %Qubit** %4 to i8**
  %6 = load i8*, i8** %5, align 8
  tail call void (i64, i64, i64, i64, i8*, ...) @generalizedInvokeWithRotationsControlsTargets(i64 0, i64 0, i64 1, i64 1, i8* nonnull bitcast (void (%Array*, %Qubit*)* @__quantum__qis__x__ctl to i8*), %Qubit* %3, i8* %6)
  %7 = tail call %Qubit** @__quantum__rt__array_get_element_ptr_1d(%Array* %1, i64 2)
  %8 = load %Qubit*, %Qubit** %7, align 8
  %9 = tail call %Result* @__quantum__qis__mz(%Qubit* %3)
  %10 = bitcast %Result* %9 to i1*
  %11 = load i1, i1* %10, align 1
  br i1 %11, label %12, label %13

12:
  tail call void @__quantum__qis__x(%Qubit* %8)
  br label %13

13:
  %14 = tail call %Result* @__quantum__qis__mz(%Qubit* %8)
  tail call void @__quantum__rt__qubit_release_array(%Array* %1)
  ret void
}

declare %Array* @__quantum__rt__qubit_allocate_array(i64) local_unnamed_addr
declare %Qubit** @__quantum__rt__array_get_element_ptr_1d(%Array*, i64) local_unnamed_addr
declare void @__quantum__qis__h(%Qubit*) local_unnamed_addr
declare void @__quantum__qis__x(%Qubit*) local_unnamed_addr
declare void @__quantum__qis__x__ctl(%Array*, %Qubit*)
declare void @generalizedInvokeWithRotationsControlsTargets(i64, i64, i64, i64, i8*, ...) local_unnamed_addr
declare %Result* @__quantum__qis__mz(%Qubit*) local_unnamed_addr
declare void @__quantum__rt__qubit_release_array(%Array*) local_unnamed_addr
"""


def test_typed_full_qir_of_older_cudaq():
    """Typed pointers, bitcasts and a result read through `load i1`, as cudaq 0.x printed its full QIR."""
    program = load(OLD_CUDAQ_TYPED)
    assert (program.entry_point, program.producer) == ("__nvqpp__mlirgen__ghz", "cudaq")
    assert (program.num_qubits, program.num_results) == (3, 2)
    assert "load" not in program.ir and "generalizedInvoke" not in program.ir
    # q0 = H|0>, q1 = q0, r0 = q0; q2 flipped when r0 = 1, r1 = q2: both results equal
    assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})
