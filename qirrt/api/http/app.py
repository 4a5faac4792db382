"""The dashboard's web app: `create_app(settings)` builds the FastAPI application (REST API under /api/v1,
its OpenAPI schema at /openapi.json, the pages and their charts). No /docs: Swagger UI loads from a CDN,
and the machines a dashboard serves often have no internet."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from qirrt.api.http.broker_link import BrokerLink, BrokerSettings
from qirrt.api.http.calibration import CalibrationReader
from qirrt.api.http.reader import StoreReader
from qirrt.api.http.tokens import TokenStore
from qirrt.errors import require

MAX_BODY_BYTES = 12 << 20  # the largest program (8 MiB) as base64, and its JSON


@dataclass(frozen=True)
class DashboardSettings:
    """What the app reads (the broker's store, the tokens file, the calibration history) and where the broker is."""

    store: Path
    tokens: Path
    broker: BrokerSettings
    calibrations: Path | None = None
    max_body_bytes: int = MAX_BODY_BYTES


def default_tokens_path(store: Path, keys_dir: Path | None = None) -> Path:
    """``DIR/tokens.sqlite3`` beside CurveZMQ keys, else ``tokens.sqlite3`` beside the broker's store."""
    return (keys_dir if keys_dir is not None else Path(store).parent) / "tokens.sqlite3"


class _BodyLimit:
    """Refuse a request body over `limit` bytes with 413 before anyone reads it (declared or streamed)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return message

        try:
            return await self.app(scope, counted, send)
        except _TooLarge:
            return await self._refuse(send)

    async def _refuse(self, send):
        from starlette.responses import JSONResponse

        reply = JSONResponse({"error": f"request body larger than {self.limit} bytes", "field": None},
                             status_code=413)
        await reply({"type": "http"}, None, send)


class _TooLarge(Exception):
    pass


SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin")]
_POLICY = b"default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
PAGE_POLICY = (b"content-security-policy", _POLICY)


class _SecurityHeaders:
    """Every reply: no sniffing, no framing, and a strict CSP (only this app's own scripts, styles and images)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS, PAGE_POLICY]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_app(settings: DashboardSettings):
    """The FastAPI app for `settings` (the `dashboard` extra: fastapi, uvicorn, jinja2)."""
    require("fastapi", extra="dashboard", feature="the dashboard")
    require("jinja2", extra="dashboard", feature="the dashboard")
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from qirrt import __version__
    from qirrt.api.http import errors, pages, routes_cluster, routes_jobs

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        app.state.broker.close()

    app = FastAPI(title="qirrt cluster API", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Submit QIR, bitcode or OpenQASM to a qirrt broker and watch the cluster. "
                              "Every call takes `Authorization: Bearer <token>` (`qirrt keys generate --token`).")
    app.state.settings = settings
    app.state.tokens = TokenStore(settings.tokens)
    app.state.reader = StoreReader(settings.store, settings.tokens)
    app.state.calibrations = CalibrationReader(settings.calibrations)
    app.state.broker = BrokerLink(settings.broker)
    errors.install(app)
    app.add_exception_handler(pages._LoginRequired, pages.login_redirect)
    app.include_router(routes_jobs.router)
    app.include_router(routes_cluster.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    app.add_middleware(_BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(_SecurityHeaders)
    return app
