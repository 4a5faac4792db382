"""Done-when 6: a day-long job (injected clock) with checkpoints survives 5 broker and 5 worker
restarts without going back."""

from __future__ import annotations

import itertools
import signal
import time

import pytest

import qirrt.executors.distributed as dist
from tests.executors.distributed.helpers import BELL_IR, wait_until

DAY = "tests.executors.distributed.helpers:DayLongExecutor"
HOUR_S = 0.25  # real seconds per simulated hour
SCALE = 3600 / HOUR_S


@pytest.mark.timeout(180)
def test_day_long_job_survives_restarts(cluster, tmp_path):
    log = tmp_path / "hours.log"
    origin = time.time()
    cluster.broker_args = ["--clock-scale", str(SCALE), "--clock-origin", repr(origin), "--max-attempts", "20"]
    cluster.start_broker()
    worker = cluster.start_worker(DAY, name="day0")
    cluster.wait_workers(1)
    client = dist.connect(cluster.url, insecure_loopback=True, user="alice", timeout_s=30)
    job = client.submit(BELL_IR, shots=1, params={"hour_s": HOUR_S, "log": str(log)},
                        time_limit_s=2 * 86400, estimated_duration_s=86400, max_attempts=20)
    seen: list[float] = []

    def progress() -> float:
        value = cluster.query("SELECT progress FROM jobs WHERE id=?", (job.id,))[0][0]
        seen.append(value)
        return value

    def advance(by_hours: int) -> None:
        start = progress()
        wait_until(lambda: progress() >= min(1.0, start + by_hours / 24) - 1e-9, 60, "the job to advance")

    for restart in range(5):
        advance(1)
        cluster.broker.signal(signal.SIGKILL)
        cluster.broker.kill()
        cluster.start_broker()
        advance(1)
        worker.signal(signal.SIGKILL)
        worker.kill()
        worker = cluster.start_worker(DAY, name=f"day{restart + 1}")
    result = job.result(timeout_s=90)
    client.close()

    assert result.metadata["hours"] == 24 and result.metadata["resumed_from"] > 0
    assert seen == sorted(seen), "progress went back"
    hours = [int(line.split()[2]) for line in log.read_text().split("\n") if line]
    # Each attempt starts at the last stored checkpoint: the hour a kill cut short runs again (or, when
    # the kill also caught its checkpoint on the way out, the hour before it), nothing earlier.
    assert all(b >= a - 1 for a, b in itertools.pairwise(hours)), hours
    assert sorted(set(hours)) == list(range(24))
    assert len(hours) <= 24 + 2 * 5
    submitted, finished, attempt = cluster.query(
        "SELECT submitted_at, finished_at, attempt FROM jobs WHERE id=?", (job.id,))[0]
    assert finished - submitted >= 86400 * 0.9  # a day on the injected clock
    assert attempt >= 6  # five worker kills, each a new attempt
