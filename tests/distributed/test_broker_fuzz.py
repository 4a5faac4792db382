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

from .helpers import BELL_IR, Cluster, wait_until

pytestmark = pytest.mark.timeout(300)

WORKER_NAME = f"real-{uuid.uuid4().hex[:12]}"  # fuzzed READYs never guess it
INT64_EDGES = [2**63, 2**64 - 1, 2**63 - 1, -(2**63), -1, 0]


def _raw(url: str) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(url)
    return sock


def _send(url: str, frames: list[bytes], *, wait_ms: int = 0) -> list[bytes] | None:
    sock = _raw(url)
    try:
        sock.send_multipart(frames)
        if wait_ms and sock.poll(wait_ms):
            return sock.recv_multipart()
        return None
    finally:
        sock.close(0)


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
_requires = st.dictionaries(
    st.sampled_from(["executor", "qubits", "profile", "kind", "packages", "native_gates", "mitigation", "gpu",
                     "calibration_max_age_s", "worker", "colour"]), ANY, max_size=3)
_job = st.fixed_dictionaries(
    {"id": _hex32, "kind": st.sampled_from(["program", "workload", "other"]), "shots": st.integers(1, 20),
     "program": st.just(BELL_IR)},
    optional={"seed": ANY, "params": ANY, "priority": ANY, "requires": _requires | ANY, "max_attempts": ANY,
              "time_limit_s": ANY, "estimated_duration_s": ANY, "session": ANY, "workload": ANY})
_caps = st.dictionaries(st.sampled_from(["executors", "max_qubits", "profiles", "native_gates", "mitigation", "gpu",
                                         "packages", "kinds", "slots", "host", "calibration_at", "extra"]),
                        ANY, max_size=4)
_running = st.lists(st.tuples(_hex32, ANY) | ANY, max_size=2)

BODIES = {
    (P.CLIENT, P.C_SUBMIT): st.fixed_dictionaries({"req": ANY, "jobs": st.lists(_job, min_size=1, max_size=3)},
                                                  optional={"wait": ANY, "user": ANY}),
    (P.CLIENT, P.C_STATUS): st.fixed_dictionaries({"req": ANY, "jobs": st.lists(_hex32 | ANY, max_size=3)}),
    (P.CLIENT, P.C_RESULT): st.fixed_dictionaries({"req": ANY, "job": _hex32 | ANY}, optional={"wait": ANY}),
    (P.CLIENT, P.C_CANCEL): st.fixed_dictionaries({"req": ANY, "job": _hex32 | ANY}),
    (P.CLIENT, P.C_SESSION): st.fixed_dictionaries({"req": ANY, "op": st.sampled_from(["open", "close"]) | ANY},
                                                   optional={"session": ANY, "time_limit_s": ANY}),
    (P.CLIENT, P.C_RESERVE): st.fixed_dictionaries({"req": ANY, "worker": _name | ANY, "start": ANY, "end": ANY},
                                                   optional={"user": st.sampled_from(["root", "op"]) | ANY}),
    (P.WORKER, P.W_READY): st.fixed_dictionaries({"worker": _name | ANY, "capabilities": _caps | ANY},
                                                 optional={"running": _running}),
    (P.WORKER, P.W_RESULT): st.fixed_dictionaries({"job": _hex32 | ANY, "attempt": ANY, "ok": ANY},
                                                  optional={"result": ANY, "error": ANY, "retry": ANY,
                                                            "elapsed_s": ANY}),
    (P.WORKER, P.W_PROGRESS): st.fixed_dictionaries({"job": _hex32 | ANY, "attempt": ANY, "progress": ANY},
                                                    optional={"checkpoint": ANY}),
    (P.WORKER, P.W_HEARTBEAT): st.fixed_dictionaries({}),
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
    body["seq"] = draw(st.integers(1, 1000) | st.sampled_from(INT64_EDGES) | ANY)
    if draw(st.booleans()):
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


def test_fuzz_every_command(running):
    _fuzz(running, batches=160)  # about 1,000 messages, each batch followed by a normal job


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_fuzz_every_command_long(running):
    _fuzz(running, batches=2000)
