"""Every error the API returns is JSON ``{"error": ..., "field": ...}``: a bad request names the field."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qirrt.api.http.reader import StoreUnavailableError

log = logging.getLogger(__name__)


def _field(location: tuple) -> str | None:
    parts = [str(p) for p in location if p not in ("body",)]
    return ".".join(parts) or None


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = exc.errors()
    first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
    field = _field(tuple(first.get("loc", ())))
    message = str(first.get("msg", "invalid request"))
    if first.get("type") == "json_invalid":
        message, field = "the body is not valid JSON", None
    errors = [{"field": _field(tuple(p.get("loc", ()))), "message": str(p.get("msg"))} for p in problems[:20]]
    text = f"{field}: {message}" if field else message
    return JSONResponse({"error": text, "field": field, "errors": errors}, status_code=422)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail
    body = detail if isinstance(detail, dict) else {"error": str(detail), "field": None}
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _store(request: Request, exc: StoreUnavailableError) -> JSONResponse:
    return JSONResponse({"error": str(exc), "field": None}, status_code=503)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(StoreUnavailableError, _store)


def bad_request(status: int, message: str, field: str | None = None):
    """An HTTPException whose JSON body names the field."""
    from fastapi import HTTPException

    return HTTPException(status, {"error": message, "field": field})
