from __future__ import annotations

from pathlib import Path

import pytest

from qirrt.executors.distributed.testing import LocalCluster

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def bell_qasm() -> str:
    return (EXAMPLES / "bell.qasm").read_text()


@pytest.fixture
def tokens(tmp_path):
    """A tokens file with alice, bob and an operator; returns (path, {name: token})."""
    from qirrt.api.http.tokens import TokenStore

    path = tmp_path / "tokens.sqlite3"
    store = TokenStore(path)
    made = {"alice": store.issue("alice"), "bob": store.issue("bob"), "ops": store.issue("ops", operator=True)}
    store.close()
    return path, made


@pytest.fixture
def dash(tmp_path, tokens):
    """A LocalCluster (broker + one local worker on threads) and a TestClient of the dashboard app on it."""
    pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")
    from fastapi.testclient import TestClient

    from qirrt.api.http import BrokerSettings, DashboardSettings, create_app

    with LocalCluster(workers=1, store_dir=tmp_path) as cluster:
        settings = DashboardSettings(store=cluster.store_path, tokens=tokens[0],
                                     broker=BrokerSettings(cluster.url, insecure_loopback=True),
                                     calibrations=tmp_path / "calibrations.sqlite3")
        with TestClient(create_app(settings)) as client:
            client.tokens = tokens[1]
            client.cluster = cluster
            client.settings = settings
            yield client


@pytest.fixture
def bearer():
    """Headers carrying a token: ``bearer(token)``."""
    return lambda token: {"Authorization": f"Bearer {token}"}


@pytest.fixture
def spawn():
    """Start `qirrt ARGS...` as a process and wait for a line containing `ready`; every one is killed at teardown."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    started: list[subprocess.Popen] = []

    def start(args: list[str], ready: str, timeout_s: float = 60.0) -> str:
        process = subprocess.Popen([sys.executable, "-m", "qirrt.cli", *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        started.append(process)
        found: list[str] = []
        seen: list[str] = []

        def read():
            for line in process.stdout:
                seen.append(line)
                if ready in line and not found:
                    found.append(line)

        threading.Thread(target=read, daemon=True).start()
        deadline = __import__("time").monotonic() + timeout_s
        while not found and process.poll() is None and __import__("time").monotonic() < deadline:
            __import__("time").sleep(0.05)
        if not found:
            raise RuntimeError(f"qirrt {args[0]} did not start in {timeout_s} s: {''.join(seen)[-2000:]}")
        return found[0]

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def free_port():
    import socket

    def pick() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    return pick
