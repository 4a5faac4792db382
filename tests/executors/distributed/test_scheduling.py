"""Broker scheduling with an injected clock: priorities, quotas, rate limits, reservations, retries,
time limits, sessions, cancel, status and ETA."""

from __future__ import annotations

import pytest

from qirrt.errors import ExecutionError, JobCancelledError
from qirrt.executors.distributed.broker import matches
from qirrt.executors.distributed.client import BrokerError
from tests.executors.distributed.helpers import BELL_IR, in_process, wait_until

pytestmark = pytest.mark.timeout(60)


def _state(job):
    return job.status()["state"]


def test_capability_matching():
    caps = {"executors": ["aer"], "max_qubits": 30, "profiles": ["base"], "packages": ["numpy", "scipy"],
            "gpu": True, "native_gates": ["cz", "rz"], "mitigation": ["zne"], "calibration_at": 100.0,
            "kinds": ["program", "workload"], "name": "w1"}
    assert matches({"executor": "aer", "qubits": 30, "profile": "base", "packages": ["NumPy"], "gpu": True,
                    "native_gates": ["cz"], "mitigation": ["zne"], "calibration_max_age_s": 50,
                    "kind": "workload", "worker": "w1"}, caps, now=120.0)
    assert not matches({"qubits": 31}, caps)
    assert not matches({"executor": "local"}, caps)
    assert not matches({"packages": ["torch"]}, caps)
    assert not matches({"calibration_max_age_s": 10}, caps, now=120.0)
    assert not matches({"gpu": True}, {**caps, "gpu": False})
    assert not matches({"something-new": 1}, caps)  # unknown requirements are never met silently


def test_priority_order(tmp_path):
    system = in_process(tmp_path)
    try:
        client = system.connect(user="alice")
        low = client.submit(BELL_IR, shots=1, priority=0, params={"sleep_s": 1.0})
        high = client.submit(BELL_IR, shots=1, priority=5, params={"sleep_s": 0.05})
        assert high.status()["position"] == 0 and low.status()["position"] == 1
        system.add_worker()  # one slot: the high-priority job must go first
        high.result(timeout_s=20)
        assert _state(low) in ("queued", "running")
        low.result(timeout_s=20)
    finally:
        system.stop()


def test_per_user_concurrency_limit_and_status_eta(tmp_path):
    system = in_process(tmp_path, user_max_running=1)
    try:
        system.add_worker()
        system.add_worker()
        alice, bob = system.connect(user="alice"), system.connect(user="bob")
        a = alice.submit_many([BELL_IR] * 3, shots=1, params={"sleep_s": 0.4}, estimated_duration_s=0.4)
        b = bob.submit(BELL_IR, shots=1, params={"sleep_s": 0.4})
        wait_until(lambda: _state(b) in ("running", "done"), 10, "bob's job running beside alice's")
        running_alice = [j for j in a if _state(j) == "running"]
        assert len(running_alice) <= 1
        queued = [j.status() for j in a if _state(j) == "queued"]
        assert queued and all(s["eta_s"] is not None and s["eta_s"] > 0 for s in queued)
        alice.results(a, timeout_s=20)
        bob.result(b.id, timeout_s=20)
    finally:
        system.stop()


def test_rate_limit(tmp_path):
    system = in_process(tmp_path, user_rate_per_s=1.0, user_burst=2)
    try:
        alice = system.connect(user="alice")
        alice.submit_many([BELL_IR] * 2, shots=1)
        with pytest.raises(BrokerError, match="rate limit: at most 1 jobs/s for user alice"):
            alice.submit(BELL_IR, shots=1)
        system.connect(user="bob").submit(BELL_IR, shots=1)  # others are not limited by alice
        system.clock.advance(1.0)
        alice.submit(BELL_IR, shots=1)
    finally:
        system.stop()


def test_retries_with_backoff_then_max_attempts(tmp_path):
    system = in_process(tmp_path, retry_backoff_s=5.0)
    try:
        system.add_worker("tests.executors.distributed.helpers:FlakyExecutor")
        client = system.connect(user="alice")
        job = client.submit(BELL_IR, shots=1, params={"fail_attempts": 1}, max_attempts=3)
        wait_until(lambda: job.status()["failures"] == 1, 10, "the first attempt failing")
        status = job.status()
        assert status["state"] == "queued" and "flaky failure on attempt 1" in status["error"]
        system.clock.advance(4.0)  # backoff not over: still waiting
        assert _state(job) == "queued"
        system.clock.advance(2.0)
        assert job.result(timeout_s=10).metadata["attempt"] == 2
        doomed = client.submit(BELL_IR, shots=1, params={"fail_attempts": 99}, max_attempts=2)
        wait_until(lambda: doomed.status()["failures"] == 1, 10, "first failure")
        system.clock.advance(10.0)
        with pytest.raises(ExecutionError, match="flaky failure on attempt 2"):
            doomed.result(timeout_s=10)
        assert doomed.status()["state"] == "failed"
    finally:
        system.stop()


def test_job_time_limit_on_the_injected_clock(tmp_path):
    system = in_process(tmp_path)
    try:
        system.add_worker()
        client = system.connect(user="alice")
        job = client.submit(BELL_IR, shots=1, params={"sleep_s": 30}, time_limit_s=3600)
        wait_until(lambda: _state(job) == "running", 10, "the job running")
        system.clock.advance(3601)
        with pytest.raises(ExecutionError, match="time limit of 3600 s exceeded"):
            job.result(timeout_s=10)
    finally:
        system.stop()


def test_session_batches_and_time_limit(tmp_path):
    system = in_process(tmp_path)
    try:
        client = system.connect(user="alice")
        with client.session(time_limit_s=600) as session:
            jobs = session.submit_many([BELL_IR] * 20, shots=2)
            assert {j.status()["session"] for j in jobs[:2]} == {session.id}
            system.clock.advance(601)  # no worker yet: the session expires with its jobs queued
            with pytest.raises(JobCancelledError, match="session time limit exceeded"):
                client.result(jobs[0].id, timeout_s=10)
        with client.session() as session:
            system.add_worker("tests.executors.distributed.helpers:EchoExecutor")
            results = session.run([BELL_IR] * 50, shots=3, timeout_s=20)
            assert [r.shots for r in results] == [3] * 50
        with pytest.raises(BrokerError, match="is not an open session of yours"):
            client.submit(BELL_IR, shots=1, session=session.id)
    finally:
        system.stop()


def test_cancel_queued_and_running(tmp_path):
    system = in_process(tmp_path)
    try:
        client = system.connect(user="alice")
        queued = client.submit(BELL_IR, shots=1)
        assert queued.cancel() is True
        assert _state(queued) == "cancelled"
        system.add_worker()
        running = client.submit(BELL_IR, shots=1, params={"sleep_s": 20})
        wait_until(lambda: _state(running) == "running", 10, "the job running")
        assert running.cancel() is True
        with pytest.raises(JobCancelledError):
            running.result(timeout_s=5)
        assert running.cancel() is False  # already final
        # The worker's slot is free again.
        assert client.submit(BELL_IR, shots=4, params={"sleep_s": 0.01}).result(timeout_s=10).shots == 4
    finally:
        system.stop()


def test_reservation_keeps_a_worker_for_one_user(tmp_path):
    system = in_process(tmp_path, operators=("alice", "bob"))
    try:
        qpu = system.add_worker(name="qpu")
        alice, bob = system.connect(user="alice"), system.connect(user="bob")
        now = system.clock()
        bob.reserve("qpu", now, now + 100)
        with pytest.raises(BrokerError, match="already reserved"):
            alice.reserve("qpu", now + 50, now + 150)
        a = alice.submit(BELL_IR, shots=1, params={"sleep_s": 0.01})
        b = bob.submit(BELL_IR, shots=1, params={"sleep_s": 0.01})
        bob.result(b.id, timeout_s=10)
        assert _state(a) == "queued"
        system.clock.advance(101)  # the window is over
        alice.result(a.id, timeout_s=10)
        assert qpu.name == "qpu"
    finally:
        system.stop()
