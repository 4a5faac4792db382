"""/api/v1/jobs: submit, list, status, result, cancel. A user sees only their own jobs, an operator all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from qirrt.api.http.auth import principal
from qirrt.api.http.errors import bad_request
from qirrt.api.http.models import (
    Cancelled,
    JobPage,
    JobStatus,
    State,
    SubmitRequest,
    Submitted,
)
from qirrt.api.http.programs import program_of
from qirrt.api.http.tokens import Principal
from qirrt.errors import ExecutionError, JobTimeoutError
from qirrt.executors.distributed.client import BrokerError, InvalidRequestError
from qirrt.executors.distributed.link import BrokerUnreachableError, KeyRefusedError
from qirrt.executors.distributed.store import FINAL_STATES

router = APIRouter(prefix="/api/v1", tags=["jobs"])
Who = Annotated[Principal, Depends(principal)]
JobId = Annotated[str, Query(min_length=1, max_length=64)]
FINAL = FINAL_STATES


def broker_call(request: Request, user: str, action, *args, **kwargs):
    """An action on the broker for `user`; its refusals as 409/422, an unreachable broker as 503."""
    try:
        return request.app.state.broker.call(user, action, *args, **kwargs)
    except InvalidRequestError as exc:
        raise bad_request(422, str(exc)) from None
    except (BrokerUnreachableError, KeyRefusedError, JobTimeoutError) as exc:
        raise bad_request(503, f"the broker does not answer: {exc}") from None
    except BrokerError as exc:
        raise bad_request(409, f"the broker refused: {exc}") from None
    except ExecutionError as exc:
        raise bad_request(503, str(exc)) from None


def visible(request: Request, job_id: str, who: Principal):
    detail = request.app.state.reader.job(job_id, who) if len(job_id) <= 64 else None
    if detail is None:
        raise bad_request(404, f"no job {job_id} of yours", "job_id")
    return detail


def _acting_user(request: Request, owner: str) -> str:
    """Whose broker client acts on a job: its owner's (no keys), else the dashboard's one key."""
    return owner if request.app.state.broker.per_user else ""


@router.post("/jobs", status_code=201, response_model=Submitted, summary="Submit a job")
def submit(body: SubmitRequest, request: Request, who: Who) -> Submitted:
    program = program_of(body)
    job = broker_call(request, who.user, lambda c: c.submit(
        program, shots=body.shots, seed=body.seed, priority=body.priority, requires=body.requires(),
        max_attempts=body.max_attempts, time_limit_s=body.time_limit_s))
    request.app.state.tokens.record_owner(job.id, who.user)
    return Submitted(id=job.id, state="queued", user=who.user)


@router.get("/jobs", response_model=JobPage, summary="List jobs, newest first")
def list_jobs(request: Request, who: Who, state: State | None = None,
              user: Annotated[str | None, Query(max_length=200)] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50,
              offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> JobPage:
    rows, total = request.app.state.reader.jobs(who, state=state, user=user, limit=limit, offset=offset)
    # The rows are the store's typed columns already: sent as they are (the schema above documents them),
    # not validated again: this is the endpoint every open jobs table polls each second.
    return JSONResponse({"jobs": rows, "total": total, "limit": limit, "offset": offset})


def job_status(request: Request, job_id: str, who: Principal, *, live: bool = True, detail=None) -> JobStatus:
    """The job's row with its shots and requirements, run time and cost, and (live) queue position and ETA;
    `detail` is the job as the reader returned it, when the caller has read it already."""
    detail = detail if detail is not None else visible(request, job_id, who)
    row, spec, result = detail.row, detail.spec, detail.result
    status = JobStatus(**row, shots=spec.get("shots"), requires=spec.get("requires"))
    if row["started_at"] is not None and row["finished_at"] is not None:
        status.run_s = max(0.0, row["finished_at"] - row["started_at"])
    metadata = result.get("metadata") if isinstance(result, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("cost"), dict):
        status.cost = metadata["cost"]
    if live and row["state"] not in FINAL:
        try:
            found = request.app.state.broker.call(_acting_user(request, row["user"]),
                                                  lambda c: c.status([job_id]))[0]
        except ExecutionError:
            found = {}
        status.position, status.eta_s = found.get("position"), found.get("eta_s")
    return status


@router.get("/jobs/{job_id}", response_model=JobStatus, summary="A job's status")
def get_job(job_id: str, request: Request, who: Who) -> JobStatus:
    return job_status(request, job_id, who)


@router.get("/jobs/{job_id}/result", summary="A finished job's result (counts, shots, metadata)")
def get_result(job_id: str, request: Request, who: Who) -> dict:
    detail = visible(request, job_id, who)
    state = detail.row["state"]
    if state not in FINAL:
        raise bad_request(409, f"job {job_id} is {state}; its result is not ready", "job_id")
    if state != "done":
        return {"id": job_id, "state": state, "error": detail.row["error"]}
    return {"id": job_id, "state": state, "result": _jsonable(detail.result)}


def _jsonable(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@router.post("/jobs/{job_id}/cancel", response_model=Cancelled, summary="Cancel a queued or running job")
def cancel(job_id: str, request: Request, who: Who) -> Cancelled:
    detail = visible(request, job_id, who)
    if detail.row["state"] in FINAL:
        return Cancelled(id=job_id, state=detail.row["state"], cancelled=False)
    done = broker_call(request, _acting_user(request, detail.row["user"]), lambda c: c.cancel(job_id))
    return Cancelled(id=job_id, state="cancelled" if done else detail.row["state"], cancelled=done)
