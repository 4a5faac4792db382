"""A QPU lane re-reads its device's queue and the broker plans with the fresh figures."""

from __future__ import annotations

import time

import pytest

from qirrt.adapters.emulated import EmulatedQPU
from qirrt.executors.distributed.lane import QueueWatch, queue_figures
from qirrt.executors.distributed.testing import LocalCluster

# other users' queue redrawn every 0.3 s, about 5 jobs of 1 s each: the figures change from draw to draw
BUSY = {"failure_rate": 0.0, "seed": 5,
        "queue": {"latency_s": 0.1, "mean_depth": 5.0, "window_s": 0.3, "job_s": 1.0, "overhead_s": 0.1,
                  "shot_s": 1e-4}}


def _depths_seen(refresh_s: float, seconds: float) -> set:
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("emulated:FakeKolkata", name="qpu", executor_options=BUSY, queue_refresh_s=refresh_s)
        client = cluster.as_executor().client
        seen, deadline = set(), time.monotonic() + seconds
        while time.monotonic() < deadline and len(seen) < 3:
            (row,) = [w for w in client.workers() if w["name"] == "qpu"]
            seen.add((row["capabilities"]["queue_depth"], row["capabilities"]["queue_wait_s"]))
            time.sleep(0.1)
        plan = client.plan([(0.01, 100, 2)], strategy="auto")
        (lane,) = plan["lanes"]
        assert lane["queue_eta_s"] == row["capabilities"]["queue_wait_s"]  # what the broker plans with
    return seen


def test_the_broker_sees_a_qpu_lanes_queue_change():
    assert len(_depths_seen(0.2, 20.0)) >= 2


def test_without_refresh_the_registered_figures_stay():
    assert len(_depths_seen(0.0, 2.0)) == 1


def test_queue_watch_hands_over_fresh_figures_once():
    qpu = EmulatedQPU("FakeKolkata", **BUSY)
    watch = QueueWatch(qpu, 3600.0)  # not started: refreshed by hand
    assert watch.take() is None
    watch.refresh()
    fresh = watch.take()
    assert fresh is not None and set(fresh) == set(queue_figures(qpu))
    assert watch.take() is None  # taken: gone until the next refresh


def test_a_failing_queue_api_keeps_the_last_figures():
    class Down:
        def queue_info(self):
            raise ConnectionError("device API unreachable")

    watch = QueueWatch(Down(), 3600.0)
    watch.refresh()
    assert watch.take() is None


@pytest.mark.parametrize("refresh", [-1.0, 86401.0])
def test_cli_refuses_an_out_of_range_refresh(refresh):
    from click.testing import CliRunner

    from qirrt.cli.app import main

    result = CliRunner().invoke(main, ["worker", "--connect", "tcp://127.0.0.1:1", "--insecure-loopback",
                                       "--adapter", "emulated:FakeKolkata", "--queue-refresh-s", str(refresh)])
    assert result.exit_code == 2 and "--queue-refresh-s" in result.output
