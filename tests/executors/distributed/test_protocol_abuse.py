"""Done-when 4: replayed, malformed, oversize and wrong-frame-count messages leave the state
unchanged, get the sender disconnected, and the broker stays up."""

from __future__ import annotations

import pickle
import time
import uuid

import msgpack
import pytest
import zmq

import qirrt.executors.distributed as dist
from qirrt.executors.distributed import protocol as P
from tests.executors.distributed.helpers import BELL_IR, Cluster

pytestmark = pytest.mark.timeout(60)


def _raw(cluster):
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(cluster.url)
    return sock


def _reply(sock, timeout_ms=2000):
    if not sock.poll(timeout_ms):
        return None
    return sock.recv_multipart()


def _state(cluster):
    return cluster.query("SELECT id, state, attempt, result FROM jobs ORDER BY id")


def _spec(**changes):
    spec = {"id": uuid.uuid4().hex, "kind": "program", "program": BELL_IR, "shots": 10}
    spec.update(changes)
    return spec


def _submit_frames(seq, spec):
    return [P.CLIENT, P.C_SUBMIT, msgpack.packb({"seq": seq, "req": 1, "jobs": [spec], "user": "eve"})]


class Evil:
    """Unpickling this would create a file; the test checks it never exists."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


BAD_MESSAGES = {
    "two frames": lambda tmp: [P.CLIENT, P.C_STATUS],
    "four frames": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb({"seq": 1, "req": 1, "jobs": []}), b"x"],
    "empty message": lambda tmp: [b""],
    "unknown header": lambda tmp: [b"MDPC01", P.C_STATUS, msgpack.packb({"seq": 1, "req": 1, "jobs": []})],
    "unknown command": lambda tmp: [P.CLIENT, b"\x7f", msgpack.packb({"seq": 1, "req": 1})],
    "worker command from a client header": lambda tmp: [P.CLIENT, P.W_RESULT, msgpack.packb({"seq": 1})],
    "not msgpack": lambda tmp: [P.CLIENT, P.C_STATUS, b"\xc1\xc1\xc1"],
    "body not a map": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb([1, 2, 3])],
    "missing field": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb({"seq": 1, "jobs": []})],
    "unknown field": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb({"seq": 1, "req": 1, "jobs": [], "x": 1})],
    "wrong type": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb({"seq": "1", "req": 1, "jobs": []})],
    "bool for int": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb({"seq": True, "req": 1, "jobs": []})],
    "msgpack ext type": lambda tmp: [P.CLIENT, P.C_STATUS, msgpack.packb(
        {"seq": 1, "req": 1, "jobs": [msgpack.ExtType(42, b"boom")]})],
    "bad job id": lambda tmp: _submit_frames(1, _spec(id="../../etc/passwd")),
    "zero shots": lambda tmp: _submit_frames(1, _spec(shots=0)),
    "pickle body": lambda tmp: [P.CLIENT, P.C_SUBMIT, pickle.dumps(Evil(str(tmp / "pwned")))],
    "pickle program": lambda tmp: _submit_frames(1, _spec(program=pickle.dumps(Evil(str(tmp / "pwned"))))),
    "worker READY with bad capabilities": lambda tmp: [P.WORKER, P.W_READY, msgpack.packb(
        {"seq": 1, "worker": "w", "capabilities": {"slots": "many"}})],
}


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("abuse"))
    try:
        cluster.start_broker()
        cluster.start_worker()
        cluster.wait_workers(1)
        with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
            client.submit(BELL_IR, shots=3).result(timeout_s=20)
            yield cluster, client
    finally:
        cluster.close()


SCHEMA_INVALID = {"unknown field": "x", "wrong type": "$.seq", "bool for int": "$.seq",
                  "bad job id": "$.jobs[0].id", "zero shots": "$.jobs[0].shots", "msgpack ext type": "$.jobs[0]"}
"""Client requests of a known command that carry a request number but break its schema: the broker answers
them with a failed reply naming the field (and forgets nothing); everything else disconnects its sender."""


@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
def test_bad_message_is_refused_and_changes_nothing(running, case, tmp_path):
    cluster, client = running
    before = _state(cluster)
    sock = _raw(cluster)
    sock.send_multipart(BAD_MESSAGES[case](tmp_path))
    reply = _reply(sock)
    if case in SCHEMA_INVALID:
        assert reply is not None and reply[1] == P.C_REPLY, reply
        body = msgpack.unpackb(reply[2])
        assert body["ok"] is False and SCHEMA_INVALID[case] in body["error"], body
    else:
        assert reply is not None and reply[1] in (P.C_DISCONNECT, P.W_DISCONNECT), reply
        # The sender is forgotten: even a well-formed request from it is ignored now.
        sock.send_multipart([P.CLIENT, P.C_STATUS, msgpack.packb({"seq": 99, "req": 2, "jobs": []})])
        assert _reply(sock, 300) is None
    sock.close(0)
    assert _state(cluster) == before
    assert not (tmp_path / "pwned").exists()
    assert cluster.broker.alive()
    client.submit(BELL_IR, shots=4).result(timeout_s=20)  # broker still serves everyone else


def test_replayed_message_is_refused(running):
    cluster, _client = running
    sock = _raw(cluster)
    frames = _submit_frames(1, _spec())
    sock.send_multipart(frames)
    reply = _reply(sock)
    assert reply[1] == P.C_REPLY and msgpack.unpackb(reply[2])["ok"]
    after_first = cluster.query("SELECT id, submitted_at FROM jobs ORDER BY id")
    sock.send_multipart(frames)  # the same frames again
    assert _reply(sock)[1] == P.C_DISCONNECT
    assert cluster.query("SELECT id, submitted_at FROM jobs ORDER BY id") == after_first  # no new job
    sock.close(0)
    assert cluster.broker.alive()


def _settled_state(cluster, timeout_s: float = 20.0):
    """The jobs table once no job is queued or running (earlier tests may leave one in flight)."""
    deadline = time.monotonic() + timeout_s
    while cluster.query("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")[0][0]:
        assert time.monotonic() < deadline, "jobs still in flight after 20 s"
        time.sleep(0.05)
    return _state(cluster)


def test_oversize_message_is_dropped_and_broker_stays_up(running):
    cluster, client = running
    before = _settled_state(cluster)
    sock = _raw(cluster)
    huge = msgpack.packb({"seq": 1, "req": 1, "jobs": [_spec(program="x" * (P.MAXMSGSIZE_BYTES + 10))]})
    sock.send_multipart([P.CLIENT, P.C_SUBMIT, huge])
    assert _reply(sock, 1000) is None  # libzmq drops the connection: nothing reaches the broker
    sock.close(0)
    assert _state(cluster) == before
    assert cluster.broker.alive()
    client.submit(BELL_IR, shots=4).result(timeout_s=20)


def test_schema_checks_are_exact():
    with pytest.raises(P.ProtocolError, match="expected 3 frames, got 2"):
        P.decode([P.CLIENT, P.C_STATUS])
    with pytest.raises(P.ProtocolError, match="STATUS: Object contains unknown field `x`"):
        P.decode([P.CLIENT, P.C_STATUS, msgpack.packb({"seq": 1, "req": 1, "jobs": [], "x": 0})])
    with pytest.raises(P.ProtocolError, match="pickles and other binaries are refused"):
        P.check_job_spec(_spec(program=pickle.dumps(1)))
    message = P.decode([P.CLIENT, P.C_STATUS, msgpack.packb({"seq": 1, "req": 7, "jobs": []})])
    assert message.body["req"] == 7 and message.name == "STATUS"
