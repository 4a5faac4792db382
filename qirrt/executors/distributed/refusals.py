"""How the broker turns a message away: a failed REPLY, or DISCONNECT and a ban.

A client whose request breaks a rule (`Refused`) or its schema gets a failed REPLY naming why, when the
request number can be read; a worker gets DISCONNECT and re-registers; a message that cannot be read at
all, or breaks the protocol, disconnects its sender, who is then ignored for a while (`admission.BAN_S`).
"""

from __future__ import annotations

import logging

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.admission import Refused, request_number

log = logging.getLogger(__name__)


class Refusals:
    """The answers `broker` gives to messages it will not handle."""

    def __init__(self, broker):
        self.broker = broker

    def answer(self, identity: bytes, frames: list, message: P.Message | None, exc: Exception) -> None:
        b = self.broker
        if isinstance(exc, P.ProtocolError):
            if not (isinstance(exc, P.SchemaError) and self._answer_invalid_request(identity, frames, str(exc))):
                self.disconnect(identity, frames, str(exc))
            return
        if isinstance(exc, Refused):
            self.refuse(identity, frames, message, str(exc))
            return
        b.stats["handler_errors"] += 1
        log.exception("refusing a message from %s that the broker failed to handle", identity.hex())
        self.refuse(identity, frames, message, f"the broker could not handle this message "
                                                f"({type(exc).__name__}: {exc}); it was refused")

    def refuse(self, identity: bytes, frames: list, message: P.Message | None, reason: str) -> None:
        """Refuse one message without forgetting its sender: a client gets a failed REPLY, a worker
        DISCONNECT (it re-registers). A message that failed before it was read disconnects its sender."""
        b = self.broker
        b.stats["refused"] += 1
        log.warning("refused a message from %s: %s", identity.hex(), reason)
        if message is None:
            self.disconnect(identity, frames, reason)
            return
        if message.header == P.CLIENT:
            b.reply(identity, message.body["req"], False, error=reason[:2000])
            return
        worker = b.workers.get(identity)
        if worker is not None:
            b.roster.purge(worker, f"refused: {reason}", death=False)
        b.admission.forget(identity)
        b.to_worker(identity, P.W_DISCONNECT, {"reason": reason[:2000]})

    def _answer_invalid_request(self, identity: bytes, frames: list, reason: str) -> bool:
        """A client request that breaks its schema but carries a readable request number gets a failed
        REPLY naming the field, so the caller sees why instead of a silent disconnect."""
        b = self.broker
        if len(frames) != 4 or bytes(frames[1]) != P.CLIENT:
            return False
        req = request_number(frames[3])
        if req is None:  # no request number to answer: DISCONNECT as for any garbage
            return False
        b.stats["refused"] += 1
        log.warning("refused an invalid request from %s: %s", identity.hex(), reason)
        b.reply(identity, req, False, error=f"invalid request: {reason}"[:2000])
        return True

    def over_budget(self, identity: bytes, body: bytes) -> None:
        b = self.broker
        b.stats["refused_bytes"] += 1
        req = request_number(body)
        if req is None:  # unreadable: the sender hears nothing more than DISCONNECT
            self.disconnect(identity, [identity, P.CLIENT], "over the connection's byte budget")
            return
        log.warning("refused %d bytes from %s: over its byte budget", len(body), identity.hex())
        b.reply(identity, req, False, error=b.admission.over_budget_reason(len(body)))

    def disconnect(self, identity: bytes, frames: list, reason: str) -> None:
        """Refuse a message without side effects: DISCONNECT the sender and ignore it from now on."""
        b = self.broker
        b.stats["disconnected"] += 1
        log.warning("disconnecting peer %s: %s", identity.hex(), reason)
        header = bytes(frames[1]) if len(frames) > 1 and bytes(frames[1]) in P.HEADERS else P.CLIENT
        command = P.W_DISCONNECT if header == P.WORKER else P.C_DISCONNECT
        b.outbox.append((identity, header, command, {"reason": reason[:200]}))
        worker = b.workers.get(identity)
        if worker is not None:
            b.roster.purge(worker, f"disconnected: {reason}", death=True)
        b.admission.ban(identity)
