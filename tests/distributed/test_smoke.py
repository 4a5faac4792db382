from __future__ import annotations

import pytest

import qirrt.executors.distributed as dist

from .helpers import BELL_IR

pytestmark = pytest.mark.timeout(60)


def test_submit_and_result_round_trip(cluster):
    cluster.start_broker()
    cluster.start_worker()
    cluster.wait_workers(1)
    with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
        job = client.submit(BELL_IR, shots=100)
        result = job.result(timeout_s=20)
        assert result.counts == {"00": 100} and result.shots == 100
        status = job.status()
        assert status["state"] == "done" and status["attempt"] == 1
        jobs = client.submit_many([BELL_IR] * 50, shots=7)
        assert [r.shots for r in client.results(jobs, timeout_s=20)] == [7] * 50
