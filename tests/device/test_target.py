"""Targets from Qiskit backends and JSON."""

from __future__ import annotations

import re

import networkx as nx
import pytest

from qirrt.adapters import (
    resolve_backend,
    resolve_calibration,
    resolve_target,
    target_from_backend,
)
from qirrt.device.target import Target
from qirrt.errors import AdapterError, CalibrationError
from tests.extras import FAKE_BACKENDS


def test_fake_kolkata_loads(kolkata):
    target = kolkata.target
    assert target.name == "fake_kolkata"
    assert target.num_qubits == 27
    assert target.native_gates == {"cx", "rz", "sx", "x"}
    assert target.basis == {"cx", "rz", "sx", "x"}
    assert target.coupling.has_edge(0, 1) and target.coupling.has_edge(1, 0)
    assert nx.is_connected(target.undirected)
    assert target.undirected.number_of_edges() == 28  # heavy-hex, 27 qubits
    assert target.gate_duration_ns("cx", (0, 1)) == pytest.approx(298.67, abs=0.01)
    assert target.readout_durations_ns[0] > 100
    assert target.dt_ns == pytest.approx(0.2222, abs=1e-4)


@pytest.mark.parametrize("name", ["FakeKolkata", "FakeKolkataV2", "fake_kolkata", "fakekolkata", "Kolkata"])
def test_short_and_long_names(name, kolkata):
    target = kolkata.target
    assert resolve_target(name) == target


@FAKE_BACKENDS
def test_ecr_device_translates_to_cx():
    sherbrooke = resolve_target("FakeSherbrooke")
    assert "ecr" in sherbrooke.native_gates
    assert sherbrooke.basis == {"cx", "rz", "sx", "x"}
    a, b = next(iter(sherbrooke.coupling.edges))
    assert sherbrooke.gate_duration_ns("cx", (a, b)) == sherbrooke.gate_durations_ns[("ecr", (a, b))]


def test_generic_backend():
    from qiskit.providers.fake_provider import GenericBackendV2

    backend = GenericBackendV2(5, seed=3)
    target = target_from_backend(backend)
    assert target.num_qubits == 5 and "cx" in target.basis
    assert resolve_target("generic:5").num_qubits == 5
    calibration = resolve_calibration(backend)
    assert calibration.qubits[0].t1_s > 0
    assert calibration.gate_error("cx", next(iter(target.coupling.edges))) > 0


@FAKE_BACKENDS
def test_backend_objects_pass_through():
    backend = resolve_backend("FakeKolkata")
    assert resolve_backend(backend) is backend
    assert resolve_target(backend) == resolve_target("FakeKolkata")


@FAKE_BACKENDS
def test_unknown_backend_name():
    with pytest.raises(AdapterError, match=re.escape("no fake backend named 'FakeNowhere'")):
        resolve_target("FakeNowhere")


def test_json_round_trip(kolkata):
    target = kolkata.target
    again = Target.from_json(target.to_json())
    assert again == target
    assert again.gate_durations_ns == target.gate_durations_ns
    assert sorted(again.coupling.edges) == sorted(target.coupling.edges)


def test_json_rejects_other_formats():
    with pytest.raises(CalibrationError, match=re.escape("not a qirrt target description (format None")):
        Target.from_json('{"name": "x"}')


def test_line_target_and_bad_edges():
    line = Target.line(4)
    assert line.distances[0][3] == 3
    with pytest.raises(CalibrationError, match=re.escape("coupling edge (0, 9) names a qubit outside 0..3")):
        Target.from_edges("bad", 4, [(0, 9)])
