"""What each pass does, beyond keeping the distribution."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

import qirrt
from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration
from qirrt.device.target import Target
from qirrt.passes import PassContext, PassManager
from qirrt.passes.circuit import Angle, Circuit, Gate, commutes
from qirrt.passes.decompose import RULES, plan
from qirrt.qir.exact import exact_distribution
from tests.passes.helpers import unitary
from tests.stats import assert_same_distribution


def _run(program, pipeline, **ctx):
    return PassManager.parse(pipeline, debug=True).run(program, PassContext(**ctx))


def _counts(program):
    return program.resources().gate_counts


# -- decompose ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("gate", sorted(RULES))
def test_every_rewrite_rule_is_exact_up_to_phase(gate):
    import numpy as np

    from qirrt.qir.dialect import GATES

    spec = GATES[gate]
    qubits = tuple(range(spec.num_qubits))
    for theta in (0.3, -2.1):
        angles = (Angle(theta),)[: spec.num_params]
        reference = unitary([Gate(gate, qubits, angles)], spec.num_qubits)
        for rule in RULES[gate]:
            got = unitary(rule(angles, qubits), spec.num_qubits)
            overlap = np.trace(reference.conj().T @ got) / len(reference)
            assert abs(abs(overlap) - 1) < 1e-9, (gate, rule)


@pytest.mark.parametrize("basis", [("rz", "sx", "x", "cx"), ("rz", "sx", "x", "cz"), ("rx", "ry", "rz", "cz"),
                                   ("rz", "sx", "cx")])
def test_decompose_reaches_every_gate(basis):
    from qirrt.qir.dialect import GATES

    assert set(plan(frozenset(basis))) == set(GATES)


def test_decompose_emits_only_basis_gates():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.ccx(0, 1, 2)
    qc.swap(1, 2)
    qc.ryy(0.4, 0, 2)
    qc.measure(range(3), range(3))
    program = qirrt.load(qc)
    out = _run(program, "decompose{basis=rz,sx,x,cz}")
    assert set(_counts(out)) <= {"rz", "sx", "x", "cz"}
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


def test_clifford_t_basis_refuses_arbitrary_rotations():
    from qirrt.errors import PassError

    qc = QuantumCircuit(1, 1)
    qc.ry(0.3, 0)
    qc.measure(0, 0)
    with pytest.raises(PassError, match="gate 'ry' cannot be expressed in the basis"):
        _run(qirrt.load(qc), "decompose{basis=h,s,t,cx}")


# -- merge and cancel -------------------------------------------------------------------------------------
def test_rotations_merge_through_commuting_gates():
    qc = QuantumCircuit(2, 2)
    qc.rz(0.25, 0)
    qc.cx(0, 1)          # rz on the control commutes with cx
    qc.rz(0.5, 0)
    qc.rx(0.1, 1)
    qc.x(1)              # x joins the rx
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    out = _run(program, "merge-rotations")
    assert _counts(out) == {"rz": 1, "cx": 1, "rx": 1}
    assert "double 7.500000e-01" in out.ir  # rz(0.75), exactly
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


def test_rotations_summing_to_two_pi_vanish():
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.rz(math.pi, 0)
    qc.rz(math.pi, 0)
    qc.measure(0, 0)
    assert _counts(_run(qirrt.load(qc), "merge-rotations")) == {"h": 1}


def test_symbolic_rotations_merge_into_one_expression():
    theta = Parameter("θ")
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.rz(2 * theta + 0.1, 0)
    qc.rz(-theta, 0)
    qc.measure(0, 0)
    program = qirrt.load(qc)
    out = _run(program, "merge-rotations")
    assert _counts(out) == {"h": 1, "rz": 1}
    assert out.parameters == ("θ",)
    for value in (0.3, -1.7):
        assert_same_distribution(exact_distribution(program, [value]), exact_distribution(out, [value]))
    # the merged angle is θ + 0.1 over the parameter itself: no 2θ product survives
    assert "0x4000000000000000" not in out.ir


def test_cnot_pairs_cancel_across_commuting_gates():
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1, 2])
    qc.cx(0, 1)
    qc.rz(0.3, 0)        # commutes (control)
    qc.cx(0, 2)          # shares the control: commutes
    qc.x(1)              # target side, X: commutes
    qc.cx(0, 1)
    qc.s(2)
    qc.sdg(2)
    qc.measure(range(3), range(3))
    program = qirrt.load(qc)
    out = _run(program, "cancel-inverses")
    assert _counts(out) == {"h": 3, "rz": 1, "cx": 1, "x": 1}
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


def test_commutation_rule():
    assert commutes(Gate("cx", (0, 1)), Gate("cx", (0, 2)))
    assert commutes(Gate("cx", (0, 1)), Gate("rz", (0,), (Angle(1.0),)))
    assert not commutes(Gate("cx", (0, 1)), Gate("cx", (1, 0)))
    assert not commutes(Gate("h", (0,)), Gate("x", (0,)))


# -- remove-unused -------------------------------------------------------------------------------------------
def test_gates_no_measurement_sees_are_removed_and_qubits_compacted():
    qc = QuantumCircuit(4, 2)
    qc.h(0)
    qc.h(1)              # qubit 1 is never measured and touches nothing measured
    qc.cx(1, 3)
    qc.cx(0, 2)
    qc.measure(0, 0)
    qc.measure(2, 1)
    qc.x(0)              # after the last measurement of 0
    program = qirrt.load(qc)
    out = _run(program, "remove-unused")
    assert out.num_qubits == 2
    assert _counts(out) == {"h": 1, "cx": 1}
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


# -- layout and route ----------------------------------------------------------------------------------------
def _line_calibration(target: Target, bad: set[int]) -> Calibration:
    qubits = {q: QubitCalibration(readout_error=0.3 if q in bad else 0.01) for q in range(target.num_qubits)}
    gates = {}
    for a, b in target.coupling.edges:
        gates[("cx", (a, b))] = GateCalibration(error=0.2 if {a, b} & bad else 0.01, duration_ns=300)
    for q in range(target.num_qubits):
        gates[("sx", (q,))] = GateCalibration(error=0.001, duration_ns=35)
    return Calibration(target_name=target.name, timestamp="2026-01-01T00:00:00+00:00", qubits=qubits, gates=gates)


def test_layout_avoids_noisy_qubits():
    target = Target.line(8)
    calibration = _line_calibration(target, bad={0, 1, 2, 3})
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    ctx = PassContext(target=target, calibration=calibration)
    out = PassManager.parse("layout").run(qirrt.load(qc), ctx)
    placed = out.metadata["physical_qubits"]
    assert set(placed) <= {4, 5, 6, 7}
    assert abs(placed[0] - placed[1]) == 1 and abs(placed[1] - placed[2]) == 1
    assert ctx.properties["layout"] == dict(enumerate(placed))
    # the layout survives a round trip through text
    again = Circuit.from_ir(out.ir, out.entry_point, out.num_qubits)
    assert again.physical == placed


def _assert_routed(program, target):
    physical = program.metadata["physical_qubits"]
    for gate in Circuit.from_program(program).gates():
        if len(gate.qubits) == 2:
            a, b = (physical[q] for q in gate.qubits)
            assert target.is_coupled(a, b), gate


def test_route_on_a_line():
    target = Target.line(5)
    qc = QuantumCircuit(5, 5)
    qc.h(0)
    for q in range(1, 5):
        qc.cx(0, q)
    qc.cx(4, 1)
    qc.measure(range(5), range(5))
    program = qirrt.load(qc)
    ctx = PassContext(target=target)
    out = PassManager.parse("route", debug=True).run(program, ctx)
    _assert_routed(out, target)
    assert ctx.properties["route_swaps"] >= 3
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


def test_route_keeps_branches_consistent():
    qc = QuantumCircuit(4, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.cx(1, 3)      # needs swaps on a line; the branch must put the qubits back
    qc.cx(2, 3)
    qc.h(1)
    qc.cx(1, 3)
    qc.measure(3, 1)
    program = qirrt.load(qc)
    target = Target.line(4)
    out = PassManager.parse("route", debug=True).run(program, PassContext(target=target))
    _assert_routed(out, target)
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


def test_route_on_heavy_hex_uses_good_couplers(kolkata):
    target, calibration = kolkata.target, kolkata.calibration
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(0, 2)
    qc.cx(0, 3)   # a star: heavy-hex has no degree-3 node with all neighbours... so swaps are needed
    qc.cx(1, 2)
    qc.measure(range(4), range(4))
    program = qirrt.load(qc)
    out = PassManager.parse("layout,route,decompose", debug=True).run(
        program, PassContext(target=target, calibration=calibration))
    _assert_routed(out, target)
    assert set(_counts(out)) <= {"rz", "sx", "x", "cx"}
    assert nx.is_connected(target.undirected.subgraph(out.metadata["physical_qubits"]))
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


# -- estimate-resources ------------------------------------------------------------------------------------------
def test_resource_estimate(kolkata):
    target, calibration = kolkata.target, kolkata.calibration
    qc = QuantumCircuit(2, 2)
    qc.sx(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    ctx = PassContext(target=target, calibration=calibration)
    assert PassManager.parse("estimate-resources").run(program, ctx) is program
    estimate = ctx.properties["resources"]
    assert estimate.gate_counts == {"sx": 1, "cx": 1} and estimate.two_qubit_gates == 1 and estimate.depth == 3
    sx, cx = calibration.gate("sx", (0,)), calibration.gate("cx", (0, 1))
    readout = max(calibration.qubits[q].readout_duration_ns for q in (0, 1))
    assert estimate.duration_ns == pytest.approx(sx.duration_ns + cx.duration_ns + readout)
    expected = (1 - sx.error) * (1 - cx.error) * (1 - calibration.readout_error(0)) * (1 - calibration.readout_error(1))
    assert estimate.success_probability == pytest.approx(expected)
    assert estimate.to_dict()["total_gates"] == 2


# -- elide-final-swaps and swap orientation ---------------------------------------------------------------------
def test_final_swaps_become_relabelled_measurements():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.swap(0, 2)
    qc.swap(1, 2)
    qc.measure(range(3), range(3))
    program = qirrt.load(qc)
    out = _run(program, "elide-final-swaps")
    assert "swap" not in _counts(out)
    assert_same_distribution(exact_distribution(program), exact_distribution(out))


def test_swap_next_to_a_cnot_costs_two_cnots():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(1, 0)
    qc.swap(0, 1)
    qc.h(1)
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    out = _run(program, "decompose{basis=rz,sx,x,cx},cancel-inverses")
    assert _counts(out)["cx"] == 2
    assert_same_distribution(exact_distribution(program), exact_distribution(out))
