"""What the broker lets in before it reads a message: each connection's byte budget, replay numbers and bans.

A client connection may send at most `peer_burst_bytes` at once and `peer_bytes_per_s` after that (a token
bucket on the monotonic clock, on top of ZMQ_MAXMSGSIZE per message). A message over the budget is refused
unread; a peer the broker disconnected is ignored for `BAN_S` seconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import msgspec

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.ratelimit import TokenBucket

BAN_S = 60.0
MAX_PEERS = 100_000
MAX_BANNED = 10_000


class Refused(Exception):  # control flow inside the broker, never seen outside
    """Handling a message stopped with a reason for its sender; the message's changes are rolled back."""


class _RequestNumber(msgspec.Struct):
    """The `req` of a client request the broker answers without reading the rest: over its byte budget, or
    breaking its schema."""

    req: Annotated[int, msgspec.Meta(ge=0, le=P.MAX_INT64)]


_read_req = msgspec.msgpack.Decoder(_RequestNumber)


def request_number(body: bytes) -> int | None:
    """The request number of a client message body the broker will not read, or None when it has none."""
    try:
        return _read_req.decode(bytes(body)).req
    except Exception:  # noqa: BLE001 -- no request number to answer
        return None


@dataclass
class Peer:
    last_seq: int = -1
    budget: TokenBucket | None = None  # the connection's byte budget, made on first use


class Admission:
    """The connections the broker has heard from, their byte budgets, and the banned ones."""

    def __init__(self, *, burst_bytes: int, bytes_per_s: float, mono: Callable[[], float]):
        self.burst_bytes = burst_bytes
        self.bytes_per_s = bytes_per_s
        self.mono = mono
        self.peers: OrderedDict[bytes, Peer] = OrderedDict()
        self.banned: OrderedDict[bytes, float] = OrderedDict()

    def peer(self, identity: bytes) -> Peer:
        peer = self.peers.get(identity)
        if peer is None:
            peer = self.peers[identity] = Peer()
            if len(self.peers) > MAX_PEERS:
                self.peers.popitem(last=False)
        return peer

    def within_budget(self, peer: Peer, size: int) -> bool:
        if peer.budget is None:
            peer.budget = TokenBucket(self.bytes_per_s, float(self.burst_bytes))
        return peer.budget.take(size, self.mono())

    def over_budget_reason(self, size: int) -> str:
        return (f"byte budget: this connection may send at most {self.burst_bytes >> 20} MiB at once "
                f"and {self.bytes_per_s / (1 << 20):g} MiB/s after that; this message "
                f"({size >> 20} MiB) was refused unread; retry later")

    def check_replay(self, peer: Peer, seq: int) -> None:
        if seq <= peer.last_seq:
            raise P.ProtocolError(f"replayed message (seq {seq} after {peer.last_seq})")
        peer.last_seq = seq

    def forget(self, identity: bytes) -> None:
        self.peers.pop(identity, None)

    def ban(self, identity: bytes) -> None:
        self.peers.pop(identity, None)
        self.banned[identity] = self.mono() + BAN_S
        while len(self.banned) > MAX_BANNED:
            self.banned.popitem(last=False)

    def unban_due(self, now_mono: float) -> None:
        for identity, until in list(self.banned.items()):
            if until >= now_mono:
                break
            del self.banned[identity]
