"""The server-rendered pages (Jinja2) and their SVG charts. Logging in sets the token cookie."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from qirrt.api.http import charts
from qirrt.api.http.auth import COOKIE, page_principal, principal
from qirrt.api.http.reader import STATES
from qirrt.api.http.routes_cluster import workers_view
from qirrt.api.http.routes_jobs import job_status, visible
from qirrt.api.http.tokens import Principal

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
Who = Annotated[Principal, Depends(principal)]
SVG = "image/svg+xml"
MAX_LOGIN_BYTES = 4096


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_time(moment: float | None) -> str:
    if moment is None:
        return "–"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _run_s(job: dict) -> float | None:
    started, finished = job.get("started_at"), job.get("finished_at")
    return None if started is None or finished is None else finished - started


TEMPLATES.env.globals.update(fmt_s=fmt_s, fmt_time=fmt_time, run_s=_run_s)


def _render(request: Request, name: str, who: Principal | None, status_code: int = 200, **values) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, {"who": who, **values}, status_code=status_code)


class _LoginRequired(Exception):
    pass


def _who(request: Request) -> Principal:
    who = page_principal(request)
    if who is None:
        raise _LoginRequired()
    return who


Viewer = Annotated[Principal, Depends(_who)]


async def login_redirect(request: Request, exc: _LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


# -- logging in -----------------------------------------------------------------------------------
def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: Annotated[str, Query(max_length=500)] = "/"):
    return _render(request, "login.html", None, next=_safe_next(next), page="login")


@router.post("/login")
async def login(request: Request):
    raw = await request.body()
    form = parse_qs(raw[:MAX_LOGIN_BYTES].decode("utf-8", "replace")) if len(raw) <= MAX_LOGIN_BYTES else {}
    token = (form.get("token") or [""])[0].strip()
    target = _safe_next((form.get("next") or ["/"])[0])
    who = await run_in_threadpool(request.app.state.tokens.check, token) if token else None  # SQLite
    if who is None:
        return _render(request, "login.html", None, 401, next=target, error="unknown token", page="login")
    reply = RedirectResponse(target, status_code=303)
    reply.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                     max_age=7 * 86400)
    return reply


@router.get("/logout")
def logout():
    reply = RedirectResponse("/login", status_code=303)
    reply.delete_cookie(COOKIE)
    return reply


# -- pages ----------------------------------------------------------------------------------------
@router.get("/")
def overview(request: Request, who: Viewer, window_s: Annotated[float, Query(ge=60, le=30 * 86400)] = 3600):
    workers, warning = workers_view(request, who)
    return _render(request, "overview.html", who, page="overview", queue=request.app.state.reader.queue(time.time()),
                   workers_up=sum(w["state"] == "up" for w in workers), warning=warning, window_s=int(window_s))


@router.get("/jobs")
def jobs(request: Request, who: Viewer, state: Annotated[str | None, Query(max_length=20)] = None):
    state = state if state in STATES else None
    rows, total = request.app.state.reader.jobs(who, state=state, limit=100)
    return _render(request, "jobs.html", who, page="jobs", jobs=rows, total=total, state=state, states=STATES)


_RESOURCES: OrderedDict[str, tuple[dict | None, str | None]] = OrderedDict()  # by job id: a spec never changes
_RESOURCES_KEPT = 256
_RESOURCES_LOCK = threading.Lock()


def _resources(job_id: str, program: str | bytes) -> tuple[dict | None, str | None]:
    """The program's resources (or why they cannot be read), remembered by job id for the page's reloads."""
    with _RESOURCES_LOCK:
        found = _RESOURCES.get(job_id)
    if found is None:
        found = _read_resources(program)
        with _RESOURCES_LOCK:
            _RESOURCES[job_id] = found
            while len(_RESOURCES) > _RESOURCES_KEPT:
                _RESOURCES.popitem(last=False)
    return found


def _read_resources(program: str | bytes) -> tuple[dict | None, str | None]:
    import warnings

    from qirrt.api.load import load
    from qirrt.errors import QirrtError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            resources = load(program, cache=False).resources().to_dict()
        except QirrtError as exc:
            return None, f"cannot read the program: {exc}"
    resources["gate_counts"] = ", ".join(f"{k}: {v}" for k, v in resources["gate_counts"].items())
    return resources, None


def _timeline(status, detail) -> list[tuple[float, str]]:
    """What happened to the job, in order: submission, its last attempt's start, refusals, the end."""
    events = [(status.submitted_at, "submitted")]
    if status.started_at is not None:
        retries = f" after {status.failures} failed" if status.failures else ""
        events.append((status.started_at, (f"attempt {status.attempt} started{retries}"
                                          f"{' on ' + status.worker if status.worker else ''}")))
    events += [(r["at"], f"attempt {r['attempt']}: result refused ({r['reason']})") for r in detail.refusals]
    if status.finished_at is not None:
        failed = f": {status.error}" if status.error and status.state != "done" else ""
        events.append((status.finished_at, status.state + failed))
    return sorted(events, key=lambda e: e[0])


@router.get("/jobs/{job_id}")
def job_page(request: Request, who: Viewer, job_id: str):
    try:
        detail = visible(request, job_id, who)
    except HTTPException as exc:
        return _render(request, "message.html", who, exc.status_code, page="jobs", heading="No such job",
                       message=exc.detail.get("error") if isinstance(exc.detail, dict) else str(exc.detail))
    status = job_status(request, job_id, who, detail=detail)
    program = detail.spec.get("program")
    resources, problem = (None, "a workload job, not a program") if program is None else _resources(job_id, program)
    wait_s = None if status.started_at is None else status.started_at - status.submitted_at
    return _render(request, "job.html", who, page="jobs", job=status, resources=resources, resources_error=problem,
                   timeline=_timeline(status, detail), wait_s=wait_s)


@router.get("/workers")
def workers_page(request: Request, who: Viewer):
    rows, warning = workers_view(request, who)
    return _render(request, "workers.html", who, page="workers", workers=rows, warning=warning)


@router.get("/calibration")
def calibration_page(request: Request, who: Viewer, target: Annotated[str | None, Query(max_length=200)] = None):
    reader = request.app.state.calibrations
    targets = reader.targets()
    if target is None and targets:
        target = targets[0]["target"]
    epochs, drift = reader.history(target) if target else ([], [])
    return _render(request, "calibration.html", who, page="calibration", targets=targets, target=target,
                   epochs=epochs, drift=list(reversed(drift)))


# -- charts ---------------------------------------------------------------------------------------
@router.get("/charts/overview.svg")
def overview_chart(request: Request, who: Who, window_s: Annotated[float, Query(ge=60, le=30 * 86400)] = 3600):
    now = time.time()
    history = request.app.state.reader.history(who, now - window_s)
    return Response(charts.overview(history, window_s, now), media_type=SVG)


@router.get("/charts/jobs/{job_id}/histogram.svg")
def histogram_chart(request: Request, who: Who, job_id: str):
    detail = visible(request, job_id, who)
    counts = detail.result.get("counts") if isinstance(detail.result, dict) else None
    if not isinstance(counts, dict) or not counts:
        return Response(charts.empty("no counts (yet)"), media_type=SVG)
    shots = sum(counts.values())
    return Response(charts.histogram({str(k): int(v) for k, v in counts.items()}, f"{shots} shots"), media_type=SVG)


@router.get("/charts/calibration.svg")
def calibration_chart(request: Request, who: Who, target: Annotated[str, Query(max_length=200)]):
    epochs, drift = request.app.state.calibrations.history(target)
    if not epochs:
        return Response(charts.empty(f"no calibration history for {target}"), media_type=SVG)
    return Response(charts.calibration(epochs, drift, target), media_type=SVG)
