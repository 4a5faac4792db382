"""Parametric compilation: compile once, bind many; calibration-aware binding; drift and the cache."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import numpy as np
import pytest

import qirrt
from qirrt.api.compile import CompileCache, compile_program
from qirrt.device.calibration import GateCalibration
from qirrt.device.calibration_store import CalibrationStore
from qirrt.errors import ExecutionError
from qirrt.passes.circuit import Angle, Circuit, Gate
from qirrt.qir.exact import exact_distribution
from tests.corpus import ansatz, expression_ansatz, ghz
from tests.extras import FAKE_BACKENDS
from tests.stats import assert_distribution, assert_same_distribution

CIRCUITS = {
    "expressions": expression_ansatz,
    "ra4": lambda: ansatz("ra", 4, 0, bound=False),
    "su25": lambda: ansatz("su2", 5, 0, bound=False),
}


def _later(calibration, hours):
    return calibration.timestamp + timedelta(hours=hours)


@FAKE_BACKENDS
@pytest.mark.parametrize("name", sorted(CIRCUITS))
def test_bound_programs_equal_fully_bound_circuits(name):
    circuit = CIRCUITS[name]()
    compiled = qirrt.compile(circuit, target="FakeKolkata", cache=False)
    assert compiled.parameters == tuple(p.name for p in circuit.parameters)
    assert compiled.program.is_parametric and compiled.compilations == 1
    rng = np.random.default_rng(11)
    batch = rng.uniform(-np.pi, np.pi, (3, len(compiled.parameters)))
    programs = compiled.bind(batch)
    assert len(programs) == 3
    for values, bound in zip(batch, programs):
        assert bound.parameters == () and "__qirrt__parameter" not in bound.ir
        assert bound.metadata["calibration_epoch"] == compiled.epoch
        reference = qirrt.load(circuit.assign_parameters(dict(zip(circuit.parameters, values))))
        assert_same_distribution(exact_distribution(reference), exact_distribution(bound), atol=1e-9)
        bound.validate()  # the text substitution leaves a valid module
    assert compiled.compilations == 1


@FAKE_BACKENDS
def test_values_by_name_and_shape_errors():
    compiled = qirrt.compile(expression_ansatz(), target="FakeKolkata")
    names = compiled.parameters
    by_position = compiled.bind([0.1, 0.2, 0.3, 0.4])
    by_name = compiled.bind(dict(zip(names, [0.1, 0.2, 0.3, 0.4])))
    assert by_position.ir == by_name.ir
    with pytest.raises(ExecutionError, match=re.escape("expected 4 parameter values")):
        compiled.bind([0.1, 0.2])
    with pytest.raises(ExecutionError, match=re.escape("missing ['φ'], unknown ['x']")):
        compiled.bind({names[0]: 1, names[1]: 2, "θ": 3, "x": 4})


def test_program_without_target_or_parameters():
    compiled = qirrt.compile(ghz(3))
    assert compiled.parameters == () and compiled.target is None and compiled.epoch is None
    assert_same_distribution(exact_distribution(compiled.bind([])), exact_distribution(qirrt.load(ghz(3))))


def test_cache_by_hash_target_and_epoch(kolkata):
    calibration = kolkata.calibration
    cache = CompileCache()
    program = qirrt.load(ansatz("ra", 3, 0, bound=False))
    first = compile_program(program, target="FakeKolkata", cache=cache)
    assert compile_program(program, target="FakeKolkata", cache=cache) is first
    other_epoch = calibration.scaled(gate_error=1.01, timestamp=_later(calibration, 1))
    second = compile_program(program, target="FakeKolkata", calibration=other_epoch, cache=cache)
    assert second is not first and second.epoch == other_epoch.epoch
    assert cache.hits == 1 and cache.misses == 2


def test_drift_above_threshold_recompiles_and_below_does_not(kolkata):
    calibration = kolkata.calibration
    store = CalibrationStore(":memory:")
    cache = CompileCache()
    program = qirrt.load(ansatz("su2", 4, 0, bound=False))
    compiled = compile_program(program, target="FakeKolkata", store=store, cache=cache,
                               thresholds={"readout_error": 0.25, "two_qubit_error": 0.25})
    assert compiled.compiled_epoch == calibration.epoch and store.epochs("fake_kolkata") == [calibration.epoch]
    used = compiled.physical_qubits
    unused = next(q for q in range(27) if q not in used)
    values = np.linspace(-1, 1, len(compiled.parameters))

    small = calibration.scaled(readout_error=1.1, gate_error=1.1, qubits=used, timestamp=_later(calibration, 1))
    store.add(small)
    compiled.bind(values)
    assert compiled.compilations == 1 and not compiled.stale
    assert compiled.epoch == small.epoch and compiled.compiled_epoch == calibration.epoch

    elsewhere = small.scaled(readout_error=5.0, qubits=[unused], timestamp=_later(calibration, 2))
    store.add(elsewhere)
    compiled.bind(values)
    assert compiled.compilations == 1

    large = elsewhere.scaled(readout_error=2.0, qubits=[used[0]], timestamp=_later(calibration, 3))
    store.add(large)
    assert compiled.stale
    assert compile_program(program, target="FakeKolkata", store=store, cache=cache) is not compiled
    bound = compiled.bind(values)
    assert compiled.compilations == 2 and compiled.compiled_epoch == large.epoch and not compiled.stale
    assert bound.metadata["compiled_epoch"] == large.epoch
    compiled.close()


def _as_hardware_runs_it(program, corrections):
    """The bound program as a device with these over-rotations executes it."""
    circuit = Circuit.from_program(program)
    physical = circuit.physical
    for block in circuit.blocks:
        for i, item in enumerate(block.items):
            if isinstance(item, Gate) and item.name == "rz":
                scale, offset = corrections.get(physical[item.qubits[0]], (1.0, 0.0))
                block.items[i] = Gate("rz", item.qubits, (Angle(scale * item.angles[0].const + offset),))
    return circuit.to_program(program, note="hardware model")


def test_calibration_aware_binding(kolkata):
    calibration = kolkata.calibration
    corrections = {q: (1.0 + 0.01 * (q % 5), 0.02 * (q % 3)) for q in range(27)}
    calibrated = calibration.with_changes(timestamp=_later(calibration, 1), gates={
        ("rz", (q,)): GateCalibration(error=0.0, duration_ns=0.0, angle_scale=s, angle_offset_rad=o)
        for q, (s, o) in corrections.items()})
    store = CalibrationStore(":memory:")
    store.add(calibrated)
    circuit = ansatz("ra", 3, 0, bound=False)
    compiled = qirrt.compile(circuit, target="FakeKolkata", store=store, cache=False)
    assert len(compiled.program.parameters) > len(compiled.parameters)  # hidden correction slots
    values = np.random.default_rng(3).uniform(-np.pi, np.pi, len(compiled.parameters))
    reference = exact_distribution(qirrt.load(circuit.assign_parameters(dict(zip(circuit.parameters, values)))))
    bound = compiled.bind(values)
    assert_same_distribution(reference, exact_distribution(_as_hardware_runs_it(bound, corrections)), atol=1e-9)
    with pytest.raises(AssertionError):  # without the correction the device would be off
        assert_same_distribution(reference, exact_distribution(bound), atol=1e-6)

    # A new epoch changes the corrections but not the errors: no recompile, the next bind uses them.
    moved = {q: (s * 1.05, o - 0.01) for q, (s, o) in corrections.items()}
    store.add(calibrated.with_changes(timestamp=_later(calibration, 2), gates={
        ("rz", (q,)): GateCalibration(error=0.0, duration_ns=0.0, angle_scale=s, angle_offset_rad=o)
        for q, (s, o) in moved.items()}))
    bound = compiled.bind(values)
    assert compiled.compilations == 1
    assert_same_distribution(reference, exact_distribution(_as_hardware_runs_it(bound, moved)), atol=1e-9)
    compiled.close()


@FAKE_BACKENDS
def test_run_batches_through_the_executor():
    compiled = qirrt.compile(expression_ansatz(), target="FakeKolkata")
    one = compiled.run([0.1, 0.2, 0.3, 0.4], shots=10, executor="null")
    assert one.metadata["calibration_epoch"] == compiled.epoch
    many = compiled.run(np.zeros((3, 4)), shots=10, executor="null")
    assert isinstance(many, list) and len(many) == 3


@pytest.mark.slow
def test_run_on_the_local_executor_matches_exact():
    circuit = ansatz("su2", 3, 0, bound=False)
    compiled = qirrt.compile(circuit, target="FakeKolkata")
    values = np.random.default_rng(5).uniform(-np.pi, np.pi, (2, len(compiled.parameters)))
    results = compiled.run(values, shots=4000, seed=9)
    for row, result in zip(values, results):
        reference = exact_distribution(qirrt.load(circuit.assign_parameters(dict(zip(circuit.parameters, row)))))
        assert_distribution(result.counts, reference)
        assert result.metadata["calibration_epoch"] == compiled.epoch


@FAKE_BACKENDS
def test_cli_compile_for_a_target(tmp_path):
    from click.testing import CliRunner

    from qirrt.cli.app import main

    path = tmp_path / "ghz.ll"
    path.write_text(qirrt.load(ghz(4)).ir)
    out = CliRunner().invoke(main, ["compile", str(path), "--target", "FakeKolkata"])
    assert out.exit_code == 0, out.output
    assert "qirrt_physical_qubits" in out.output and "__quantum__qis__h__body" not in out.output


def test_corrections_can_be_left_out(kolkata):
    calibration = kolkata.calibration
    calibrated = calibration.with_changes(timestamp=_later(calibration, 1), gates={
        ("rz", (q,)): GateCalibration(error=0.0, duration_ns=0.0, angle_scale=1.2) for q in range(27)})
    circuit = ansatz("ra", 3, 0, bound=False)
    compiled = qirrt.compile(circuit, target="FakeKolkata", calibration=calibrated, cache=False)
    values = np.linspace(-2, 2, len(compiled.parameters))
    reference = exact_distribution(qirrt.load(circuit.assign_parameters(dict(zip(circuit.parameters, values)))))
    assert_same_distribution(reference, exact_distribution(compiled.bind(values, corrections=False)), atol=1e-9)


DOUBLES = [0.0, -0.0, 1.0, -2.5, math.pi, 1e-300, -1e-300, 5e-324, 1.7976931348623157e308, math.inf, -math.inf,
           math.nan]


def test_bound_literals_are_qir_text_double_literals():
    """The binder writes literals inline (generated code and numpy): they are `qir.text.double_literal`'s."""
    from qirrt.api.compile import BindTemplate
    from qirrt.qir.emitter import QirEmitter
    from qirrt.qir.program import Profile, Program
    from qirrt.qir.text import double_literal, parse_double

    emitter = QirEmitter(parameters=("a",))
    emitter.gate("rx", (0,), [emitter.parameter(0)])
    emitter.measure(0, 0)
    emitter.record_result(0)
    template = BindTemplate(Program.from_trusted_ir(emitter.finish(Profile.BASE), producer="test"))
    batch = template.texts(np.array([[v] for v in DOUBLES]))
    for value, from_numpy in zip(DOUBLES, batch):
        from_code = template.text([value])
        assert from_code == from_numpy
        literal = re.search(r"__rx__body\(double (\S+),", from_code).group(1)
        assert literal == double_literal(value)
        back = parse_double(literal)
        assert back == value or math.isnan(back) and math.isnan(value)
        assert math.copysign(1.0, back) == math.copysign(1.0, value)
