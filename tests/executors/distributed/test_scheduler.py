"""The broker's `Scheduler` on its own, driven by a fake clock: rate limits over a simulated day, the
choice of the next job (capabilities, priorities, running limits, reservations), retry backoff, queue
limits, delayed jobs and ETAs. Nothing here sleeps: time is whatever the test says it is."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qirrt.executors.distributed.admission import Refused
from qirrt.executors.distributed.ratelimit import TokenBucket
from qirrt.executors.distributed.roster import WorkerRecord
from qirrt.executors.distributed.scheduler import Clock, Limits, Scheduler
from qirrt.executors.distributed.testing import FakeClock

DAY = 86400.0
CAPS = {"executors": ["local"], "max_qubits": 30, "profiles": ["base"], "kinds": ["program"]}


def _scheduler(clock: FakeClock, **limits) -> Scheduler:
    return Scheduler(Limits(**limits), Clock(wall=clock, mono=clock))


def _worker(scheduler: Scheduler, name: str, slots: int = 1, **caps) -> WorkerRecord:
    capabilities = {**CAPS, **caps, "name": name}
    worker = WorkerRecord(name.encode(), name, "worker:" + name, capabilities, slots, expiry=0.0)
    scheduler.queue.add_worker(worker.identity, capabilities)
    return worker


def _spec(job_id: str, priority: int = 0, **requires) -> dict:
    return {"id": job_id, "priority": priority, "requires": {"executor": "local", **requires}}


def _drain(scheduler: Scheduler, worker: WorkerRecord, now: float) -> list[str]:
    order = []
    while (entry := scheduler.next_for(worker, now)) is not None:
        order.append(entry.job_id)
    return order


# -- rate limits ------------------------------------------------------------------------------------
def test_job_rate_refills_over_a_simulated_day():
    clock = FakeClock()
    rate = 1 / 1024  # a job every 1024 s (exact in binary, so the sum over a day has no rounding), three saved up
    scheduler = _scheduler(clock, user_rate_per_s=rate, user_burst=3)
    admitted = 0
    for _ in range(3):
        scheduler.admit("alice", jobs=1, new_jobs=1, new_bytes=10, now=clock())
        admitted += 1
    with pytest.raises(Refused, match="rate limit: at most 0.000976562 jobs/s for user alice"):
        scheduler.admit("alice", jobs=1, new_jobs=1, new_bytes=10, now=clock())
    scheduler.admit("bob", jobs=3, new_jobs=3, new_bytes=10, now=clock())  # each user has a bucket of their own
    steps = int(DAY // 256)
    for _ in range(steps):  # a day in 256 s steps: one more job each 1024 s, never more
        clock.advance(256)
        try:
            scheduler.admit("alice", jobs=1, new_jobs=1, new_bytes=10, now=clock())
            admitted += 1
        except Refused:
            pass
    assert admitted == 3 + int(steps * 256 * rate)  # 3 + 84
    clock.advance(10 * DAY)  # a long quiet spell saves up no more than the burst
    batch = [scheduler.buckets["alice"].take(1, clock()) for _ in range(5)]
    assert batch == [True, True, True, False, False]


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(0.001, 10.0), burst=st.integers(1, 50),
       steps=st.lists(st.tuples(st.floats(0.0, 3600.0), st.integers(1, 20)), max_size=60))
def test_token_bucket_never_gives_more_than_burst_plus_rate_times_elapsed(rate, burst, steps):
    bucket, now, taken = TokenBucket(rate, burst), 0.0, 0
    for wait, n in steps:
        now += wait
        if bucket.take(n, now):
            taken += n
        assert taken <= burst + rate * now + 1e-6
        assert 0.0 <= bucket.tokens <= burst


# -- choosing the next job --------------------------------------------------------------------------
def test_highest_priority_first_and_first_come_first_served_within_a_priority():
    clock = FakeClock()
    scheduler = _scheduler(clock)
    worker = _worker(scheduler, "w1")
    for job_id, priority in [("a", 0), ("b", 5), ("c", 0), ("d", 5), ("e", -1)]:
        scheduler.enqueue(job_id, "alice", _spec(job_id, priority), 0.0, None)
    assert [scheduler.position(j) for j in "abcde"] == [2, 0, 3, 1, 4]
    assert _drain(scheduler, worker, clock()) == ["b", "d", "a", "c", "e"]


def test_a_worker_only_gets_jobs_it_can_run():
    clock = FakeClock()
    scheduler = _scheduler(clock)
    small, gpu = _worker(scheduler, "small", max_qubits=5), _worker(scheduler, "gpu", gpu=True)
    scheduler.enqueue("big", "alice", _spec("big", qubits=20), 0.0, None)
    scheduler.enqueue("needs-gpu", "alice", _spec("needs-gpu", gpu=True), 0.0, None)
    scheduler.enqueue("any", "alice", _spec("any"), 0.0, None)
    assert _drain(scheduler, small, clock()) == ["any"]
    assert _drain(scheduler, gpu, clock()) == ["big", "needs-gpu"]


def test_a_user_at_the_running_limit_lets_the_next_user_go_first():
    clock = FakeClock()
    scheduler = _scheduler(clock, user_max_running=1)
    worker = _worker(scheduler, "w1", slots=4)
    for i in range(3):
        scheduler.enqueue(f"a{i}", "alice", _spec(f"a{i}", priority=9), 0.0, None)
    scheduler.enqueue("b0", "bob", _spec("b0"), 0.0, None)
    first = scheduler.next_for(worker, clock())
    assert first.job_id == "a0"
    scheduler.user_running["alice"] += 1  # the broker's lease bookkeeping
    second = scheduler.next_for(worker, clock())
    assert second.job_id == "b0"  # alice's higher priority does not help her past her limit
    scheduler.user_running["bob"] += 1
    assert scheduler.next_for(worker, clock()) is None
    scheduler.user_running["alice"] -= 1  # a0 finished
    assert scheduler.next_for(worker, clock()).job_id == "a1"


def test_a_retried_job_waits_out_its_backoff_on_the_clock():
    clock = FakeClock()
    scheduler = _scheduler(clock)
    worker = _worker(scheduler, "w1")
    scheduler.enqueue("later", "alice", _spec("later", priority=9), clock() + 30.0, None)
    scheduler.enqueue("now", "alice", _spec("now"), 0.0, None)
    assert _drain(scheduler, worker, clock()) == ["now"]
    clock.advance(29.0)
    assert scheduler.next_for(worker, clock()) is None
    clock.advance(1.0)
    assert scheduler.next_for(worker, clock()).job_id == "later"


# -- reservations -----------------------------------------------------------------------------------
def test_reservations_are_checked_and_hold_a_worker_for_its_user_only_in_the_window():
    clock = FakeClock()
    scheduler = _scheduler(clock, operators=frozenset({"ops"}), max_reservation_s=3600.0)
    start, end = clock() + 100.0, clock() + 200.0
    with pytest.raises(Refused, match="operators only, and user alice is not one"):
        scheduler.check_reservation("alice", "w1", start, end)
    with pytest.raises(Refused, match="must end after it starts"):
        scheduler.check_reservation("ops", "w1", end, start)
    with pytest.raises(Refused, match="at most 3600 s"):
        scheduler.check_reservation("ops", "w1", start, start + 3601.0)
    scheduler.check_reservation("ops", "w1", start, end)
    scheduler.reservations.append(("w1", "bob", start, end))
    with pytest.raises(Refused, match="worker w1 is already reserved then"):
        scheduler.check_reservation("ops", "w1", end - 1.0, end + 50.0)
    scheduler.check_reservation("ops", "w1", end, end + 50.0)  # back to back is no overlap
    scheduler.check_reservation("ops", "w2", start, end)

    w1, w2 = _worker(scheduler, "w1"), _worker(scheduler, "w2")
    assert scheduler.free_worker_for([w1, w2], "alice", _spec("x"), clock()).name == "w1"  # not reserved yet
    clock.advance(150.0)  # inside the window
    assert scheduler.reserved_user("w1", clock()) == "bob"
    assert scheduler.free_worker_for([w1, w2], "alice", _spec("x"), clock()).name == "w2"
    assert scheduler.free_worker_for([w1], "bob", _spec("x"), clock()).name == "w1"
    scheduler.enqueue("a", "alice", _spec("a"), 0.0, None)
    assert scheduler.next_for(w1, clock()) is None  # alice's job does not take bob's worker
    scheduler.enqueue("b", "bob", _spec("b"), 0.0, None)
    assert scheduler.next_for(w1, clock()).job_id == "b"
    assert not scheduler.expire_reservations(clock())
    clock.advance(100.0)  # the window is over
    assert scheduler.expire_reservations(clock()) and scheduler.reservations == []
    assert scheduler.next_for(w1, clock()).job_id == "a"


# -- backoff, queue limits, estimates ---------------------------------------------------------------
def test_retry_backoff_doubles_per_failure_up_to_its_cap():
    scheduler = _scheduler(FakeClock(), retry_backoff_s=0.5, max_retry_backoff_s=30.0)
    waits = [scheduler.backoff_s(failures) for failures in range(10)]
    assert waits[:7] == [0.5, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert waits[7:] == [30.0, 30.0, 30.0]
    assert all(a <= b for a, b in pairwise(waits))


def test_queue_limits_count_jobs_and_bytes_per_user():
    clock = FakeClock()
    scheduler = _scheduler(clock, user_max_queued=2, user_max_queued_bytes=1 << 20)
    scheduler.enqueue("a", "alice", _spec("a"), 0.0, None, size=600 << 10)
    with pytest.raises(Refused, match="byte budget: user alice has 0 MiB of jobs queued"):
        scheduler.admit("alice", jobs=1, new_jobs=1, new_bytes=500 << 10, now=clock())
    scheduler.admit("alice", jobs=1, new_jobs=1, new_bytes=100 << 10, now=clock())
    scheduler.enqueue("b", "alice", _spec("b"), 0.0, None, size=100)
    with pytest.raises(Refused, match="queue limit: user alice has 2 jobs queued .* at most 2 per user"):
        scheduler.admit("alice", jobs=1, new_jobs=1, new_bytes=10, now=clock())
    scheduler.admit("alice", jobs=1, new_jobs=0, new_bytes=0, now=clock())  # a resubmission adds nothing
    scheduler.admit("bob", jobs=2, new_jobs=2, new_bytes=10, now=clock())
    big = "x" * (20 << 10)
    scheduler.enqueue("c", "bob", {**_spec("c"), "program": big}, 0.0, None)
    assert scheduler.queue.get("c").spec.get("slim") and "program" not in scheduler.queue.get("c").spec


def test_eta_counts_the_jobs_ahead_over_the_capable_slots():
    clock = FakeClock()
    scheduler = _scheduler(clock)
    workers = [_worker(scheduler, "w1", slots=2), _worker(scheduler, "w2", slots=2, executors=["other"])]
    for i in range(5):
        scheduler.enqueue(f"j{i}", "alice", _spec(f"j{i}"), 0.0, None)

    class Row:
        def __init__(self, job_id, state="queued", started_at=None):
            self.id, self.state, self.started_at = job_id, state, started_at
            self.estimated_duration_s, self.spec = 10.0, _spec(job_id)

    assert [scheduler.eta_s(Row(f"j{i}"), workers, 1.0, clock()) for i in range(5)] == [10.0, 10.0, 20.0, 20.0, 30.0]
    assert scheduler.eta_s(Row("j0", "running", started_at=clock() - 4.0), workers, 1.0, clock()) == 6.0
    assert scheduler.eta_s(Row("j0", "done"), workers, 1.0, clock()) == 0.0
    assert scheduler.eta_s(Row("j0"), [workers[1]], 1.0, clock()) is None  # no capable worker


# -- the broker's clocks ----------------------------------------------------------------------------
def test_a_broker_given_both_clocks_expires_a_silent_worker_when_its_liveness_clock_says_so(tmp_path):
    """The liveness clock is injected too: a worker's heartbeats run out when the broker's monotonic clock
    passes them, however little real time went by."""
    import zmq

    from qirrt.executors.distributed import protocol as P
    from qirrt.executors.distributed.broker import Broker

    wall, mono = FakeClock(), FakeClock(start=50.0)
    broker = Broker("tcp://127.0.0.1:0", tmp_path / "broker.db", insecure_loopback=True,
                    clock=Clock(wall=wall, mono=mono), heartbeat_interval_ms=1000, heartbeat_liveness=3)
    peer = broker.context.socket(zmq.DEALER)
    peer.linger = 0
    try:
        peer.connect(broker.endpoint)
        peer.send_multipart(P.encode(P.WORKER, P.W_READY, {
            "seq": 1, "worker": "w1", "capabilities": {"executors": ["echo"], "slots": 1}, "running": []}))
        for _ in range(200):
            broker.turn(timeout_ms=50)
            if broker.workers:
                break
        assert [w.name for w in broker.workers.values()] == ["w1"]
        alive = []
        for _ in range(5):  # a second at a time, as a loop that does not stall sees it
            mono.advance(1.0)
            broker.turn()
            alive.append(bool(broker.workers))
        assert alive == [True, True, True, False, False]  # registered at 50 with 3 s of liveness: gone at 54
        assert broker.stats["expired"] == 1
    finally:
        peer.close(0)
        broker.close()
