"""Issue 15, a client whose key is refused hung for ever: every call now ends within its timeout
with an error that says what to check. Real broker process, real client and CLI processes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time

import pytest

import qirrt.executors.distributed as dist
from qirrt.executors.distributed import security
from qirrt.executors.distributed.link import BrokerUnreachableError, KeyRefusedError
from tests.executors.distributed.helpers import BELL_IR, ROOT, free_port

pytestmark = pytest.mark.timeout(240)

TIMEOUT_S = 2.0  # the CLI's
API_TIMEOUT_S = 1.0
JOB = "0" * 32

REFUSED = "refused this client's key (ZAP status 400); check --keys/--key-name"
WRONG_SERVER = "handshake failed"
NOBODY = "nothing accepted a connection there; check that the broker is running"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A CurveZMQ broker (alice allowed) and three client key directories that cannot get in."""
    from tests.executors.distributed.helpers import Cluster

    tmp = tmp_path_factory.mktemp("timeouts")
    keys, other = tmp / "keys", tmp / "other"
    security.generate(keys, users=("alice",), workers=("w1",))
    security.generate(other, users=("mallory",), workers=())

    def folder(name, secret_from, server_from):
        made = tmp / name
        made.mkdir()
        shutil.copy(secret_from, made)
        shutil.copy(server_from / "server.key", made)
        return made

    cluster = Cluster(tmp, keys=keys)
    cluster.start_broker()
    cases = {
        "unlisted key": (cluster.url, folder("mallory", other / "mallory.key_secret", keys), KeyRefusedError,
                         REFUSED),
        "wrong server key": (cluster.url, folder("alice-wrong", keys / "alice.key_secret", other),
                             BrokerUnreachableError, WRONG_SERVER),
        "no broker": (f"tcp://127.0.0.1:{free_port()}", folder("alice", keys / "alice.key_secret", keys),
                      BrokerUnreachableError, NOBODY),
    }
    try:
        yield cluster, cases
    finally:
        cluster.close()


CALLS = {
    "submit": lambda c: c.submit(BELL_IR, shots=5),
    "status": lambda c: c.status([JOB]),
    "result": lambda c: c.result(JOB, timeout_s=API_TIMEOUT_S),
    "result without timeout": lambda c: c.result(JOB),  # the client's timeout bounds the first connection
    "run": lambda c: c.run(BELL_IR, shots=5, timeout_s=API_TIMEOUT_S),
}


@pytest.mark.parametrize("case", ["unlisted key", "wrong server key", "no broker"])
def test_api_calls_end_within_their_timeout(setup, case):
    cluster, cases = setup
    url, keys, error, message = cases[case]
    for name, call in CALLS.items():
        client = dist.connect(url, keys=keys, timeout_s=API_TIMEOUT_S)
        started = time.monotonic()
        with pytest.raises(error, match=re.escape(message)):
            call(client)
        took_s = time.monotonic() - started
        client.close()
        assert took_s < API_TIMEOUT_S + 1.5, f"{case}, {name}: took {took_s:.1f} s"
        if error is BrokerUnreachableError:  # no refusal to act on: it waited the time it was given
            assert took_s >= API_TIMEOUT_S - 0.05, f"{case}, {name}: gave up after {took_s:.2f} s"
    assert cluster.query("SELECT COUNT(*) FROM jobs") == [(0,)]


@pytest.mark.parametrize("case", ["unlisted key", "wrong server key", "no broker"])
@pytest.mark.parametrize("command", ["submit", "status", "result"])
def test_cli_ends_within_its_timeout(setup, tmp_path, case, command):
    _cluster, cases = setup
    url, keys, _error, message = cases[case]
    args = {"submit": ["submit", str(ROOT / "tests/executors/distributed/bell.ll")], "status": ["status", JOB],
            "result": ["result", JOB]}[command]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", *args, "--connect", url, "--keys", str(keys),
                           "--timeout-s", str(TIMEOUT_S)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    took_s = time.monotonic() - started
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert done.stdout == ""
    assert took_s < TIMEOUT_S + 60  # the interpreter's start-up on a loaded machine, not a hang


def test_allowed_client_still_works(setup):
    cluster, _cases = setup
    keys = cluster.keys
    folder = keys.parent / "alice-ok"
    folder.mkdir(exist_ok=True)
    shutil.copy(keys / "alice.key_secret", folder)
    shutil.copy(keys / "server.key", folder)
    with dist.connect(cluster.url, keys=folder, timeout_s=10) as client:
        assert client.status([JOB]) == [{"id": JOB, "state": "unknown", "error": "no such job of yours"}]


def test_worker_with_refused_key_says_so_and_stops_on_sigterm(setup):
    """A worker's sends never block either: it logs the refusal and still obeys SIGTERM."""
    cluster, cases = setup
    _url, keys, _error, _message = cases["unlisted key"]
    worker = subprocess.Popen([sys.executable, "-m", "qirrt.cli", "worker", "--connect", cluster.url, "--keys",
                               str(keys), "--executor", "tests.executors.distributed.helpers:EchoExecutor",
                               "--heartbeat-interval-ms", "100"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "connecting to" not in (worker.stdout.readline() or ""):
            pass
        time.sleep(2.0)  # many heartbeats and reconnects against the refusal
        worker.terminate()
        _out, err = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    assert "refused this worker's key (ZAP status 400)" in err
    assert "under workers/" in err
    assert err.count("refused this worker's key") == 1  # said once, not every heartbeat
