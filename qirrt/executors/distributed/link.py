"""What a client's or worker's connection to the broker has seen, told by ZeroMQ's socket monitor.

A DEALER socket hides its connection: a broker that refuses the key, or expects another server key,
looks exactly like a broker that is slow to answer, and ZeroMQ does not even reconnect after an
authentication failure. `Link` reads the socket's monitor events so that a call can say precisely
why it got no reply: the key was refused (ZAP status 400), one side uses keys and the other does
not, the CURVE handshake keeps failing (a wrong server key), or nothing listens at the address.
"""

from __future__ import annotations

import zmq
from zmq.utils.monitor import recv_monitor_message

from qirrt.errors import JobTimeoutError
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.security import SecurityError

_E = zmq.Event
EVENTS = int(_E.CONNECTED | _E.DISCONNECTED | _E.CLOSED | _E.CONNECT_RETRIED | _E.HANDSHAKE_SUCCEEDED
             | _E.HANDSHAKE_FAILED_NO_DETAIL | _E.HANDSHAKE_FAILED_PROTOCOL | _E.HANDSHAKE_FAILED_AUTH)
_NOBLOCK = int(zmq.NOBLOCK)
_MISMATCH = int(zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)


class KeyRefusedError(SecurityError):
    """The broker refused this peer's key, or one side uses CurveZMQ keys and the other does not."""


class BrokerUnreachableError(JobTimeoutError):
    """No reply within the timeout, and the connection to the broker never (re)opened: the message
    says what the connection saw and what to check (keys, address, the broker running)."""


class Link:
    """The monitor of one DEALER socket (create it before `connect`); `update()` reads its events."""

    def __init__(self, socket: zmq.Socket, url: str, *, keys: str | None, role: str = "client"):
        self.url = url
        self.keys = keys  # a description of the key pair in use, for messages; None without keys
        self.role = role
        self.monitor = socket.get_monitor_socket(EVENTS)
        self.socket = socket
        self.up = False
        self.ever_up = False
        self.tcp_connects = 0
        self.handshake_failures = 0
        self.refused: str | None = None

    def update(self) -> None:
        """Read every waiting event; raises `KeyRefusedError` once the broker has refused us."""
        while self.monitor is not None:
            try:
                event = recv_monitor_message(self.monitor, _NOBLOCK)
            except zmq.Again:
                break
            handler = _ON_EVENT.get(int(event["event"]))
            if handler is not None:
                handler(self, int(event["value"]))
        if self.refused is not None:
            raise KeyRefusedError(self.refused)

    def _on_connected(self, value: int) -> None:
        self.tcp_connects += 1

    def _on_handshake(self, value: int) -> None:
        self.up = self.ever_up = True
        self.handshake_failures = 0

    def _on_disconnected(self, value: int) -> None:
        self.up = False

    def _on_auth_failed(self, value: int) -> None:
        self.refused = (f"the broker at {self.url} refused this {self.role}'s key (ZAP status {value}); "
                        f"check --keys/--key-name ({self.keys}): the matching public key must be in the "
                        f"broker's keys directory under {'workers' if self.role == 'worker' else 'clients'}/")

    def _on_protocol_failed(self, value: int) -> None:
        if value != _MISMATCH:
            self.handshake_failures += 1
            return
        self.refused = (f"the broker at {self.url} "
                        + ("does not use CurveZMQ keys; connect with --insecure-loopback"
                           if self.keys else "needs CurveZMQ keys; connect with --keys DIR")
                        + " (one side uses keys and the other does not)")

    def _on_handshake_failed(self, value: int) -> None:
        self.handshake_failures += 1

    def unreachable(self, waited_s: float) -> BrokerUnreachableError:
        """The error for a call that got no reply in `waited_s` while the link was down."""
        head = f"no reply from the broker at {self.url} within {waited_s:g} s"
        if self.handshake_failures:
            hint = (f"check that the server.key next to your key ({self.keys}) is a copy of the broker's server.key"
                    if self.keys else "the broker probably needs CurveZMQ keys: connect with --keys DIR")
            why = f"connections opened but the handshake failed {self.handshake_failures} times; {hint}"
        elif self.tcp_connects:
            why = ("a connection opened but the handshake never finished; check the keys "
                   f"({self.keys or 'none'}) and that a qirrt broker listens there")
        else:
            why = ("nothing accepted a connection there; check that the broker is running, the address, "
                   f"and the keys ({self.keys or 'none'})")
        return BrokerUnreachableError(f"{head}: {why}")

    def close(self, *, socket: bool = False) -> None:
        """Stop monitoring; with `socket`, close the socket too."""
        if self.monitor is not None:
            try:
                self.socket.disable_monitor()
            except zmq.ZMQError:
                pass
            self.monitor.close(0)
            self.monitor = None
        if socket:
            self.socket.close(0)


_ON_EVENT = {int(_E.CONNECTED): Link._on_connected, int(_E.HANDSHAKE_SUCCEEDED): Link._on_handshake,
             int(_E.DISCONNECTED): Link._on_disconnected, int(_E.HANDSHAKE_FAILED_AUTH): Link._on_auth_failed,
             int(_E.HANDSHAKE_FAILED_PROTOCOL): Link._on_protocol_failed,
             int(_E.HANDSHAKE_FAILED_NO_DETAIL): Link._on_handshake_failed}


def open_link(context: zmq.Context, url: str, *, keys: tuple | None, keys_hint: str | None, role: str,
              **options) -> Link:
    """A DEALER socket connected to the broker at `url` (with CurveZMQ `keys` when given, and the socket
    `options` given), and its `Link`; `link.socket` is the socket."""
    sock = context.socket(zmq.DEALER)
    sock.linger = 0
    sock.maxmsgsize = P.MAXMSGSIZE_BYTES
    for name, value in options.items():
        setattr(sock, name, value)
    link = None
    try:
        if keys is not None:
            security.secure_client(sock, *keys)
        sock.reconnect_ivl = 50
        link = Link(sock, url, keys=keys_hint, role=role)
        security.connect(sock, url, what=f"the {role}")
    except Exception:
        if link is not None:
            link.close()
        sock.close(0)
        raise
    return link
