"""The same words mean the same thing in `qirrt.run` and `qirrt run`: targets, shots, parameters, bad input."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import qirrt
from qirrt.cli.app import main
from qirrt.errors import ExecutionError, ParseError
from tests.corpus import ghz_qasm

GHZ = ghz_qasm(3)
IDEAL_WITH_TARGET = ("target FakeKolkata needs an executor that models a device (aer, or an adapter such as "
                     "emulated or qiskit-backend); 'local' simulates ideal qubits")
SHOTS_RULE = "shots must be a whole number ≥ 1, got 0"


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_aer_with_a_target_is_the_same_noisy_run_in_the_api_and_the_cli(ghz_file):
    pytest.importorskip("qiskit_ibm_runtime")
    api = qirrt.run(ghz_file, executor="aer", target="FakeKolkata", shots=3000, seed=11)
    shown = cli("run", ghz_file, "--executor", "aer", "--target", "FakeKolkata", "--shots", 3000, "--seed", 11,
                "--json")
    assert shown.exit_code == 0, shown.output
    assert api.counts == json.loads(shown.stdout)["counts"]
    assert set(api.counts) - {"000", "111"}, "the device's readout and gate errors show"
    assert api.metadata["noise"]["calibration"] == "fake_kolkata"


def test_an_adapter_named_with_a_target_runs_on_that_device():
    pytest.importorskip("qiskit_ibm_runtime")
    result = qirrt.run(GHZ, executor="emulated", target="FakeKolkata", shots=500, seed=2)
    assert result.metadata["target"] == "fake_kolkata"
    assert set(result.counts) - {"000", "111"}


def test_an_ideal_simulator_with_a_target_is_the_same_clear_error(ghz_file):
    with pytest.raises(ExecutionError, match=re.escape(IDEAL_WITH_TARGET)):
        qirrt.run(ghz_file, executor="local", target="FakeKolkata")
    shown = cli("run", ghz_file, "--target", "FakeKolkata")
    assert shown.exit_code == 2
    assert shown.stderr.strip() == f"error: {IDEAL_WITH_TARGET}"


def test_mitigated_runs_with_a_target_agree(ghz_file):
    pytest.importorskip("qiskit_ibm_runtime")
    api = qirrt.run(ghz_file, executor="aer", target="FakeKolkata", shots=2000, seed=5, mitigation="readout",
                    observable="ZZI")
    shown = cli("run", ghz_file, "--executor", "aer", "--target", "FakeKolkata", "--shots", 2000, "--seed", 5,
                "--mitigate", "readout", "--observable", "ZZI", "--json", "-q")
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.stdout)
    assert payload["expectation"] == pytest.approx(api.expectation, abs=1e-12)
    assert payload["expectation_unmitigated"] == pytest.approx(api.expectation_unmitigated, abs=1e-12)
    assert api.expectation_unmitigated < 0.97  # noisy: <ZZI> of GHZ is 1 without noise


@pytest.mark.parametrize("shots", [0, -3])
def test_one_shots_rule(ghz_file, shots):
    message = SHOTS_RULE.replace("got 0", f"got {shots}")
    with pytest.raises(ExecutionError, match=re.escape(message)):
        qirrt.run(ghz_file, shots=shots)
    with pytest.raises(ExecutionError, match=re.escape(message)):
        qirrt.run(ghz_file, shots=shots, mitigation="readout", observable="ZZZ")
    shown = cli("run", ghz_file, "--shots", shots)
    assert shown.exit_code == 2
    assert shown.stderr.startswith(f"error: {message}")


def test_exact_is_reachable_from_the_package_and_takes_runs_parameter_forms():
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.ry(theta, 0)
    qc.measure(0, 0)
    program = qirrt.load(qc)

    def one(p):
        return pytest.approx(p, abs=1e-12)

    import math

    expected = {"0": one(math.cos(0.6) ** 2), "1": one(math.sin(0.6) ** 2)}
    assert qirrt.exact.exact_distribution(program, {"theta": 1.2}) == expected
    assert qirrt.exact.exact_distribution(program, [1.2]) == expected
    batch = qirrt.exact.exact_distribution(program, [{"theta": 1.2}, [0.0]])
    assert batch == [expected, {"0": one(1.0)}]
    assert len(qirrt.run(program, params=[{"theta": 1.2}, [0.0]], shots=10)) == 2  # the same forms
    with pytest.raises(ExecutionError, match=re.escape("missing values for parameter(s) 'theta'")):
        qirrt.exact.exact_distribution(program, {"phi": 1.0})
    assert qirrt.exact.exact_distribution(GHZ) == {"000": one(0.5), "111": one(0.5)}  # anything load takes


@pytest.mark.parametrize("data", [b"\xf7" + bytes(range(256)), bytes((i * 131 + 7) % 256 for i in range(300))])
def test_binary_input_is_a_parse_error(data, tmp_path):
    with pytest.raises(ParseError, match=r"\[QIR001\] the input is neither LLVM bitcode .* nor UTF-8 text"):
        qirrt.load(data)
    for suffix in (".ll", ".qasm", ".qs"):
        path = tmp_path / f"garbage{suffix}"
        path.write_bytes(data)
        with pytest.raises(ParseError, match=re.escape(f"(at {path})")):
            qirrt.load(path)


def test_bytes_are_never_read_as_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.ll").write_text("not used")
    with pytest.raises(qirrt.QirrtError, match="neither LLVM IR"):
        qirrt.load(b"x.ll")
