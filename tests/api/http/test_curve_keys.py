"""The dashboard in front of a broker with CurveZMQ keys: it acts with its own key, and the tokens file says
which token user each job is for, so users still see and cancel only their own jobs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="needs httpx: pip install 'qirrt[test]'")
pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_jobs_belong_to_token_users_behind_one_dashboard_key(tmp_path, spawn, free_port):
    keys, store = tmp_path / "keys", tmp_path / "broker.db"
    subprocess.run([sys.executable, "-m", "qirrt.cli", "keys", "generate", str(keys), "--user", "dash", "--worker",
                    "w1"], check=True, capture_output=True, timeout=60)
    out = subprocess.run([sys.executable, "-m", "qirrt.cli", "keys", "generate", str(keys), "--token", "--user",
                          "alice", "--user", "bob"], check=True, capture_output=True, text=True, timeout=60).stdout
    tokens = dict(line.split(": ", 1) for line in out.splitlines())
    url, port = f"tcp://127.0.0.1:{free_port()}", free_port()
    spawn(["broker", "--bind", url, "--store", str(store), "--keys", str(keys)], "listening on")
    spawn(["worker", "--connect", url, "--executor", "local", "--keys", str(keys), "--key-name", "w1"],
          "connecting to")
    spawn(["dashboard", "--store", str(store), "--connect", url, "--keys", str(keys), "--key-name", "dash",
           "--bind", f"127.0.0.1:{port}"], "qirrt dashboard on")  # tokens: keys/tokens.sqlite3
    base = f"http://127.0.0.1:{port}"
    alice = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['alice']}"}, timeout=30)
    bob = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['bob']}"}, timeout=30)
    bell = (EXAMPLES / "bell.qasm").read_text()
    done = alice.post("/api/v1/jobs", json={"qasm": bell, "shots": 100}).json()["id"]
    parked = alice.post("/api/v1/jobs", json={"qasm": bell, "executor": "nowhere"}).json()["id"]
    deadline = time.monotonic() + 180
    while (reply := alice.get(f"/api/v1/jobs/{done}/result")).status_code == 409:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sum(reply.json()["result"]["counts"].values()) == 100
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:  # the broker knows only the dashboard's key
        assert {u for (u,) in db.execute("SELECT user FROM jobs")} == {"dash"}
    assert {j["user"] for j in alice.get("/api/v1/jobs").json()["jobs"]} == {"alice"}
    assert bob.get("/api/v1/jobs").json()["total"] == 0
    assert bob.post(f"/api/v1/jobs/{parked}/cancel").status_code == 404
    assert alice.post(f"/api/v1/jobs/{parked}/cancel").json()["cancelled"] is True
