"""Output records that run on only some paths: a shot's key lists what its path recorded (`qirrt.qir.normalize.records`).

Hand-written modules with records guarded by measured bits; the reference is computed in Python over
every outcome of the measured bits, independently of qirrt; the exact interpreter and the local
executor must both agree with it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qirrt
from qirrt.errors import InvalidProgramError
from qirrt.qir.exact import exact_distribution
from qirrt.qir.normalize.records import MAX_CONDITIONAL
from qirrt.qir.program import Program
from tests.stats import assert_distribution, assert_same_distribution

DECLARATIONS = """
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare void @__quantum__rt__bool_record_output(i1, ptr)
declare void @__quantum__rt__array_record_output(i64, ptr)
attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="NQ" "required_num_results"="NQ" "output_labeling_schema" }
attributes #1 = { "irreversible" }
"""


def _p(index: int) -> str:
    return "null" if index == 0 else f"inttoptr (i64 {index} to ptr)"


def guarded_program(n_bits: int, records: list[tuple[int | None, int, int]]) -> str:
    """H and mz on `n_bits` qubits, then records in order: (guard bit or None, recorded bit, int tag).
    A guarded record runs only when its guard bit is 1; it records the bit and, for a non-zero tag,
    an int (tag + the guard bit) computed inside the branch."""
    lines = ["define void @main() #0 {", "entry:"]
    for q in range(n_bits):
        lines += [f"  call void @__quantum__qis__h__body(ptr {_p(q)})",
                  f"  call void @__quantum__qis__mz__body(ptr {_p(q)}, ptr {_p(q)})"]
    for k, (guard, bit, tag) in enumerate(records):
        body = [f"  call void @__quantum__rt__result_record_output(ptr {_p(bit)}, ptr null)"]
        if tag:
            body = [f"  %g{k} = call i1 @__quantum__qis__read_result__body(ptr {_p(guard if guard is not None else bit)})",
                    f"  %z{k} = zext i1 %g{k} to i64",
                    f"  %v{k} = add i64 %z{k}, {tag}"] + body + [
                    f"  call void @__quantum__rt__int_record_output(i64 %v{k}, ptr null)"]
        if guard is None:
            lines += body
            continue
        lines += [f"  %c{k} = call i1 @__quantum__qis__read_result__body(ptr {_p(guard)})",
                  f"  br i1 %c{k}, label %rec{k}, label %cont{k}", f"rec{k}:", *body, f"  br label %cont{k}",
                  f"cont{k}:"]
    lines += ["  ret void", "}"]
    return "\n".join(lines) + DECLARATIONS.replace("NQ", str(n_bits))


def reference(n_bits: int, records: list[tuple[int | None, int, int]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for outcome in range(2 ** n_bits):
        bits = [(outcome >> q) & 1 for q in range(n_bits)]
        tokens: list[tuple[bool, str]] = []  # (is an int, text)
        for guard, bit, tag in records:
            if guard is not None and not bits[guard]:
                continue
            tokens.append((False, str(bits[bit])))
            if tag:
                tokens.append((True, str(tag + bits[guard if guard is not None else bit])))
        # README "Count keys": results concatenate, integers print in decimal separated by spaces
        key = "".join((" " if i and (spaced or tokens[i - 1][0]) else "") + text
                      for i, (spaced, text) in enumerate(tokens))
        out[key] = out.get(key, 0.0) + 2.0 ** -n_bits
    return out


def test_guarded_records_keys_and_runs():
    records = [(None, 0, 0), (0, 1, 0), (1, 2, 5), (None, 2, 0)]
    program = Program.from_ir(guarded_program(3, records))
    expected = reference(3, records)
    assert len({len(k) for k in expected}) > 1, "the keys differ in length from path to path"
    assert_same_distribution(exact_distribution(program), expected)
    assert_distribution(qirrt.run(program, shots=4000, seed=11).counts, expected)
    assert any("record output on only some paths" in note for note in program.normalisation)
    assert '!"multiple_return_points", i1 true' in program.ir
    assert Program.from_ir(program.ir).hash == program.hash, "normalising again changes nothing"


def test_array_counts_what_the_path_recorded():
    text = guarded_program(2, [(None, 0, 0), (0, 1, 0)]).replace(
        "  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))\n",
        "  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))\n"
        "  call void @__quantum__rt__array_record_output(i64 2, ptr null)\n", 1)
    program = Program.from_ir(text)
    counts = re.findall(r"array_record_output\(i64 (\d+)", program.ir)
    assert sorted(counts) == ["1", "2"]
    assert_same_distribution(exact_distribution(program), {"0": 0.5, "10": 0.25, "11": 0.25})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(st.just(n), st.lists(
    st.tuples(st.one_of(st.none(), st.integers(0, n - 1)), st.integers(0, n - 1), st.sampled_from([0, 0, 3])),
    min_size=1, max_size=4))))
def test_guarded_records_match_the_reference(case):
    n_bits, records = case
    program = Program.from_ir(guarded_program(n_bits, records))
    assert_same_distribution(exact_distribution(program), reference(n_bits, records))


def test_local_executor_agrees_on_random_guards():
    for n_bits, records in [(2, [(1, 0, 3), (0, 1, 0)]), (3, [(2, 2, 0), (None, 1, 3), (0, 0, 0), (1, 2, 0)])]:
        program = Program.from_ir(guarded_program(n_bits, records))
        assert_distribution(qirrt.run(program, shots=3000, seed=n_bits).counts, reference(n_bits, records))


def test_too_many_recording_blocks_are_refused():
    records = [(0, 0, 0)] * (MAX_CONDITIONAL + 1)
    with pytest.raises(InvalidProgramError, match=re.escape(f"more than the {MAX_CONDITIONAL} qirrt places")) as info:
        Program.from_ir(guarded_program(1, records))
    assert info.value.code == "QIR105"


def test_cli_runs_a_program_recording_on_some_paths(tmp_path):
    path = tmp_path / "paths.ll"
    path.write_text(guarded_program(2, [(None, 0, 0), (0, 1, 0)]))
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "run", str(path), "--shots", "2000", "--seed", "3",
                           "--json"], check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["counts"]
    assert set(counts) == {"0", "10", "11"}
    assert_distribution(counts, {"0": 0.5, "10": 0.25, "11": 0.25})
