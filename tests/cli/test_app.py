"""The `qirrt` command line: compile, inspect, run; exit codes and messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import qirrt
from qirrt.cli.app import main
from tests.stats import assert_distribution

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_compile_writes_text_and_bitcode(cli, tmp_path):
    text, bitcode = tmp_path / "t.ll", tmp_path / "t.bc"
    assert cli("compile", EXAMPLES / "teleport.qasm", "-o", text).exit_code == 0
    assert cli("compile", text, "-o", bitcode).exit_code == 0
    assert bitcode.read_bytes()[:2] == b"BC"
    assert qirrt.load(bitcode).hash == qirrt.load(text).hash


def test_compile_to_stdout(cli):
    result = cli("compile", EXAMPLES / "bell.qasm")
    assert result.exit_code == 0
    assert "__quantum__qis__cx__body" in result.output


def test_inspect_json_describes_the_program(cli):
    result = cli("inspect", EXAMPLES / "teleport.qasm", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["valid"] is True
    assert data["profile"] == "adaptive"
    assert data["resources"]["branches"] == 2
    assert data["resources"]["gate_counts"]["cx"] == 2


def test_invalid_qir_exits_2_with_rule_code_and_no_traceback(cli, tmp_path):
    bad = tmp_path / "bad.ll"
    bad.write_text("define void @main() #0 {\n  call void @__quantum__qis__h__body(ptr null)\n  ret void\n}\n"
                   "declare void @__quantum__qis__h__body(ptr)\n")
    result = CliRunner().invoke(main, ["inspect", str(bad)])
    assert result.exit_code == 2
    assert "error: [QIR010]" in result.output
    assert "Traceback" not in result.output


def test_unparsable_file_exits_2_naming_file_and_line(tmp_path):
    bad = tmp_path / "garbage.ll"
    bad.write_text("; comment\nthis is not llvm\n")
    result = CliRunner().invoke(main, ["compile", str(bad)])
    assert result.exit_code == 2
    assert "[QIR001]" in result.output and "garbage.ll:2" in result.output


def test_missing_file_exits_2():
    result = CliRunner().invoke(main, ["run", "/nonexistent/program.ll"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_inspect_invalid_json_reports_code(tmp_path):
    bad = tmp_path / "twoentries.ll"
    bad.write_text('define void @a() #0 {\n  ret void\n}\ndefine void @b() #0 {\n  ret void\n}\n'
                   'attributes #0 = { "entry_point" }\n')
    result = CliRunner().invoke(main, ["inspect", str(bad), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["code"] == "QIR011"


def test_run_json_counts_follow_the_bell_distribution(cli):
    """Counts of a Bell pair: G-test against {00: 1/2, 11: 1/2}, p > 0.001."""
    result = cli("run", EXAMPLES / "bell.qasm", "--shots", 4000, "--seed", 5, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["shots"] == 4000
    assert sum(data["counts"].values()) == 4000
    assert_distribution(data["counts"], {"00": 0.5, "11": 0.5})


def test_run_same_seed_same_counts(cli):
    first = json.loads(cli("run", EXAMPLES / "teleport.qasm", "--seed", 9, "--json").stdout)
    second = json.loads(cli("run", EXAMPLES / "teleport.qasm", "--seed", 9, "--json").stdout)
    assert first["counts"] == second["counts"]


def test_run_output_schema(cli):
    result = cli("run", EXAMPLES / "ghz3.ll", "--shots", 3, "--seed", 1, "--output-schema")
    assert result.exit_code == 0
    assert result.output.count("START") == 3
    assert "OUTPUT\tRESULT" in result.output


def test_run_with_parameters(cli, tmp_path):
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    circuit = QuantumCircuit(1, 1)
    circuit.rx(theta, 0)
    circuit.measure(0, 0)
    path = tmp_path / "rx.ll"
    path.write_text(qirrt.load(circuit).to_ir())
    data = json.loads(cli("run", path, "--params", "3.141592653589793", "--seed", 2, "--json").stdout)
    assert data["counts"] == {"1": 1000}
    data = json.loads(cli("run", path, "--params", '{"theta": 0}', "--seed", 2, "--json").stdout)
    assert data["counts"] == {"0": 1000}


def test_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("compile", "inspect", "run"):
        assert command in result.output
