"""CalibrationManager: periodic pulls on an injected clock, history in the store, drift notifications."""

from __future__ import annotations

import re

import pytest

from qirrt.device.calibration_store import CalibrationStore
from qirrt.errors import AdapterError

pytest.importorskip("qiskit_ibm_runtime")

from qirrt.adapters.calibration_manager import CalibrationManager
from qirrt.adapters.emulated import DriftModel, EmulatedQPU


@pytest.fixture
def qpu(clock) -> EmulatedQPU:
    return EmulatedQPU("FakeKolkata", seed=3, clock=clock,
                       drift=DriftModel(epoch_s=3600.0, readout_sigma=0.4, gate_sigma=0.3))


def test_periodic_pulls_store_every_epoch_and_notify_drift(qpu, clock):
    store = CalibrationStore(":memory:")
    manager = CalibrationManager(store, clock=clock)
    manager.add(qpu, interval_s=900)
    events = []
    manager.subscribe(events.append, target=qpu.name, thresholds={"readout_error": 0.2})
    assert manager.due() == [qpu.name]
    assert manager.poll().pulled == {qpu.name: qpu.calibration().epoch}
    assert manager.due() == []
    for _ in range(4 * 6):  # six hours in 15-minute steps
        clock.advance(900)
        manager.poll()
    assert len(store.epochs(qpu.name)) == 7
    assert manager.latest(qpu.name).epoch == qpu.calibration().epoch
    assert len(events) >= 1
    assert all(e.exceeding and e.new.timestamp > e.old.timestamp for e in events)
    assert manager.status()[qpu.name]["pulls"] == 25


def test_refresh_on_demand_and_drift_only_on_used_qubits(qpu, clock):
    manager = CalibrationManager(clock=clock)
    manager.add(qpu)  # no interval: on demand only
    assert manager.due() == []
    heard = []
    manager.subscribe(heard.append, qubits=[0, 1], pairs=[(0, 1)], every_epoch=True)
    manager.refresh()
    clock.advance(3600)
    manager.refresh(qpu.name)
    assert len(heard) == 1
    assert {e.key for e in heard[0].report.entries if e.metric == "readout_error"} == {0, 1}


class _Flaky:
    name = "flaky"

    def calibration(self):
        raise AdapterError("vendor API down")


def test_a_failing_adapter_is_reported_without_stopping_the_others(qpu, clock):
    manager = CalibrationManager(clock=clock)
    manager.add(qpu, interval_s=60)
    manager.add(_Flaky(), interval_s=60)
    report = manager.poll()
    assert report.failed == {"flaky": "vendor API down"} and qpu.name in report.pulled
    assert manager.status()["flaky"]["failures"] == 1 and manager.errors[-1][1] == "flaky"
    with pytest.raises(AdapterError, match=re.escape("vendor API down")):
        manager.refresh("flaky")
    with pytest.raises(AdapterError, match=re.escape("already managed")):
        manager.add(qpu, interval_s=60)


def test_background_thread_polls_until_stopped(qpu):
    import time

    manager = CalibrationManager()
    manager.add(qpu, interval_s=3600)
    manager.start(tick_s=0.01)
    deadline = time.monotonic() + 10
    while manager.status()[qpu.name]["pulls"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    manager.stop()
    assert manager.status()[qpu.name]["pulls"] == 1
