"""EmulatedQPU: queue depth and ETA, drifting calibration, transient failures and reservations, all
visible through the HardwareAdapter interface and driven by an injected clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import qirrt
from qirrt.adapters.base import ManualClock, TransientAdapterError
from qirrt.errors import AdapterError, JobCancelledError, JobTimeoutError
from qirrt.executors.base import JobStatus
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS

pytest.importorskip("qiskit_ibm_runtime")

from qirrt.adapters.emulated import DriftModel, EmulatedQPU, QueueModel

QUEUE = QueueModel(latency_s=5.0, mean_depth=6.0, window_s=600.0, job_s=30.0, overhead_s=2.0, shot_s=1e-3)


@pytest.fixture
def qpu(clock) -> EmulatedQPU:
    return EmulatedQPU("FakeKolkata", seed=7, clock=clock, queue=QUEUE, failure_rate=0.0)


def test_queue_depth_and_eta_are_visible_and_jobs_move_through_states(qpu, clock):
    program = qirrt.load(CORPUS["ghz3"]())
    before = qpu.queue_info()
    assert before.depth == qpu.external_depth() and before.own_jobs == 0
    assert before.estimated_wait_s == pytest.approx(QUEUE.latency_s + before.depth * QUEUE.job_s)
    job = qpu.submit(program, shots=2000, seed=1)
    eta = job.eta()
    times = qpu.job_times(job.id)
    assert times["start"] - times["submitted"] == timedelta(seconds=before.estimated_wait_s)
    assert eta == times["finish"] == times["start"] + timedelta(seconds=QUEUE.overhead_s + 2000 * QUEUE.shot_s)
    after = qpu.queue_info()
    assert after.own_jobs == 1 and after.depth == before.depth + 1
    assert after.estimated_wait_s > before.estimated_wait_s
    assert job.status() is JobStatus.QUEUED
    clock.advance((times["start"] - clock.now()).total_seconds())
    assert job.status() is JobStatus.RUNNING
    assert not job.cancel()
    clock.advance(60)
    assert job.status() is JobStatus.DONE
    result = job.result()
    assert result.metadata["queued_s"] == pytest.approx(before.estimated_wait_s)
    assert set(result.counts) - {"000", "111"}  # the device is noisy
    top = result.counts.get("000", 0) + result.counts.get("111", 0)
    assert top / 2000 > 0.85


def test_result_waits_on_the_clock_and_times_out(qpu, clock):
    job = qpu.submit(qirrt.load(CORPUS["ghz3"]()), shots=100, seed=1)
    with pytest.raises(JobTimeoutError, match="should finish at"):
        job.result(timeout_s=1.0)
    start = clock.now()
    job.result()  # sleeps on the manual clock until the ETA
    assert clock.now() >= job.eta() > start


def test_own_jobs_queue_behind_each_other_and_cancel_while_queued(qpu):
    program = qirrt.load(CORPUS["ghz3"]())
    first, second = qpu.submit(program, shots=1000), qpu.submit(program, shots=1000)
    assert qpu.job_times(second.id)["start"] >= qpu.job_times(first.id)["finish"]
    assert second.cancel() and second.status() is JobStatus.CANCELLED
    with pytest.raises(JobCancelledError):
        second.result()


def test_calibration_drifts_per_epoch_deterministically(clock):
    drift = DriftModel(epoch_s=3600.0, readout_sigma=0.3, gate_sigma=0.2, coherence_sigma=0.1)
    qpu = EmulatedQPU("FakeKolkata", seed=11, clock=clock, drift=drift)
    first = qpu.calibration()
    clock.advance(1800)
    assert qpu.calibration() is first  # same epoch
    clock.advance(1800)
    second = qpu.calibration()
    assert second.epoch != first.epoch
    assert second.timestamp - first.timestamp == timedelta(hours=1)
    report = first.drift(second)
    assert report.max_relative("readout_error") > 0.1 and report.max_relative("two_qubit_error") > 0.05
    twin = EmulatedQPU("FakeKolkata", seed=11, clock=ManualClock(clock.now()), drift=drift, origin=qpu.origin)
    assert twin.calibration().epoch == second.epoch
    other = EmulatedQPU("FakeKolkata", seed=12, clock=ManualClock(clock.now()), drift=drift, origin=qpu.origin)
    assert other.calibration().epoch != second.epoch


def test_jobs_run_with_the_calibration_in_force_when_they_start(qpu, clock):
    job = qpu.submit(qirrt.load(CORPUS["ghz3"]()), shots=200, seed=2)
    start = qpu.job_times(job.id)["start"]
    assert job.result().metadata["calibration_epoch"] == qpu.calibration_at(start).epoch


def test_transient_failures_are_seeded_and_say_retry(clock):
    qpu = EmulatedQPU("FakeKolkata", seed=1, clock=clock, queue=QUEUE, failure_rate=1.0)
    job = qpu.submit(qirrt.load(CORPUS["ghz3"]()), shots=10)
    clock.advance(3600)
    assert job.status() is JobStatus.FAILED
    with pytest.raises(TransientAdapterError, match="resubmitting it should work"):
        job.result()
    assert TransientAdapterError.transient


class _FailsOnce(EmulatedQPU):
    """Its first job fails as a device reset would; later ones run."""

    def submit_programs(self, programs, **options):
        job_id = super().submit_programs(programs, **options)
        self.failure_rate = 0.0
        return job_id


def test_a_transient_failure_is_resubmitted_and_a_persistent_one_raised(clock):
    program = qirrt.load(CORPUS["ghz3"]())
    flaky = _FailsOnce("FakeKolkata", seed=1, clock=clock, queue=QUEUE, failure_rate=1.0)
    job = flaky.submit(program, shots=200, seed=3)
    result = job.result()
    assert job.resubmissions == 1 and result.shots == 200
    assert qirrt.run(program, executor=_FailsOnce("FakeKolkata", seed=2, clock=clock, queue=QUEUE,
                                                   failure_rate=1.0), shots=100, seed=3).shots == 100
    broken = EmulatedQPU("FakeKolkata", seed=1, clock=clock, queue=QUEUE, failure_rate=1.0)
    job = broken.submit(program, shots=10)
    with pytest.raises(TransientAdapterError, match="resubmitting it should work"):
        job.result()
    assert job.resubmissions == broken.transient_retries == 2


def test_reservations_skip_the_queue_and_keep_others_out(qpu, clock):
    program = qirrt.load(CORPUS["ghz3"]())
    start = clock.now() + timedelta(minutes=10)
    booked = qpu.reserve(start, 600)
    with pytest.raises(AdapterError, match=re.escape("is already reserved from")):
        qpu.reserve(start + timedelta(minutes=5), 60)
    with pytest.raises(AdapterError, match=re.escape("in the past")):
        qpu.reserve(clock.now() - timedelta(seconds=1), 60)
    inside = qpu.submit(program, shots=1000, reservation=booked.id)
    assert qpu.job_times(inside.id)["start"] == start
    # a regular job that would overlap the reservation waits until it ends
    clock.advance(9 * 60)
    outside = qpu.submit(program, shots=1000)
    times = qpu.job_times(outside.id)
    assert not (times["start"] < booked.end and booked.start < times["finish"])
    assert qpu.reservations() == [booked]
    assert qpu.capabilities().reservations


def test_usable_as_an_executor_by_name():
    executor = qirrt.api.run.get_executor("emulated")
    assert isinstance(executor, EmulatedQPU)


def test_noiseless_reference_is_far_from_a_badly_drifted_device(clock):
    drift = DriftModel(epoch_s=60.0, readout_sigma=0.8, gate_sigma=0.5)
    qpu = EmulatedQPU("FakeKolkata", seed=5, clock=clock, queue=QUEUE, drift=drift, failure_rate=0.0)
    program = qirrt.load(CORPUS["ghz4"]())
    early = qpu.submit(program, shots=4000, seed=1).result()
    clock.advance(3600 * 24)
    late = qpu.submit(program, shots=4000, seed=1).result()
    assert early.metadata["calibration_epoch"] != late.metadata["calibration_epoch"]
    exact = exact_distribution(program)
    assert set(exact) == {"0000", "1111"}
