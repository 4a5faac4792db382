"""The REST API on a real in-process cluster: submit, list, status, result, cancel, ownership, the rest."""

from __future__ import annotations

import base64
import time
from datetime import UTC

import pytest

from qirrt.api.exact import exact_distribution

pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")


def _wait_done(client, job_id, headers, timeout_s=120.0):  # a cold first job compiles kernels
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        reply = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert reply.status_code == 200, reply.text
        if reply.json()["state"] in ("done", "failed", "cancelled"):
            return reply.json()
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not finished in {timeout_s} s")


def test_submit_qasm_runs_and_counts_match_the_exact_distribution(dash, bearer, bell_qasm):
    alice = bearer(dash.tokens["alice"])
    reply = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "shots": 2000, "seed": 11}, headers=alice)
    assert reply.status_code == 201, reply.text
    job_id = reply.json()["id"]
    assert reply.json()["user"] == "alice"
    status = _wait_done(dash, job_id, alice)
    assert status["state"] == "done" and status["user"] == "alice" and status["shots"] == 2000
    assert status["run_s"] is not None and status["run_s"] >= 0
    result = dash.get(f"/api/v1/jobs/{job_id}/result", headers=alice).json()["result"]
    counts = result["counts"]
    assert sum(counts.values()) == 2000 and set(counts) <= {"00", "11"}
    # Binomial bound at p > 0.001 (|z| < 3.3) around the exact probability of 00 (1/2).
    import qirrt

    p00 = exact_distribution(qirrt.load(bell_qasm))["00"]
    assert p00 == pytest.approx(0.5)
    assert abs(counts.get("00", 0) - 2000 * p00) < 3.3 * (2000 * p00 * (1 - p00)) ** 0.5


def test_submit_qir_text_and_bitcode(dash, bearer):
    import qirrt

    program = qirrt.load((__import__("pathlib").Path(__file__).parents[3] / "examples" / "ghz3.ll").read_text())
    alice = bearer(dash.tokens["alice"])
    ids = []
    for body in ({"qir": program.to_ir()}, {"bitcode_base64": base64.b64encode(program.to_bitcode()).decode()}):
        reply = dash.post("/api/v1/jobs", json={**body, "shots": 100, "seed": 3, "priority": 5}, headers=alice)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
    for job_id in ids:
        status = _wait_done(dash, job_id, alice)
        assert status["state"] == "done" and status["priority"] == 5
        counts = dash.get(f"/api/v1/jobs/{job_id}/result", headers=alice).json()["result"]["counts"]
        assert set(counts) <= {"000", "111"} and sum(counts.values()) == 100


def test_a_user_sees_only_their_jobs_and_an_operator_sees_all(dash, bearer, bell_qasm):
    alice, bob, ops = (bearer(dash.tokens[n]) for n in ("alice", "bob", "ops"))
    job_id = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "shots": 10}, headers=alice).json()["id"]
    assert dash.get(f"/api/v1/jobs/{job_id}", headers=bob).status_code == 404
    assert dash.get(f"/api/v1/jobs/{job_id}/result", headers=bob).status_code == 404
    assert dash.post(f"/api/v1/jobs/{job_id}/cancel", headers=bob).status_code == 404
    assert dash.get(f"/charts/jobs/{job_id}/histogram.svg", headers=bob).status_code == 404
    assert [j["id"] for j in dash.get("/api/v1/jobs", headers=bob).json()["jobs"]] == []
    assert [j["id"] for j in dash.get("/api/v1/jobs", headers=alice).json()["jobs"]] == [job_id]
    everyone = dash.get("/api/v1/jobs", headers=ops).json()
    assert job_id in [j["id"] for j in everyone["jobs"]]
    assert dash.get(f"/api/v1/jobs/{job_id}", headers=ops).status_code == 200
    assert dash.get("/api/v1/jobs?user=alice", headers=ops).json()["total"] == 1
    assert dash.get("/api/v1/jobs?user=bob", headers=ops).json()["total"] == 0
    assert dash.get("/api/v1/whoami", headers=ops).json() == {"user": "ops", "operator": True}


def test_list_filters_by_state_and_paginates(dash, bearer, bell_qasm):
    alice = bearer(dash.tokens["alice"])
    ids = [dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "shots": 10, "seed": i}, headers=alice).json()["id"]
           for i in range(5)]
    for job_id in ids:
        _wait_done(dash, job_id, alice)
    first = dash.get("/api/v1/jobs?limit=2&offset=0&state=done", headers=alice).json()
    second = dash.get("/api/v1/jobs?limit=2&offset=2&state=done", headers=alice).json()
    rest = dash.get("/api/v1/jobs?limit=2&offset=4&state=done", headers=alice).json()
    assert first["total"] == 5 and len(first["jobs"]) == 2 and len(rest["jobs"]) == 1
    seen = [j["id"] for page in (first, second, rest) for j in page["jobs"]]
    assert sorted(seen) == sorted(ids)
    assert dash.get("/api/v1/jobs?state=queued", headers=alice).json()["total"] == 0


def test_cancel_a_queued_job(dash, bearer, bell_qasm):
    alice = bearer(dash.tokens["alice"])
    # No worker runs a "nowhere" executor: the job stays queued until cancelled.
    reply = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "executor": "nowhere"}, headers=alice)
    assert reply.status_code == 201, reply.text
    job_id = reply.json()["id"]
    status = dash.get(f"/api/v1/jobs/{job_id}", headers=alice).json()
    assert status["state"] == "queued" and status["requires"]["executor"] == "nowhere"
    assert dash.get(f"/api/v1/jobs/{job_id}/result", headers=alice).status_code == 409
    cancelled = dash.post(f"/api/v1/jobs/{job_id}/cancel", headers=alice).json()
    assert cancelled == {"id": job_id, "state": "cancelled", "cancelled": True}
    assert _wait_done(dash, job_id, alice)["state"] == "cancelled"
    again = dash.post(f"/api/v1/jobs/{job_id}/cancel", headers=alice).json()
    assert again["cancelled"] is False


def test_workers_queue_sessions_and_openapi(dash, bearer, bell_qasm):
    alice = bearer(dash.tokens["alice"])
    workers = dash.get("/api/v1/workers", headers=alice).json()
    assert workers["up"] == 1 and workers["warning"] is None
    (worker,) = workers["workers"]
    assert worker["state"] == "up" and worker["lane_kind"] == "simulator" and worker["slots"] == 1
    assert worker["heartbeat_age_s"] is not None and 0 <= worker["heartbeat_age_s"] < 30
    assert worker["speed"] > 0
    job_id = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "shots": 10}, headers=alice).json()["id"]
    _wait_done(dash, job_id, alice)
    queue = dash.get("/api/v1/queue", headers=alice).json()
    assert queue["jobs"]["done"] >= 1 and queue["done_last_hour"] >= 1
    client = dash.cluster.connect(user="alice")
    with client.session() as session:
        session.submit(__import__("qirrt").load(bell_qasm), shots=10).result(timeout_s=30)
        listed = dash.get("/api/v1/sessions", headers=alice).json()["sessions"]
        assert [s["session"] for s in listed] == [session.id] and listed[0]["states"] == {"done": 1}
        assert dash.get(f"/api/v1/sessions/{session.id}", headers=alice).json()["jobs"] == 1
        assert dash.get(f"/api/v1/sessions/{session.id}", headers=bearer(dash.tokens["bob"])).status_code == 404
    client.close()
    assert dash.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    schema = dash.get("/openapi.json").json()
    assert "/api/v1/jobs" in schema["paths"] and "SubmitRequest" in schema["components"]["schemas"]


def test_targets_and_calibration_history_with_drift(dash, bearer):
    from datetime import datetime, timedelta

    from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration
    from qirrt.device.calibration_store import CalibrationStore

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with CalibrationStore(dash.settings.calibrations) as store:
        for hour, readout in enumerate((0.01, 0.011, 0.05)):  # the last one drifts (> 25% readout error)
            store.add(Calibration("fake_dev", start + timedelta(hours=hour),
                                  qubits={0: QubitCalibration(t1_s=1e-4, t2_s=8e-5, readout_error=readout)},
                                  gates={("cx", (0, 1)): GateCalibration(error=0.01)}))
    alice = bearer(dash.tokens["alice"])
    assert dash.get("/api/v1/targets", headers=alice).json()["targets"][0]["target"] == "fake_dev"
    history = dash.get("/api/v1/targets/fake_dev/calibrations", headers=alice).json()
    assert [e["readout_error"] for e in history["epochs"]] == pytest.approx([0.01, 0.011, 0.05])
    assert history["epochs"][0]["t1_us"] == pytest.approx(100.0)
    (event,) = history["drift"]
    assert event["metrics"] == ["readout_error"] and event["epoch"] == history["epochs"][2]["epoch"]
    assert dash.get("/api/v1/targets/nothing/calibrations", headers=alice).status_code == 404
    svg = dash.get("/charts/calibration.svg?target=fake_dev", headers=alice)
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text


def test_bad_tokens_are_401(dash, bell_qasm):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer qirrt_" + "x" * 43}):
        reply = dash.post("/api/v1/jobs", json={"qasm": bell_qasm}, headers=headers)
        assert reply.status_code == 401 and "token" in reply.json()["error"]
        assert dash.get("/api/v1/jobs", headers=headers).status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"qasm": "x", "shots": 0}, "shots"),
    ({"qasm": "x", "shots": "many"}, "shots"),
    ({"qasm": "x", "priority": 2**40}, "priority"),
    ({"qasm": "x", "seed": -1}, "seed"),
    ({"qasm": "x", "colour": "red"}, "colour"),
    ({"qasm": "x", "target": "bad name!"}, "target"),
    ({"shots": 10}, None),
    ({"qasm": "OPENQASM 2.0; qreg q[1]; nonsense q[0];"}, "qasm"),
    ({"qasm": "no header"}, "qasm"),
    ({"qir": "define void @main() { garbage }"}, "qir"),
    ({"bitcode_base64": "!!!"}, "bitcode_base64"),
    ({"bitcode_base64": base64.b64encode(b"\x80\x03pickle").decode()}, "bitcode_base64"),
])
def test_bad_bodies_are_4xx_naming_the_field(dash, bearer, body, field):
    reply = dash.post("/api/v1/jobs", json=body, headers=bearer(dash.tokens["alice"]))
    assert 400 <= reply.status_code < 500, reply.text
    error = reply.json()
    assert error["field"] == field or (field is None and "exactly one" in error["error"]), error
    if field:
        assert field in error["error"]


def test_options_reach_the_broker_and_its_refusals_are_409(dash, bearer, bell_qasm):
    alice = bearer(dash.tokens["alice"])
    refused = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "mitigation": ["zne"]}, headers=alice)
    assert refused.status_code == 409 and "mitigation zne" in refused.json()["error"]
    job = dash.post("/api/v1/jobs", json={"qasm": bell_qasm, "target": "FakeKolkata", "lane": "qpu",
                                          "time_limit_s": 5, "max_attempts": 2}, headers=alice)
    assert job.status_code == 201, job.text
    status = dash.get(f"/api/v1/jobs/{job.json()['id']}", headers=alice).json()
    assert status["requires"]["target"] == "FakeKolkata" and status["requires"]["lane"] == "qpu"
    assert status["max_attempts"] == 2 and status["state"] == "queued"  # no QPU lane serves it
    assert status["position"] == 0  # first in the queue (0-based, as `qirrt status` says it)


def test_huge_bodies_are_413(dash, bearer):
    reply = dash.post("/api/v1/jobs", content=b"{" + b" " * (13 << 20) + b"}",
                      headers={**bearer(dash.tokens["alice"]), "content-type": "application/json"})
    assert reply.status_code == 413 and "larger" in reply.json()["error"]
