"""CurveZMQ keys, the ZAP allowlist and the loopback rule.

A keys directory, as `qirrt keys generate DIR` writes it::

    DIR/server.key, DIR/server.key_secret     the broker's key pair
    DIR/clients/<user>.key                     public keys of users allowed in (user id = file stem)
    DIR/workers/<name>.key                     public keys of workers allowed to register
    DIR/<name>.key_secret + DIR/server.key     what a client or worker needs to connect

The broker answers ZAP requests itself (`ZapHandler`, polled in its loop): a CURVE client whose public
key is not on the allowlist never gets a connection, and the authenticated user id reaches the
broker on every message as the ``User-Id`` property — the identity for quotas and job ownership.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import zmq
import zmq.auth
from zmq.utils import z85

from ...errors import ExecutionError

log = logging.getLogger(__name__)

ZAP_ENDPOINT = "inproc://zeromq.zap.01"
WORKER_PREFIX = "worker:"


class SecurityError(ExecutionError):
    """Keys are missing or unreadable, or a server would listen insecurely where that is not allowed."""


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    secret: bytes


def generate(keys_dir: str | Path, *, users: tuple[str, ...] = ("client",),
             workers: tuple[str, ...] = ("worker",)) -> dict[str, Path]:
    """Make the server's key pair (if missing) and one pair per user and worker, allowlisting each."""
    keys_dir = Path(keys_dir)
    (keys_dir / "clients").mkdir(parents=True, exist_ok=True)
    (keys_dir / "workers").mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    if not (keys_dir / "server.key_secret").exists():
        zmq.auth.create_certificates(keys_dir, "server")
    made["server"] = keys_dir / "server.key_secret"
    for role, names in (("clients", users), ("workers", workers)):
        for name in names:
            _check_name(name)
            public, secret = zmq.auth.create_certificates(keys_dir, name)
            os.chmod(secret, 0o600)
            Path(public).replace(keys_dir / role / f"{name}.key")
            made[name] = Path(secret)
    os.chmod(keys_dir / "server.key_secret", 0o600)
    return made


def _check_name(name: str) -> None:
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise SecurityError(f"key name {name!r} must be letters, digits, '-', '_' or '.'")


def server_keys(keys_dir: str | Path) -> KeyPair:
    path = Path(keys_dir) / "server.key_secret"
    if not path.exists():
        raise SecurityError(f"{path} not found; create keys with: qirrt keys generate {keys_dir}")
    public, secret = zmq.auth.load_certificate(path)
    return KeyPair(public, secret)


def server_public_key(keys_dir: str | Path) -> bytes:
    path = Path(keys_dir) / "server.key"
    if not path.exists():
        raise SecurityError(f"{path} not found; copy the broker's server.key next to your key")
    return zmq.auth.load_certificate(path)[0]


def peer_keys(keys_dir: str | Path, name: str | None = None) -> KeyPair:
    """A client's or worker's key pair: `name`.key_secret, or the only non-server one in the directory."""
    keys_dir = Path(keys_dir)
    if name is None:
        found = sorted(p for p in keys_dir.glob("*.key_secret") if p.name != "server.key_secret")
        if len(found) != 1:
            raise SecurityError(f"{keys_dir} holds {len(found)} client key pairs; name one with keys=(dir, name)")
        path = found[0]
    else:
        path = keys_dir / f"{name}.key_secret"
    if not path.exists():
        raise SecurityError(f"{path} not found; create keys with: qirrt keys generate {keys_dir}")
    public, secret = zmq.auth.load_certificate(path)
    return KeyPair(public, secret)


def allowlist(keys_dir: str | Path) -> dict[bytes, str]:
    """z85 public key -> user id, from DIR/clients/*.key and DIR/workers/*.key."""
    keys_dir = Path(keys_dir)
    allowed: dict[bytes, str] = {}
    for role, prefix in (("clients", ""), ("workers", WORKER_PREFIX)):
        folder = keys_dir / role
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.key")):
            public, _ = zmq.auth.load_certificate(path)
            allowed[public] = prefix + path.stem
    if not allowed:
        raise SecurityError(f"no allowed keys in {keys_dir}/clients or {keys_dir}/workers; "
                            f"create some with: qirrt keys generate {keys_dir}")
    return allowed


def secure_server(socket: zmq.Socket, keys: KeyPair) -> None:
    socket.curve_server = True
    socket.curve_publickey = keys.public
    socket.curve_secretkey = keys.secret
    socket.zap_domain = b"qirrt"


def secure_client(socket: zmq.Socket, keys: KeyPair, server_public: bytes) -> None:
    socket.curve_publickey = keys.public
    socket.curve_secretkey = keys.secret
    socket.curve_serverkey = server_public


def is_loopback(url: str) -> bool:
    """True for tcp:// on a loopback address, ipc:// and inproc:// (which never leave the machine)."""
    parts = urlsplit(url)
    if parts.scheme in ("ipc", "inproc"):
        return True
    if parts.scheme != "tcp":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_or_loopback(url: str, *, keys: object, insecure_loopback: bool, what: str) -> None:
    if keys is not None and insecure_loopback:
        raise SecurityError(f"{what}: give either keys or insecure_loopback, not both")
    if keys is None and not insecure_loopback:
        raise SecurityError(f"{what} needs CurveZMQ keys (--keys DIR; make them with `qirrt keys generate DIR`) "
                            f"or --insecure-loopback on a loopback address")
    if insecure_loopback and not is_loopback(url):
        raise SecurityError(f"{what}: --insecure-loopback is allowed only on loopback addresses, not {url}")


class ZapHandler:
    """A ZAP (RFC 27) handler the broker polls in its own loop: CURVE keys on the allowlist get in."""

    def __init__(self, context: zmq.Context, allowed: dict[bytes, str]):
        self.allowed = dict(allowed)
        self.socket = context.socket(zmq.REP)
        self.socket.linger = 0
        self.socket.bind(ZAP_ENDPOINT)
        self.denied = 0

    def handle(self) -> None:
        frames = self.socket.recv_multipart()
        if len(frames) < 6:
            self.socket.send_multipart([b"1.0", frames[1] if len(frames) > 1 else b"", b"500",
                                        b"malformed ZAP request", b"", b""])
            return
        _version, request_id, _domain, address, _identity, mechanism = frames[:6]
        credentials = frames[6:]
        user = None
        if mechanism == b"CURVE" and len(credentials) == 1 and len(credentials[0]) == 32:
            user = self.allowed.get(z85.encode(credentials[0]))
        if user is None:
            self.denied += 1
            log.warning("refused a %s connection from %s", mechanism.decode(errors="replace"),
                        address.decode(errors="replace"))
            self.socket.send_multipart([b"1.0", request_id, b"400", b"key not allowed", b"", b""])
            return
        self.socket.send_multipart([b"1.0", request_id, b"200", b"OK", user.encode(), b""])

    def close(self) -> None:
        self.socket.close(0)
