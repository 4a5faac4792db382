"""End to end in headless Chromium: a real broker, worker and dashboard (processes on loopback), a job submitted
over the REST API appears in the jobs table and is done within 5 s, its page shows the histogram, and another
user's token sees none of it. A screenshot of each page goes to $QIRRT_TEST_ARTIFACTS (default: the test's tmp)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="needs httpx: pip install 'qirrt[test]'")
pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install 'qirrt[test]'")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _browser_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it when it can)")
    return path


def _tokens(path: Path, *users: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "qirrt.cli", "keys", "generate", "--token", "--tokens", str(path),
                          *[a for u in users for a in ("--user", u)]], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return dict(line.split(": ", 1) for line in out.splitlines())


def _wait_done(api, job_id: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = api.get(f"/api/v1/jobs/{job_id}").json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not finished within {timeout_s} s")


def _login(page, base: str, token: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#token", token)
    page.click("#login")
    page.wait_for_url(f"{base}/")


def _calibrations(path: Path) -> None:
    """Three snapshots of one device, the last with readout error drifting past its threshold."""
    from datetime import datetime, timedelta

    from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration
    from qirrt.device.calibration_store import CalibrationStore

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with CalibrationStore(path) as store:
        for hour, readout in enumerate((0.01, 0.011, 0.05)):
            store.add(Calibration("fake_dev", start + timedelta(hours=hour),
                                  qubits={q: QubitCalibration(t1_s=1e-4 + q * 1e-5, t2_s=8e-5, readout_error=readout)
                                          for q in range(3)},
                                  gates={("sx", (0,)): GateCalibration(error=3e-4), ("cx", (0, 1)): GateCalibration(error=0.01)}))


def test_dashboard_in_a_real_browser(tmp_path, spawn, free_port):
    executable = _browser_path()
    artifacts = Path(os.environ.get("QIRRT_TEST_ARTIFACTS") or tmp_path / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    store, tokens_file = tmp_path / "broker.db", tmp_path / "tokens.sqlite3"
    url, http_port = f"tcp://127.0.0.1:{free_port()}", free_port()
    base = f"http://127.0.0.1:{http_port}"
    tokens = _tokens(tokens_file, "alice", "bob")
    _calibrations(tmp_path / "calibrations.sqlite3")
    spawn(["broker", "--bind", url, "--store", str(store), "--insecure-loopback"], "listening on")
    spawn(["worker", "--connect", url, "--executor", "local", "--insecure-loopback", "--name", "sim1"], "connecting to")
    spawn(["dashboard", "--store", str(store), "--connect", url, "--insecure-loopback", "--bind",
           f"127.0.0.1:{http_port}", "--tokens", str(tokens_file), "--calibrations",
           str(tmp_path / "calibrations.sqlite3")], "qirrt dashboard on")
    bell = (EXAMPLES / "bell.qasm").read_text()
    alice = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['alice']}"}, timeout=30)
    bob = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['bob']}"}, timeout=30)
    # A first job warms the worker (its first run compiles the simulator's kernels): not the one timed.
    warm = alice.post("/api/v1/jobs", json={"qasm": bell, "shots": 10})
    assert warm.status_code == 201, warm.text
    assert _wait_done(alice, warm.json()["id"], 180)["state"] == "done"

    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"], headless=True)
        except sync_api.Error as exc:
            pytest.skip(f"chromium at {executable} does not start under playwright: {str(exc)[:300]}")
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _login(page, base, tokens["alice"])
            page.goto(f"{base}/jobs")
            submitted_at = time.monotonic()
            reply = alice.post("/api/v1/jobs", json={"qasm": bell, "shots": 1000, "seed": 5})
            assert reply.status_code == 201, reply.text
            job_id = reply.json()["id"]
            cell = page.locator(f'tr[data-job="{job_id}"] td.state')
            cell.wait_for(timeout=5000)  # the table polls the API every second: no reload
            sync_api.expect(cell).to_have_text("done", timeout=max(1, 5000 - 1000 * (time.monotonic() - submitted_at)))
            assert time.monotonic() - submitted_at <= 5.0
            page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)

            page.click(f'tr[data-job="{job_id}"] a')
            page.wait_for_url(f"{base}/jobs/{job_id}")
            sync_api.expect(page.locator("#job-state")).to_have_text("done")
            histogram = page.locator("img#histogram")
            histogram.wait_for(timeout=10000)
            page.wait_for_function("document.getElementById('histogram').naturalWidth > 0", timeout=10000)
            assert page.locator("#resources").inner_text().count("num_qubits") == 1
            page.screenshot(path=str(artifacts / "job.png"), full_page=True)
            for name, path in (("overview", "/"), ("workers", "/workers"), ("calibration", "/calibration")):
                page.goto(base + path)
                if name == "overview":
                    page.wait_for_function("document.getElementById('overview-chart').naturalWidth > 0")
                if name == "workers":
                    sync_api.expect(page.locator("#workers")).to_contain_text("sim1")
                if name == "calibration":
                    page.wait_for_function("document.getElementById('calibration-chart').naturalWidth > 0")
                    sync_api.expect(page.locator("#drift")).to_contain_text("readout_error")
                page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

            # The Cancel button of a job no worker can run (the pages' strict CSP allows only our own script).
            parked = alice.post("/api/v1/jobs", json={"qasm": bell, "executor": "nowhere"}).json()["id"]
            page.goto(f"{base}/jobs/{parked}")
            sync_api.expect(page.locator("#job-state")).to_have_text("queued")
            page.click("#cancel")
            sync_api.expect(page.locator("#job-state")).to_have_text("cancelled", timeout=10000)

            # Bob: neither the API nor the pages show alice's job.
            assert bob.get(f"/api/v1/jobs/{job_id}").status_code == 404
            assert bob.get(f"/api/v1/jobs/{job_id}/result").status_code == 404
            assert job_id not in bob.get("/api/v1/jobs").text
            other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _login(other, base, tokens["bob"])
            response = other.goto(f"{base}/jobs/{job_id}")
            assert response.status == 404 and "No such job" in other.content()
            other.screenshot(path=str(artifacts / "other-user-job.png"), full_page=True)
            other.goto(f"{base}/jobs")
            other.wait_for_timeout(1500)  # a poll or two of the table
            assert other.locator(f'tr[data-job="{job_id}"]').count() == 0
            other.screenshot(path=str(artifacts / "other-user-jobs.png"), full_page=True)
        finally:
            browser.close()
    shots = sorted(p.name for p in artifacts.glob("*.png"))
    assert shots == sorted(["jobs.png", "job.png", "overview.png", "workers.png", "calibration.png",
                            "other-user-job.png", "other-user-jobs.png"])
    assert all((artifacts / s).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for s in shots)
