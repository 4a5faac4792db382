"""The broker divides a batch between its lanes (PLAN): from its own view of the workers and of the
lane-bound work already queued, refusing what no worker can run."""

from __future__ import annotations

import pytest

from qirrt.executors.distributed.client import BrokerError, InvalidRequestError
from qirrt.executors.distributed.jobqueue import JobQueue, QueueEntry
from qirrt.executors.distributed.split import lanes_from_workers, plan_batch
from qirrt.executors.distributed.testing import LocalCluster
from tests.executors.distributed.helpers import QPU, sweep_program

ITEMS = [(0.05, 500, 4)] * 40


@pytest.fixture(scope="module")
def two_lanes():
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="sim")
        cluster.add_worker("emulated:FakeKolkata", name="qpu", slots=2, executor_options=QPU)
        yield cluster


def test_the_broker_plan_uses_both_lanes_and_matches_the_planner_on_the_same_view(two_lanes):
    client = two_lanes.as_executor().client
    reply = client.plan(ITEMS, strategy="auto")
    lanes = lanes_from_workers(client.workers())
    expected, durations = plan_batch(ITEMS, lanes, "auto")
    assert reply["assignment"] == expected.assignment and reply["durations"] == durations
    assert len(set(reply["assignment"])) == 2  # both lanes used
    assert reply["makespan_s"] == pytest.approx(expected.makespan_s)
    robin = client.plan(ITEMS, strategy="round-robin")
    assert robin["makespan_s"] >= reply["makespan_s"]


def test_work_queued_on_a_lane_moves_a_new_batch_off_it(two_lanes):
    executor = two_lanes.as_executor()
    client = executor.client
    qpu_lane = next(row["lane"] for row in client.workers() if row["lane_kind"] == "qpu")
    empty = client.plan(ITEMS, strategy="auto")
    program = sweep_program()
    jobs = client.submit_many([program] * 12, shots=100, params={"theta": 0.1}, requires={"lane": qpu_lane},
                              estimated_duration_s=30.0)
    try:
        busy = client.plan(ITEMS, strategy="auto")
        queue_eta = {lane["name"]: lane["queue_eta_s"] for lane in busy["lanes"]}
        assert queue_eta[qpu_lane] > 100.0  # ≥ 10 queued × 30 s over 2 slots
        assert busy["assignment"].count(qpu_lane) < empty["assignment"].count(qpu_lane)
    finally:
        for job in jobs:  # let them finish: an emulated device call in flight is not interruptible
            job.result(timeout_s=120)


def test_a_plan_no_worker_can_run_is_refused_with_the_reason(two_lanes):
    client = two_lanes.as_executor().client
    with pytest.raises(BrokerError, match="no registered worker meets"):
        client.plan(ITEMS, strategy="auto", requires={"executor": "cudaq-nowhere"})
    with pytest.raises(BrokerError, match="can run on none of the lanes"):
        client.plan([(0.01, 10, 500)], strategy="auto")  # 500 qubits: neither lane


@pytest.mark.parametrize("items, strategy", [([], "auto"), ([(0.1, 0, 2)], "auto"), ([(-1.0, 10, 2)], "auto"),
                                             ([(0.1, 10, 2)], "fastest")])
def test_a_malformed_plan_is_refused_by_its_schema(two_lanes, items, strategy):
    client = two_lanes.as_executor().client
    with pytest.raises((InvalidRequestError, BrokerError)):
        client.plan(items, strategy=strategy)
    assert client.plan(ITEMS[:2], strategy="auto")["assignment"]  # the broker is still answering


def test_queued_seconds_counts_only_the_jobs_bound_to_that_lane():
    queue = JobQueue()
    for k, (lane, seconds) in enumerate([("a", 2.0), ("a", 3.0), ("b", 7.0), (None, 11.0)]):
        requires = {"lane": lane} if lane else {}
        queue.push(QueueEntry(f"j{k}", "u", {"requires": requires, "estimated_duration_s": seconds}, (0, k), 0.0), 0.0)
    assert (queue.queued_seconds("a"), queue.queued_seconds("b"), queue.queued_seconds("c")) == (5.0, 7.0, 0.0)
