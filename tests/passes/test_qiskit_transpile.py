"""`qiskit-transpile`: Qiskit's mapping chosen by qirrt's success estimate, lowered back placed and equivalent."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import qirrt
from qirrt.api.compile import compile_program
from qirrt.errors import PassError
from qirrt.passes import PassContext, parse_pass, parse_pipeline
from qirrt.passes.qiskit_transpile import QiskitTranspile
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS, ansatz
from tests.extras import FAKE_BACKENDS
from tests.stats import assert_same_distribution

PIPELINE = "remove-unused,elide-final-swaps,qiskit-transpile{seeds=2},estimate-resources"
STATIC = ["ghz5", "qft4", "grover3", "toffoli", "bell_phase"]
ADAPTIVE = ["teleport", "rus", "ifelse", "midreset", "switch", "forloop", "measurerotate"]


def _coupled(compiled) -> bool:
    target = compiled.target
    return all(target.is_coupled(a, b) for a, b in compiled.physical_pairs)


@FAKE_BACKENDS
@pytest.mark.parametrize("name", STATIC + ADAPTIVE)
def test_compiled_distribution_equals_the_source(name):
    circuit = CORPUS[name]()
    compiled = qirrt.compile(circuit, target="FakeKolkata", passes=PIPELINE, cache=False)
    program = compiled.program
    physical = compiled.physical_qubits
    assert physical is not None and len(set(physical)) == len(physical) == program.num_qubits
    assert f'"qirrt_physical_qubits"="{",".join(map(str, physical))}"' in program.ir
    assert _coupled(compiled), "every two-qubit gate acts on a coupled pair"
    assert set(compiled.properties["layout"].values()) == set(physical)
    assert_same_distribution(exact_distribution(qirrt.load(circuit)), exact_distribution(program), atol=1e-9)
    if name in STATIC:
        assert program.profile.name == "BASE"
    candidates = compiled.properties["qiskit_transpile"]["candidates"]
    assert len(candidates) == 2
    best = max(c["success_probability"] for c in candidates)
    assert compiled.resources.success_probability == pytest.approx(best)


@FAKE_BACKENDS
def test_bind_many_after_qiskit_transpile():
    circuit = ansatz("ra", 4, 0, bound=False)
    compiled = qirrt.compile(circuit, target="FakeKolkata", passes=PIPELINE, cache=False)
    assert compiled.parameters == tuple(p.name for p in circuit.parameters)
    assert compiled.program.is_parametric
    batch = np.random.default_rng(5).uniform(-np.pi, np.pi, (3, len(compiled.parameters)))
    for values, bound in zip(batch, compiled.bind(batch)):
        reference = qirrt.load(circuit.assign_parameters(dict(zip(circuit.parameters, values))))
        assert_same_distribution(exact_distribution(reference), exact_distribution(bound), atol=1e-9)
    results = compiled.run(batch, shots=200, seed=3)
    assert len(results) == 3 and all(sum(r.counts.values()) == 200 for r in results)
    assert compiled.compilations == 1


@FAKE_BACKENDS
def test_a_worse_calibration_of_the_chosen_qubits_moves_the_layout():
    from qirrt.adapters import resolve_calibration
    from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration

    circuit = CORPUS["ghz5"]()
    base = resolve_calibration("FakeKolkata")
    first = compile_program(qirrt.load(circuit), target="FakeKolkata", calibration=base, passes=PIPELINE,
                            cache=False)
    used = set(first.physical_qubits)
    worse = Calibration(
        target_name=base.target_name, timestamp=base.timestamp,
        qubits={q: (QubitCalibration(readout_error=0.4) if q in used else v) for q, v in base.qubits.items()},
        gates={k: (GateCalibration(error=0.3, duration_ns=v.duration_ns) if set(k[1]) & used else v)
               for k, v in base.gates.items()})
    second = compile_program(qirrt.load(circuit), target="FakeKolkata", calibration=worse, passes=PIPELINE,
                             cache=False)
    assert not set(second.physical_qubits) & used
    assert second.compiled_epoch == worse.epoch != first.compiled_epoch


def test_by_name_in_a_pipeline_and_printed_back():
    passes = parse_pipeline("elide-final-swaps,qiskit-transpile{optimization-level=2,seeds=5},estimate-resources")
    assert passes[1] == QiskitTranspile(optimization_level=2, seeds=5)
    assert str(passes[1]) == "qiskit-transpile{optimization-level=2,seeds=5}"
    assert str(parse_pass("qiskit-transpile")) == "qiskit-transpile"


@pytest.mark.parametrize(("text", "message"), [
    ("qiskit-transpile{optimization-level=7}", "optimization-level must be 0, 1, 2 or 3, got 7"),
    ("qiskit-transpile{seeds=-1}", "seeds must be a whole number from 1 to 64, got -1"),
    ("qiskit-transpile{seeds=0}", "seeds must be a whole number from 1 to 64, got 0"),
    ("qiskit-transpile{seeds=many}", "option 'seeds': expected an integer, got 'many'"),
])
def test_bad_options_are_pass_errors(text, message):
    with pytest.raises(PassError, match=re.escape(message)):
        parse_pass(text)


def test_without_a_target_it_says_so():
    program = qirrt.load(CORPUS["ghz5"]())
    with pytest.raises(PassError, match=re.escape("pass 'qiskit-transpile' needs a target")):
        QiskitTranspile().apply(program, PassContext())


def test_too_many_qubits_for_the_target():
    from qirrt.device.target import Target

    program = qirrt.load(CORPUS["ghz5"]())
    with pytest.raises(PassError, match=re.escape("needs 5 qubits but target 'line3' has 3")):
        QiskitTranspile().apply(program, PassContext(target=Target.line(3)))


def test_on_a_target_without_calibration_it_maps_by_gate_count():
    from qirrt.device.target import Target

    circuit = CORPUS["qft4"]()
    compiled = compile_program(qirrt.load(circuit), target=Target.line(6), passes=PIPELINE, cache=False)
    assert _coupled(compiled)
    assert_same_distribution(exact_distribution(qirrt.load(circuit)), exact_distribution(compiled.program),
                             atol=1e-9)


@FAKE_BACKENDS
def test_cli_bad_option_is_one_line_exit_2(tmp_path):
    source = tmp_path / "ghz.qasm"
    source.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
                      'measure q -> c;\n')
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "compile", str(source), "--target", "FakeKolkata",
                           "--passes", "qiskit-transpile{seeds=-1}"], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "seeds must be a whole number from 1 to 64" in done.stderr
    assert "Traceback" not in done.stderr


@FAKE_BACKENDS
def test_qirrt_layout_as_one_more_candidate():
    circuit = CORPUS["qft4"]()
    compiled = qirrt.compile(circuit, target="FakeKolkata", cache=False,
                             passes="elide-final-swaps,qiskit-transpile{seeds=1,native-layout=true},estimate-resources")
    labels = [c["candidate"] for c in compiled.properties["qiskit_transpile"]["candidates"]]
    assert labels == ["seed 0", "qirrt layout"]
    assert _coupled(compiled)
    assert_same_distribution(exact_distribution(qirrt.load(circuit)), exact_distribution(compiled.program),
                             atol=1e-9)


def test_a_base_program_stays_base_when_routing_crosses_a_measured_qubit():
    from qiskit import QuantumCircuit

    from qirrt.device.target import Target

    qc = QuantumCircuit(4, 4)
    qc.x(1)
    qc.measure(1, 1)  # measured first: a swap through qubit 1 afterwards would break the base profile
    qc.h(0)
    qc.cx(0, 2)
    qc.cx(2, 3)
    qc.cx(3, 0)
    qc.ry(0.3, 3)
    qc.cx(0, 2)
    qc.measure([0, 2, 3], [0, 2, 3])
    source = qirrt.load(qc)
    assert source.profile.name == "BASE"
    compiled = compile_program(source, target=Target.line(4), passes=PIPELINE, cache=False)
    assert compiled.program.profile.name == "BASE"
    assert _coupled(compiled)
    assert_same_distribution(exact_distribution(source), exact_distribution(compiled.program), atol=1e-9)


@pytest.mark.parametrize("name", ["ghz5", "qft4", "bell_phase"])
def test_the_path_without_final_measurements_keeps_the_distribution(name, monkeypatch):
    """Force the re-transpilation without final measurements (taken when Qiskit's routing would act on a
    measured qubit of a base program): the measurements go back where each qubit ends."""
    import qirrt.passes.qiskit_transpile as module
    from qirrt.device.target import Target

    monkeypatch.setattr(module, "_acts_after_measure", lambda mapped: any(
        i.operation.name == "measure" for i in mapped.data))
    source = qirrt.load(CORPUS[name]())
    compiled = compile_program(source, target=Target.line(6), passes="qiskit-transpile{seeds=1}", cache=False)
    assert compiled.program.profile.name == "BASE"
    assert _coupled(compiled)
    assert_same_distribution(exact_distribution(source), exact_distribution(compiled.program), atol=1e-9)
