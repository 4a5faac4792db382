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

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.utils import z85

from qirrt.errors import ExecutionError
from qirrt.executors.distributed import endpoint

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
            raise SecurityError(f"{keys_dir} holds {len(found)} key pairs besides the server's; name the one to use: "
                                f"keys=(directory, name) in Python, --key-name on the command line")
        path = found[0]
    else:
        path = keys_dir / f"{name}.key_secret"
    if not path.exists():
        raise SecurityError(f"{path} not found; create keys with: qirrt keys generate {keys_dir}")
    public, secret = zmq.auth.load_certificate(path)
    return KeyPair(public, secret)


def connecting_keys(keys: str | Path | tuple | None) -> tuple[tuple[KeyPair, bytes] | None, str | None]:
    """For a client or worker given `keys` (a directory, or (directory, key name)): its key pair and the
    broker's public key, and how to name them in an error; (None, None) without keys."""
    if keys is None:
        return None, None
    keys_dir, key_name = keys if isinstance(keys, tuple) else (keys, None)
    hint = f"{keys_dir}" + (f", key {key_name}" if key_name else "")
    return (peer_keys(keys_dir, key_name), server_public_key(keys_dir)), hint


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
    """True for tcp:// on a loopback address, ipc:// and inproc:// (which never leave the machine);
    False for anything that is not a plain endpoint (see `endpoint.parse`)."""
    try:
        return endpoint.parse(url, bind=True).is_loopback
    except endpoint.EndpointError:
        return False


def require_secure_or_loopback(url: str, *, keys: object, insecure_loopback: bool, what: str,
                               bind: bool = False) -> endpoint.Endpoint:
    """Parse `url` strictly and check the rule: keys, or no keys on a loopback address only."""
    where = endpoint.parse(url, bind=bind)
    if keys is not None and insecure_loopback:
        raise SecurityError(f"{what}: give either keys or insecure_loopback, not both")
    if keys is None and not insecure_loopback:
        raise SecurityError(f"{what} needs CurveZMQ keys (--keys DIR; make them with `qirrt keys generate DIR`) "
                            f"or --insecure-loopback on a loopback address")
    if insecure_loopback and not where.is_loopback:
        raise SecurityError(f"{what}: --insecure-loopback is allowed only on loopback addresses "
                            f"(127.0.0.0/8, [::1], localhost, ipc://), not {url}")
    return where


def bind(socket: zmq.Socket, url: str, *, insecure_loopback: bool, what: str) -> str:
    """Bind `socket` to `url` and return the address ZeroMQ really bound (``LAST_ENDPOINT``).

    Without keys, an address that is not loopback is unbound again at once, before the caller
    handles any message, and refused: the check is on what ZeroMQ did, not on how the URL reads."""
    where = endpoint.parse(url, bind=True)
    if where.ipv6:
        socket.ipv6 = True
    try:
        socket.bind(url)
    except zmq.ZMQError as exc:
        raise endpoint.EndpointError(f"{what} cannot listen on {url}: {zmq.strerror(exc.errno)}; pick another address or "
                                     f"port (port 0 picks a free one) or stop what holds it") from None
    bound = socket.getsockopt_string(zmq.LAST_ENDPOINT)
    if insecure_loopback:
        try:
            loopback = endpoint.parse(bound, bind=True).is_loopback
        except endpoint.EndpointError:
            loopback = False
        if not loopback:
            try:
                socket.unbind(bound)
            except zmq.ZMQError:
                pass
            raise SecurityError(f"{what}: {url} made ZeroMQ listen on {bound}, which is not a loopback "
                                f"address; --insecure-loopback is allowed only on loopback addresses")
    return bound


def connect(socket: zmq.Socket, url: str, *, what: str) -> None:
    """Connect `socket` to `url` (parsed strictly); a ZeroMQ refusal becomes an `EndpointError`."""
    if endpoint.parse(url).ipv6:
        socket.ipv6 = True
    try:
        socket.connect(url)
    except zmq.ZMQError as exc:
        raise endpoint.EndpointError(f"{what} cannot connect to {url}: {zmq.strerror(exc.errno)}") from None


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
