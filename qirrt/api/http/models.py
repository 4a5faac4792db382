"""The REST API's request and response bodies (pydantic): limits here are the protocol's limits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qirrt.executors.distributed import protocol as P

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@+-]*$")]
State = Literal["queued", "running", "done", "failed", "cancelled"]
MAX_TEXT = P.MAX_PROGRAM_BYTES
MAX_BASE64 = (P.MAX_PROGRAM_BYTES * 4) // 3 + 4


class SubmitRequest(BaseModel):
    """A job: exactly one of `qir` (LLVM text), `bitcode_base64` or `qasm` (OpenQASM 2/3), and its options."""

    model_config = ConfigDict(extra="forbid", strict=True)

    qir: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    bitcode_base64: Annotated[str, Field(max_length=MAX_BASE64)] | None = None
    qasm: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    shots: Annotated[int, Field(ge=1, le=P.MAX_SHOTS)] = 1000
    seed: Annotated[int, Field(ge=0, le=P.MAX_INT64)] | None = None
    priority: Annotated[int, Field(ge=-P.MAX_PRIORITY, le=P.MAX_PRIORITY)] = 0
    target: Name | None = None
    lane: Name | None = None
    executor: Name | None = None
    mitigation: Annotated[list[Name], Field(max_length=16)] | None = None
    max_attempts: Annotated[int, Field(ge=1, le=1000)] | None = None
    time_limit_s: Annotated[float, Field(gt=0, le=P.MAX_SECONDS, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _one_program(self) -> SubmitRequest:
        given = [k for k in ("qir", "bitcode_base64", "qasm") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of qir, bitcode_base64, qasm (got {', '.join(given) or 'none'})")
        return self

    def requires(self) -> dict | None:
        wanted = {k: getattr(self, k) for k in ("target", "lane", "executor", "mitigation") if getattr(self, k)}
        return wanted or None


class Submitted(BaseModel):
    id: str
    state: str
    user: str


class JobSummary(BaseModel):
    id: str
    user: str
    kind: str
    state: str
    priority: int
    attempt: int
    failures: int
    progress: float
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    error: str | None
    session: str | None
    estimated_duration_s: float | None
    worker: str | None
    max_attempts: int


class JobPage(BaseModel):
    jobs: list[JobSummary]
    total: int
    limit: int
    offset: int


class JobStatus(JobSummary):
    shots: int | None = None
    requires: dict | None = None
    position: int | None = None
    eta_s: float | None = None
    run_s: float | None = None
    cost: dict | None = None


class Cancelled(BaseModel):
    id: str
    state: str
    cancelled: bool

