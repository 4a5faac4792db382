"""qirrt.bindings.qiskit.to_circuit: every corpus program raised to Qiskit has the exact QIR distribution.

Static programs are compared exactly (Qiskit's Statevector of the raised circuit, mapped to the
program's keys, equals `qirrt.qir.exact`); programs with control flow are sampled by Aer and G-tested
against `qirrt.qir.exact` (p > 0.001, see tests/stats.py).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from qiskit import transpile
from qiskit.circuit import Parameter
from qiskit_aer import AerSimulator

import qirrt
from qirrt.bindings.qiskit.to_circuit import (
    RECORDS_KEY,
    SCRATCH_REGISTER,
    key_function,
    map_counts,
    to_qiskit,
)
from qirrt.errors import ExecutionError
from qirrt.qir.exact import exact_distribution
from qirrt.qir.program import Program
from tests.corpus import CONTROL_FLOW, CORPUS, expression_ansatz
from tests.reference import exact_counts
from tests.stats import assert_distribution, assert_same_distribution

STATIC = sorted(set(CORPUS) - CONTROL_FLOW)
SHOTS = 8000


def _aer_counts(circuit, shots: int = SHOTS, seed: int = 7) -> dict[str, int]:
    simulator = AerSimulator(method="statevector", seed_simulator=seed)
    return simulator.run(transpile(circuit, simulator), shots=shots).result().get_counts()


def _has_control_flow(circuit) -> bool:
    return any(i.operation.name in ("if_else", "while_loop") for i in circuit.data)


@pytest.mark.parametrize("name", STATIC)
def test_static_corpus_raises_to_the_exact_distribution(name):
    program = qirrt.load(CORPUS[name]())
    circuit = to_qiskit(program)
    assert circuit.num_qubits == program.num_qubits
    assert [r.name for r in circuit.cregs] == ["c"]
    assert circuit.num_clbits == program.num_results
    assert not _has_control_flow(circuit)
    assert_same_distribution(map_counts(exact_counts(circuit), circuit), exact_distribution(program))


@pytest.mark.parametrize("name", sorted(CONTROL_FLOW))
def test_control_flow_corpus_raises_to_the_sampled_distribution(name):
    program = qirrt.load(CORPUS[name]())
    circuit = to_qiskit(program)
    assert_distribution(map_counts(_aer_counts(circuit), circuit), exact_distribution(program))


def test_if_else_and_while_come_back_as_qiskit_control_flow():
    names = {name: {i.operation.name for i in to_qiskit(qirrt.load(CORPUS[name]())).data}
             for name in ("teleport", "ifelse", "rus")}
    assert "if_else" in names["teleport"]
    assert "if_else" in names["ifelse"]
    assert "while_loop" in names["rus"]


# -- parameters ------------------------------------------------------------------------------------
def test_parameters_become_qiskit_parameters_with_the_programs_names():
    program = qirrt.load(expression_ansatz())
    circuit = to_qiskit(program)
    assert sorted(p.name for p in circuit.parameters) == sorted(program.parameters)
    assert circuit.metadata["qirrt_parameters"] == list(program.parameters)
    rng = np.random.default_rng(5)
    for _ in range(3):
        values = rng.uniform(-math.pi, math.pi, len(program.parameters))
        by_name = dict(zip(program.parameters, values))
        bound = circuit.assign_parameters({p: by_name[p.name] for p in circuit.parameters})
        expected = exact_distribution(program, values)
        assert_same_distribution(map_counts(exact_counts(bound), bound), expected)
        direct = to_qiskit(program, params=values)
        assert not direct.parameters
        assert_same_distribution(map_counts(exact_counts(direct), direct), expected)
        named = to_qiskit(program, params=by_name)
        assert_same_distribution(map_counts(exact_counts(named), named), expected)


def test_wrong_number_of_parameter_values_is_refused():
    program = qirrt.load(expression_ansatz())
    with pytest.raises(ExecutionError, match=re.escape("program has 4 parameters")):
        to_qiskit(program, params=[0.1])
    with pytest.raises(ExecutionError, match=re.escape("no value for parameter(s) ['θ']")):
        to_qiskit(program, params={"φ": 0.1, "v[0]": 0.0, "v[1]": 0.0})


def test_parameter_vectors_keep_qiskits_order():
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    v = ParameterVector("v", 12)
    qc = QuantumCircuit(2, 2)
    for i, p in enumerate(v):
        qc.ry(p, i % 2)
    qc.rz(Parameter("a"), 0)
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    circuit = to_qiskit(program)
    assert [p.name for p in circuit.parameters] == [p.name for p in qc.parameters]


# -- hand-written adaptive QIR -------------------------------------------------------------------
_MODULE = """
define i64 @main() #0 {{
{body}
}}
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__ry__body(double, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare void @__quantum__qis__reset__body(ptr)
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__bool_record_output(i1, ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare void @__quantum__rt__array_record_output(i64, ptr)
attributes #0 = {{ "entry_point" "output_labeling_schema"="ordered" "qir_profiles"="adaptive_profile" "required_num_qubits"="{qubits}" "required_num_results"="{results}" }}
attributes #1 = {{ "irreversible" }}
!llvm.module.flags = !{{!0, !1, !2, !3, !4, !5}}
!0 = !{{i32 1, !"qir_major_version", i32 1}}
!1 = !{{i32 7, !"qir_minor_version", i32 0}}
!2 = !{{i32 1, !"dynamic_qubit_management", i1 false}}
!3 = !{{i32 1, !"dynamic_result_management", i1 false}}
!4 = !{{i32 1, !"backwards_branching", i1 true}}
!5 = !{{i32 1, !"int_computations", i1 true}}
"""


def _q(i: int) -> str:
    return "ptr null" if i == 0 else f"ptr inttoptr (i64 {i} to ptr)"


def _program(body: str, qubits: int, results: int) -> Program:
    return Program.from_ir(_MODULE.format(body=body, qubits=qubits, results=results))


HAZARD = f"""entry:
  call void @__quantum__qis__h__body({_q(0)})
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  %a = call i1 @__quantum__qis__read_result__body({_q(0)})
  call void @__quantum__qis__h__body({_q(0)})
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  br i1 %a, label %then, label %done
then:
  call void @__quantum__qis__x__body({_q(1)})
  br label %done
done:
  call void @__quantum__qis__mz__body({_q(1)}, {_q(1)})
  call void @__quantum__rt__result_record_output({_q(0)}, ptr null)
  call void @__quantum__rt__result_record_output({_q(1)}, ptr null)
  call void @__quantum__rt__bool_record_output(i1 %a, ptr null)
  ret i64 0"""

DO_WHILE_PHI = f"""entry:
  br label %loop
loop:
  %flip = phi i1 [ false, %entry ], [ %nflip, %loop ]
  call void @__quantum__qis__h__body({_q(0)})
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  %r = call i1 @__quantum__qis__read_result__body({_q(0)})
  call void @__quantum__qis__reset__body({_q(0)})
  %nflip = xor i1 %flip, true
  %again = select i1 %r, i1 true, i1 false
  br i1 %again, label %loop, label %exit
exit:
  br i1 %nflip, label %odd, label %end
odd:
  call void @__quantum__qis__x__body({_q(1)})
  br label %end
end:
  call void @__quantum__qis__mz__body({_q(1)}, {_q(1)})
  call void @__quantum__rt__array_record_output(i64 2, ptr null)
  call void @__quantum__rt__result_record_output({_q(0)}, ptr null)
  call void @__quantum__rt__result_record_output({_q(1)}, ptr null)
  call void @__quantum__rt__bool_record_output(i1 %nflip, ptr null)
  call void @__quantum__rt__int_record_output(i64 7, ptr null)
  ret i64 0"""

NESTED_LOOPS = f"""entry:
  br label %outer
outer:
  call void @__quantum__qis__ry__body(double 1.0, {_q(0)})
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  %o = call i1 @__quantum__qis__read_result__body({_q(0)})
  br i1 %o, label %inner, label %done
inner:
  call void @__quantum__qis__ry__body(double 0.6, {_q(1)})
  call void @__quantum__qis__mz__body({_q(1)}, {_q(1)})
  %i = call i1 @__quantum__qis__read_result__body({_q(1)})
  call void @__quantum__qis__reset__body({_q(1)})
  br i1 %i, label %inner, label %latch
latch:
  call void @__quantum__qis__reset__body({_q(0)})
  call void @__quantum__qis__h__body({_q(2)})
  br label %outer
done:
  call void @__quantum__qis__mz__body({_q(2)}, {_q(2)})
  %d = call i1 @__quantum__qis__read_result__body({_q(2)})
  %e = icmp eq i1 %d, %o
  br i1 %e, label %same, label %join
same:
  call void @__quantum__qis__x__body({_q(1)})
  br label %join
join:
  call void @__quantum__qis__mz__body({_q(1)}, {_q(1)})
  call void @__quantum__rt__array_record_output(i64 3, ptr null)
  call void @__quantum__rt__result_record_output({_q(0)}, ptr null)
  call void @__quantum__rt__result_record_output({_q(1)}, ptr null)
  call void @__quantum__rt__result_record_output({_q(2)}, ptr null)
  ret i64 0"""

CONSTANT_BRANCH = f"""entry:
  call void @__quantum__qis__h__body({_q(0)})
  %c = icmp eq i64 3, 3
  br i1 %c, label %yes, label %no
yes:
  call void @__quantum__qis__x__body({_q(1)})
  br label %no
no:
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  call void @__quantum__qis__mz__body({_q(1)}, {_q(1)})
  call void @__quantum__rt__result_record_output({_q(1)}, ptr null)
  call void @__quantum__rt__result_record_output({_q(0)}, ptr null)
  ret i64 0"""


@pytest.mark.parametrize("body, qubits, results", [
    pytest.param(HAZARD, 2, 2, id="read-then-remeasure"),
    pytest.param(DO_WHILE_PHI, 2, 2, id="do-while-phi-select"),
    pytest.param(NESTED_LOOPS, 3, 3, id="nested-loops-icmp"),
    pytest.param(CONSTANT_BRANCH, 2, 2, id="constant-branch"),
])
def test_hand_written_adaptive_programs(body, qubits, results):
    program = _program(body, qubits, results)
    circuit = to_qiskit(program)
    expected = exact_distribution(program, cutoff=1e-10)
    assert_distribution(map_counts(_aer_counts(circuit), circuit), expected)


def test_a_read_overwritten_before_use_is_copied_into_a_scratch_bit():
    circuit = to_qiskit(_program(HAZARD, 2, 2))
    scratch = next(r for r in circuit.cregs if r.name == SCRATCH_REGISTER)
    assert scratch.size == 2  # the read of r0 and the record of r0
    assert any(i.operation.name == "store" for i in circuit.data)


def test_do_while_becomes_body_then_while():
    circuit = to_qiskit(_program(DO_WHILE_PHI, 2, 2))
    names = [i.operation.name for i in circuit.data]
    assert names.index("measure") < names.index("while_loop")
    assert "if_else" in names


def test_constant_branch_is_folded():
    circuit = to_qiskit(_program(CONSTANT_BRANCH, 2, 2))
    assert not _has_control_flow(circuit)
    assert circuit.count_ops().get("x") == 1


# -- what cannot be raised -----------------------------------------------------------------------
INT_RECORD = f"""entry:
  call void @__quantum__qis__h__body({_q(0)})
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  %a = call i1 @__quantum__qis__read_result__body({_q(0)})
  %z = zext i1 %a to i64
  call void @__quantum__rt__int_record_output(i64 %z, ptr null)
  ret i64 0"""

RECORD_IN_BRANCH = f"""entry:
  call void @__quantum__qis__h__body({_q(0)})
  call void @__quantum__qis__mz__body({_q(0)}, {_q(0)})
  %a = call i1 @__quantum__qis__read_result__body({_q(0)})
  br i1 %a, label %then, label %done
then:
  call void @__quantum__rt__int_record_output(i64 1, ptr null)
  br label %done
done:
  ret i64 0"""


def test_integer_computation_on_measurements_is_refused_naming_the_instruction():
    message = ("cannot raise the program to a Qiskit circuit: integer computation on measured values "
               "cannot be raised (at function @main, block %entry, instruction `%z = zext i1 %a to i64`)")
    with pytest.raises(ExecutionError, match=re.escape(message)):
        to_qiskit(_program(INT_RECORD, 1, 1))


def test_record_inside_a_branch_is_refused():
    # the normaliser refuses such modules already; build the Program directly to reach the raiser
    program = Program(ir=_MODULE.format(body=RECORD_IN_BRANCH, qubits=1, results=1), entry_point="main",
                      profile=qirrt.Profile.ADAPTIVE, num_qubits=1, num_results=1)
    with pytest.raises(ExecutionError, match=re.escape("an output record inside a conditional or a loop")):
        to_qiskit(program)


# -- count keys ------------------------------------------------------------------------------------
def test_key_function_reads_spaces_hex_and_scratch_bits():
    circuit = to_qiskit(_program(DO_WHILE_PHI, 2, 2))
    assert circuit.metadata[RECORDS_KEY][0] == ["array", "const", 2]
    convert = key_function(circuit)
    # clbits: c[0], c[1], scratch[0] (the phi), scratch[1] (nflip); Qiskit key "scratch c"
    assert convert("10 10") == "011 7"
    assert convert("1010") == "011 7"
    assert convert(hex(0b1010)) == "011 7"


def test_map_counts_survives_transpilation_to_a_device():
    from qiskit.providers.fake_provider import GenericBackendV2

    program = qirrt.load(CORPUS["ghz4"]())
    circuit = to_qiskit(program)
    backend = GenericBackendV2(num_qubits=6, seed=1)
    transpiled = transpile(circuit, backend, seed_transpiler=1, optimization_level=1)
    assert transpiled.metadata[RECORDS_KEY] == circuit.metadata[RECORDS_KEY]
    counts = AerSimulator(method="statevector", seed_simulator=3).run(transpiled, shots=2000).result().get_counts()
    assert_distribution(map_counts(counts, transpiled), exact_distribution(program))


def test_a_circuit_without_records_is_refused_by_the_key_mapping():
    from qiskit import QuantumCircuit

    with pytest.raises(ExecutionError, match=re.escape("carries no qirrt output records")):
        key_function(QuantumCircuit(1, 1, name="plain"))
