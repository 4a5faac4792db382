"""Conformance: every repair of a spec violation is visible (a warning, `repairs`, `"conformant": false`),
and strict mode (`--strict`, `strict=True`) refuses every module that breaks its profile.

The golden invalid modules (`tests/golden/invalid/`, see `tests/qir/validate/cases.py` for their headers) are
the corpus: each one is either repaired in the default mode (`REPAIRED`, with the rule of its header) or
refused in both modes; under `--strict` every one is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import qirrt
from qirrt.cli.app import main
from qirrt.errors import InvalidProgramError
from qirrt.qir.conformance import Repair
from qirrt.qir.program import Program
from tests.producer_samples import GOLDEN as PRODUCERS
from tests.qir.validate.cases import CASES, Case

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"

REPAIRED = {
    "qir012_entry_point_parameters", "qir014_missing_required_num_results", "qir015_qubit_count_not_integer",
    "qir016_unknown_profile", "qir020_missing_module_flag", "qir021_dynamic_qubits_true",
    "qir021_major_version_3", "qir033_dynamic_qubit_allocation", "qir042_int_add_without_flag",
    "qir043_float_without_flag", "qir050_unknown_qis_gate", "qir056_measurement_not_irreversible",
    "qir064_loop_without_flag", "qir066_switch_without_flag", "qir069_initialize_late",
    "qir070_gate_after_record", "qir041_alloca_store_load", "qir065_multiple_returns", "qir070_record_in_branch",
}
"""The golden invalid modules the default mode repairs (each with its header's rule); the rest are refused."""

NORMALISER_FIRST = {"qir040_inttoptr_instruction": "QIR101"}
"""Modules the normaliser refuses with its own code before the profile rule is checked."""

WARNING_LINE = re.compile(r"^warning: \[(QIR\d{3})\] [a-z0-9-]+: .+; repaired: .+$")
ERROR_LINE = re.compile(r"^error: \[(QIR\d{3})\] .+$")


def ids(cases: list[Case]) -> list[str]:
    return [case.path.stem for case in cases]


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- strict: every invalid module is refused --------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_strict_compile_refuses_every_invalid_module(case: Case):
    # the profile mismatch is a valid adaptive program: only asking for base (its header's profile) breaks it
    profile = ["--profile", case.profile.value] if case.path.stem == "qir016_profile_mismatch" else []
    code, stdout, stderr = cli("compile", "--strict", *profile, case.path)
    assert code == 2, stdout
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    expected = {NORMALISER_FIRST.get(case.path.stem, case.code)} | case.also
    assert match.group(1) in expected, lines[0]
    if case.code != "QIR001" or case.line is not None:
        assert case.path.name in lines[0]                   # the location names the file
    assert "Traceback" not in stderr and stdout == ""


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_default_mode_repairs_with_a_warning_or_refuses(case: Case):
    code, stdout, stderr = cli("inspect", "--json", case.path)
    warnings_ = [line for line in stderr.splitlines() if line.startswith("warning:")]
    if case.path.stem == "qir016_profile_mismatch":   # a valid adaptive program: only --profile base refuses it
        assert code == 0 and not warnings_
        assert cli("inspect", "--profile", "base", case.path)[0] == 2
        return
    if case.path.stem not in REPAIRED:
        assert code == 2 and '"valid": false' in stdout, stdout
        return
    assert code == 0, stderr
    description = json.loads(stdout)
    assert description["valid"] is True and description["conformant"] is False
    repairs = description["repairs"]
    assert case.code in {r["code"] for r in repairs}, repairs
    assert all(set(r) == {"code", "rule", "violation", "repaired", "location"} for r in repairs)
    # exactly one stderr line per repair, in the documented format, naming the same rules
    assert len(warnings_) == len(repairs) == len(stderr.splitlines()), stderr
    assert [WARNING_LINE.match(line).group(1) for line in warnings_] == [r["code"] for r in repairs]
    assert all(case.path.name in line for line in warnings_)


def test_the_repaired_corpus_is_what_the_headers_say():
    assert REPAIRED <= {case.path.stem for case in CASES}
    # every repair kind the issue names has a module: required_num_*, parameters, records before gates,
    # loops without backwards_branching, measurements without irreversible
    for code in ("QIR012", "QIR014", "QIR064", "QIR056", "QIR070"):
        assert any(case.code == code and case.path.stem in REPAIRED for case in CASES), code


def test_strict_refusal_through_a_real_process_is_one_line(tmp_path):
    path = tmp_path / "params.ll"
    path.write_text((Path(__file__).parent.parent / "golden" / "invalid" / "qir012_entry_point_parameters.ll").read_text())
    for command in ("compile", "inspect", "run"):
        done = subprocess.run([sys.executable, "-m", "qirrt.cli", command, "--strict", str(path)],
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("error: [QIR012] entry-point-parameters: entry point @main takes parameters")
        assert f"{path}, function @main" in done.stderr
    lenient = subprocess.run([sys.executable, "-m", "qirrt.cli", "run", str(path), "--params", "0", "--shots",
                              "10", "-q"], capture_output=True, text=True, timeout=300, check=False)
    assert lenient.returncode == 0, lenient.stderr
    assert lenient.stderr.splitlines()[0].startswith("warning: [QIR012] entry-point-parameters: ")


# -- the API: warnings, repairs, strict=True --------------------------------------------------------------

MISSING_QUBITS = """
define i64 @main() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__cx__body(ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null) #1
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr)) #1
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret i64 0
}

declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__cx__body(ptr, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr writeonly) #1
declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_results"="2" "output_labeling_schema"="labeled" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0, !1, !2, !3}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
"""


def test_load_warns_once_per_repair_at_the_callers_line():
    with pytest.warns(qirrt.NonConformanceWarning) as record:
        program = qirrt.load(MISSING_QUBITS)
    assert len(record) == 1
    warning = record[0]
    assert warning.filename == __file__                        # attributed to user code, not qirrt
    repair = warning.message.repair
    assert isinstance(repair, Repair) and repair.code == "QIR014" and repair.rule == "entry-attribute-missing"
    assert "required_num_qubits" in repair.violation and repair.action == "required_num_qubits missing, counted 2"
    assert str(warning.message) == str(repair)
    assert str(repair).startswith("[QIR014] entry-attribute-missing: entry point @main lacks the "
                                  "`required_num_qubits` attribute (at function @main); repaired: ")
    assert program.repairs == (repair,) and not program.conformant and program.num_qubits == 2
    assert program.describe()["conformant"] is False
    assert program.describe()["repairs"] == [repair.to_dict()]
    # the repaired program means what it says: a Bell pair
    counts = qirrt.run(program, shots=400, seed=3).counts
    assert set(counts) == {"00", "11"}


def test_strict_load_refuses_with_code_and_location():
    with pytest.raises(InvalidProgramError, match=re.escape("[QIR014] entry-attribute-missing: entry point @main "
                                                            "lacks the `required_num_qubits` attribute")) as info:
        qirrt.load(MISSING_QUBITS, strict=True)
    assert info.value.code == "QIR014" and info.value.location.function == "main"
    path = Path(__file__).parent.parent / "golden" / "invalid" / "qir064_loop_without_flag.ll"
    with pytest.raises(InvalidProgramError) as info:
        qirrt.load(path, strict=True)
    assert info.value.code == "QIR064" and info.value.location.file == str(path)
    with pytest.raises(InvalidProgramError) as info:
        qirrt.load(_bitcode_of(MISSING_QUBITS), strict=True)
    assert info.value.code == "QIR014"


def _bitcode_of(text: str) -> bytes:
    from qirrt.qir.program import parse_module

    return parse_module(text).bitcode


def test_strict_refuses_an_already_loaded_program_that_was_repaired():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qirrt.NonConformanceWarning)
        program = qirrt.load(MISSING_QUBITS)
    with pytest.raises(InvalidProgramError, match=r"\[QIR014\]"):
        qirrt.load(program, strict=True)
    assert qirrt.load(program) is program


def test_warnings_can_be_filtered_like_any_other():
    with warnings.catch_warnings():
        warnings.simplefilter("error", qirrt.NonConformanceWarning)
        with pytest.raises(qirrt.NonConformanceWarning):
            qirrt.load(MISSING_QUBITS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", qirrt.NonConformanceWarning)
        assert not qirrt.load(MISSING_QUBITS).conformant
    assert not caught


CONFORMANT = [EXAMPLES / "ghz3.ll", *sorted((PRODUCERS / "qdk").glob("*.ll")),
              *sorted((PRODUCERS / "qdk-qiskit").glob("*.ll"))]


@pytest.mark.parametrize("path", CONFORMANT, ids=[f"{p.parent.name}/{p.stem}" for p in CONFORMANT])
def test_conformant_modules_load_strictly_without_warnings(path: Path):
    """qdk's output keeps the spec: its dialect (`m`, `s__adj`, `rt` read_result, ...) is no violation."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", qirrt.NonConformanceWarning)
        program = qirrt.load(path, strict=True)
    assert program.conformant and program.repairs == ()


def test_qirrt_frontends_are_conformant():
    with warnings.catch_warnings():
        warnings.simplefilter("error", qirrt.NonConformanceWarning)
        program = qirrt.load(EXAMPLES / "teleport.qasm", strict=True)
    assert program.conformant


REPAIRED_CASES = [case for case in CASES if case.path.stem in REPAIRED]
PRODUCER_FILES = sorted(PRODUCERS.glob("*/*.ll"))


@pytest.mark.parametrize("path", [c.path for c in REPAIRED_CASES] + PRODUCER_FILES,
                         ids=[c.path.stem for c in REPAIRED_CASES] + [f"{p.parent.name}/{p.stem}"
                                                                      for p in PRODUCER_FILES])
def test_what_qirrt_writes_is_conformant(path: Path):
    """Loading the normalised output again repairs nothing, so strict mode accepts it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qirrt.NonConformanceWarning)
        program = qirrt.load(path)
    again = Program.from_ir(program.ir, strict=True)
    assert again.repairs == () and again.hash == program.hash


@pytest.mark.parametrize("case", REPAIRED_CASES, ids=ids(REPAIRED_CASES))
def test_each_repair_names_the_rule_the_validator_reports(case: Case):
    """The code of a repair is the code qirrt's validator gives the module as written."""
    from qirrt.qir.program import parse_module
    from qirrt.qir.validate.core import validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qirrt.NonConformanceWarning)
        program = qirrt.load(case.path)
    reported = {d.code for d in validate(parse_module(case.path.read_text()), profile=case.profile)}
    assert case.code in reported
    assert {r.code for r in program.repairs} & reported, (program.repairs, reported)


def test_cudaq_full_qir_is_one_repair_and_its_adaptive_output_lists_each():
    """cudaq's full QIR claims no profile: the one violation is the missing entry point; cudaq's
    qir-adaptive output breaks several rules, each warned about once."""
    with pytest.warns(qirrt.NonConformanceWarning) as record:
        qirrt.load(PRODUCERS / "cudaq" / "repeat_until_qir.ll")
    assert [w.message.repair.code for w in record] == ["QIR010"]
    with pytest.warns(qirrt.NonConformanceWarning) as record:
        program = qirrt.load(PRODUCERS / "cudaq" / "repeat_until_qir-adaptive.ll")
    assert sorted(w.message.repair.code for w in record) == ["QIR020", "QIR064", "QIR070"]
    assert len(program.repairs) == 3


def test_inspect_text_shows_conformance_and_compiled_output_passes_strict(tmp_path):
    source = Path(__file__).parent.parent / "golden" / "invalid" / "qir064_loop_without_flag.ll"
    code, stdout, stderr = cli("inspect", source)
    assert code == 0
    assert "  conformant    no, 1 repair(s)" in stdout
    assert "  repaired      [QIR064] module flag backwards_branching added: the program uses it" in stdout
    assert stderr.startswith("warning: [QIR064] backwards-branch: ") and stderr.count("\n") == 1
    repaired = tmp_path / "loop.bc"
    assert cli("compile", source, "-o", repaired)[0] == 0
    code, stdout, stderr = cli("inspect", "--strict", repaired)
    assert code == 0 and stderr == "" and "  conformant    yes" in stdout
