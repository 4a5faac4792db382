"""/api/v1 workers, queue, sessions, targets and calibration history, and who the token belongs to."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from qirrt.api.http.auth import principal
from qirrt.api.http.errors import bad_request
from qirrt.api.http.tokens import Principal
from qirrt.errors import ExecutionError
from qirrt.executors.distributed.client_commands import session_summary

router = APIRouter(prefix="/api/v1", tags=["cluster"])
Who = Annotated[Principal, Depends(principal)]
LIVE_TIMEOUT_S = 2.0
_SHOWN = ("target", "max_qubits", "gpu", "executors", "queue_depth", "adapter_latency_ms", "calibration_epoch",
          "shots_per_s", "host")


@router.get("/whoami", summary="The token's user and role")
def whoami(who: Who) -> dict:
    return {"user": who.user, "operator": who.operator}


def workers_view(request: Request, who: Principal) -> tuple[list[dict], str | None]:
    """The store's workers joined with the broker's live view (lane, slots, running, speed, heartbeat age)."""
    stored = request.app.state.reader.workers()
    try:
        live = {w["name"]: w for w in request.app.state.broker.call(
            who.user, lambda c: c.workers(timeout_s=LIVE_TIMEOUT_S))}
        problem = None
    except ExecutionError as exc:
        live, problem = {}, f"the broker does not answer ({exc}); showing the store's view"
    now = time.time()
    rows = []
    for w in stored:
        caps = w["capabilities"]
        now_w = live.get(w["name"], {})
        row = {"name": w["name"], "state": "up" if now_w else w["state"] if problem else "down",
               "lane": now_w.get("lane") or caps.get("lane") or f"simulator:{w['name']}",
               "lane_kind": now_w.get("lane_kind") or caps.get("lane_kind") or "simulator",
               "slots": now_w.get("slots", caps.get("slots")), "running": now_w.get("running"),
               "speed": now_w.get("speed"), "heartbeat_age_s": now_w.get("heard_s_ago"),
               "registered_at": w["registered_at"], "registrations": w["registrations"],
               "seen_s_ago": max(0.0, now - w["last_seen"])}
        row.update({k: caps[k] for k in _SHOWN if caps.get(k) is not None})
        row["capabilities"] = caps
        rows.append(row)
    return rows, problem


@router.get("/workers", summary="Workers: lanes, capabilities, heartbeat age, measured speed, adapter latency")
def workers(request: Request, who: Who) -> dict:
    rows, problem = workers_view(request, who)
    return {"workers": rows, "up": sum(r["state"] == "up" for r in rows), "warning": problem}


@router.get("/queue", summary="Queue statistics")
def queue(request: Request, who: Who) -> dict:
    return request.app.state.reader.queue(time.time())


@router.get("/sessions", summary="Sessions and their cost")
def sessions(request: Request, who: Who) -> dict:
    reader = request.app.state.reader
    rows = [dict(session_summary(r, reader.session_jobs(r[0])), user=r[1]) for r in reader.sessions(who)]
    return {"sessions": rows}


@router.get("/sessions/{session_id}", summary="One session: its jobs by state and cost")
def session(request: Request, who: Who, session_id: Annotated[str, Path(max_length=64)]) -> dict:
    reader = request.app.state.reader
    row = reader.session(session_id, who)
    if row is None:
        raise bad_request(404, f"no session {session_id} of yours", "session_id")
    return dict(session_summary(row, reader.session_jobs(row[0])), user=row[1])


@router.get("/targets", summary="Targets: calibration history sizes and the lanes serving each")
def targets(request: Request, who: Who) -> dict:
    known = {t["target"]: dict(t, lanes=[]) for t in request.app.state.calibrations.targets()}
    for w in request.app.state.reader.workers():
        name = w["capabilities"].get("target")
        if name:
            known.setdefault(name, {"target": name, "epochs": 0, "latest_at": None, "lanes": []})
            known[name]["lanes"].append(w["capabilities"].get("lane") or w["name"])
    return {"targets": sorted(known.values(), key=lambda t: t["target"])}


@router.get("/targets/{target}/calibrations", summary="A target's calibration history and drift events")
def calibrations(request: Request, who: Who, target: Annotated[str, Path(max_length=200)]) -> dict:
    epochs, drift = request.app.state.calibrations.history(target)
    if not epochs:
        raise bad_request(404, f"no calibration history for target {target}", "target")
    return {"target": target, "epochs": epochs, "drift": drift}
