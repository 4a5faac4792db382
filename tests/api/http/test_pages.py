"""The pages through TestClient: the login cookie, each page rendering, another user's job page refused."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")


def _login(dash, token: str) -> None:
    dash.cookies.clear()
    reply = dash.post("/login", content=f"token={token}&next=/jobs",
                      headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/jobs"
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_pages_need_a_login_and_a_bad_token_is_refused(dash):
    reply = dash.get("/jobs", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
    bad = dash.post("/login", content="token=qirrt_nope", headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 401 and "unknown token" in bad.text
    evil = dash.post("/login", content=f"token={dash.tokens['alice']}&next=//evil.example",
                     headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert evil.headers["location"] == "/"


def test_every_page_renders_and_the_job_page_shows_the_histogram(dash, bearer, bell_qasm):
    job_id = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "shots": 500, "seed": 1},
                       headers=bearer(dash.tokens["alice"])).json()["id"]
    _login(dash, dash.tokens["alice"])
    deadline = time.monotonic() + 120
    while dash.get(f"/api/v1/jobs/{job_id}").json()["state"] != "done":  # the cookie authenticates the API too
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for path, text in (("/", "workers up"), ("/jobs", job_id[:12]), ("/workers", "simulator"),
                       ("/calibration", "Calibration"), (f"/jobs/{job_id}", 'id="histogram"')):
        reply = dash.get(path)
        assert reply.status_code == 200 and text in reply.text, (path, reply.text[:2000])
    reply = dash.get(f"/jobs/{job_id}")
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    page = reply.text
    assert "num_qubits" in page and "attempt 1 started" in page and ">done<" in page
    svg = dash.get(f"/charts/jobs/{job_id}/histogram.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    assert "<svg" in dash.get("/charts/overview.svg").text

    _login(dash, dash.tokens["bob"])
    other = dash.get(f"/jobs/{job_id}")
    assert other.status_code == 404 and job_id[:12] not in dash.get("/jobs").text
    assert dash.get(f"/charts/jobs/{job_id}/histogram.svg").status_code == 404


def test_the_cancel_button_cancels_a_queued_job(dash, bearer, bell_qasm):
    job_id = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "executor": "nowhere"},
                       headers=bearer(dash.tokens["alice"])).json()["id"]
    _login(dash, dash.tokens["alice"])
    page = dash.get(f"/jobs/{job_id}").text
    assert f'id="cancel" data-job="{job_id}"' in page and "onclick" not in page  # the CSP allows no inline script
    assert dash.post(f"/api/v1/jobs/{job_id}/cancel").json()["cancelled"] is True  # what the button calls
    assert ">cancelled<" in dash.get(f"/jobs/{job_id}").text
