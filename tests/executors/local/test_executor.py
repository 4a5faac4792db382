"""The local executor (QIR JIT-compiled onto numba state vectors) against exact answers.

Statistical bound: every sampled distribution is checked with a G-test against exact probabilities
(Qiskit's `Statevector`, `qirrt.qir.exact`, the producers' own reference distributions, or closed forms
computed by hand for the adaptive programs) and rejected only at p ≤ 0.001 (`tests.stats`). State
vectors are compared exactly (fidelity to 1e-10, 1e-5 in complex64).
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Statevector

import qirrt
from qirrt.errors import (
    ExecutionError,
    JobCancelledError,
    JobTimeoutError,
    ResourceLimitError,
)
from qirrt.executors.base import JobStatus
from qirrt.executors.local.executor import LocalExecutor
from qirrt.qir.exact import exact_distribution
from qirrt.qir.program import Program
from tests.corpus import CORPUS, mid_circuit_reset, teleport
from tests.producer_samples import SAMPLES
from tests.reference import exact_counts
from tests.stats import P_THRESHOLD, assert_distribution, g_test_pvalue

SHOTS = 4000


@pytest.fixture(scope="module")
def local() -> LocalExecutor:
    return LocalExecutor()


def fidelity(a: np.ndarray, b: np.ndarray) -> float:
    return abs(np.vdot(a, b)) ** 2 / (np.vdot(a, a).real * np.vdot(b, b).real)


# -- every producer's QIR, and the corpus ----------------------------------------------------------------
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_every_producer_sample_matches_its_source_distribution(local, sample):
    text = sample.golden()
    result = local.run(Program.from_ir(text), shots=SHOTS, seed=21)
    assert sum(result.counts.values()) == SHOTS
    assert_distribution(result.counts, sample.distribution(text))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_matches_the_exact_distribution(local, name):
    program = qirrt.load(CORPUS[name]())
    result = local.run(program, shots=SHOTS, seed=5)
    assert_distribution(result.counts, exact_distribution(program))


def test_static_circuit_counts_read_as_qiskit_counts(local):
    qc = QuantumCircuit(QuantumRegister(4), ClassicalRegister(2, "a"), ClassicalRegister(2, "b"))
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.9, 2)
    qc.x(3)
    qc.measure([0, 1, 2, 3], [0, 1, 2, 3])
    expected = exact_counts(qc)
    assert set(expected) <= {"10 00", "10 11", "11 00", "11 11"}
    assert_distribution(local.run(qirrt.load(qc), shots=SHOTS, seed=2).counts, expected)


# -- adaptive programs against hand-computed distributions ----------------------------------------------
def test_teleportation_with_feed_forward(local):
    theta = 1.2
    qc = teleport(theta)
    # m is uniform; the teleported qubit reads 1 with probability sin²(θ/2) whatever m is
    p1 = math.sin(theta / 2) ** 2
    expected = {f"{o} {b1}{b0}": 0.25 * (p1 if o else 1 - p1) for o in (0, 1) for b1 in (0, 1) for b0 in (0, 1)}
    result = local.run(qirrt.load(qc), shots=10_000, seed=8)
    assert_distribution(result.counts, expected)
    assert result.metadata["paths"] <= 4, "shots must share simulated paths, not re-run each one"


def test_repeat_until_success_while_loop(local):
    theta = math.pi / 2
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.while_loop((qc.clbits[0], 0)):      # N more tries, P(N) = 2^-(N+1)
        qc.ry(theta, 1)                          # each failed try rotates the target once more
        qc.h(0)
        qc.measure(0, 0)
    qc.measure(1, 1)
    p1 = sum(0.5 ** (n + 1) * math.sin(n * theta / 2) ** 2 for n in range(200))
    result = local.run(qirrt.load(qc), shots=SHOTS, seed=3)
    assert_distribution(result.counts, {"11": p1, "01": 1 - p1})
    assert result.metadata["paths"] < 40


def test_mid_circuit_measurement_and_reset(local):
    qc = mid_circuit_reset()
    p = math.sin(1.1 / 2) ** 2                  # c2 = c0 (the Bell partner), c1 independent
    expected = {f"{c0}{c1}{c0}": 0.5 * (p if c1 else 1 - p) for c0 in (0, 1) for c1 in (0, 1)}
    assert_distribution(local.run(qirrt.load(qc), shots=SHOTS, seed=4).counts, expected)


def test_if_else_on_a_register(local):
    c, r = ClassicalRegister(2, "c"), ClassicalRegister(1, "r")
    qc = QuantumCircuit(QuantumRegister(3), c, r)
    qc.h([0, 1])
    qc.measure([0, 1], c)
    with qc.if_test((c, 2)) as otherwise:
        qc.x(2)
    with otherwise:
        qc.ry(0.5, 2)
    qc.measure(2, r[0])
    p = math.sin(0.25) ** 2
    expected = {"1 10": 0.25}
    for value in ("00", "01", "11"):
        expected[f"1 {value}"] = 0.25 * p
        expected[f"0 {value}"] = 0.25 * (1 - p)
    assert_distribution(local.run(qirrt.load(qc), shots=SHOTS, seed=6).counts, expected)


def test_adaptive_cost_follows_paths_not_shots(local):
    program = qirrt.load(CORPUS["teleport"]())
    few = local.run(program, shots=100, seed=1)
    many = local.run(program, shots=100_000, seed=1)
    assert sum(many.counts.values()) == 100_000
    assert many.metadata["paths"] == few.metadata["paths"] == 4


# -- seeds, precision, state vectors --------------------------------------------------------------------
def test_same_seed_same_counts_and_memory(local):
    program = qirrt.load(CORPUS["teleport"]())
    a = local.run(program, shots=500, seed=42, memory=True)
    b = local.run(program, shots=500, seed=42, memory=True)
    c = local.run(program, shots=500, seed=43, memory=True)
    assert a.counts == b.counts and a.memory == b.memory
    assert a.memory != c.memory
    assert len(a.memory) == 500 and {k: a.memory.count(k) for k in a.counts} == a.counts
    unseeded = local.run(program, shots=10)
    again = local.run(program, shots=500, seed=unseeded.metadata["seed"])
    assert again.metadata["seed"] == unseeded.metadata["seed"]


def test_fused_and_cache_blocked_state_matches_qiskit():
    circuit = random_circuit(16, 12, max_operands=3, seed=11)
    program = qirrt.load(circuit)
    reference = Statevector(circuit).data
    # small blocks force cache-blocked passes and the multi-threaded kernels at 16 qubits
    for options in ({}, {"block_qubits": 10, "parallel_qubits": 12},
                    {"fusion_qubits": 1, "diagonal_qubits": 1, "block_qubits": 9},
                    {"fusion_qubits": 5, "diagonal_qubits": 12}):
        state = LocalExecutor(**options).statevector(program)
        assert fidelity(state, reference) > 1 - 1e-10, options


def test_complex64_halves_memory_and_keeps_the_distribution():
    circuit = random_circuit(8, 10, max_operands=2, seed=3)
    program = qirrt.load(circuit)
    single = LocalExecutor(precision="complex64")
    state = single.statevector(program)
    assert state.dtype == np.complex64
    assert fidelity(state.astype(np.complex128), Statevector(circuit).data) > 1 - 1e-5
    circuit.measure_all()
    result = qirrt.run(circuit, shots=SHOTS, seed=9, precision="complex64")
    assert result.metadata["precision"] == "complex64"
    assert_distribution(result.counts, exact_counts(circuit))


def test_memory_guard_refuses_before_allocating():
    qc = QuantumCircuit(40, 1)
    qc.h(39)
    qc.measure(39, 0)
    program = qirrt.load(qc)
    with pytest.raises(ResourceLimitError, match=re.escape("a 40-qubit complex128 state vector needs 16384.00 GiB")):
        qirrt.run(program, shots=10)
    with pytest.raises(ResourceLimitError, match="at most 5 qubits in complex64"):
        LocalExecutor(precision="complex64", memory_limit_bytes=300).run(qirrt.load(CORPUS["ghz8"]()))
    assert 20 <= LocalExecutor().max_qubits <= 40


# -- parameters -----------------------------------------------------------------------------------------
def _parametric():
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(3, 3)
    qc.ry(a, 0)
    qc.rx(2 * b + 0.1, 1)
    qc.cx(0, 2)
    qc.rzz(a - b, 1, 2)
    qc.h(2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc, a, b


def test_bound_parameters_equal_assign_parameters(local):
    qc, a, b = _parametric()
    program = qirrt.load(qc)
    assert program.parameters == ("a", "b")
    values = {a: 0.7, b: -0.4}
    bound = qc.assign_parameters(values)
    unmeasured = bound.remove_final_measurements(inplace=False)
    by_name = local.statevector(program, params={"a": 0.7, "b": -0.4})
    assert fidelity(by_name, Statevector(unmeasured).data) > 1 - 1e-12
    by_position = local.statevector(program, params=[0.7, -0.4])
    np.testing.assert_allclose(by_name, by_position)
    result = local.run(program, shots=SHOTS, seed=1, params=values)
    assert result.metadata["parameters"] == {"a": 0.7, "b": -0.4}
    assert_distribution(result.counts, exact_counts(bound))


def test_a_batch_of_bindings_runs_on_one_compiled_program(local):
    qc, _, _ = _parametric()
    program = qirrt.load(qc)
    batch = [[0.1, 0.2], [1.0, -1.0], [2.0, 0.5]]
    results = local.run(program, shots=SHOTS, seed=2, params=batch)
    assert len(results) == 3
    for values, result in zip(batch, results):
        assert result.metadata["jit_time_s"] == 0.0 or result is results[0]
        assert_distribution(result.counts, exact_counts(qc.assign_parameters(values)))
    assert len({r.metadata["seed"] for r in results}) == 1


def test_missing_parameters_are_a_clear_error(local):
    qc, _, _ = _parametric()
    program = qirrt.load(qc)
    with pytest.raises(ExecutionError, match=re.escape("missing values for parameter(s) 'b'; the program needs 'a', 'b'")):
        local.run(program, params={"a": 1.0})
    with pytest.raises(ExecutionError, match=re.escape("unbound parameter(s) ('a', 'b') and no values were given")):
        local.run(program)
    with pytest.raises(ExecutionError, match=re.escape("got 1 parameter value(s) for 2 parameter(s)")):
        local.run(program, params=[1.0])


# -- output records -------------------------------------------------------------------------------------
_RECORDS = """
@t = internal constant [2 x i8] c"t\\00"
@r0 = internal constant [3 x i8] c"r0\\00"

define i64 @main() #0 {
entry:
  call void @__quantum__qis__x__body(ptr null)
  call void @__quantum__qis__h__body(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  %r = call i1 @__quantum__qis__read_result__body(ptr null)
  %i = zext i1 %r to i64
  %n = add i64 %i, 41
  call void @__quantum__rt__tuple_record_output(i64 3, ptr @t)
  call void @__quantum__rt__result_record_output(ptr null, ptr @r0)
  call void @__quantum__rt__bool_record_output(i1 %r, ptr null)
  call void @__quantum__rt__int_record_output(i64 %n, ptr null)
  call void @__quantum__rt__double_record_output(double 2.5, ptr null)
  call void @__quantum__rt__array_record_output(i64 2, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret i64 0
}

declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly)
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__tuple_record_output(i64, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__bool_record_output(i1, ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare void @__quantum__rt__double_record_output(double, ptr)
declare void @__quantum__rt__array_record_output(i64, ptr)

attributes #0 = { "entry_point" "output_labeling_schema"="labeled" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="3" }

!llvm.module.flags = !{!0, !1, !2, !3, !4}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 1, !"int_computations", !"i64"}
"""


def test_every_record_kind_reads_by_the_key_convention(local):
    program = Program.from_ir(_RECORDS, validate=False)
    result = local.run(program, shots=SHOTS, seed=1, output_schema=True)
    # tuple(result 1, bool 1, int 42) · double 2.5 · array(r2 ∈ {0, 1}, never-measured r1 = 0)
    assert_distribution(result.counts, {"1 1 42 2.5 00": 0.5, "1 1 42 2.5 10": 0.5})
    shots = result.output_schema.split("START\n")[1:]
    assert len(shots) == SHOTS
    lines = shots[0].splitlines()
    assert lines[:5] == ["METADATA\tentry_point\tmain", "OUTPUT\tTUPLE\t3\tt", "OUTPUT\tRESULT\t1\tr0",
                         "OUTPUT\tBOOL\ttrue", "OUTPUT\tINT\t42"]
    assert lines[5:7] == ["OUTPUT\tDOUBLE\t2.5", "OUTPUT\tARRAY\t2"] and lines[-1] == "END\t0"


def test_a_program_without_records_counts_the_empty_key(local):
    qc = QuantumCircuit(2)
    qc.h(0)
    result = local.run(qirrt.load(qc), shots=50, seed=1)
    assert result.counts == {"": 50}


# -- bad runtime behaviour ends in an ExecutionError, not a crash -----------------------------------------
_LOOP = """
define i64 @main() #0 {
entry:
  br label %loop
loop:
  BODY
  br label %loop
}
declare void @__quantum__qis__h__body(ptr)
attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="0" }
!llvm.module.flags = !{!0, !1}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 1, !"backwards_branching", i1 true}
"""


@pytest.mark.parametrize("body", ["call void @__quantum__qis__h__body(ptr null)", ""])
def test_an_endless_loop_stops_at_the_step_limit(body):
    program = Program.from_ir(_LOOP.replace("BODY", body), validate=False)
    with pytest.raises(ExecutionError, match=r"did not finish within max_steps=100000 steps .* loop forever"):
        LocalExecutor(max_steps=100_000).run(program, shots=10)


def test_a_qubit_beyond_required_num_qubits_is_caught():
    text = _LOOP.replace("br label %loop\nloop:\n  BODY\n  br label %loop", "call void @__quantum__qis__h__body("
                         "ptr inttoptr (i64 7 to ptr))\n  ret i64 0")
    program = Program.from_ir(text, validate=False)
    with pytest.raises(ExecutionError, match=re.escape("used qubit 7, but it declares required_num_qubits=1")):
        LocalExecutor().run(program, shots=10)


def test_unsupported_calls_are_named():
    text = _LOOP.replace("BODY", "call void @__quantum__rt__message(ptr null)") + \
        "declare void @__quantum__rt__message(ptr)\n"
    program = Program.from_ir(text, validate=False)
    with pytest.raises(ExecutionError, match=re.escape("it calls @__quantum__rt__message")):
        LocalExecutor().run(program)


# -- jobs -----------------------------------------------------------------------------------------------
class _GatedExecutor(LocalExecutor):
    """The local executor, held at a gate so a test controls when each job runs."""

    name = "gated-local"

    def __init__(self, gate):
        super().__init__()
        self.gate = gate

    def execute(self, programs, **kwargs):
        assert self.gate.wait(timeout=60)
        return super().execute(programs, **kwargs)


def test_submit_runs_jobs_in_the_background_and_can_cancel_queued_ones():
    import threading

    gate = threading.Event()
    executor = _GatedExecutor(gate)
    bell = qirrt.load(CORPUS["ghz3"]())
    first = executor.submit(bell, shots=100, seed=1)
    queued = executor.submit([bell, bell], shots=100, seed=1)
    assert queued.status() is JobStatus.QUEUED
    assert queued.cancel() and queued.status() is JobStatus.CANCELLED
    with pytest.raises(JobCancelledError):
        queued.result()
    with pytest.raises(JobTimeoutError, match="did not finish within 0.01 s"):
        first.result(timeout_s=0.01)
    assert first.status() is JobStatus.RUNNING
    gate.set()
    result = first.result(timeout_s=60)
    assert first.status() is JobStatus.DONE and result.shots == 100 and set(result.counts) <= {"000", "111"}
    results = executor.submit([bell, bell], shots=100, seed=1).result(timeout_s=60)
    assert len(results) == 2 and all(sum(r.counts.values()) == 100 for r in results)
    assert results[0].metadata["seed"] == results[1].metadata["seed"] == 1
    failing = executor.submit(Program.from_ir(_LOOP.replace("BODY", ""), validate=False), max_steps=1000)
    with pytest.raises(ExecutionError, match="max_steps=1000"):
        failing.result(timeout_s=60)
    assert failing.status() is JobStatus.FAILED


def test_qirrt_run_accepts_sources_and_executor_names():
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    assert qirrt.run(qc, shots=20, seed=1).counts == {"1": 20}
    assert qirrt.run(qirrt.load(qc).ir, shots=20, executor="local").counts == {"1": 20}
    started = time.perf_counter()
    result = qirrt.run(qc, shots=20, seed=1)
    assert result.metadata["wall_time_s"] <= time.perf_counter() - started
    assert g_test_pvalue({"1": 20}, {"1": 1.0}) > P_THRESHOLD
