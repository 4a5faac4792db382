"""`qirrt broker --http`: the dashboard on a thread of the broker's process, serving a submitted job's result."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="needs httpx: pip install 'qirrt[test]'")
pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_broker_serves_the_api_beside_itself(tmp_path, spawn, free_port, tokens):
    url, port = f"tcp://127.0.0.1:{free_port()}", free_port()
    line = spawn(["broker", "--bind", url, "--store", str(tmp_path / "broker.db"), "--insecure-loopback",
                  "--http", f"127.0.0.1:{port}", "--tokens", str(tokens[0])], "qirrt dashboard on")
    assert f"http://127.0.0.1:{port}" in line
    spawn(["worker", "--connect", url, "--executor", "local", "--insecure-loopback"], "connecting to")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                      headers={"Authorization": f"Bearer {tokens[1]['alice']}"}) as api:
        assert api.get("/api/v1/whoami").json() == {"user": "alice", "operator": False}
        job = api.post("/api/v1/jobs", json={"qasm": (EXAMPLES / "bell.qasm").read_text(), "shots": 200})
        assert job.status_code == 201, job.text
        deadline = time.monotonic() + 180  # the worker's first job compiles its kernels
        while (reply := api.get(f"/api/v1/jobs/{job.json()['id']}/result")).status_code == 409:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        counts = reply.json()["result"]["counts"]
        assert sum(counts.values()) == 200 and set(counts) <= {"00", "11"}
        workers = api.get("/api/v1/workers").json()
        assert workers["up"] == 1
