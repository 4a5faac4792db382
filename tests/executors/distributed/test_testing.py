"""`LocalCluster` used the way code embedding qirrt uses it: a real broker and workers on threads of the
test process, reached through the public client API.

Statistical bound: sampled counts are G-tested against `qirrt.exact` at p > 0.001 (tests/stats.py)."""

from __future__ import annotations

import threading

import pytest

import qirrt
from qirrt.errors import ExecutionError
from qirrt.executors.distributed.testing import FakeClock, LocalCluster
from tests.executors.distributed.helpers import BELL_IR, wait_until
from tests.stats import assert_distribution

# The first job through the local executor in a fresh checkout compiles its numba kernels (a minute on a
# loaded box, their cache is cold): results of local-executor jobs get a generous bound.
pytestmark = pytest.mark.timeout(300)
FIRST_RESULT_S = 240

# Bell with rx(1.1) for the H and ry(0.7) on the target after the CX: all four outcomes, none equally likely.
SKEWED_IR = (BELL_IR
             .replace("call void @__quantum__qis__h__body(ptr null)",
                      "call void @__quantum__qis__rx__body(double 1.1, ptr null)")
             .replace("  call void @__quantum__qis__mz__body(ptr null, ptr null)",
                      "  call void @__quantum__qis__ry__body(double 0.7, ptr inttoptr (i64 1 to ptr))\n"
                      "  call void @__quantum__qis__mz__body(ptr null, ptr null)")
             .replace("declare void @__quantum__qis__h__body(ptr)",
                      "declare void @__quantum__qis__rx__body(double, ptr)\n\n"
                      "declare void @__quantum__qis__ry__body(double, ptr)"))


def test_embedded_cluster_samples_the_exact_distribution():
    program = qirrt.load(SKEWED_IR)
    expected = qirrt.exact.exact_distribution(program)
    assert len(expected) == 4 and max(expected.values()) < 0.9  # the check can tell distributions apart
    with LocalCluster(workers=2) as cluster:
        client = cluster.connect(user="alice")
        jobs = [client.submit(program, shots=2000, seed=seed) for seed in (1, 2)]
        results = [job.result(timeout_s=FIRST_RESULT_S) for job in jobs]
    for result in results:
        assert result.shots == 2000
        assert_distribution(result.counts, expected)
    assert results[0].counts != results[1].counts  # two seeds, two samples


def test_two_clusters_in_one_process_do_not_interfere():
    program = qirrt.load(SKEWED_IR)
    with LocalCluster(workers=1) as first, LocalCluster() as second:
        assert first.url != second.url and first.store_path != second.store_path
        waiting = second.connect(user="bob").submit(program, shots=100, seed=5)
        # the first cluster's worker runs the first cluster's jobs only
        counts = [first.connect(user="alice").submit(program, shots=500, seed=5).result(timeout_s=FIRST_RESULT_S).counts
                  for _ in range(2)]
        assert counts[0] == counts[1]  # same program and seed, same counts
        assert waiting.status()["state"] == "queued"
        assert len(first.broker.workers) == 1 and not second.broker.workers
        second.add_worker()
        assert waiting.result(timeout_s=FIRST_RESULT_S).shots == 100


def test_a_worker_added_after_start_picks_up_queued_jobs():
    with LocalCluster(executor="tests.executors.distributed.helpers:EchoExecutor") as cluster:
        client = cluster.connect(user="alice")
        jobs = client.submit_many([BELL_IR] * 5, shots=7)
        assert {job.status()["state"] for job in jobs} == {"queued"}
        cluster.add_worker(name="late", slots=2)
        assert [r.shots for r in client.results(jobs, timeout_s=60)] == [7] * 5
        assert [s["state"] for s in client.status([job.id for job in jobs])] == ["done"] * 5


def test_stop_ends_every_thread_and_stopping_twice_is_harmless():
    before = {t.ident for t in threading.enumerate()}
    cluster = LocalCluster(workers=2, executor="tests.executors.distributed.helpers:SlowExecutor")
    client = cluster.connect(user="alice")
    running = client.submit(BELL_IR, shots=1, params={"sleep_s": 30.0})  # still running at stop()
    wait_until(lambda: running.status()["state"] == "running", 30, "the long job running")
    store_dir = cluster.store_path.parent
    assert threading.active_count() > len(before)
    cluster.stop()
    cluster.stop()
    assert {t.ident for t in threading.enumerate()} == before
    assert not store_dir.exists()  # the temporary store is removed
    with pytest.raises(ExecutionError, match="stopped"):
        cluster.connect()


def test_injected_clock_drives_time_limits(tmp_path):
    clock = FakeClock()
    with LocalCluster(store_dir=tmp_path, clock=clock,
                      executor="tests.executors.distributed.helpers:SlowExecutor") as cluster:
        assert cluster.store_path == tmp_path / "broker.db"
        cluster.add_worker()
        job = cluster.connect(user="alice").submit(BELL_IR, shots=1, time_limit_s=3600,
                                                   params={"sleep_s": 30.0})
        wait_until(lambda: job.status()["state"] == "running", 30, "the job running")
        clock.advance(3601)  # an hour on the broker's clock, a moment in real time
        with pytest.raises(ExecutionError, match="time limit of 3600 s exceeded"):
            job.result(timeout_s=30)
    assert tmp_path.joinpath("broker.db").exists()  # a store the caller gave is kept


def test_a_worker_that_cannot_start_is_reported_and_the_cluster_still_stops():
    before = threading.active_count()
    with LocalCluster() as cluster, pytest.raises(qirrt.QirrtError):
        cluster.add_worker("no.such.module:Executor")
    assert threading.active_count() == before
