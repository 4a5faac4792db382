"""Serving the dashboard with uvicorn: loopback by default; any other address needs TLS or an explicit --insecure."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from qirrt.api.http.app import DashboardSettings, create_app
from qirrt.errors import QirrtError, require


class BindError(QirrtError):
    """An address the dashboard will not listen on as asked (not HOST:PORT, or public without TLS)."""


@dataclass(frozen=True)
class Listen:
    """Where and how the dashboard listens: HOST:PORT, and TLS files (both or neither)."""

    host: str
    port: int
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls_cert else 'http'}://{host}:{self.port}"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_listen(bind: str, *, tls_cert: Path | None = None, tls_key: Path | None = None,
                 insecure: bool = False, option: str = "--bind") -> Listen:
    """HOST:PORT checked: a non-loopback host needs --tls-cert and --tls-key, or --insecure."""
    host, sep, port = bind.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise BindError(f"{option} {bind!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    if (tls_cert is None) != (tls_key is None):
        raise BindError("give both --tls-cert and --tls-key, or neither")
    if not is_loopback_host(host) and tls_cert is None and not insecure:
        raise BindError(f"{option} {bind} is not a loopback address: tokens would cross the network in clear text; "
                        f"give --tls-cert FILE --tls-key FILE, or --insecure to serve plain HTTP anyway")
    for path in (tls_cert, tls_key):
        if path is not None and not Path(path).is_file():
            raise BindError(f"TLS file {path} does not exist")
    return Listen(host, int(port), tls_cert, tls_key)


def listening_socket(listen: Listen) -> tuple[socket.socket, Listen]:
    """Bind and listen now, so a taken port is a clear error and "listening" is printed only when true;
    returns the socket and `listen` with the port really bound (for port 0)."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen.host, listen.port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise BindError(f"cannot listen on {listen.host}:{listen.port}: {exc.strerror or exc}") from None
    return sock, dataclasses.replace(listen, port=sock.getsockname()[1])


def make_server(settings: DashboardSettings, listen: Listen):
    """A uvicorn `Server` for the app (call `.run()`, or `.should_exit = True` to stop it)."""
    require("uvicorn", extra="dashboard", feature="the dashboard")
    import uvicorn

    config = uvicorn.Config(create_app(settings), host=listen.host, port=listen.port, log_level="warning",
                            access_log=False, ssl_certfile=listen.tls_cert and str(listen.tls_cert),
                            ssl_keyfile=listen.tls_key and str(listen.tls_key), timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def serve_in_thread(settings: DashboardSettings, listen: Listen) -> tuple[object, Listen]:
    """Start the dashboard on a daemon thread of this process (`qirrt broker --http`), listening before this
    returns; returns (the uvicorn server, where it listens)."""
    sock, listen = listening_socket(listen)
    server = make_server(settings, listen)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="qirrt-dashboard", daemon=True).start()
    return server, listen
