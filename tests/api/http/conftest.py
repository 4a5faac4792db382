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
