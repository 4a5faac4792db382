"""Costs through the API and the job page: a broker with a price table records each result's cost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_job_and_session_costs(tmp_path, tokens):
    from fastapi.testclient import TestClient

    import qirrt
    from qirrt.api.http import BrokerSettings, DashboardSettings, create_app
    from qirrt.executors.distributed.prices import load_prices
    from qirrt.executors.distributed.testing import LocalCluster

    prices = load_prices(EXAMPLES / "prices.toml")
    with LocalCluster(workers=1, store_dir=tmp_path, prices=prices) as cluster:
        settings = DashboardSettings(store=cluster.store_path, tokens=tokens[0],
                                     broker=BrokerSettings(cluster.url, insecure_loopback=True))
        with TestClient(create_app(settings)) as dash, cluster.connect(user="alice") as client:
            alice = {"Authorization": f"Bearer {tokens[1]['alice']}"}
            bell = qirrt.load(EXAMPLES / "bell.qasm")
            with client.session() as session:
                session.run([bell, bell], shots=100, timeout_s=120)
                summary = dash.get(f"/api/v1/sessions/{session.id}", headers=alice).json()
            # simulator lane: per_task 0.0001 each, no GPU: two jobs cost 0.0002
            assert summary["states"] == {"done": 2} and summary["cost"] == pytest.approx(0.0002)
            assert summary["currency"] == "USD"
            job_id = dash.get("/api/v1/jobs?limit=1", headers=alice).json()["jobs"][0]["id"]
            deadline = time.monotonic() + 30
            while (status := dash.get(f"/api/v1/jobs/{job_id}", headers=alice).json())["cost"] is None:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert status["cost"]["total"] == pytest.approx(0.0001) and status["cost"]["currency"] == "USD"
            dash.post("/login", content=f"token={tokens[1]['alice']}",
                      headers={"content-type": "application/x-www-form-urlencoded"})
            page = dash.get(f"/jobs/{job_id}").text
            assert 'id="cost"' in page and "USD" in page
