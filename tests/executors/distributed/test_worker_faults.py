"""Done-when 1 and 3: workers SIGKILLed mid-job, and a SIGSTOPped worker's stale result."""

from __future__ import annotations

import random
import signal
import time

import pytest

import qirrt.executors.distributed as dist
from tests.executors.distributed.helpers import BELL_IR, wait_until

SLOW = "tests.executors.distributed.helpers:SlowExecutor"


def _kill_workers_mid_job(cluster, *, kills: int, jobs: int, seed: int):
    rng = random.Random(seed)
    # An operator killing workers at random looks to the broker like jobs killing their workers: a job
    # under two such kills would be failed as poisonous (the default --max-worker-deaths 2), so raise it.
    cluster.broker_args = ["--max-attempts", "1000", "--retry-backoff-s", "0.01", "--max-worker-deaths", "1000"]
    cluster.start_broker()
    workers = {f"w{i}": cluster.start_worker(SLOW, name=f"w{i}") for i in range(2)}
    cluster.wait_workers(2)
    serial = 2
    with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
        submitted = client.submit_many([BELL_IR] * jobs, shots=10, params={"sleep_s": 0.25}, max_attempts=1000)
        landed = 0
        while landed < kills:
            running = wait_until(lambda: cluster.query(
                "SELECT worker FROM jobs WHERE state='running' AND worker IS NOT NULL") or
                not cluster.query("SELECT id FROM jobs WHERE state != 'done'"), 20, "a running job")
            if running is True:
                break  # everything finished: no job left to kill a worker under
            landed += 1
            victim = rng.choice(running)[0]
            time.sleep(rng.uniform(0.0, 0.1))  # a random point inside the job
            proc = workers.pop(victim, None)
            if proc is None:
                continue
            proc.signal(signal.SIGKILL)
            proc.kill()
            name = f"w{serial}"
            serial += 1
            workers[name] = cluster.start_worker(SLOW, name=name)
        results = client.results(submitted, timeout_s=120)
    ids = sorted(job.id for job in submitted)
    assert sorted(r.metadata["job"] for r in results) == ids
    rows = cluster.query("SELECT id, state, result IS NOT NULL, result_worker FROM jobs ORDER BY id")
    assert [r[0] for r in rows] == ids  # none lost, none duplicated
    assert all(state == "done" and has_result and worker for _, state, has_result, worker in rows)
    assert cluster.query("SELECT COUNT(*) FROM jobs WHERE state != 'done'") == [(0,)]
    retried = cluster.query("SELECT COUNT(*) FROM jobs WHERE attempt > 1")[0][0]
    assert retried >= min(landed, 1)  # kills really landed mid-job
    # Every refused result is a stale attempt, never the accepted one.
    for job_id, attempt, _worker, _reason in cluster.query("SELECT job, attempt, worker, reason FROM refusals"):
        accepted = cluster.query("SELECT attempt FROM jobs WHERE id=?", (job_id,))[0][0]
        assert attempt != accepted


@pytest.mark.timeout(150)
def test_worker_sigkill_mid_job_fast(cluster):
    _kill_workers_mid_job(cluster, kills=6, jobs=20, seed=1)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_worker_sigkill_mid_job_100_times(cluster):
    _kill_workers_mid_job(cluster, kills=100, jobs=300, seed=2)


@pytest.mark.timeout(90)
def test_sigstopped_worker_result_is_refused(cluster):
    cluster.start_broker()
    stopped = cluster.start_worker(SLOW, name="stopped")
    cluster.wait_workers(1)
    with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
        job = client.submit(BELL_IR, shots=5, params={"sleep_s": 1.5, "quiet": True}, max_attempts=10)
        wait_until(lambda: cluster.query("SELECT worker FROM jobs WHERE id=? AND state='running'", (job.id,))
                   == [("stopped",)], 15, "the job running on the first worker")
        stopped.signal(signal.SIGSTOP)
        try:
            cluster.start_worker(SLOW, name="healthy")
            result = job.result(timeout_s=30)
        finally:
            stopped.signal(signal.SIGCONT)
        assert result.metadata["attempt"] == 2
        row = cluster.query("SELECT state, attempt, result_worker FROM jobs WHERE id=?", (job.id,))[0]
        assert row == ("done", 2, "healthy")
        # The stopped worker wakes up, finishes attempt 1 and reports it: refused, nothing changes.
        wait_until(lambda: cluster.query("SELECT attempt FROM refusals WHERE job=?", (job.id,)), 20,
                   "the stale result refused")
        assert cluster.query("SELECT attempt FROM refusals WHERE job=?", (job.id,))[0][0] == 1
        assert cluster.query("SELECT state, attempt, result_worker FROM jobs WHERE id=?", (job.id,))[0] == row
        assert client.result(job.id, timeout_s=5).metadata["attempt"] == 2
        # The woken worker re-registers and takes new work.
        wait_until(lambda: cluster.query("SELECT registrations FROM workers WHERE id='stopped'")[0][0] >= 2, 20,
                   "the stopped worker re-registering")
