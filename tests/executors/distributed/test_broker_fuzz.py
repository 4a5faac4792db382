"""Issue 15, critical: no message ends the broker.

The eight schema-valid calls that used to kill it, one by one, each refused with a reason (or, for a
huge but finite time limit, accepted and run); a job the
old broker stored and then died on at every restart (a crash loop) is failed with a reason at start-up;
and a hypothesis fuzz of every command against a real broker process, each batch followed by a normal
job that must complete correctly, the broker alive at the end."""

from __future__ import annotations

import sqlite3
import uuid

import msgpack
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qirrt.executors.distributed as dist
from qirrt.executors.distributed import protocol as P
from tests.executors.distributed.helpers import BELL_IR, Cluster, wait_until

pytestmark = pytest.mark.timeout(300)

WORKER_NAME = f"real-{uuid.uuid4().hex[:12]}"  # fuzzed READYs never guess it
INT64_EDGES = [2**63, 2**64 - 1, 2**63 - 1, -(2**63), -1, 0]


def _send(url: str, frames: list[bytes], *, wait_ms: int = 0) -> list[bytes] | None:
    """Send one message on a connection of its own (a refusal bans the sender's connection), and make
    sure it leaves: with IMMEDIATE the socket is writable only once connected, and linger flushes it."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.immediate = 1
    sock.linger = 2000
    sock.connect(url)
    try:
        assert sock.poll(10_000, zmq.POLLOUT), "no connection to the broker"
        sock.send_multipart(frames)
        if wait_ms and sock.poll(wait_ms):
            return sock.recv_multipart()
        return None
    finally:
        sock.close()


def _spec(**changes) -> dict:
    spec = {"id": uuid.uuid4().hex, "kind": "program", "program": BELL_IR, "shots": 3}
    spec.update(changes)
    return spec


def _submit(spec: dict) -> list[bytes]:
    return [P.CLIENT, P.C_SUBMIT, msgpack.packb({"seq": 1, "req": 7, "jobs": [spec], "user": "eve"})]


def _normal_job(client) -> None:
    """A job that must still run, and give the right answer, whatever came before it."""
    job = client.submit(BELL_IR, shots=11, priority=P.MAX_PRIORITY, requires={"worker": WORKER_NAME})
    result = job.result(timeout_s=60)
    assert result.counts == {"00": 11} and result.metadata["job"] == job.id


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("fuzz"))
    try:
        cluster.start_broker()
        cluster.start_worker(name=WORKER_NAME)
        cluster.wait_workers(1)
        with dist.connect(cluster.url, insecure_loopback=True, user="alice", timeout_s=30) as client:
            _normal_job(client)
            yield cluster, client
    finally:
        cluster.close()


# -- the calls from the issue, one by one -----------------------------------------------------------
CRASHERS = {
    "requires packages is a number": _submit(_spec(requires={"packages": 1})),
    "requires qubits is text": _submit(_spec(requires={"qubits": "many"})),
    "priority 2**63": _submit(_spec(priority=2**63)),
    "max_attempts 2**63": _submit(_spec(max_attempts=2**63)),
    "time_limit_s 2**64-1": _submit(_spec(time_limit_s=2**64 - 1)),
    "RESERVE ending at 2**64-1": [P.CLIENT, P.C_RESERVE, msgpack.packb(
        {"seq": 1, "req": 7, "worker": "w1", "start": 0, "end": 2**64 - 1, "user": "eve"})],
    "READY capability holding bytes": [P.WORKER, P.W_READY, msgpack.packb(
        {"seq": 1, "worker": "evil", "capabilities": {"executors": [b"\x00\xff"], "host": b"\x01"}},
        use_bin_type=True)],
    "RESULT from an unregistered worker, attempt 2**63": [P.WORKER, P.W_RESULT, msgpack.packb(
        {"seq": 1, "job": uuid.uuid4().hex, "attempt": 2**63, "ok": True})],
}


# A time limit need only be finite: 2**64-1 s is accepted as no limit to speak of, and the job runs.
ACCEPTED = {"time_limit_s 2**64-1"}


@pytest.mark.parametrize("case", sorted(CRASHERS))
def test_call_that_killed_the_broker_is_answered(running, case):
    cluster, client = running
    jobs_before = cluster.query("SELECT COUNT(*) FROM jobs")[0][0]
    reply = _send(cluster.url, CRASHERS[case], wait_ms=5000)
    assert reply is not None, "no answer: the sender must hear why it was refused"
    if case in ACCEPTED:
        body = msgpack.unpackb(reply[2])
        assert reply[1] == P.C_REPLY and body["ok"] is True, body
        job_id = body["data"]["ids"][0]
        wait_until(lambda: cluster.query("SELECT state FROM jobs WHERE id=?", (job_id,)) == [("done",)], 20,
                   "the accepted job done")
        jobs_before += 1
    elif reply[1] == P.C_REPLY:
        body = msgpack.unpackb(reply[2])
        assert body["ok"] is False and body["error"]
    else:
        assert reply[1] in (P.C_DISCONNECT, P.W_DISCONNECT)
        assert msgpack.unpackb(reply[2])["reason"]
    assert cluster.broker.alive()
    assert cluster.query("SELECT COUNT(*) FROM jobs")[0][0] == jobs_before  # nothing stored
    _normal_job(client)


def test_stored_job_that_cannot_be_scheduled_fails_instead_of_a_crash_loop(tmp_path):
    """A job an older broker acknowledged with `requires={"packages": 1}` sits in the store; the
    broker fails it with the reason at start-up, and keeps serving after a worker registers."""
    cluster = Cluster(tmp_path)
    try:
        cluster.start_broker()
        cluster.broker.kill()
        bad = _spec(requires={"packages": 1}, priority=2**63 - 1)
        with sqlite3.connect(cluster.store) as db:  # what the old broker wrote for that submission
            db.execute("INSERT INTO jobs (id, user, kind, spec, priority, state, max_attempts, submitted_at) "
                       "VALUES (?, 'eve', 'program', ?, 0, 'queued', 5, 0)", (bad["id"], msgpack.packb(bad)))
        for _restart in range(2):
            cluster.start_broker()
            cluster.start_worker(name=WORKER_NAME)
            cluster.wait_workers(1)
            with dist.connect(cluster.url, insecure_loopback=True, user="alice", timeout_s=30) as client:
                _normal_job(client)
            assert cluster.broker.alive()
            state, error = cluster.query("SELECT state, error FROM jobs WHERE id=?", (bad["id"],))[0]
            assert state == "failed" and error.startswith("cannot be scheduled: its stored spec is not valid")
            assert "packages" in error
            for proc in cluster.procs:
                proc.kill()
    finally:
        cluster.close()


# -- the fuzz ---------------------------------------------------------------------------------------
_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.sampled_from(INT64_EDGES),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.binary(max_size=12),
)
ANY = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3), max_leaves=6)
_hex32 = st.uuids().map(lambda u: u.hex)
_name = st.from_regex(r"\A[a-z][a-z0-9._-]{0,10}\Z")
_words = st.lists(st.sampled_from(["local", "aer", "msgpack", "numpy", "cx", "zne"]), max_size=3)


def _maybe(valid):
    """Mostly a valid value, sometimes anything at all: deep enough to reach the handlers, wild enough
    to find what the schema lets through."""
    return st.sampled_from(range(16)).flatmap(lambda roll: ANY if roll == 15 else valid)


_requires = st.fixed_dictionaries({}, optional={
    "executor": _maybe(st.sampled_from(["local", "aer", "nowhere"])), "qubits": _maybe(st.integers(0, 100)),
    "profile": _maybe(st.sampled_from(["base", "adaptive"])), "kind": _maybe(st.sampled_from(["program", "workload"])),
    "packages": _maybe(_words), "native_gates": _maybe(_words), "mitigation": _maybe(_words),
    "gpu": _maybe(st.booleans()), "network": _maybe(st.booleans()),
    "calibration_max_age_s": _maybe(st.floats(0, 1e6)), "worker": _maybe(_name), "colour": ANY})
_job = st.fixed_dictionaries(
    {"id": _hex32, "kind": _maybe(st.sampled_from(["program", "program", "workload"])),
     "shots": _maybe(st.integers(1, 20)), "program": _maybe(st.just(BELL_IR))},
    optional={"seed": _maybe(st.integers(0, 100)), "params": _maybe(st.dictionaries(st.text(max_size=4), ANY)),
              "priority": _maybe(st.integers(-5, 5)), "requires": _maybe(_requires),
              "max_attempts": _maybe(st.integers(1, 5)), "time_limit_s": _maybe(st.floats(0.5, 100)),
              "estimated_duration_s": _maybe(st.floats(0, 100)), "session": _maybe(_hex32),
              "workload": _maybe(st.fixed_dictionaries({"entry": st.just("x"), "class": st.just("X"),
                                                        "files": st.dictionaries(st.text(max_size=4), ANY)}))})
_caps = st.fixed_dictionaries({}, optional={
    "executors": _maybe(_words), "max_qubits": _maybe(st.integers(0, 100)), "profiles": _maybe(_words),
    "native_gates": _maybe(_words), "mitigation": _maybe(_words), "gpu": _maybe(st.booleans()),
    "workload_network": _maybe(st.booleans()), "packages": _maybe(_words),
    "kinds": _maybe(st.lists(st.sampled_from(["program", "workload"]), max_size=2)),
    "slots": _maybe(st.integers(1, 4)), "host": _maybe(_name), "calibration_at": _maybe(st.floats(0, 2e9)),
    "extra": ANY})
_running = st.lists(_maybe(st.tuples(_hex32, st.integers(1, 3))), max_size=2)
_req = _maybe(st.integers(0, 1000))
_attempt = _maybe(st.integers(1, 3))

BODIES = {
    (P.CLIENT, P.C_SUBMIT): st.fixed_dictionaries({"req": _req, "jobs": st.lists(_job, min_size=1, max_size=3)},
                                                  optional={"wait": _maybe(st.booleans()), "user": _maybe(st.sampled_from(["eve", "mallory"]))}),
    (P.CLIENT, P.C_STATUS): st.fixed_dictionaries({"req": _req, "jobs": st.lists(_maybe(_hex32), max_size=3)}),
    (P.CLIENT, P.C_RESULT): st.fixed_dictionaries({"req": _req, "job": _maybe(_hex32)},
                                                  optional={"wait": _maybe(st.booleans())}),
    (P.CLIENT, P.C_CANCEL): st.fixed_dictionaries({"req": _req, "job": _maybe(_hex32)}),
    (P.CLIENT, P.C_SESSION): st.fixed_dictionaries({"req": _req, "op": _maybe(st.sampled_from(["open", "close"]))},
                                                   optional={"session": _maybe(_hex32),
                                                             "time_limit_s": _maybe(st.floats(0.1, 1e9))}),
    (P.CLIENT, P.C_RESERVE): st.fixed_dictionaries(
        {"req": _req, "worker": _maybe(_name), "start": _maybe(st.floats(0, 2e9)), "end": _maybe(st.floats(0, 4e9))},
        optional={"user": _maybe(st.sampled_from(["root", "op"]))}),
    (P.CLIENT, P.C_PLAN): st.fixed_dictionaries(
        {"req": _req, "strategy": _maybe(st.sampled_from(["auto", "round-robin"])),
         "items": st.lists(st.tuples(_maybe(st.floats(0, 1e6)), _maybe(st.integers(1, 10**6)),
                                     _maybe(st.integers(0, 200))).map(list), max_size=4)},
        optional={"requires": _maybe(st.fixed_dictionaries({}, optional={"lane": _maybe(_name),
                                                                         "qubits": _maybe(st.integers(0, 100))}))}),
    (P.CLIENT, P.C_WORKERS): st.fixed_dictionaries({"req": _req}, optional={"prices": _maybe(st.booleans())}),
    (P.WORKER, P.W_READY): st.fixed_dictionaries({"worker": _maybe(_name), "capabilities": _maybe(_caps)},
                                                 optional={"running": _running}),
    (P.WORKER, P.W_RESULT): st.fixed_dictionaries(
        {"job": _maybe(_hex32), "attempt": _attempt, "ok": _maybe(st.booleans())},
        optional={"result": _maybe(st.dictionaries(st.text(max_size=4), ANY)), "error": _maybe(st.text(max_size=20)),
                  "retry": _maybe(st.booleans()), "elapsed_s": _maybe(st.floats(0, 10))}),
    (P.WORKER, P.W_PROGRESS): st.fixed_dictionaries(
        {"job": _maybe(_hex32), "attempt": _attempt, "progress": _maybe(st.floats(0, 1))},
        optional={"checkpoint": _maybe(st.binary(max_size=16))}),
    (P.WORKER, P.W_HEARTBEAT): st.fixed_dictionaries({}, optional={"queue": _maybe(st.fixed_dictionaries(
        {"queue_depth": _maybe(st.integers(-1, 10**6)), "queue_wait_s": _maybe(st.floats(-1, 1e6)),
         "task_overhead_s": _maybe(st.floats(0, 100)), "shots_per_s": _maybe(st.floats(0, 1e6))}))}),
    (P.WORKER, P.W_DISCONNECT): st.fixed_dictionaries({}),
    # what only the broker sends, and commands nobody sends
    (P.WORKER, P.W_JOB): st.fixed_dictionaries({"job": ANY, "attempt": ANY}),
    (P.CLIENT, P.C_REPLY): st.fixed_dictionaries({"req": ANY, "ok": ANY}),
    (P.CLIENT, b"\x7f"): st.dictionaries(st.text(max_size=4), ANY, max_size=3),
}


@st.composite
def messages(draw) -> list[bytes]:
    """Frames of one message: mostly well-formed with a few fields replaced by anything, sometimes raw."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.lists(st.binary(max_size=24), min_size=1, max_size=5))
    header, command = draw(st.sampled_from(sorted(BODIES)))
    body = draw(BODIES[(header, command)])
    body["seq"] = draw(st.sampled_from(range(8)).flatmap(
        lambda roll: st.sampled_from(INT64_EDGES) if roll == 7 else _maybe(st.integers(1, 1000))))
    if draw(st.integers(0, 3)) == 0:
        body[draw(st.sampled_from([*body, "extra"]))] = draw(ANY)
    return [header, command, msgpack.packb(body, use_bin_type=True)]


def _fuzz(running, batches: int) -> None:
    cluster, client = running
    sent = {"messages": 0}

    @settings(max_examples=batches, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(messages(), min_size=1, max_size=12))
    def batch(frames_list):
        for frames in frames_list:
            _send(cluster.url, frames)
        sent["messages"] += len(frames_list)
        assert cluster.broker.alive(), "a fuzzed message ended the broker"
        _normal_job(client)

    batch()
    assert cluster.broker.alive()
    # Every message was refused by its schema or handled: none reached a handler that then failed.
    failures = [line for line in cluster.broker.stderr_lines if "failed to handle" in line or "turn failed" in line]
    assert not failures, failures[:5]
    wait_until(lambda: cluster.query("SELECT COUNT(*) FROM workers WHERE id=? AND state='up'", (WORKER_NAME,)),
               10, "the real worker registered")
    assert sent["messages"] >= batches  # every batch carried at least one message
    # Not everything bounced off the schema: fuzzed jobs were stored and fuzzed workers registered.
    assert cluster.query("SELECT COUNT(*) FROM jobs WHERE user != 'alice'")[0][0] > 0
    assert cluster.query("SELECT COUNT(*) FROM workers WHERE id != ?", (WORKER_NAME,))[0][0] > 0


def test_fuzz_every_command(running):
    _fuzz(running, batches=160)  # about 1,000 messages, each batch followed by a normal job


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_fuzz_every_command_long(running):
    _fuzz(running, batches=2000)
