"""Issue 15, broker side: who may reserve, whose worker name is whose, queue caps and index, byte
budgets and poisonous jobs — each through real broker and worker processes on loopback."""

from __future__ import annotations

import signal
import uuid

import msgpack
import pytest
import zmq

import qirrt.executors.distributed as dist
from qirrt.errors import ExecutionError
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.client import BrokerError
from tests.executors.distributed.helpers import BELL_IR, in_process, wait_until

pytestmark = pytest.mark.timeout(120)
SLOW = "tests.executors.distributed.helpers:SlowExecutor"


def _connect(cluster, user):
    return dist.connect(cluster.url, insecure_loopback=True, user=user, timeout_s=20)


# -- reservations -------------------------------------------------------------------------------------
def test_only_operators_reserve_and_only_for_so_long(make_cluster):
    cluster = make_cluster(broker_args=("--operator", "ops", "--operator", "lab", "--max-reservation-s", "3600"))
    cluster.start_broker()
    with _connect(cluster, "eve") as eve, _connect(cluster, "ops") as ops:
        with pytest.raises(BrokerError, match=r"reservations are for operators only, and user eve is not one "
                                              r"\(the broker names its operators with --operator NAME\)"):
            eve.reserve("qpu", 0, 10)
        with pytest.raises(BrokerError, match=r"a reservation may last at most 3600 s \(--max-reservation-s\); "
                                              r"this one asks for 1e\+18 s"):
            ops.reserve("qpu", 0, 1e18)
        with pytest.raises(BrokerError, match="a reservation must end after it starts"):
            ops.reserve("qpu", 100, 100)
        ops.reserve("qpu", 1e9, 1e9 + 1800)
        assert eve.submit(BELL_IR, shots=1).id  # a refused reservation costs the user nothing else
    assert cluster.query('SELECT worker, user, start, "end" FROM reservations') == [("qpu", "ops", 1e9, 1e9 + 1800)]
    assert cluster.broker.alive()


# -- worker names belong to worker keys ---------------------------------------------------------------
def test_worker_name_is_bound_to_the_key_that_first_registered_it(make_cluster, tmp_path):
    keys = tmp_path / "keys"
    security.generate(keys, users=("alice",), workers=("w1", "w2"))
    cluster = make_cluster(keys=keys)
    cluster.start_broker()
    cluster.start_worker(name="qpu", key_name="w1")
    cluster.wait_workers(1)
    impostor = cluster.start_worker(name="qpu", key_name="w2", extra=("-v",))
    wait_until(lambda: any("belongs to another worker key (worker:w1)" in line for line in impostor.stderr_lines),
               20, "the impostor told why it is refused")
    assert cluster.query("SELECT name, user FROM worker_names") == [("qpu", "worker:w1")]
    assert cluster.query("SELECT registrations FROM workers WHERE id='qpu'") == [(1,)]  # never pushed off
    client_dir = tmp_path / "alice"
    client_dir.mkdir()
    for name in ("alice.key_secret", "server.key"):
        (client_dir / name).write_bytes((keys / name).read_bytes())
    with dist.connect(cluster.url, keys=client_dir, timeout_s=20) as alice:
        for _ in range(3):
            assert alice.submit(BELL_IR, shots=2).result(timeout_s=20).shots == 2
    assert {row[0] for row in cluster.query("SELECT result_worker FROM jobs")} == {"qpu"}
    # The binding outlives the broker: after a restart the impostor, first to arrive, is still refused.
    for proc in cluster.procs:
        proc.kill()
    cluster.start_broker()
    impostor = cluster.start_worker(name="qpu", key_name="w2", extra=("-v",))
    wait_until(lambda: any("belongs to another worker key" in line for line in impostor.stderr_lines), 20,
               "the impostor refused after a restart")
    assert cluster.query("SELECT registrations FROM workers WHERE id='qpu'") == [(1,)]
    assert cluster.query("SELECT name, user FROM worker_names") == [("qpu", "worker:w1")]
    cluster.start_worker(name="qpu", key_name="w1")
    wait_until(lambda: cluster.query("SELECT registrations FROM workers WHERE id='qpu'") == [(2,)], 20,
               "the rightful worker back under its name")
    # A key's own name is that key's from the start: w2 cannot squat "w1" before w1 ever registers it.
    squatter = cluster.start_worker(name="w1", key_name="w2", extra=("-v",))
    wait_until(lambda: any("worker name w1 is the name of worker key worker:w1" in line
                           for line in squatter.stderr_lines), 20, "the squatter refused")
    assert cluster.query("SELECT name FROM worker_names ORDER BY name") == [("qpu",)]


# -- queue cap and index ------------------------------------------------------------------------------
def test_queued_jobs_per_user_are_capped(make_cluster):
    cluster = make_cluster(broker_args=("--user-max-queued", "5"))
    cluster.start_broker()
    with _connect(cluster, "alice") as alice, _connect(cluster, "bob") as bob:
        alice.submit_many([BELL_IR] * 4, shots=1)
        with pytest.raises(BrokerError, match=r"queue limit: user alice has 4 jobs queued and this broker allows at "
                                              r"most 5 per user \(--user-max-queued\)"):
            alice.submit_many([BELL_IR] * 2, shots=1)  # all or nothing
        alice.submit(BELL_IR, shots=1)
        with pytest.raises(BrokerError, match="queue limit: user alice has 5 jobs queued"):
            alice.submit(BELL_IR, shots=1)
        bob.submit_many([BELL_IR] * 5, shots=1)  # the cap is per user
        assert cluster.query("SELECT user, COUNT(*) FROM jobs GROUP BY user ORDER BY user") == [
            ("alice", 5), ("bob", 5)]
        cluster.start_worker()
        wait_until(lambda: cluster.query("SELECT COUNT(*) FROM jobs WHERE user='alice' AND state='done'")[0][0] == 5,
                   30, "alice's queue drained")
        assert len(alice.submit_many([BELL_IR] * 5, shots=1)) == 5  # room again once they ran


def test_dispatch_cost_does_not_grow_with_jobs_no_worker_can_run(tmp_path):
    system = in_process(tmp_path)
    try:
        for _ in range(3):
            system.add_worker("tests.executors.distributed.helpers:EchoExecutor")
        broker = system.broker
        alice, bob = system.connect(user="alice"), system.connect(user="bob")
        # 5,000 jobs no worker can run, under 50 different requirements.
        for batch in range(5):
            specs = [alice._spec(BELL_IR, shots=1, seed=None, priority=5, params=None,
                                 requires={"executor": f"nowhere-{batch}-{i % 10}"}, max_attempts=None,
                                 time_limit_s=None, estimated_duration_s=None, session=None) for i in range(1000)]
            alice.submit_specs(specs)
        wait_until(lambda: len(broker.queue) == 5000, 20, "the unrunnable jobs queued")
        scans_before = broker.queue.scans
        results = [bob.submit(BELL_IR, shots=3).result(timeout_s=20) for _ in range(30)]
        assert [r.shots for r in results] == [3] * 30
        scans = broker.queue.scans - scans_before
        # Each of the 30 jobs costs a look at its own group on each worker, never at the 5,000 others:
        # a scan of the queue would cost 5,000 per worker per dispatch.
        assert scans <= 30 * 3 * 4, scans
        assert len(broker.queue) == 5000
        assert {(s, st) for s, st in [(e.spec["requires"]["executor"][:7], e.user) for e in broker.queue.values()]} \
            == {("nowhere", "alice")}
    finally:
        system.stop()


# -- bytes --------------------------------------------------------------------------------------------
def _raw_submit(url: str, sock: zmq.Socket | None, seq: int, blob_bytes: int, user: str = "eve"):
    if sock is None:
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(url)
    spec = {"id": uuid.uuid4().hex, "kind": "program", "program": BELL_IR, "shots": 1,
            "params": {"blob": b"\x00" * blob_bytes}}
    sock.send_multipart([P.CLIENT, P.C_SUBMIT, msgpack.packb({"seq": seq, "req": seq, "jobs": [spec], "user": user},
                                                            use_bin_type=True)])
    assert sock.poll(20_000), "no reply"
    frames = sock.recv_multipart()
    return sock, frames[1], msgpack.unpackb(frames[2])


def test_connection_byte_budget_and_user_byte_budget(make_cluster):
    cluster = make_cluster(broker_args=("--peer-burst-bytes", str(5 << 20), "--peer-bytes-per-s", "1000",
                                        "--user-max-queued-bytes", str(6 << 20)))
    cluster.start_broker()
    sock, command, body = _raw_submit(cluster.url, None, 1, 2 << 20)
    assert command == P.C_REPLY and body["ok"], body
    sock, command, body = _raw_submit(cluster.url, sock, 2, 2 << 20)
    assert body["ok"], body
    sock, command, body = _raw_submit(cluster.url, sock, 3, 2 << 20)  # 6 MiB on this connection: over 5
    assert not body["ok"] and body["error"].startswith(
        "byte budget: this connection may send at most 5 MiB at once and 0.000953674 MiB/s after that"), body
    sock.close(0)
    # A fresh connection has its own budget, but the user's queued bytes are capped too.
    sock, command, body = _raw_submit(cluster.url, None, 1, 3 << 20)
    assert not body["ok"] and body["error"].startswith("byte budget: user eve has 4 MiB of jobs queued"), body
    sock.close(0)
    assert cluster.query("SELECT COUNT(*) FROM jobs") == [(2,)]
    with _connect(cluster, "alice") as alice:  # others are not held up
        alice.submit(BELL_IR, shots=1)
    assert cluster.broker.alive()


def _rss_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


def test_large_messages_do_not_pile_up_in_the_broker(make_cluster):
    """40 x 15 MB submissions from 40 connections: the old broker grew by ~900 MB; each user's queued
    bytes are capped and a queued job's large spec waits in the store, not in memory."""
    cluster = make_cluster(broker_args=("--user-max-queued-bytes", str(64 << 20)))
    cluster.start_broker()
    before = _rss_mb(cluster.broker.pid)
    refused = 0
    for i in range(40):
        sock, _command, body = _raw_submit(cluster.url, None, 1, 15 << 20, user=f"u{i % 4}")
        refused += not body["ok"]
        sock.close(0)
    grown = _rss_mb(cluster.broker.pid) - before
    assert refused == 40 - 4 * 4, refused  # 4 users x 4 jobs of 15 MiB fit under 64 MiB each
    assert grown < 400, f"broker RSS grew by {grown} MB"
    assert cluster.broker.alive()


# -- poisonous jobs -----------------------------------------------------------------------------------
def test_job_whose_workers_die_under_it_is_failed_as_poisonous(cluster):
    cluster.start_broker()
    with _connect(cluster, "alice") as alice:
        job = alice.submit(BELL_IR, shots=1, params={"sleep_s": 60, "quiet": True}, max_attempts=10)
        for death in range(2):
            victim = cluster.start_worker(SLOW, name=f"victim{death}")
            wait_until(lambda name=f"victim{death}": cluster.query("SELECT worker FROM jobs WHERE id=?", (job.id,))
                       == [(name,)], 20, "the job running on the victim")
            victim.signal(signal.SIGKILL)  # what a job that kills its worker looks like to the broker
            victim.kill()
            if death == 0:
                wait_until(lambda: cluster.query("SELECT state FROM jobs WHERE id=?", (job.id,)) == [("queued",)],
                           20, "the job requeued after the first death")
                error, deaths = cluster.query("SELECT error, worker_deaths FROM jobs WHERE id=?", (job.id,))[0]
                assert error.startswith("suspect: worker victim0 lost: missed heartbeats; retried once more")
                assert deaths == 1
        with pytest.raises(ExecutionError, match=r"poisonous: 2 workers died while running it \(last: worker "
                                                 r"victim1 lost: missed heartbeats\); not retried onto other workers"):
            job.result(timeout_s=30)
        state, attempt, deaths = cluster.query("SELECT state, attempt, worker_deaths FROM jobs WHERE id=?",
                                               (job.id,))[0]
        assert (state, attempt, deaths) == ("failed", 2, 2)
        # A worker that arrives later never sees it, and runs other work.
        cluster.start_worker(SLOW, name="survivor")
        assert alice.submit(BELL_IR, shots=4, params={"sleep_s": 0.01}).result(timeout_s=20).shots == 4
        assert cluster.query("SELECT attempt FROM jobs WHERE id=?", (job.id,)) == [(2,)]


def test_a_worker_saying_goodbye_does_not_make_its_job_suspect(cluster):
    cluster.start_broker()
    with _connect(cluster, "alice") as alice:
        job = alice.submit(BELL_IR, shots=1, params={"sleep_s": 1.0, "quiet": True})
        leaving = cluster.start_worker(SLOW, name="leaving")
        wait_until(lambda: cluster.query("SELECT worker FROM jobs WHERE id=?", (job.id,)) == [("leaving",)], 20,
                   "the job running")
        leaving.signal(signal.SIGTERM)  # an operator stopping the worker: it says goodbye
        wait_until(lambda: cluster.query("SELECT state FROM jobs WHERE id=?", (job.id,)) == [("queued",)], 20,
                   "the job requeued")
        assert cluster.query("SELECT worker_deaths FROM jobs WHERE id=?", (job.id,)) == [(0,)]
        cluster.start_worker(SLOW, name="next")
        assert job.result(timeout_s=30).shots == 1


# -- out-of-range values: the caller hears which field, the broker lives ------------------------------
@pytest.mark.parametrize(("options", "field"), [
    ({"priority": 2**63}, "priority"),
    ({"max_attempts": 2**63}, "max_attempts"),
    ({"requires": {"qubits": "many"}}, "requires.qubits"),
    ({"requires": {"packages": 1}}, "requires.packages"),
    ({"shots": 0}, "shots"),
])
def test_out_of_range_submissions_name_the_field_before_sending(cluster, options, field):
    cluster.start_broker()
    cluster.start_worker()
    cluster.wait_workers(1)
    with _connect(cluster, "alice") as alice:
        with pytest.raises(ValueError, match=rf"invalid request, not sent: .*{field.replace('.', '.*')}"):
            alice.submit(BELL_IR, **{"shots": 4, **options})
        assert alice.submit(BELL_IR, shots=4).result(timeout_s=30).shots == 4
    assert cluster.broker.alive()


def test_an_invalid_request_sent_raw_gets_a_reply_naming_the_field(cluster):
    """A client that skips the SDK's own check still learns why, instead of a silent disconnect."""
    cluster.start_broker()
    context = zmq.Context.instance()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(cluster.url)
    try:
        job = {"id": uuid.uuid4().hex, "kind": "program", "program": BELL_IR, "shots": 1, "priority": 2**63}
        sock.send_multipart([P.CLIENT, P.C_SUBMIT, msgpack.packb({"seq": 1, "req": 7, "jobs": [job]})])
        assert sock.poll(20_000), "no reply to an invalid request"
        header, command, body = sock.recv_multipart()
        reply = msgpack.unpackb(body)
        assert (header, command, reply["req"], reply["ok"]) == (P.CLIENT, P.C_REPLY, 7, False)
        assert "priority" in reply["error"] and "invalid request" in reply["error"]
    finally:
        sock.close()
    assert cluster.broker.alive()
