"""Circuit cutting (issue 21): `qirrt.cut` plans, `qirrt.run(..., cutting=...)` reconstructs ⟨O⟩ within its
standard error of the exact value — 24 qubits cut to 12 locally and on a loopback cluster with a simulator
lane and an emulated-QPU lane — the standard error matches the spread of repeated runs, mid-circuit
measurements are cut through, feed-forward is refused by name, mitigation composes, bad options are clear
errors, and the CLI prints value ± SE and the plan."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import SparsePauliOp, Statevector

import qirrt
from tests.cutting_circuits import hub

pytest.importorskip("qiskit_addon_cutting")

from qirrt.api.cutting import CuttingError, CuttingOptions
from qirrt.api.cutting.estimate import Outcome, reconstruct
from qirrt.api.cutting.options import MAX_QUBITS_LIMIT
from qirrt.api.cutting.plan import prepare
from qirrt.api.mitigate.pipeline import run_batch

WIDE_OBSERVABLE = {"I" * 11 + "ZZ" + "I" * 11: 0.5, "I" * 10 + "ZIIZ" + "I" * 10: 1.0}
"""0.5·Z₁₁Z₁₂ + Z₁₀Z₁₃: both terms straddle the two cut CX gates; all Z, so one measurement group per piece."""


def two_blocks(block: int = 12, seed: int = 5) -> QuantumCircuit:
    """Two `block`-qubit blocks (RY layer, CX chain) joined by CX(b-1, b) and CX(b-2, b+1), then an RY layer."""
    qc = QuantumCircuit(2 * block)
    rng = np.random.default_rng(seed)
    for start in (0, block):
        for q in range(start, start + block):
            qc.ry(rng.uniform(0.2, 1.2), q)
        for q in range(start, start + block - 1):
            qc.cx(q, q + 1)
    qc.cx(block - 1, block)
    qc.cx(block - 2, block + 1)
    for q in range(2 * block):
        qc.ry(rng.uniform(0.2, 1.2), q)
    qc.measure_all()
    return qc


def exact_expectation(qc: QuantumCircuit, observable: dict[str, float]) -> float:
    """⟨O⟩ of the circuit's final state by statevector (Aer's for 24 qubits: 256 MiB, a few seconds)."""
    unitary = qc.remove_final_measurements(inplace=False)
    operator = SparsePauliOp.from_list(list(observable.items()))
    if qc.num_qubits <= 12:
        return float(Statevector(unitary).expectation_value(operator).real)
    from qiskit_aer import AerSimulator

    unitary.save_expectation_value(operator, list(range(qc.num_qubits)))
    return float(AerSimulator(method="statevector").run(unitary).result().data()["expectation_value"])


def observable_text(observable: dict[str, float]) -> str:
    return " + ".join(f"{c}*{label}" for label, c in observable.items())


@pytest.fixture(scope="module")
def wide():
    qc = two_blocks()
    return qirrt.load(qc), exact_expectation(qc, WIDE_OBSERVABLE)


def assert_within_3_se(result, exact: float) -> None:
    se = result.metadata["cutting"]["std_error"]
    assert 0 < se < 0.05, se
    assert abs(result.expectation - exact) < 3 * se, (result.expectation, exact, se)


# -- the 24-qubit program --------------------------------------------------------------------------------
def test_the_plan_of_24_qubits_cut_to_12(wide):
    program, _ = wide
    plan = qirrt.cut(program, max_qubits=12, observable=observable_text(WIDE_OBSERVABLE), shots=2000)
    assert [(c.kind, c.operation, c.qubits) for c in plan.cuts] == [("gate", "cx", (11, 12)), ("gate", "cx", (10, 13))]
    assert plan.pieces == (12, 12)
    assert plan.terms == 36 and plan.subexperiments == 72  # 6 QPD terms per CX cut, one group, two pieces
    assert plan.cutting_overhead == pytest.approx(81.0) and plan.sampling_overhead == pytest.approx(81.0)
    assert plan.mitigation is None and plan.mitigation_overhead == 1.0
    assert plan.shots == 72 * 2000 and plan.shots_per_subexperiment == 2000
    text = str(plan)
    assert "gate cut: cx on qubits [11, 12]" in text and "sampling overhead   81" in text
    assert json.loads(json.dumps(plan.to_dict()))["cuts"][1]["qubits"] == [10, 13]


def test_24_qubits_cut_to_12_on_the_local_executor(wide):
    program, exact = wide
    result = qirrt.run(program, observable=WIDE_OBSERVABLE, cutting={"max_qubits": 12}, shots=2000, seed=11)
    assert_within_3_se(result, exact)
    info = result.metadata["cutting"]
    assert info["plan"]["subexperiments"] == 72 and info["lanes"] == {"local": info["plan"]["executions"]}
    assert result.shots == 72 * 2000


def test_24_qubits_cut_to_12_on_a_cluster_with_a_simulator_and_a_qpu_lane(wide):
    """The emulated QPU runs with ``noise=False``: FakeKolkata's coupling map, transpilation, queue and
    calibration epochs, but ideal qubits, so its subexperiments are unbiased and ⟨O⟩ must land within 3 SE
    of the exact value. (With the device's noise the pieces run there would be biased by gate and readout
    error — that is what `mitigation=` is for, not a test of the cutting.)"""
    from qirrt.executors.distributed.testing import LocalCluster

    program, exact = wide
    qpu = {"failure_rate": 0.0, "seed": 3, "noise": False,
           "queue": {"latency_s": 0.01, "mean_depth": 0.0, "job_s": 0.01, "overhead_s": 0.02, "shot_s": 2e-6}}
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="sim")
        cluster.add_worker("emulated:FakeKolkata", name="qpu", executor_options=qpu)
        executor = cluster.as_executor()
        result = qirrt.run(program, observable=WIDE_OBSERVABLE, cutting={"max_qubits": 12}, shots=2000, seed=11,
                           executor=executor)
    lanes = result.metadata["cutting"]["lanes"]
    assert set(lanes) == {"simulator:local", "qpu:fake_kolkata"}, lanes  # split="auto" used both lanes
    assert sum(lanes.values()) == result.metadata["cutting"]["plan"]["executions"]
    assert_within_3_se(result, exact)


# -- the standard error ------------------------------------------------------------------------------------
def test_the_standard_error_matches_the_spread_of_repeated_runs():
    """40 runs of a 6-qubit program cut to 3 (three terms in two measurement groups): the sample standard
    deviation of ⟨O⟩ agrees with the reported SE (the ratio's relative error is ≈ 1/√78 ≈ 11%; bounds at
    ±35%, p < 0.002), and the mean is within 3.5 standard errors of the mean of the exact value."""
    qc = two_blocks(block=3, seed=2)
    observable = {"IIZZII": 1.0, "XIIIIX": 0.5, "ZZZZZZ": -0.3}
    exact = exact_expectation(qc, observable)
    problem = prepare(qirrt.load(qc), CuttingOptions(max_qubits=3), observable)
    values, errors = [], []
    for seed in range(40):
        results = run_batch([(p, None) for p in problem.programs], shots=200, seed=seed, reference=False)
        estimate = reconstruct(problem, [Outcome(r.metadata["mitigation"]["quasi_probabilities"], 200)
                                         for r in results])
        values.append(estimate.value)
        errors.append(estimate.std_error)
    spread, se = float(np.std(values, ddof=1)), float(np.sqrt(np.mean(np.square(errors))))
    assert 0.65 < spread / se < 1.35, (spread, se)
    assert abs(np.mean(values) - exact) < 3.5 * se / math.sqrt(len(values))


def test_the_value_is_the_weighted_sum_of_the_reconstructed_terms():
    qc = two_blocks(block=3, seed=4)
    observable = {"IIZZII": 1.0, "XIIIIX": 0.5}
    result = qirrt.run(qc, observable=observable, cutting={"max_qubits": 3}, shots=500, seed=3)
    terms = result.metadata["cutting"]["terms"]
    assert result.expectation == pytest.approx(terms[0] + 0.5 * terms[1], abs=1e-12)
    assert abs(result.expectation - exact_expectation(qc, observable)) < 3 * result.metadata["cutting"]["std_error"]
    again = qirrt.run(qc, observable=observable, cutting={"max_qubits": 3}, shots=500, seed=3)
    assert again.expectation == result.expectation  # the seed reproduces the run


def test_a_program_narrow_enough_runs_uncut_and_independent_blocks_run_apart():
    qc = QuantumCircuit(4)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.7, 2)
    qc.cx(2, 3)
    qc.measure_all()
    plan = qirrt.cut(qc, max_qubits=4, observable="ZZZZ")
    assert plan.cuts == () and plan.cutting_overhead == 1.0 and plan.pieces == (2, 2)
    result = qirrt.run(qc, observable="ZZZZ", cutting={"max_qubits": 8}, shots=4000, seed=1)
    error = abs(result.expectation - exact_expectation(qc, {"ZZZZ": 1.0}))
    assert error < 3 * result.metadata["cutting"]["std_error"] + 1e-9


def test_a_wire_cut_reconstructs_the_value():
    """A hub qubit that talks to four qubits, then to four others: one wire cut (κ² = 16) is cheaper than
    four gate cuts; the Move onto a fresh qubit makes the second piece 5 qubits wide."""
    qc, observable, _ = hub()
    qc.measure_all()
    plan = qirrt.cut(qc, max_qubits=5, observable=observable)
    assert [c.kind for c in plan.cuts] == ["wire"] and plan.cutting_overhead == pytest.approx(16.0)
    assert plan.pieces == (5, 5) and "wire cut: qubit 4 before cx" in str(plan)
    result = qirrt.run(qc, observable=observable, cutting={"max_qubits": 5}, shots=3000, seed=2)
    assert abs(result.expectation - exact_expectation(qc, observable)) < 3 * result.metadata["cutting"]["std_error"]


# -- mid-circuit measurements and feed-forward -----------------------------------------------------------
def mid_circuit_program(feed_forward: bool) -> QuantumCircuit:
    q, m, c = QuantumRegister(6, "q"), ClassicalRegister(1, "m"), ClassicalRegister(6, "c")
    qc = QuantumCircuit(q, m, c)
    for i in range(6):
        qc.ry(0.4 + 0.3 * i, i)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(3, 4)
    qc.cx(4, 5)
    qc.measure(1, m[0])  # mid-circuit: qubit 1 is used again
    if feed_forward:
        with qc.if_test((m[0], 1)):
            qc.x(4)
    qc.rx(0.7, 1)
    qc.cx(2, 3)
    qc.cx(1, 2)
    qc.measure(range(6), c)
    return qc


def test_a_mid_circuit_measurement_is_cut_through():
    """The measured-and-reused qubit sits in one piece; the measurement travels through the library as a
    placeholder and is a measurement again in every subexperiment. Exact value: qirrt's reference
    semantics over both measurement branches (`qirrt.exact`), read as `qirrt.observables` reads counts."""
    from qirrt.observables import expectation

    qc = mid_circuit_program(feed_forward=False)
    program = qirrt.load(qc)
    exact = expectation(qirrt.exact.exact_distribution(program), "IIZZII", program)
    plan = qirrt.cut(program, max_qubits=3, observable="IIZZII")
    assert [(c.kind, c.qubits) for c in plan.cuts] == [("gate", (2, 3))]
    problem = prepare(program, CuttingOptions(max_qubits=3), "IIZZII")
    assert any("qirrt_mid" in registers for registers in problem.registers)
    result = qirrt.run(program, observable="IIZZII", cutting={"max_qubits": 3}, shots=4000, seed=5)
    assert abs(result.expectation - exact) < 3 * result.metadata["cutting"]["std_error"]


def test_feed_forward_is_refused_naming_the_operation():
    program = qirrt.load(mid_circuit_program(feed_forward=True))
    message = re.escape("cannot cut @") + r".*feed-forward `if_else` at circuit instruction \d+ \(reads result 0, " \
        + re.escape("acts on qubits [4]); qiskit-addon-cutting cuts no classically controlled operation")
    with pytest.raises(CuttingError, match=message):
        qirrt.cut(program, max_qubits=3, observable="ZZZZZZ")
    with pytest.raises(CuttingError, match="feed-forward `if_else`"):
        qirrt.run(program, observable="ZZZZZZ", cutting={"max_qubits": 3})


def test_an_observable_on_a_qubit_not_measured_at_the_end_is_refused():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    with pytest.raises(CuttingError, match="acts on qubit 1, which @.* does not measure at the end"):
        qirrt.cut(qc, max_qubits=1, observable="ZZ")


# -- mitigation --------------------------------------------------------------------------------------------
def test_cutting_composes_with_mitigation():
    """ZNE on each subexperiment (ideal executor: folding changes nothing but the variance): the value stays
    within 3 SE of exact, the SE grows with ZNE's extrapolation weights (effective shots), and the plan
    counts the folded circuits; PEC's γ² multiplies the cutting overhead in the plan."""
    qc = two_blocks(block=3, seed=4)
    observable = {"IIZZII": 1.0}
    exact = exact_expectation(qc, observable)
    plain = qirrt.run(qc, observable=observable, cutting={"max_qubits": 3}, shots=2000, seed=8)
    zne = qirrt.run(qc, observable=observable, cutting={"max_qubits": 3}, shots=2000, seed=8,
                    mitigation="zne{scale-factors=1,3}")
    se_plain, se_zne = plain.metadata["cutting"]["std_error"], zne.metadata["cutting"]["std_error"]
    assert abs(zne.expectation - exact) < 3 * se_zne
    assert se_zne > 1.5 * se_plain  # Richardson weights (1.5, -0.5): √(1.5² + 0.5²) ≈ 1.58× the noise
    plan = zne.metadata["cutting"]["plan"]
    assert plan["mitigation"].startswith("zne{scale-factors=1") and plan["circuits"] == 2 * plan["subexperiments"]
    pec = qirrt.cut(qc, max_qubits=3, observable=observable, mitigation="pec", target="FakeKolkata")
    assert pec.mitigation_overhead > 1.0
    assert pec.sampling_overhead == pytest.approx(pec.cutting_overhead * pec.mitigation_overhead)
    assert f"cutting {pec.cutting_overhead:g} × mitigation {pec.mitigation_overhead:g}" in str(pec)


def test_a_cut_run_on_a_noisy_device_compiles_each_subexperiment_for_it():
    """`executor="aer", target="FakeKolkata"`: each subexperiment is compiled for the device and run with its
    calibrated noise, readout mitigation applied to each. The device's gate noise is not mitigated, so the
    bound is stated, not statistical: 3 SE plus 0.05 of bias on this shallow 8-qubit circuit (measured
    bias ≈ 0.01)."""
    pytest.importorskip("qiskit_ibm_runtime")
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "cut_blocks.qasm"
    exact = qirrt.run(path, observable="IIIZZIII", shots=200_000, seed=1).expectation
    result = qirrt.run(path, observable="IIIZZIII", cutting={"max_qubits": 4}, executor="aer", target="FakeKolkata",
                       mitigation="readout", shots=4000, seed=1)
    info = result.metadata["cutting"]
    assert info["plan"]["mitigation"] == "readout" and info["plan"]["subexperiments"] == 12
    assert set(info["lanes"]) == {"aer"}, info["lanes"]
    assert abs(result.expectation - exact) < 3 * info["std_error"] + 0.05


# -- bad options -------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_QUBITS_LIMIT + 1), st.floats(),
                 st.text(max_size=4), st.none(), st.booleans(), st.lists(st.integers(), max_size=2)))
def test_bad_max_qubits_is_a_clear_error(value):
    with pytest.raises(CuttingError, match="max_qubits"):
        CuttingOptions.parse({"max_qubits": value})


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3))
def test_bad_cutting_mappings_are_clear_errors(options):
    try:
        parsed = CuttingOptions.parse(options)
    except CuttingError as exc:
        assert "cutting" in str(exc)
    else:
        assert 1 <= parsed.max_qubits <= MAX_QUBITS_LIMIT


@pytest.mark.parametrize("cutting, message", [
    ({"max_qubits": 0}, "max_qubits must be between 1"),
    ({"max_qubits": -3}, "max_qubits must be between 1"),
    ({"max_qubits": 10**12}, "max_qubits must be between 1 and 100,000"),
    ({"max_qubits": "12"}, "max_qubits must be a whole number"),
    ({"max_qubits": 2.5}, "max_qubits must be a whole number"),
    ({"max_qubits": True}, "max_qubits must be a whole number"),
    ({"qubits": 4}, "unknown cutting option(s) qubits"),
    ({}, "cutting needs max_qubits"),
    ("12", "cutting must be a mapping"),
    ({"max_qubits": 3, "gate_cuts": False, "wire_cuts": False}, "allow at least one kind of cut"),
    ({"max_qubits": 1, "max_subexperiments": 50}, "more than max_subexperiments=50"),
])
def test_bad_cutting_options_through_qirrt_run(cutting, message):
    qc = two_blocks(block=3, seed=1)
    with pytest.raises(CuttingError, match=re.escape(message)):
        qirrt.run(qc, observable="ZZZZZZ", cutting=cutting, shots=10)


def test_a_cut_run_needs_an_observable_and_bound_parameters():
    qc = two_blocks(block=3, seed=1)
    with pytest.raises(CuttingError, match="give observable="):
        qirrt.run(qc, cutting={"max_qubits": 3})
    with pytest.raises(CuttingError, match="bind the parameters first"):
        qirrt.run(qc, cutting={"max_qubits": 3}, observable="ZZZZZZ", params=[0.1])
    from qiskit.circuit import Parameter

    free = QuantumCircuit(2)
    free.ry(Parameter("theta"), 0)
    free.cx(0, 1)
    free.measure_all()
    with pytest.raises(CuttingError, match=re.escape("has unbound parameters (theta): bind them before cutting")):
        qirrt.cut(free, max_qubits=1, observable="ZZ")


# -- the command line --------------------------------------------------------------------------------------
def test_cli_prints_value_and_error_and_the_plan(tmp_path):
    from qirrt.cli.app import main

    path = tmp_path / "blocks.qasm"
    from qiskit import qasm2

    path.write_text(qasm2.dumps(two_blocks(block=3, seed=4)))
    runner = CliRunner()
    out = runner.invoke(main, ["run", str(path), "--observable", "IIZZII", "--cut-max-qubits", "3", "--shots",
                               "2000", "--seed", "2"])
    assert out.exit_code == 0, out.output
    match = re.search(r"<IIZZII> cut\s+(-?\d\.\d+) ± (\d\.\d+)", out.stdout)
    assert match, out.stdout
    exact = exact_expectation(two_blocks(block=3, seed=4), {"IIZZII": 1.0})
    assert abs(float(match.group(1)) - exact) < 3 * float(match.group(2))
    plan = runner.invoke(main, ["run", str(path), "--observable", "IIZZII", "--cut-max-qubits", "3", "--plan"])
    assert plan.exit_code == 0 and "gate cut: cx on qubits [2, 3]" in plan.stdout and "<IIZZII>" not in plan.stdout
    as_json = runner.invoke(main, ["run", str(path), "--observable", "IIZZII", "--cut-max-qubits", "3", "--json",
                                   "--shots", "100"])
    payload = json.loads(as_json.stdout)
    assert payload["plan"]["subexperiments"] == 72 and payload["std_error"] > 0
    bad = runner.invoke(main, ["run", str(path), "--observable", "IIZZII", "--cut-max-qubits", "0"])
    assert bad.exit_code == 2 and "max_qubits must be between 1" in bad.stderr and "Traceback" not in bad.output
    missing = runner.invoke(main, ["run", str(path), "--cut-max-qubits", "3"])
    assert missing.exit_code == 2 and "observable" in missing.stderr
