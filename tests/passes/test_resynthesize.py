"""`resynthesize-2q`: exact, cheaper, on the same pair and coupler direction, and blind to parameters."""

from __future__ import annotations

import re

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.random import random_circuit

import qirrt
from qirrt.api.compile import compile_program
from qirrt.device.target import Target
from qirrt.errors import PassError
from qirrt.passes import PassContext, PassManager
from qirrt.passes.circuit import Circuit, Gate
from qirrt.passes.resynthesize import collect_runs, equal_up_to_phase
from qirrt.qir.exact import exact_distribution
from tests.passes.helpers import SMALL, corpus_distribution, corpus_program, unitary
from tests.stats import assert_same_distribution

BASIS = "decompose{basis=rz,sx,x,cx}"
WITHOUT = f"{BASIS},merge-rotations,cancel-inverses,merge-rotations"
WITH = f"{BASIS},resynthesize-2q{{basis=rz,sx,x,cx}},merge-rotations,cancel-inverses,merge-rotations"


def _run(program, pipeline, **ctx):
    return PassManager.parse(pipeline, debug=True).run(program, PassContext(**ctx))


def _gates(program) -> list[Gate]:
    return list(Circuit.from_program(program).gates())


def _two_qubit(program) -> int:
    return sum(len(g.qubits) == 2 for g in _gates(program))


def _unitary_of(program) -> np.ndarray:
    return unitary(_gates(program), program.num_qubits)


@pytest.mark.parametrize("name", SMALL)
def test_keeps_the_distribution_on_the_corpus(name, kolkata):
    target, calibration = kolkata.target, kolkata.calibration
    pipeline = "layout,route,decompose,resynthesize-2q,merge-rotations,cancel-inverses"
    out = _run(corpus_program(name), pipeline, target=target, calibration=calibration)
    assert_same_distribution(corpus_distribution(name), exact_distribution(out), atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_keeps_the_unitary_up_to_global_phase(seed):
    circuit = random_circuit(3, 8, max_operands=2, seed=seed)
    program = _run(qirrt.load(circuit), BASIS)
    out = _run(program, "resynthesize-2q{basis=rz,sx,x,cx}")
    assert equal_up_to_phase(_unitary_of(program), _unitary_of(out))
    assert _two_qubit(out) <= _two_qubit(program)


def test_three_cnots_that_make_one_become_one():
    qc = QuantumCircuit(2, 2)
    qc.cx(0, 1)
    qc.x(0)
    qc.cx(0, 1)
    qc.h(0)
    qc.cx(0, 1)  # (X⊗X)·H·CX: one CNOT and single-qubit gates
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    before, after = _run(program, WITHOUT), _run(program, WITH)
    assert (_two_qubit(before), _two_qubit(after)) == (3, 1)
    assert equal_up_to_phase(_unitary_of(before), _unitary_of(after))
    assert_same_distribution(exact_distribution(program), exact_distribution(after), atol=1e-9)


def test_swap_then_cnot_costs_two_cnots():
    qc = QuantumCircuit(2)
    qc.swap(0, 1)
    qc.cx(0, 1)
    program = _run(qirrt.load(qc), BASIS)
    out = _run(program, "resynthesize-2q{basis=rz,sx,x,cx}")
    assert (_two_qubit(program), _two_qubit(out)) == (4, 2)
    assert equal_up_to_phase(_unitary_of(program), _unitary_of(out))


def test_a_run_that_cannot_improve_is_left_as_it_is():
    qc = QuantumCircuit(2)
    qc.cx(0, 1)
    qc.rz(0.3, 1)
    qc.cx(0, 1)
    program = _run(qirrt.load(qc), BASIS)
    assert _run(program, "resynthesize-2q{basis=rz,sx,x,cx}") is program


def test_runs_stop_at_parametric_angles_and_measurements():
    theta = Parameter("θ")
    qc = QuantumCircuit(3, 1)
    qc.cx(0, 1)
    qc.x(0)
    qc.cx(0, 1)  # run 1: indices 0-2
    qc.rz(theta, 0)  # cuts qubit 0
    qc.cx(0, 1)
    qc.h(2)
    qc.cx(1, 2)  # ends the run on (0, 1) and starts one on (1, 2) with the h
    qc.measure(2, 0)
    qc.cx(1, 2)  # after the measurement: a run of its own
    items = Circuit.from_program(qirrt.load(qc)).blocks[0].items
    runs = [[(items[i].name, items[i].qubits) for i in run] for run in collect_runs(items)]
    assert runs == [
        [("cx", (0, 1)), ("x", (0,)), ("cx", (0, 1))],
        [("cx", (0, 1))],
        [("h", (2,)), ("cx", (1, 2))],
        [("cx", (1, 2))],
    ]


def test_parametric_runs_are_left_alone():
    theta = Parameter("θ")
    qc = QuantumCircuit(2, 2)
    qc.cx(0, 1)
    qc.x(0)
    qc.rz(theta, 0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    program = _run(qirrt.load(qc), BASIS)
    assert _run(program, "resynthesize-2q{basis=rz,sx,x,cx}") is program


def test_compile_once_bind_many_with_resynthesis(kolkata):
    target, calibration = kolkata.target, kolkata.calibration
    theta, phi = Parameter("θ"), Parameter("φ")
    qc = QuantumCircuit(3, 3)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.x(0)
    qc.cx(0, 1)
    qc.h(0)
    qc.cx(0, 1)  # constant: resynthesised
    qc.rzz(phi, 1, 2)  # parametric: kept
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    pipeline = ("remove-unused,layout,route,decompose,resynthesize-2q,merge-rotations,cancel-inverses,"
                "merge-rotations,estimate-resources")
    compiled = compile_program(qirrt.load(qc), target=target, calibration=calibration, passes=pipeline, cache=False)
    assert any(note.startswith("resynthesize-2q") for note in compiled.program.metadata["passes"])
    assert compiled.program.parameters[:2] == ("θ", "φ")
    batch = np.random.default_rng(3).uniform(-np.pi, np.pi, (3, 2))
    for values, bound in zip(batch, compiled.bind(batch, corrections=False), strict=True):
        reference = qirrt.load(qc.assign_parameters(dict(zip(qc.parameters, values, strict=True))))
        assert_same_distribution(exact_distribution(reference), exact_distribution(bound), atol=1e-9)


def test_directed_couplers_get_cnots_only_in_their_direction():
    target = Target.from_edges("one-way", 2, [(1, 0)], symmetric=False)
    for seed in range(4):
        circuit = random_circuit(2, 10, max_operands=2, seed=seed)
        program = _run(qirrt.load(circuit), BASIS)
        out = _run(program, "resynthesize-2q", target=target)
        assert out is not program
        assert {g.qubits for g in _gates(out) if g.name == "cx"} == {(1, 0)}
        assert equal_up_to_phase(_unitary_of(program), _unitary_of(out))


def test_cz_basis():
    circuit = random_circuit(3, 8, max_operands=2, seed=11)
    program = _run(qirrt.load(circuit), "decompose{basis=rz,sx,x,cz}")
    out = _run(program, "resynthesize-2q{basis=rz,sx,x,cz}")
    assert {g.name for g in _gates(out)} <= {"rz", "sx", "x", "cz"}
    assert equal_up_to_phase(_unitary_of(program), _unitary_of(out))


def test_needs_a_basis():
    program = qirrt.load(QuantumCircuit(1))
    message = "pass 'resynthesize-2q' needs a basis: give resynthesize-2q{basis=rz,sx,x,cx} or a target"
    with pytest.raises(PassError, match=re.escape(message)):
        _run(program, "resynthesize-2q")
