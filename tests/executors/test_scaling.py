"""Very large and deeply nested programs on the local executor: they run, exactly, in bounded memory, with clear limits.

Programs that branch only on measurement results run from their operation list (no LLVM JIT); others
are JIT-compiled, large ones without optimisation and with runs of gates outlined, and refused above
`max_jit_instructions` with a `ResourceLimitError` that names the option. Distributions are checked
against closed forms (`tests.large_programs`) or `qirrt.qir.exact` with a G-test at p > 0.001
(`tests.stats`); the interpreted and the compiled path must give identical counts for the same seed.
Their time and its growth are measured in `benchmarks/load_scaling.py`, never asserted here.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

import qirrt
from qirrt.cli.app import main as cli
from qirrt.errors import ExecutionError, ResourceLimitError
from qirrt.executors.local import jit, operations
from qirrt.executors.local.executor import LocalExecutor
from qirrt.qir.dialect import GATES
from qirrt.qir.exact import exact_distribution
from qirrt.qir.normalize.core import double_literal
from qirrt.qir.program import Profile, Program
from tests import large_programs as large
from tests.corpus import CORPUS
from tests.producer_samples import SAMPLES
from tests.stats import assert_distribution

SHOTS = 4000


@pytest.fixture(scope="module")
def interpreted() -> LocalExecutor:
    return LocalExecutor()


@pytest.fixture(scope="module")
def compiled() -> LocalExecutor:
    return LocalExecutor(interpret=False)


def _load_and_run(text: str, **options):
    program = qirrt.load(text)
    return program, qirrt.run(program, **options)


# -- straight-line programs: no JIT -----------------------------------------------------------------------
def test_100k_gate_program_loads_and_runs_exactly_without_the_jit():
    """Time and its growth are measured in benchmarks/load_scaling.py; here, that the path is taken and exact."""
    for size in (25_000, 100_000):
        program, result = _load_and_run(large.straight_line(size), shots=SHOTS, seed=3)
        assert program.resources().total_gates == size
        assert result.metadata["interpreted"] is True
        assert_distribution(result.counts, large.straight_line_distribution())


@pytest.mark.parametrize("n", [
    20_000,
    pytest.param(100_000, marks=pytest.mark.slow),  # where a scan over every result per decision showed
])
def test_mid_circuit_measurements_into_many_results_run_exactly(n):
    result = qirrt.run(qirrt.load(large.measured_chain(n)), shots=100, seed=1)
    assert result.counts == {"10" * (n // 2): 100}
    assert result.metadata["decisions"] == n - 1


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_interpreted_and_compiled_runs_agree_on_the_corpus(interpreted, compiled, name):
    program = qirrt.load(CORPUS[name]())
    params = [0.3 + 0.2 * i for i in range(len(program.parameters))] or None
    a = interpreted.run(program, shots=500, seed=11, params=params, memory=True)
    b = compiled.run(program, shots=500, seed=11, params=params, memory=True)
    assert (a.counts, a.memory) == (b.counts, b.memory)
    assert b.metadata["interpreted"] is False


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_interpreted_and_compiled_runs_agree_on_every_producer_sample(interpreted, compiled, sample):
    program = Program.from_ir(sample.golden())
    a = interpreted.run(program, shots=500, seed=12, output_schema=True)
    b = compiled.run(program, shots=500, seed=12, output_schema=True)
    assert (a.counts, a.output_schema) == (b.counts, b.output_schema)


def test_programs_that_compute_on_results_are_left_to_the_jit(interpreted):
    for name in ("ghz3", "teleport", "rus", "midreset"):
        assert interpreted.run(qirrt.load(CORPUS[name]()), shots=10).metadata["interpreted"] is True, name
    for name in ("ifelse", "switch"):
        program = qirrt.load(CORPUS[name]())
        assert operations.extract(program.ir, program.entry_point) is None, name
        assert interpreted.run(program, shots=10).metadata["interpreted"] is False


def test_an_endless_interpreted_loop_stops_at_max_steps():
    text = large.nested_branches(1).replace("br label %done\ndone:", "br label %level1\ndone:")
    assert "level1:\n  br label %level1" in text
    program = qirrt.load(text)
    assert operations.extract(program.ir, program.entry_point) is not None
    with pytest.raises(ExecutionError, match="did not finish within max_steps=1000 steps"):
        qirrt.run(program, shots=100, seed=1, max_steps=1000)


def test_parameter_arithmetic_is_computed_per_binding(interpreted, compiled):
    theta, phi = Parameter("theta"), Parameter("phi")
    qc = QuantumCircuit(2, 2)
    qc.ry(2 * theta + 1, 0)
    qc.rx(theta * phi - phi / 3, 1)
    qc.rz(-theta, 1)
    qc.cx(0, 1)
    qc.ry(phi, 0)
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    extracted = operations.extract(program.ir, program.entry_point)
    assert extracted is not None and extracted.parametric
    batch = [[0.1, 0.2], [-1.2, 2.5], [3.0, -0.7]]
    results = interpreted.run(program, shots=SHOTS, seed=4, params=batch)
    for vector, result, other in zip(batch, results, compiled.run(program, shots=SHOTS, seed=4, params=batch)):
        assert result.counts == other.counts
        assert_distribution(result.counts, exact_distribution(program, vector))
    state = interpreted.statevector(program, params=batch[1])
    assert np.allclose(state, compiled.statevector(program, params=batch[1]), atol=1e-12)


def test_labels_and_every_record_kind_survive_interpretation(interpreted, compiled):
    text = """
@a = internal constant [6 x i8] c"tuple\\00"
@b = internal constant [4 x i8] c"r;0\\00"
define void @main() #0 {
entry:
  call void @__quantum__qis__x__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  br label %next
next:                                             ; a comment with "quotes"
  call void @__quantum__rt__tuple_record_output(i64 4, ptr @a)
  call void @__quantum__rt__result_record_output(ptr null, ptr @b)
  call void @__quantum__rt__bool_record_output(i1 true, ptr null)
  call void @__quantum__rt__int_record_output(i64 -7, ptr @b)
  call void @__quantum__rt__double_record_output(double 2.500000e-01, ptr @a)
  ret void
}
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare void @__quantum__rt__tuple_record_output(i64, ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__bool_record_output(i1, ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare void @__quantum__rt__double_record_output(double, ptr)
attributes #0 = { "entry_point" "output_labeling_schema"="labeled" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="1" }
attributes #1 = { "irreversible" }
"""
    program = qirrt.load(text)
    a = interpreted.run(program, shots=5, seed=1, output_schema=True)
    b = compiled.run(program, shots=5, seed=1, output_schema=True)
    assert a.metadata["interpreted"] and not b.metadata["interpreted"]
    assert a.counts == b.counts == {"1 1 -7 0.25": 5}  # a tuple of four: its items separated by spaces
    assert a.output_schema == b.output_schema
    assert "OUTPUT\tTUPLE\t4\ttuple" in a.output_schema and "OUTPUT\tINT\t-7\tr;0" in a.output_schema


def test_a_module_that_defines_a_runtime_function_is_left_to_the_jit(interpreted):
    text = """
define void @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  ret void
}
define void @__quantum__qis__h__body(ptr %q) {
entry:
  call void @__quantum__qis__x__body(ptr %q)
  ret void
}
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare void @__quantum__rt__result_record_output(ptr, ptr)
attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="1" }
attributes #1 = { "irreversible" }
"""
    program = Program(ir=text, entry_point="main", profile=Profile.ADAPTIVE, num_qubits=1, num_results=1)
    assert operations.extract(program.ir, "main") is None
    result = interpreted.run(program, shots=100, seed=1)
    assert result.metadata["interpreted"] is False
    assert result.counts == {"1": 100}  # the module's own "h" is an X


_QUBITS = 3
_OPS = st.one_of(
    st.tuples(st.sampled_from(sorted(GATES)), st.permutations(range(_QUBITS)),
              st.floats(-7, 7, allow_nan=False).map(lambda x: round(x, 6))),
    st.tuples(st.sampled_from(["mz", "reset", "br", "if", "record"]), st.permutations(range(_QUBITS)),
              st.just(0.0)),
)


def _random_program(ops) -> str:
    lines = ["entry:"]
    for block, (name, order, angle) in enumerate(ops, start=1):
        q = [("ptr null" if i == 0 else f"ptr inttoptr (i64 {i} to ptr)") for i in order]
        if name == "br":  # an unconditional jump to the next block
            lines += [f"  br label %b{block}", f"b{block}:  ; block {block}"]
        elif name == "if":  # read a result; on 1, an X (and, at odd positions, a measurement)
            then = [f"  call void @__quantum__qis__x__body({q[1]})"]
            if block % 2:
                then.append(f"  call void @__quantum__qis__mz__body({q[1]}, {q[2]})")
            lines += [f"  %c{block} = call i1 @__quantum__qis__read_result__body({q[0]})",
                      f"  br i1 %c{block}, label %t{block}, label %b{block}", f"t{block}:", *then,
                      f"  br label %b{block}", f"b{block}:"]
        elif name == "record":
            lines += [f"  %c{block} = call i1 @__quantum__qis__read_result__body({q[0]})",
                      f"  call void @__quantum__rt__bool_record_output(i1 %c{block}, ptr null)"]
        elif name == "mz":
            lines.append(f"  call void @__quantum__qis__mz__body({q[0]}, {q[1]})")
        elif name == "reset":
            lines.append(f"  call void @__quantum__qis__reset__body({q[0]})")
        else:
            spec = GATES[name]
            args = [f"double {double_literal(angle)}"] * spec.num_params + q[:spec.num_qubits]
            lines.append(f"  call void @__quantum__qis__{name}__body({', '.join(args)})")
    lines += [f"  call void @__quantum__qis__mz__body({q}, {q})" for q in
              ("ptr null", "ptr inttoptr (i64 1 to ptr)", "ptr inttoptr (i64 2 to ptr)")]
    decls = "\n".join(f"declare void @__quantum__qis__{g.name}__body("
                      f"{', '.join(['double'] * g.num_params + ['ptr'] * g.num_qubits)})" for g in GATES.values())
    return ("define void @main() #0 {\n" + "\n".join(lines) + "\n  ret void\n}\n" + decls +
            "\ndeclare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1\n"
            "declare void @__quantum__qis__reset__body(ptr)\n"
            "declare i1 @__quantum__qis__read_result__body(ptr)\n"
            "declare void @__quantum__rt__bool_record_output(i1, ptr)\n"
            f'attributes #0 = {{ "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="{_QUBITS}" '
            f'"required_num_results"="{_QUBITS}" }}\nattributes #1 = {{ "irreversible" }}\n')


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_OPS, max_size=25), st.integers(0, 2**32 - 1))
def test_random_programs_run_alike_interpreted_and_compiled(ops, seed):
    program = qirrt.load(_random_program(ops))
    a = LocalExecutor().run(program, shots=300, seed=seed)
    b = LocalExecutor(interpret=False).run(program, shots=300, seed=seed)
    assert a.metadata["interpreted"] is True
    assert a.counts == b.counts


# -- programs with control flow: interpreted, or the JIT, linear and bounded ---------------------------------
def test_1000_nested_branches_run_with_the_exact_distribution_interpreted_and_compiled():
    expected = large.nested_branches_distribution(1000)
    program = qirrt.load(large.nested_branches(1000))
    result = qirrt.run(program, shots=SHOTS, seed=5)
    assert result.metadata["interpreted"] is True
    assert_distribution(result.counts, expected)
    assert result.metadata["paths"] > 5
    computed = qirrt.load(large.nested_branches(1000, computed=True))
    result = qirrt.run(computed, shots=SHOTS, seed=5)
    assert result.metadata["interpreted"] is False
    assert_distribution(result.counts, expected)


def test_nested_branches_match_qirrt_exact():
    program = qirrt.load(large.nested_branches(6))
    exact = exact_distribution(program)
    expected = large.nested_branches_distribution(6)
    assert all(math.isclose(exact[k], expected[k], abs_tol=1e-12) for k in expected)


def test_large_branching_program_compiles_unoptimised_with_gates_outlined():
    program = qirrt.load(large.branch_after(20_000))
    size = jit.count_instructions(program.ir)
    assert size > jit.OPTIMISE_INSTRUCTIONS
    outlined = jit.outline(program.ir)
    assert outlined.count("define internal void @__qirrt_run_of_calls.") == math.ceil(20_000 / jit.OUTLINE_CALLS)
    result = qirrt.run(program, shots=200, seed=1, interpret=False)
    assert result.metadata["interpreted"] is False
    assert result.counts == {"11": 200}


def test_programs_over_max_jit_instructions_raise_a_resource_limit_error_naming_the_option():
    program = qirrt.load(large.nested_branches(50, computed=True))
    size = jit.count_instructions(program.ir)
    message = re.escape(f"max_jit_instructions={size}") + ".*" + re.escape(f"--max-jit-instructions {size}")
    with pytest.raises(ResourceLimitError, match=message):
        qirrt.run(program, shots=10, max_jit_instructions=size - 1)
    with pytest.raises(ResourceLimitError, match="max_jit_instructions=100;"):
        LocalExecutor(max_jit_instructions=100).run(program, shots=10)
    result = qirrt.run(program, shots=SHOTS, seed=2, max_jit_instructions=size)
    assert_distribution(result.counts, large.nested_branches_distribution(50))
    with pytest.raises(ExecutionError, match="max_jit_instructions must be a positive integer"):
        LocalExecutor(max_jit_instructions=0)


def test_interpreted_programs_are_not_bound_by_max_jit_instructions():
    for text, expected in ((large.straight_line(5_000), large.straight_line_distribution()),
                           (large.nested_branches(500), large.nested_branches_distribution(500))):
        program = qirrt.load(text)
        result = qirrt.run(program, shots=SHOTS, seed=8, max_jit_instructions=10)
        assert_distribution(result.counts, expected)
        with pytest.raises(ResourceLimitError, match="max_jit_instructions=10;"):
            qirrt.run(program, shots=10, max_jit_instructions=10, interpret=False)


def test_cli_run_names_the_limit_and_runs_past_it_with_the_flag(tmp_path):
    path = tmp_path / "nested.ll"
    path.write_text(large.nested_branches(40, computed=True))
    runner = CliRunner()
    refused = runner.invoke(cli, ["run", str(path), "--max-jit-instructions", "20", "--seed", "1"])
    assert refused.exit_code == 2
    assert "Traceback" not in refused.output
    error_lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and error_lines[0].startswith("error: ")
    assert "--max-jit-instructions" in error_lines[0] and "max_jit_instructions=20;" in error_lines[0]
    ran = runner.invoke(cli, ["run", str(path), "--max-jit-instructions", "100000", "--shots", "4000",
                              "--seed", "1", "--json"])
    assert ran.exit_code == 0, ran.output
    assert_distribution(json.loads(ran.stdout)["counts"], large.nested_branches_distribution(40))
    bad = runner.invoke(cli, ["run", str(path), "--max-jit-instructions", "0"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_cli_runs_a_long_straight_line_file(tmp_path):
    path = tmp_path / "long.ll"
    path.write_text(large.straight_line(20_000))
    ran = CliRunner().invoke(cli, ["run", str(path), "--shots", "4000", "--seed", "3", "--json"])
    assert ran.exit_code == 0, ran.output
    assert_distribution(json.loads(ran.stdout)["counts"], large.straight_line_distribution())


def test_a_module_too_large_for_the_memory_left_is_refused_before_parsing(tmp_path):
    text = large.straight_line(120_000)
    assert len(text) > 8 * 2**20
    path = tmp_path / "big.ll"
    path.write_text(text)
    bitcode = qirrt.load(large.straight_line(100)).to_bitcode() + b"\0" * (2**23)
    with mock.patch("qirrt.qir.memory.available_bytes", return_value=64 * 2**20), \
            mock.patch("qirrt.qir.program.pyqir.Context", side_effect=AssertionError("parsed")):
        with pytest.raises(ResourceLimitError, match=r"loading this 9 MiB module needs about 0\.2 GiB .* but only "
                                                     r"0\.1 GiB of memory is available"):
            qirrt.load(text)
        with pytest.raises(ResourceLimitError, match="available"):
            qirrt.load(bitcode)
        refused = CliRunner().invoke(cli, ["run", str(path)])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert refused.stderr.startswith(f"error: {path}: loading this 9 MiB module")


_EVICTION = """
import qirrt
from qirrt.executors.local import jit
from tests import large_programs as large
jit._CACHE_SIZE = 2
for depth in range(1, 9):   # each compile evicts (and frees) an older engine
    program = qirrt.load(large.nested_branches(depth, computed=True))
    assert qirrt.run(program, shots=50, seed=1).metadata["interpreted"] is False
print("ok")
"""


def test_evicting_compiled_programs_keeps_the_jit_working():
    # every MCJIT engine owns its target machine; a shared one was freed with the first evicted engine
    out = subprocess.run([sys.executable, "-c", _EVICTION], check=False, capture_output=True, text=True, timeout=600,
                         cwd=str(Path(__file__).resolve().parents[2]))
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr[-2000:])


# -- the big sizes ---------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("computed", [False, True], ids=["interpreted", "compiled"])
def test_5000_nested_branches_run_with_the_exact_distribution(computed):
    program = qirrt.load(large.nested_branches(5000, computed=computed))
    result = qirrt.run(program, shots=SHOTS, seed=6)
    assert result.metadata["interpreted"] is not computed
    assert_distribution(result.counts, large.nested_branches_distribution(5000))


_MILLION = """
import json, resource, time
import qirrt
from tests import large_programs as large
text = large.straight_line(1_000_000)
start = time.process_time()
result = qirrt.run(qirrt.load(text), shots=4000, seed=9)
print(json.dumps([time.process_time() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  result.counts]))
"""


@pytest.mark.slow
def test_a_million_gate_program_runs_in_bounded_memory():
    out = subprocess.run([sys.executable, "-c", _MILLION], check=False, capture_output=True, text=True, timeout=900,
                         cwd=str(Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr[-2000:]
    cpu_s, peak_mb, counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert peak_mb < 3000, f"peak RSS {peak_mb} MB ({cpu_s:.0f} s CPU)"
    assert_distribution(counts, large.straight_line_distribution())


@pytest.mark.slow
def test_a_large_branching_program_runs_through_the_jit():
    program = qirrt.load(large.branch_after(40_000))
    result = qirrt.run(program, shots=10, seed=1, interpret=False)
    assert result.metadata["interpreted"] is False and result.shots == 10
