"""Input kinds told apart by content: `.qasm2`/`.qasm3` files, QASM and QIR without an extension or with a
misleading one, bitcode by its magic bytes — through `qirrt.load` and the CLI with real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import qirrt
from qirrt.cli.app import main
from qirrt.errors import FrontendError, UnsupportedInputError
from qirrt.qir.exact import exact_distribution
from qirrt.qir.program import parse_module
from qirrt.qir.sniff import file_kind, text_kind
from tests.stats import assert_same_distribution

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"

BELL2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2]; creg c[2];
h q[0]; cx q[0], q[1];
measure q -> c;
"""

# OpenQASM 3 that the LLVM parser would choke on; a comment block precedes the header
FEEDFORWARD3 = """// feed-forward: c[1] copies c[0]
/* a block comment
   over two lines */
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q; bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) { x q[1]; }
c[1] = measure q[1];
"""

GHZ3 = (EXAMPLES / "ghz3.ll").read_text()
BITCODE = parse_module(GHZ3).bitcode
WRAPPED_BITCODE = b"\xde\xc0\x17\x0b" + (0).to_bytes(4, "little") + (20).to_bytes(4, "little") + \
    len(BITCODE).to_bytes(4, "little") + (0).to_bytes(4, "little") + BITCODE

# file name → (content, kind)
FILES = {
    "bell.qasm2": (BELL2, "qasm"),
    "feed.qasm3": (FEEDFORWARD3, "qasm"),
    "feed_no_extension": (FEEDFORWARD3, "qasm"),
    "bell_named.ll": (BELL2, "qasm"),                 # misleading extension
    "ghz_no_extension": (GHZ3, "ir"),
    "ghz_named.qasm3": (GHZ3, "ir"),                  # misleading extension
    "ghz.txt": (GHZ3, "ir"),
    "ghz_bitcode": (BITCODE, "bitcode"),
    "ghz_bitcode_named.ll": (BITCODE, "bitcode"),     # misleading extension
    "ghz_wrapped.qasm": (WRAPPED_BITCODE, "bitcode"),
}
EXPECTED = {"qasm2": {"00": 0.5, "11": 0.5}, "qasm3": {"00": 0.5, "11": 0.5}, "ghz": {"000": 0.5, "111": 0.5}}


def write(tmp_path: Path, name: str) -> Path:
    content, _ = FILES[name]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def expected(name: str) -> dict[str, float]:
    return EXPECTED["ghz"] if name.startswith("ghz") else EXPECTED["qasm2"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_kind_reads_the_content(tmp_path, name):
    assert file_kind(write(tmp_path, name)) == FILES[name][1]


@pytest.mark.parametrize("name", sorted(FILES))
def test_load_reads_each_file_as_what_it_is(tmp_path, name):
    path = write(tmp_path, name)
    program = qirrt.load(path)
    assert program.source_file == str(path)
    assert_same_distribution(exact_distribution(program), expected(name))
    if FILES[name][1] == "qasm":
        assert program.producer == "qiskit"                # lowered by the OpenQASM frontend
    assert qirrt.load(str(path)).hash == program.hash      # a path given as a string too


@pytest.mark.parametrize("name", ["feed.qasm3", "feed_no_extension", "bell_named.ll", "ghz_named.qasm3",
                                  "ghz_bitcode_named.ll"])
def test_cli_runs_and_inspects_each_file(tmp_path, name):
    path = write(tmp_path, name)
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(path), "--shots", "400", "--seed", "5", "--json", "-q"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert set(counts) == set(expected(name)) and sum(counts.values()) == 400
    inspected = runner.invoke(main, ["inspect", "--json", str(path)], catch_exceptions=False)
    assert inspected.exit_code == 0 and json.loads(inspected.stdout)["valid"] is True


def test_qasm3_file_through_a_real_process(tmp_path):
    path = write(tmp_path, "feed.qasm3")
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "compile", str(path)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "__quantum__qis__read_result__body" in done.stdout   # the feed-forward became QIR


def test_profile_option_reaches_qasm_without_extension(tmp_path):
    path = write(tmp_path, "feed_no_extension")
    result = CliRunner().invoke(main, ["inspect", "--json", "--profile", "adaptive", str(path)])
    assert result.exit_code == 0 and json.loads(result.stdout)["profile"] == "adaptive"


def test_unrecognisable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "notes"
    path.write_text("hello, this is not a program\n")
    with pytest.raises(UnsupportedInputError, match="cannot tell what kind of program this is"):
        qirrt.load(path)
    result = CliRunner().invoke(main, ["compile", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "notes: cannot tell" in result.stderr


def test_broken_qasm3_file_is_a_frontend_error_not_an_llvm_one(tmp_path):
    path = tmp_path / "broken.qasm3"
    path.write_text("OPENQASM 3.0;\nqubit q;\nnotagate q;\n")
    with pytest.raises(FrontendError, match=r"broken\.qasm3:3:1: invalid OpenQASM 3"):
        qirrt.load(path)


def test_qsharp_attribute_is_not_llvm(tmp_path):
    path = tmp_path / "main.qs"
    path.write_text("@EntryPoint()\noperation Main() : Result { use q = Qubit(); M(q) }\n")
    assert file_kind(path) == "qsharp"
    assert text_kind("@EntryPoint()\noperation Main() : Unit {}") is None


@pytest.mark.parametrize("text, kind", [
    ("; ModuleID = 'x'\n", "ir"), ("source_filename = \"x\"\n", "ir"), ("\n\ndefine void @main() {\n", "ir"),
    ("%Qubit = type opaque\n", "ir"), ('@0 = internal constant [3 x i8] c"r0\\00"\n', "ir"),
    ("target triple = \"x86_64\"\n", "ir"), ("\ufeffOPENQASM 3;\n", "qasm"), ("  OPENQASM 2.0;", "qasm"),
    ("// c\nOPENQASM 3.0;", "qasm"), ("qubit q;\n", None), ("@annotation\nqubit q;", None), ("", None),
])
def test_text_kind(text, kind):
    assert text_kind(text) == kind


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_file_kind_of_any_bytes_is_an_answer_not_a_crash(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("sniff") / "input"
    path.write_bytes(data)
    assert file_kind(path) in (None, "bitcode", "ir", "qasm")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \n\t/*x;"), max_size=40), st.sampled_from(["2.0", "3", "3.0"]))
def test_qasm_header_after_any_comments_is_found(prefix, version):
    comments = "".join(f"// {line}\n" for line in prefix.split("\n"))
    assert text_kind(f"{comments}OPENQASM {version};\nqubit q;\n") == "qasm"
