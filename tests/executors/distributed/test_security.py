"""Done-when 5: the CURVE matrix, per-user isolation and a pickle payload."""

from __future__ import annotations

import pickle
import re
import shutil
import subprocess
import sys
import uuid

import msgpack
import pytest
import zmq

import qirrt.executors.distributed as dist
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.client import BrokerError
from qirrt.executors.distributed.link import BrokerUnreachableError, KeyRefusedError
from tests.executors.distributed.helpers import BELL_IR, ROOT

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def secure(make_cluster, tmp_path):
    keys = tmp_path / "keys"
    security.generate(keys, users=("alice", "bob"), workers=("w1",))
    # mallory: a valid key pair the broker has never heard of
    other = tmp_path / "other"
    security.generate(other, users=("mallory",), workers=())
    cluster = make_cluster(keys=keys)
    cluster.start_broker()
    cluster.start_worker(key_name="w1")
    cluster.wait_workers(1)
    return cluster, keys, other


def _client_dir(tmp_path, name, keys, server_key_from=None):
    folder = tmp_path / f"client-{name}-{uuid.uuid4().hex[:4]}"
    folder.mkdir()
    source = keys if (keys / f"{name}.key_secret").exists() else None
    shutil.copy((source or server_key_from) / f"{name}.key_secret", folder)
    shutil.copy((server_key_from or keys) / "server.key", folder)
    return folder


def _unlisted_dir(tmp_path, keys, other):
    """Mallory's key pair (unknown to the broker) with the broker's real server.key."""
    folder = tmp_path / f"client-unlisted-{uuid.uuid4().hex[:4]}"
    folder.mkdir()
    shutil.copy(other / "mallory.key_secret", folder)
    shutil.copy(keys / "server.key", folder)
    return folder


def test_curve_matrix(secure, tmp_path):
    cluster, keys, other = secure
    alice = dist.connect(cluster.url, keys=_client_dir(tmp_path, "alice", keys))
    assert alice.submit(BELL_IR, shots=5).result(timeout_s=20).shots == 5

    refused = {
        # ZeroMQ reports the mechanism mismatch when its ERROR command beats the disconnect, else only
        # failed handshakes: either way the message says the broker needs keys.
        "plain client": ({"insecure_loopback": True}, (KeyRefusedError, BrokerUnreachableError),
                         "needs CurveZMQ keys"),
        "wrong server key": ({"keys": _client_dir(tmp_path, "alice", keys, server_key_from=other)},
                             BrokerUnreachableError, "is a copy of the broker's server.key"),
        "valid but unlisted key": ({"keys": _unlisted_dir(tmp_path, keys, other)},
                                   KeyRefusedError, "refused this client's key"),
        "unlisted key, foreign server key": ({"keys": _client_dir(tmp_path, "mallory", other)},
                                             BrokerUnreachableError, "handshake failed"),
    }
    for options, error, message in refused.values():
        client = dist.connect(cluster.url, timeout_s=1.0, **options)
        with pytest.raises(error, match=re.escape(message)):
            client.submit(BELL_IR, shots=5)
        client.close()
    assert cluster.query("SELECT COUNT(*) FROM jobs") == [(1,)], "a refused client changed the store"
    alice.close()


def test_users_cannot_see_or_cancel_each_others_jobs(secure, tmp_path):
    cluster, keys, _ = secure
    alice = dist.connect(cluster.url, keys=_client_dir(tmp_path, "alice", keys))
    bob = dist.connect(cluster.url, keys=_client_dir(tmp_path, "bob", keys))
    job = alice.submit(BELL_IR, shots=5)
    alice.result(job.id, timeout_s=20)
    assert bob.status([job.id]) == [{"id": job.id, "state": "unknown", "error": "no such job of yours"}]
    with pytest.raises(BrokerError, match=f"no job {job.id} of yours"):
        bob.result(job.id, timeout_s=5)
    with pytest.raises(BrokerError, match=f"no job {job.id} of yours"):
        bob.cancel(job.id)
    # Bob cannot take over Alice's job id either.
    with pytest.raises(BrokerError, match="is taken"):
        bob.submit_specs([{"id": job.id, "kind": "program", "program": BELL_IR, "shots": 1}])
    assert cluster.query("SELECT user, state FROM jobs") == [("alice", "done")]
    assert alice.status([job.id])[0]["state"] == "done"
    alice.close()
    bob.close()


def _secure_raw(cluster, keys, name):
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    security.secure_client(sock, security.peer_keys(keys, name), security.server_public_key(keys))
    sock.connect(cluster.url)
    return sock


def test_pickle_payload_refused_without_side_effects(secure, tmp_path):
    cluster, keys, _ = secure
    marker = tmp_path / "unpickled"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    sock = _secure_raw(cluster, keys, "alice")
    spec = {"id": uuid.uuid4().hex, "kind": "program", "program": pickle.dumps(Evil()), "shots": 1}
    sock.send_multipart([P.CLIENT, P.C_SUBMIT, msgpack.packb({"seq": 1, "req": 1, "jobs": [spec]})])
    assert sock.poll(3000)
    assert sock.recv_multipart()[1] == P.C_DISCONNECT
    sock.close(0)
    assert not marker.exists()
    assert cluster.query("SELECT COUNT(*) FROM jobs") == [(0,)]


def test_user_key_cannot_register_as_worker(secure):
    cluster, keys, _ = secure
    sock = _secure_raw(cluster, keys, "bob")
    sock.send_multipart([P.WORKER, P.W_READY, msgpack.packb(
        {"seq": 1, "worker": "thief", "capabilities": {"executors": ["local"]}})])
    assert sock.poll(3000)
    assert sock.recv_multipart()[1] == P.W_DISCONNECT
    sock.close(0)
    assert "thief" not in [row[0] for row in cluster.query("SELECT id FROM workers")]


@pytest.mark.parametrize("args, message", [
    (["--bind", "tcp://127.0.0.1:0"], "needs CurveZMQ keys"),
    (["--bind", "tcp://0.0.0.0:0", "--insecure-loopback"], "allowed only on loopback addresses"),
])
def test_broker_refuses_to_start_insecurely(tmp_path, args, message):
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "broker", "--store", str(tmp_path / "s.db"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert message in done.stderr


def test_keys_generate_cli(tmp_path):
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "keys", "generate", str(tmp_path / "k"),
                           "--user", "carol", "--worker", "gpu1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert security.allowlist(tmp_path / "k") == {
        security.peer_keys(tmp_path / "k", "carol").public: "carol",
        security.peer_keys(tmp_path / "k", "gpu1").public: "worker:gpu1",
    }
