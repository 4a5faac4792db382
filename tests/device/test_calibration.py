"""Calibration snapshots, drift, and the SQLite store."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration
from qirrt.device.calibration_store import CalibrationStore, default_store_path
from qirrt.errors import CalibrationError


def _later(calibration: Calibration, hours: float) -> datetime:
    return calibration.timestamp + timedelta(hours=hours)


def test_fake_kolkata_snapshot(kolkata):
    calibration = kolkata.calibration
    assert calibration.target_name == "fake_kolkata"
    assert calibration.timestamp.tzinfo is not None
    q0 = calibration.qubits[0]
    assert q0.t1_s > 1e-5 and q0.t2_s > 1e-6 and q0.frequency_hz > 4e9
    assert q0.readout_error == pytest.approx(0.0096)
    assert q0.prob_meas1_prep0 == pytest.approx(0.0106) and q0.prob_meas0_prep1 == pytest.approx(0.0086)
    assert calibration.gate_error("cx", (0, 1)) == pytest.approx(0.00955, abs=1e-5)
    assert calibration.gate_error("cx", (1, 0)) > 0
    assert calibration.gate_duration_ns("sx", (0,)) == pytest.approx(35.56, abs=0.01)
    assert len(calibration.epoch) == 16


def test_json_round_trip_keeps_epoch(kolkata):
    calibration = kolkata.calibration
    text = calibration.to_json()
    again = Calibration.from_json(text)
    assert again == calibration and again.epoch == calibration.epoch
    assert again.qubits == calibration.qubits and again.gates == calibration.gates


def test_edited_json_is_refused(kolkata):
    calibration = kolkata.calibration
    data = json.loads(calibration.to_json())
    data["qubits"]["0"]["readout_error"] = 0.5
    with pytest.raises(CalibrationError, match=re.escape(f"says epoch {calibration.epoch} but its content hashes")):
        Calibration.from_dict(data)


def test_snapshots_are_frozen(kolkata):
    calibration = kolkata.calibration
    with pytest.raises(TypeError):
        calibration.qubits[0] = QubitCalibration()
    with pytest.raises(AttributeError):
        calibration.target_name = "other"


def test_epoch_changes_with_content(kolkata):
    calibration = kolkata.calibration
    same_time = calibration.with_changes(timestamp=calibration.timestamp)
    assert same_time.epoch == calibration.epoch
    assert calibration.scaled(readout_error=1.01, timestamp=calibration.timestamp).epoch != calibration.epoch


def test_angle_corrections_round_trip(kolkata):
    calibration = kolkata.calibration
    corrected = calibration.with_changes(gates={("rz", (3,)): GateCalibration(error=0.0, angle_scale=1.02,
                                                                          angle_offset_rad=0.01)})
    again = Calibration.from_json(corrected.to_json())
    assert again.angle_corrections == {("rz", (3,)): (1.02, 0.01)}


def test_drift_restricted_to_qubits_and_pairs(kolkata):
    calibration = kolkata.calibration
    worse = calibration.scaled(readout_error=1.5, gate_error=1.5, qubits=[5], timestamp=_later(calibration, 1))
    on_5 = calibration.drift(worse, qubits=[5], pairs=[(5, 8)])
    assert on_5.max_relative("readout_error") == pytest.approx(0.5)
    assert on_5.max_relative("two_qubit_error") == pytest.approx(0.5)
    assert on_5.exceeds({"readout_error": 0.25})
    assert not on_5.exceeds({"readout_error": 0.6, "two_qubit_error": 0.6})
    elsewhere = calibration.drift(worse, qubits=[0, 1], pairs=[(0, 1)])
    assert not elsewhere.exceeds({"readout_error": 0.0, "two_qubit_error": 0.0, "gate_error": 0.0})


def test_store_history(tmp_path, kolkata):
    calibration = kolkata.calibration
    path = tmp_path / "cal.sqlite3"
    with CalibrationStore(path) as store:
        first = store.add(calibration)
        assert store.add(calibration) == first  # idempotent
        second_cal = calibration.scaled(readout_error=1.1, timestamp=_later(calibration, 2))
        third_cal = calibration.scaled(readout_error=1.2, timestamp=_later(calibration, 4))
        store.add(third_cal)
        store.add(second_cal)  # out of order: history sorts by timestamp
        assert store.epochs("fake_kolkata") == [first, second_cal.epoch, third_cal.epoch]
        assert store.latest("fake_kolkata") == third_cal
        assert store.at("fake_kolkata", _later(calibration, 3)) == second_cal
        assert store.at("fake_kolkata", _later(calibration, -1)) is None
        assert store.get("fake_kolkata", second_cal.epoch) == second_cal
        assert store.targets() == ["fake_kolkata"]
        assert [e for _, e in store.history("fake_kolkata")] == store.epochs("fake_kolkata")
        with pytest.raises(CalibrationError, match=re.escape("no calibration epoch 'nope' for target 'fake_kolkata'")):
            store.get("fake_kolkata", "nope")
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    with CalibrationStore(path) as reopened:  # history persists
        assert len(reopened) == 3


def test_store_notifies_on_drift_above_threshold(kolkata):
    calibration = kolkata.calibration
    store = CalibrationStore(":memory:")
    events = []
    store.subscribe(events.append, target="fake_kolkata", thresholds={"readout_error": 0.2}, qubits=[0, 1])
    store.add(calibration)
    store.add(calibration.scaled(readout_error=1.1, qubits=[0], timestamp=_later(calibration, 1)))
    assert events == []  # 10% < 20%
    store.add(calibration.scaled(readout_error=3.0, qubits=[7], timestamp=_later(calibration, 2)))
    assert events == []  # qubit 7 is not watched
    big = calibration.scaled(readout_error=1.5, qubits=[1], timestamp=_later(calibration, 3))
    store.add(big)
    assert len(events) == 1 and events[0].new == big
    assert [(e.metric, e.key) for e in events[0].exceeding] == [("readout_error", 1)]


def test_every_epoch_subscription_and_cancel(kolkata):
    calibration = kolkata.calibration
    store = CalibrationStore(":memory:")
    seen = []
    subscription = store.subscribe(seen.append, every_epoch=True)
    store.add(calibration)
    store.add(calibration.scaled(readout_error=1.01, timestamp=_later(calibration, 1)))
    assert len(seen) == 1 and seen[0].exceeding == ()
    subscription.cancel()
    store.add(calibration.scaled(readout_error=1.02, timestamp=_later(calibration, 2)))
    assert len(seen) == 1


def test_default_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "qirrt" / "calibrations.sqlite3"


def test_timestamps_are_utc():
    naive = Calibration(target_name="t", timestamp=datetime(2026, 1, 1, 12, 0))
    assert naive.timestamp == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert Calibration(target_name="t", timestamp="2026-01-01T13:00:00+01:00") == naive
