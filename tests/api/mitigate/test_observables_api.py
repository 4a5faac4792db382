"""Pauli observables (parsing, qubit order, basis change) and the Decorator API."""

from __future__ import annotations

import importlib.util

import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from qirrt.api.exact import exact_expectation
from qirrt.api.mitigate.pipeline import (
    EnrichedExecutionBackend,
    ErrorMitigatedExecutionBackend,
    ExecutionBackend,
    run,
)
from qirrt.bindings.qiskit.from_circuit import from_qiskit
from qirrt.errors import PassError
from qirrt.observables import PauliObservable, expectation
from qirrt.passes.mitigation import DigitalDynamicalDecoupling, ZeroNoiseExtrapolation
from tests.api.mitigate.helpers import (
    DepolarizingSampler,
    ExactSampler,
    corpus_program,
)


def _state_circuit():
    qc = QuantumCircuit(3)
    qc.ry(0.4, 0)
    qc.rx(1.1, 1)
    qc.h(2)
    qc.cx(2, 1)
    qc.rz(0.3, 1)
    qc.ry(-0.7, 2)
    return qc


@pytest.mark.parametrize("label", ["ZII", "IIZ", "XIZ", "YXI", "XYZ", "0.5*ZZI - 2*IXX + YIY"])
def test_expectations_match_qiskit(label):
    body = _state_circuit()
    measured = body.copy()
    measured.measure_all()
    program = from_qiskit(measured)
    observable = PauliObservable.parse(label)
    reference = Statevector(body).expectation_value(SparsePauliOp.from_list(list(observable.terms))).real
    assert exact_expectation(program, label) == pytest.approx(reference, abs=1e-9)
    assert exact_expectation(program, SparsePauliOp.from_list(list(observable.terms))) == pytest.approx(reference)


def test_parsing_and_errors():
    assert PauliObservable.parse("ZZZZZ").terms == (("ZZZZZ", 1.0),)
    assert PauliObservable.parse("-ZI + 0.25*XX").terms == (("ZI", -1.0), ("XX", 0.25))
    assert PauliObservable.parse({"ZZ": 2}).terms == (("ZZ", 2.0),)
    assert [g.basis for g in PauliObservable.parse("ZZ + ZI + XX + IX").groups()] == [{0: "Z", 1: "Z"},
                                                                                     {0: "X", 1: "X"}]
    with pytest.raises(PassError, match="cannot read Pauli term 'Q'"):
        PauliObservable.parse("Q")
    with pytest.raises(PassError, match="only Hermitian observables"):
        PauliObservable.parse([("ZZ", 1j)])
    program = corpus_program("ghz3")
    with pytest.raises(PassError, match="has X or Y terms"):
        expectation({"000": 1}, "XXX", program)
    assert expectation({"000": 3, "111": 1}, "ZII", program) == pytest.approx(0.5)


def test_unmeasured_qubit_is_refused():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    with pytest.raises(PassError, match="qubit 1, which @"):
        exact_expectation(from_qiskit(qc), "XI")


def test_decorators_equal_the_pipeline():
    program = corpus_program("ghz4")
    base = ExecutionBackend(DepolarizingSampler(error_per_gate=0.02, seed=1), shots=50000, seed=3)
    decorated = ErrorMitigatedExecutionBackend(ErrorMitigatedExecutionBackend(base, ZeroNoiseExtrapolation()),
                                               DigitalDynamicalDecoupling())
    estimate = decorated.expectation(program, "XXXX")
    piped = run(program, "ddd,zne", "XXXX", executor=DepolarizingSampler(error_per_gate=0.02, seed=1),
                shots=50000, seed=3)
    assert estimate.value == pytest.approx(piped.expectation, abs=0.05)
    assert abs(estimate.value - 1.0) < abs(base.expectation(program, "XXXX").value - 1.0)
    enriched = EnrichedExecutionBackend(ExecutionBackend(ExactSampler(), shots=100), "ddd")
    assert enriched.expectation(program, "ZZII").value == pytest.approx(1.0)
    with pytest.raises(PassError, match="decorate with ErrorMitigatedExecutionBackend"):
        EnrichedExecutionBackend(ExecutionBackend(ExactSampler()), "zne").expectation(program, "ZZII")


@pytest.mark.skipif(importlib.util.find_spec("mitiq") is None, reason="mitiq is an optional extra")
def test_mitiq_runs_on_a_qirrt_executor():
    from mitiq import zne
    from mitiq.zne.scaling import fold_global

    from qirrt.api.mitigate.pipeline import mitiq_executor

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    executor = mitiq_executor(DepolarizingSampler(error_per_gate=0.03, seed=2), observable="XXX", shots=20000)
    raw = executor(qc)
    mitigated = zne.execute_with_zne(qc, executor, factory=zne.inference.RichardsonFactory([1, 3, 5]),
                                     scale_noise=fold_global)
    assert abs(mitigated - 1.0) < abs(raw - 1.0)


def test_the_readme_test_command_installs_what_the_mitiq_test_needs():
    """The README's test command installs the `test` extra; the mitiq test above skips without mitiq and
    fails without ply (Cirq's QASM parser, which mitiq uses to read Qiskit circuits), so both are in it."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in extras["test"]}
    assert {"mitiq", "ply"} <= names
    command = [line for line in (root / "README.md").read_text().splitlines() if line.endswith("# test-command")]
    assert command and "[test]" in command[0]


def test_mitiq_bridge_without_mitiq_says_how_to_install(monkeypatch):
    import sys

    from qirrt.api.mitigate.pipeline import mitiq_executor
    from qirrt.errors import MissingOptionalDependencyError

    monkeypatch.setitem(sys.modules, "mitiq", None)
    with pytest.raises(MissingOptionalDependencyError, match=r"pip install 'qirrt\[mitiq\]'"):
        mitiq_executor(ExactSampler(), observable="ZZ")
