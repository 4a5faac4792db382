"""The broker: one ROUTER socket, a persistent queue, capability matching and worker liveness.

Modelled on the Majordomo broker (``mdbroker.py``), with the job state in a `Store`. One loop turn:
poll; answer ZAP requests; handle every message that has arrived (schema-checked, replay-checked);
expire workers, orphans, sessions and time limits; dispatch queued jobs to free worker slots;
commit the store; and only then send what the turn produced (acknowledgements, dispatches,
results). Nothing a peer is told about is lost to a SIGKILL.

No message ends the broker: each is checked against its msgspec schema (`protocol`) before anything
is stored, handled inside a savepoint of its own, and a failure while handling it rolls that message
back, refuses it with the reason and goes on. A stored job that cannot be scheduled (a spec an older
version stored that no longer validates, say) is failed with the reason, not retried.

Limits, each refused with a reason that names the option to change: reservations are for operators
only and at most `max_reservation_s` long; a worker name belongs to the key that first registered
it (and a key's own name, `keys/workers/<name>.key`, to that key from the start); a user may have at most `user_max_queued` jobs and `user_max_queued_bytes` of job specs queued;
a client connection may send at most `peer_burst_bytes` at once and `peer_bytes_per_s` after that
(on top of ZMQ_MAXMSGSIZE per message, past which libzmq drops the connection).

Poisonous jobs. The broker cannot tell a worker SIGKILLed by an operator (or the OOM killer, or a
lost network) from one killed by the job it was running. So a worker's death (missed heartbeats, a
new connection under its name that no longer lists the job, a protocol violation) counts against
every job it was running: the first death marks the job *suspect* (its error says so) and requeues
it once more; when a second worker dies under it (`max_worker_deaths`, default 2) it is failed as
*poisonous* and not retried onto other workers. A job that stores a new checkpoint has made progress
since: deaths before it no longer count (a day-long job outlives many worker restarts; only
`max_attempts` bounds a job that checkpoints between deaths). A worker that can tell (its sandbox saw the workload
attack it) reports the job failed with ``retry`` false, which fails it at once. A worker that says
goodbye, and jobs whose worker does not come back after a *broker* restart, are not deaths: neither
is the job's fault.

Two clocks: liveness (heartbeats, orphan grace) runs on `time.monotonic`; everything about jobs
(submission times, retry backoff, time limits, reservations, ETAs) runs on the injectable `clock`, so a
day-long job can be tested in seconds.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import msgspec
import zmq

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.jobqueue import JobQueue, QueueEntry, matches
from qirrt.executors.distributed.store import DONE, FAILED, FINAL_STATES, QUEUED, RUNNING, Store, StoreError

log = logging.getLogger(__name__)

_NOBLOCK, _SNDMORE = int(zmq.NOBLOCK), int(zmq.SNDMORE)
MAX_BATCH = 1000  # messages handled per loop turn (one commit)
MAX_STATUS_JOBS = P.MAX_STATUS_JOBS
BAN_S = 60.0
MAX_UNACKED = 256  # results acknowledged at once when this many wait for the next heartbeat
SLIM_SPEC_BYTES = 16 * 1024  # queued specs larger than this wait in the store, not in memory

__all__ = ["Broker", "QueueEntry", "matches"]


@dataclass
class WorkerRecord:
    identity: bytes
    name: str
    user: str
    capabilities: dict
    slots: int
    expiry: float
    running: dict[str, int] = field(default_factory=dict)  # job id -> attempt
    speed: float = 1.0  # observed duration / estimated duration (EWMA)
    acks: list[tuple[str, int]] = field(default_factory=list)  # results to acknowledge at the next heartbeat
    incarnation: str = ""  # the worker process; the same one reconnecting has not died

    @property
    def free(self) -> int:
        return self.slots - len(self.running)


@dataclass
class Running:
    worker: bytes
    attempt: int
    user: str
    spec: dict
    started_at: float  # clock
    started_mono: float
    time_limit_s: float | None


@dataclass
class Peer:
    last_seq: int = -1
    byte_tokens: float | None = None  # the connection's byte budget (token bucket), filled on first use
    byte_at: float = 0.0


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: float):
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.tokens = burst
        self.at: float | None = None

    def take(self, n: float, now: float) -> bool:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate_per_s)
        self.at = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False


class _RequestNumber(msgspec.Struct):
    """The `req` of a client request the broker answers without reading the rest: over its byte budget, or
    breaking its schema."""

    req: Annotated[int, msgspec.Meta(ge=0, le=P.MAX_INT64)]


_read_req = msgspec.msgpack.Decoder(_RequestNumber)


class Refused(Exception):  # control flow inside the broker, never seen outside
    """Handling a message stopped with a reason for its sender; the message's changes are rolled back."""


class Broker:
    """A qirrt broker bound to `bind`, keeping its state in `store_path`."""

    def __init__(self, bind: str, store_path: str | Path, *, keys_dir: str | Path | None = None,
                 insecure_loopback: bool = False, clock: Callable[[], float] = time.time,
                 heartbeat_interval_ms: int = P.HEARTBEAT_INTERVAL_MS,
                 heartbeat_liveness: int = P.HEARTBEAT_LIVENESS, default_max_attempts: int = 5,
                 retry_backoff_s: float = 0.1, max_retry_backoff_s: float = 60.0,
                 user_max_running: int | None = None, user_rate_per_s: float | None = None,
                 user_burst: float = 1000.0, max_session_s: float = 7 * 86400.0,
                 operators: tuple[str, ...] | list[str] = (), max_reservation_s: float = 86400.0,
                 user_max_queued: int | None = 100_000, user_max_queued_bytes: int | None = 1 << 30,
                 max_message_bytes: int = P.MAXMSGSIZE_BYTES, peer_burst_bytes: int = 64 << 20,
                 peer_bytes_per_s: float = 16 << 20, max_worker_deaths: int = 2,
                 synchronous: str = "NORMAL", context: zmq.Context | None = None):
        security.require_secure_or_loopback(bind, keys=keys_dir, insecure_loopback=insecure_loopback,
                                            what="the broker", bind=True)
        self.clock = clock
        self.heartbeat_interval_s = heartbeat_interval_ms / 1000.0
        self.heartbeat_liveness = heartbeat_liveness
        self.default_max_attempts = default_max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.max_retry_backoff_s = max_retry_backoff_s
        self.user_max_running = user_max_running
        self.user_rate_per_s = user_rate_per_s
        self.user_burst = user_burst
        self.max_session_s = max_session_s
        self.operators = frozenset(operators)
        self.max_reservation_s = max_reservation_s
        self.user_max_queued = user_max_queued
        self.user_max_queued_bytes = user_max_queued_bytes
        self.peer_burst_bytes = peer_burst_bytes
        self.peer_bytes_per_s = peer_bytes_per_s
        self.max_worker_deaths = max(1, max_worker_deaths)
        self.store = Store(store_path, synchronous=synchronous)
        self.context = context or P.context()
        self.secure = keys_dir is not None
        self.zap = None
        if self.secure:
            self.zap = security.ZapHandler(self.context, security.allowlist(keys_dir))
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.linger = 0
        self.socket.maxmsgsize = max_message_bytes
        self.socket.router_mandatory = 1
        self.socket.sndhwm = 100_000
        self.socket.rcvhwm = 10_000  # per connection: what libzmq reads ahead of the broker
        if self.secure:
            security.secure_server(self.socket, security.server_keys(keys_dir))
        try:
            self.endpoint = security.bind(self.socket, bind, insecure_loopback=insecure_loopback, what="the broker")
        except Exception:
            self.close()  # nothing was handled on it: a refused address never serves a message
            raise
        self.poller = zmq.Poller()
        self.poller.register(self.socket, zmq.POLLIN)
        self._poll_items = [(self.socket, int(zmq.POLLIN))]
        if self.zap is not None:
            self.poller.register(self.zap.socket, zmq.POLLIN)

        self.workers: dict[bytes, WorkerRecord] = {}
        self.peers: OrderedDict[bytes, Peer] = OrderedDict()
        self.banned: OrderedDict[bytes, float] = OrderedDict()
        self.queue = JobQueue()
        self.running: dict[str, Running] = {}
        self.orphans: dict[str, tuple[int, str | None, float, dict, str, float]] = {}
        # job id -> (attempt, worker name, failure counted, death counted) of a lease lost to a missed
        # heartbeat or an orphan's grace: if that worker comes back with the attempt (still running, or
        # finished while the broker could not hear it) before the job starts again, the job resumes there
        # instead of re-running, and the failure and death counted against it are given back.
        self.lost_leases: OrderedDict[str, tuple[int, str, bool, bool]] = OrderedDict()
        self.waiters: dict[str, list[tuple[bytes, int]]] = defaultdict(list)
        self.user_running: dict[str, int] = defaultdict(int)
        self.buckets: dict[str, TokenBucket] = {}
        self.outbox: list[tuple[bytes, bytes, bytes, dict]] = []
        self.counter = itertools.count()
        self.out_seq = itertools.count(int(time.time() * 1_000_000))
        self.mean_duration_s = 1.0
        self.stats = defaultdict(int)
        self.heartbeat_at = time.monotonic() + self.heartbeat_interval_s
        self._last_tick_mono = time.monotonic()
        self._stopped = False
        self._recover()

    # -- start-up ---------------------------------------------------------------------------------
    def _recover(self) -> None:
        """Rebuild the queue from the store after a (re)start; running jobs wait for their workers.
        A stored spec that no longer validates (an older version stored it) fails its job."""
        now = self.clock()
        for row in self.store.jobs_in(QUEUED):
            spec = self._valid_stored_spec(row, now)
            if spec is not None:
                self._enqueue(row.id, row.user, spec, row.not_before, row.checkpoint)
        grace = time.monotonic() + self.heartbeat_interval_s * (self.heartbeat_liveness + 2)
        for row in self.store.jobs_in(RUNNING):
            spec = self._valid_stored_spec(row, now)
            if spec is not None:
                self.orphans[row.id] = (row.attempt, row.worker, grace, spec, row.user, row.started_at or now)
        self.reservations = [tuple(r) for r in self.store.reservations()]
        self.store.commit()
        if self.queue or self.orphans:
            log.info("recovered %d queued and %d running jobs from %s", len(self.queue), len(self.orphans),
                     self.store.path)

    def _valid_stored_spec(self, row, now: float) -> dict | None:
        try:
            return P.check_job_spec(row.spec)
        except P.ProtocolError as exc:
            reason = f"cannot be scheduled: its stored spec is not valid ({exc}); resubmit it"
            log.warning("failing stored job %s: %s", row.id, reason)
            self.store.fail(row.id, reason, now)
            return None

    # -- the loop ---------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopped = True

    def run(self, *, duration_s: float | None = None) -> None:
        end = None if duration_s is None else time.monotonic() + duration_s
        try:
            while not self._stopped and (end is None or time.monotonic() < end):
                try:
                    self.turn(timeout_ms=self._poll_timeout_ms())
                except Exception:  # noqa: BLE001 -- a turn that fails must not end the broker
                    self._turn_failed()
        finally:
            self.close()

    def _turn_failed(self) -> None:
        """A failure outside any one message (a commit, a timer): undo the turn's uncommitted changes and
        tell no one about them; clients resend (submissions are idempotent) and workers re-register."""
        self.stats["turn_errors"] += 1
        log.exception("broker turn failed; its uncommitted changes are rolled back")
        self.outbox.clear()
        try:
            self.store.rollback()
        except Exception:
            log.exception("rollback failed")
        time.sleep(0.01)  # a failure that repeats every turn must not spin a core

    def _poll_timeout_ms(self) -> int:
        wait = self.heartbeat_at - time.monotonic()
        if self.queue:
            wait = min(wait, 0.05)  # retry backoffs and rate limits become due
        return max(0, int(wait * 1000))

    def turn(self, *, timeout_ms: int = 0) -> None:
        if self.zap is None:
            readable = bool(P._zmq_poll(self._poll_items, timeout_ms))
        else:
            events = dict(self.poller.poll(timeout_ms))
            if self.zap.socket in events:
                while self.zap.socket.poll(0):
                    self.zap.handle()
            readable = self.socket in events
        if readable:
            sock, copy, receive = self.socket, not self.secure, self._receive
            handled = 0
            while handled < MAX_BATCH:
                try:
                    frames = P.recv_frames(sock, copy)
                except zmq.Again:
                    break
                receive(frames)
                handled += 1
                # Usually one message arrived: ask instead of paying for a zmq.Again; a burst
                # (a pipelined batch) drains to the end without asking again.
                if handled == 1 and not P.readable(sock):
                    break
        now_mono = time.monotonic()
        if now_mono >= self.heartbeat_at:
            self._guarded(self._tick, now_mono)
            self.heartbeat_at = now_mono + self.heartbeat_interval_s
        self._dispatch()
        if self.store.db.in_transaction:
            self.store.commit()
        self._flush()

    def _guarded(self, step, *args) -> None:
        """Run one timer step in a savepoint; a failure rolls it back and is logged, the turn goes on."""
        db = self.store.db
        if not db.in_transaction:
            db.execute("BEGIN")
        db.execute("SAVEPOINT step")
        try:
            step(*args)
        except Exception:
            db.execute("ROLLBACK TO step")
            self.stats["step_errors"] += 1
            log.exception("broker step %s failed; rolled back", getattr(step, "__name__", step))
        finally:
            db.execute("RELEASE step")

    def _flush(self) -> None:
        outbox, self.outbox = self.outbox, []
        sock, send, pack, out_seq = self.socket, P.raw_send, P.pack, self.out_seq
        more, last = _NOBLOCK | _SNDMORE, _NOBLOCK  # plain ints: pyzmq's enum arithmetic costs µs per frame
        for identity, header, command, body in outbox:
            body["seq"] = next(out_seq)
            try:
                send(sock, identity, more)
                send(sock, header, more)
                send(sock, command, more)
                send(sock, pack(body), last)
            except zmq.ZMQError:  # the peer is gone (ROUTER_MANDATORY) or its queue is full
                self.stats["send_failed"] += 1

    def close(self) -> None:
        self.socket.close(0)
        if self.zap is not None:
            self.zap.close()
        self.store.close()

    # -- receiving --------------------------------------------------------------------------------
    def _receive(self, frames: list) -> None:
        if self.secure:
            user = frames[-1].get("User-Id")
            frames = [f.bytes for f in frames]
        else:
            user = None
        identity = frames[0]
        if identity in self.banned:
            self.stats["dropped_banned"] += 1
            return
        db = self.store.db
        if not db.in_transaction:
            db.execute("BEGIN")  # else releasing the savepoint would commit: one commit per turn, not per message
        db.execute("SAVEPOINT message")
        outbox_mark = len(self.outbox)
        message = None
        try:
            peer = self.peers.get(identity)
            if peer is None:
                peer = self.peers[identity] = Peer()
                if len(self.peers) > 100_000:
                    self.peers.popitem(last=False)
            if len(frames) == 4 and frames[1] == P.CLIENT and not self._within_byte_budget(peer, len(frames[3])):
                self._refuse_bytes(identity, frames[3])
                return
            message = P.decode(frames[1:])
            if message.body["seq"] <= peer.last_seq:
                raise P.ProtocolError(f"replayed message (seq {message.body['seq']} after {peer.last_seq})")
            peer.last_seq = message.body["seq"]
            if user is None:
                user = message.body.get("user") or "anonymous"
            is_worker_key = user.startswith(security.WORKER_PREFIX)
            if message.header == P.WORKER:
                if self.secure and not is_worker_key:
                    raise P.ProtocolError("a user key may not act as a worker")
                self._worker_message(identity, user, message)
            else:
                if self.secure and is_worker_key:
                    raise P.ProtocolError("a worker key may not act as a client")
                self._client_message(identity, user, message)
        except P.ProtocolError as exc:
            db.execute("ROLLBACK TO message")
            del self.outbox[outbox_mark:]
            if isinstance(exc, P.SchemaError) and self._answer_invalid_request(identity, frames, str(exc)):
                return
            self._disconnect(identity, frames, str(exc))
        except Refused as exc:
            db.execute("ROLLBACK TO message")
            del self.outbox[outbox_mark:]
            self._refuse(identity, frames, message, str(exc))
        except Exception as exc:  # one message must never end the broker
            db.execute("ROLLBACK TO message")
            del self.outbox[outbox_mark:]
            self.stats["handler_errors"] += 1
            log.exception("refusing a message from %s that the broker failed to handle", identity.hex())
            self._refuse(identity, frames, message, f"the broker could not handle this message "
                                            f"({type(exc).__name__}: {exc}); it was refused")
        finally:
            db.execute("RELEASE message")

    def _refuse(self, identity: bytes, frames: list, message: P.Message | None, reason: str) -> None:
        """Refuse one message without forgetting its sender: a client gets a failed REPLY, a worker
        DISCONNECT (it re-registers). A message that failed before it was read disconnects its sender."""
        self.stats["refused"] += 1
        log.warning("refused a message from %s: %s", identity.hex(), reason)
        if message is None:
            self._disconnect(identity, frames, reason)
            return
        if message.header == P.CLIENT:
            self._reply(identity, message.body["req"], False, error=reason[:2000])
            return
        worker = self.workers.get(identity)
        if worker is not None:
            self._purge(worker, f"refused: {reason}", death=False)
        self.peers.pop(identity, None)
        self.outbox.append((identity, P.WORKER, P.W_DISCONNECT, {"reason": reason[:2000]}))

    def _answer_invalid_request(self, identity: bytes, frames: list, reason: str) -> bool:
        """A client request that breaks its schema but carries a readable request number gets a failed
        REPLY naming the field, so the caller sees why instead of a silent disconnect."""
        if len(frames) != 4 or bytes(frames[1]) != P.CLIENT:
            return False
        try:
            req = _read_req.decode(bytes(frames[3])).req
        except Exception:  # noqa: BLE001 -- no request number to answer: DISCONNECT as for any garbage
            return False
        self.stats["refused"] += 1
        log.warning("refused an invalid request from %s: %s", identity.hex(), reason)
        self._reply(identity, req, False, error=f"invalid request: {reason}"[:2000])
        return True

    def _within_byte_budget(self, peer: Peer, size: int) -> bool:
        now = time.monotonic()
        if peer.byte_tokens is None:
            peer.byte_tokens = float(self.peer_burst_bytes)
        else:
            peer.byte_tokens = min(float(self.peer_burst_bytes),
                                   peer.byte_tokens + (now - peer.byte_at) * self.peer_bytes_per_s)
        peer.byte_at = now
        if size > peer.byte_tokens:
            return False
        peer.byte_tokens -= size
        return True

    def _refuse_bytes(self, identity: bytes, body: bytes) -> None:
        self.stats["refused_bytes"] += 1
        try:
            req = _read_req.decode(body).req
        except Exception:  # noqa: BLE001 -- unreadable: the sender hears nothing more than DISCONNECT
            self._disconnect(identity, [identity, P.CLIENT], "over the connection's byte budget")
            return
        reason = (f"byte budget: this connection may send at most {self.peer_burst_bytes >> 20} MiB at once "
                  f"and {self.peer_bytes_per_s / (1 << 20):g} MiB/s after that; this message "
                  f"({len(body) >> 20} MiB) was refused unread; retry later")
        log.warning("refused %d bytes from %s: over its byte budget", len(body), identity.hex())
        self._reply(identity, req, False, error=reason)

    def _disconnect(self, identity: bytes, frames: list, reason: str) -> None:
        """Refuse a message without side effects: DISCONNECT the sender and ignore it from now on."""
        self.stats["disconnected"] += 1
        log.warning("disconnecting peer %s: %s", identity.hex(), reason)
        header = bytes(frames[1]) if len(frames) > 1 and bytes(frames[1]) in P.HEADERS else P.CLIENT
        command = P.W_DISCONNECT if header == P.WORKER else P.C_DISCONNECT
        self.outbox.append((identity, header, command, {"reason": reason[:200]}))
        worker = self.workers.get(identity)
        if worker is not None:
            self._purge(worker, f"disconnected: {reason}", death=True)
        self.peers.pop(identity, None)
        self.banned[identity] = time.monotonic() + BAN_S
        while len(self.banned) > 10_000:
            self.banned.popitem(last=False)

    # -- workers ----------------------------------------------------------------------------------
    def _worker_message(self, identity: bytes, user: str, message: P.Message) -> None:
        worker = self.workers.get(identity)
        command, body = message.command, message.body
        if command == P.W_READY:
            if worker is not None:
                raise P.ProtocolError("READY from a worker that is already registered")
            self._register(identity, user, body)
            return
        if worker is None:
            if command == P.W_RESULT:
                self.stats["stale_results"] += 1
                self.store.refuse(body["job"], body["attempt"], None, "result from an unregistered worker",
                                  self.clock())
            # Majordomo: anything but READY from an unknown worker gets DISCONNECT; it re-registers.
            self.outbox.append((identity, P.WORKER, P.W_DISCONNECT, {"reason": "not registered"}))
            self.peers.pop(identity, None)
            return
        worker.expiry = time.monotonic() + self.heartbeat_interval_s * self.heartbeat_liveness
        if command == P.W_HEARTBEAT:
            return
        if command == P.W_RESULT:
            self._result(worker, body)
        elif command == P.W_PROGRESS:
            if worker.running.get(body["job"]) == body["attempt"]:
                self.store.set_progress(body["job"], body["attempt"], min(1.0, body["progress"]),
                                        body.get("checkpoint"))
        elif command == P.W_DISCONNECT:
            self._purge(worker, "worker said goodbye", death=False)
            self.peers.pop(identity, None)

    def _register(self, identity: bytes, user: str, body: dict) -> None:
        capabilities = P.plain(body["capabilities"])
        name = body["worker"]
        now = self.clock()
        keyed = security.WORKER_PREFIX + name
        if self.secure and keyed != user and keyed in self.zap.allowed.values():
            raise P.ProtocolError(f"worker name {name} is the name of worker key {keyed}; this key ({user}) "
                                  f"may not use it: pick another --name")
        owner = self.store.bind_worker_name(name, user, now)
        if owner != user:
            raise P.ProtocolError(f"worker name {name} belongs to another worker key ({owner}); "
                                  f"this key ({user}) may not use it: pick another --name")
        listed = {job_id: attempt for job_id, attempt in body["running"]}
        carried: dict[str, int] = {}
        for other in list(self.workers.values()):
            if other.name == name:  # the same worker on a new connection: jobs it still lists carry over
                for job_id, attempt in list(other.running.items()):
                    if listed.get(job_id) == attempt:
                        carried[job_id] = attempt
                        del other.running[job_id]
                if body.get("incarnation") and other.incarnation == body["incarnation"]:
                    # the same process on a new connection: a job it does not list never reached it
                    self._purge(other, "reconnected without it (the job message was lost)", death=False)
                else:
                    self._purge(other, "re-registered without it (the worker restarted)", death=True)
        slots = capabilities.get("slots", 1)
        capabilities["name"] = name
        worker = WorkerRecord(identity, name, user, capabilities, slots,
                              time.monotonic() + self.heartbeat_interval_s * self.heartbeat_liveness,
                              incarnation=body.get("incarnation", ""))
        self.workers[identity] = worker
        self.queue.add_worker(identity, capabilities)
        self.store.register_worker(name, capabilities, now)
        self.stats["registrations"] += 1
        for job_id, attempt in carried.items():
            worker.running[job_id] = attempt
            self.running[job_id].worker = identity
        for job_id, attempt in body["running"]:
            if job_id not in carried and not self._adopt(worker, job_id, attempt):
                self.outbox.append((identity, P.WORKER, P.W_CANCEL, {"job": job_id, "attempt": attempt}))
        log.info("worker %s registered (%d slots, executors %s)", name, slots, capabilities.get("executors"))

    def _adopt(self, worker: WorkerRecord, job_id: str, attempt: int) -> bool:
        """Take back an attempt a re-registering worker still runs or has finished: a job orphaned by
        a broker restart, or requeued after its lease was lost and not started again since."""
        orphan = self.orphans.get(job_id)
        if orphan is not None and orphan[0] == attempt and orphan[1] == worker.name:
            del self.orphans[job_id]
            _, _, _, spec, job_user, started_at = orphan
        elif self.lost_leases.get(job_id, ())[:2] == (attempt, worker.name) and job_id in self.queue:
            _, _, refund_failure, refund_death = self.lost_leases[job_id]
            started_at = self.store.resume_attempt(job_id, attempt, worker.name, refund_failure=refund_failure,
                                                   refund_death=refund_death)
            if started_at is None:
                return False
            entry = self.queue.remove(job_id)
            del self.lost_leases[job_id]
            spec, job_user = entry.spec, entry.user
            if spec.get("slim"):
                spec = P.check_job_spec(self.store.get(job_id).spec)
            self.stats["resumed"] += 1
        else:
            return False
        worker.running[job_id] = attempt
        self.running[job_id] = Running(worker.identity, attempt, job_user, spec, started_at, time.monotonic(),
                                       spec.get("time_limit_s"))
        self.user_running[job_user] += 1
        return True

    def _result(self, worker: WorkerRecord, body: dict) -> None:
        job_id, attempt = body["job"], body["attempt"]
        # Acknowledge every result, whatever becomes of it: the worker keeps a result until then. The
        # acknowledgements go with the next heartbeat (after a commit), off the path of the reply.
        worker.acks.append((job_id, attempt))
        if len(worker.acks) >= MAX_UNACKED:  # a fast worker's list of kept results stays short
            self._acknowledge(worker)
        now = self.clock()
        if worker.running.get(job_id) != attempt:
            row = self.store.get(job_id)
            if row is not None and row.state == DONE and row.attempt == attempt and row.result_worker == worker.name:
                self.stats["duplicate_results"] += 1  # delivered again after a lost acknowledgement
                return
            self.stats["stale_results"] += 1
            self.store.refuse(job_id, attempt, worker.name, "result for an attempt this worker does not run", now)
            return
        del worker.running[job_id]
        running = self.running.pop(job_id, None)
        if running is not None:
            self.user_running[running.user] -= 1
            self._observe(worker, running, now)
        ok, error, retry = body["ok"], body.get("error"), body.get("retry")
        if ok:
            result = body.get("result") or {}
            try:
                P._check_plain(result, "result")
            except P.ProtocolError as exc:  # the job made something the broker cannot keep: its fault
                ok, error, retry = False, f"its result cannot be stored: {exc}", False
        if ok:
            if self.store.accept_result(job_id, attempt, worker.name, P.pack(result), now):
                self.stats["accepted"] += 1
                self._notify(job_id, {"state": DONE, "result": result})
            else:
                self.stats["stale_results"] += 1
            return
        error = (error or "the executor failed")[:2000]
        failures = (self.store.get(job_id).failures if running else 0) + 1
        retry_at = now + self._backoff_s(failures) if retry else None
        state = self.store.end_attempt(job_id, attempt, error=error, retry_at=retry_at, now=now)
        if state == QUEUED and running is not None:
            self._enqueue(job_id, running.user, running.spec, retry_at or 0.0, self.store.get(job_id).checkpoint)
        elif state is not None:
            self._notify(job_id, {"state": state, "error": error})

    def _acknowledge(self, worker: WorkerRecord) -> None:
        """Tell `worker` its reported results are safe in the store (a CANCEL of each attempt)."""
        for job_id, attempt in worker.acks:
            self.outbox.append((worker.identity, P.WORKER, P.W_CANCEL, {"job": job_id, "attempt": attempt}))
        worker.acks.clear()

    def _observe(self, worker: WorkerRecord, running: Running, now: float) -> None:
        elapsed = max(0.0, now - running.started_at)
        self.mean_duration_s = 0.9 * self.mean_duration_s + 0.1 * elapsed
        estimate = running.spec.get("estimated_duration_s")
        if estimate:
            worker.speed = 0.8 * worker.speed + 0.2 * (elapsed / float(estimate))

    def _backoff_s(self, failures: int) -> float:
        return min(self.max_retry_backoff_s, self.retry_backoff_s * 2 ** max(0, failures - 1))

    def _purge(self, worker: WorkerRecord, reason: str, *, death: bool) -> None:
        """Forget a worker; each job it ran goes back to the queue (or fails, out of attempts). With
        `death` the worker died under its jobs: each is suspect once, poisonous the next time."""
        self.workers.pop(worker.identity, None)
        self.queue.remove_worker(worker.identity)
        now = self.clock()
        self.store.worker_down(worker.name, now)
        for job_id, attempt in worker.running.items():
            running = self.running.pop(job_id, None)
            if running is None:
                continue
            self.user_running[running.user] -= 1
            self._lose_attempt(job_id, attempt, running.user, running.spec, f"worker {worker.name} lost: {reason}",
                               count_failure=True, death=death, worker_name=worker.name)
        worker.running.clear()
        log.info("worker %s purged: %s", worker.name, reason)

    def _lose_attempt(self, job_id: str, attempt: int, user: str, spec: dict, error: str, *,
                      count_failure: bool, death: bool = False, worker_name: str | None = None) -> None:
        now = self.clock()
        row = self.store.get(job_id)
        failures = (row.failures if row else 0) + (1 if count_failure else 0)
        retry_at = now + (self._backoff_s(failures) if count_failure else 0.0)
        if death:
            deaths = (row.worker_deaths if row else 0) + 1
            if deaths >= self.max_worker_deaths:
                error = (f"poisonous: {deaths} workers died while running it (last: {error}); "
                         f"not retried onto other workers")
                retry_at = None
            else:
                error = (f"suspect: {error}; retried once more, and failed as poisonous if its next worker "
                         f"dies too")
        state = self.store.end_attempt(job_id, attempt, error=error, retry_at=retry_at, now=now,
                                       count_failure=count_failure, worker_death=death)
        if state == QUEUED:
            self._enqueue(job_id, user, spec, retry_at, row.checkpoint if row else None)
            if worker_name is not None:
                self.lost_leases[job_id] = (attempt, worker_name, count_failure, death)
                while len(self.lost_leases) > 100_000:
                    self.lost_leases.popitem(last=False)
        elif state is not None:
            if death and state == FAILED:
                self.stats["poisonous"] += 1
                log.warning("job %s failed as poisonous: %s", job_id, error)
            self._notify(job_id, {"state": state, "error": error})

    # -- timers -----------------------------------------------------------------------------------
    def _tick(self, now_mono: float) -> None:
        late_s = now_mono - self._last_tick_mono - self.heartbeat_interval_s
        self._last_tick_mono = now_mono
        if late_s > self.heartbeat_interval_s:
            # The broker itself stalled (a long turn, a stopped process): heartbeats it did not read are not
            # deaths, and must not make jobs suspect. Every worker gets the time back.
            log.warning("broker loop stalled %.1f s; extending worker liveness", late_s)
            for worker in self.workers.values():
                worker.expiry += late_s
        for worker in list(self.workers.values()):
            if worker.expiry < now_mono:
                self.stats["expired"] += 1
                self._purge(worker, "missed heartbeats", death=True)
            else:
                self.outbox.append((worker.identity, P.WORKER, P.W_HEARTBEAT, {}))
                self._acknowledge(worker)
        for job_id, (attempt, name, grace, spec, user, _started) in list(self.orphans.items()):
            if grace < now_mono:
                del self.orphans[job_id]
                self._lose_attempt(job_id, attempt, user, spec, "its worker did not come back after a broker restart",
                                   count_failure=False, worker_name=name)
        now = self.clock()
        for job_id, running in list(self.running.items()):
            if running.time_limit_s is not None and now - running.started_at > running.time_limit_s:
                self._end_running(job_id, f"time limit of {running.time_limit_s:g} s exceeded", cancel=False)
        for session_id in self.store.expired_sessions(now):
            self.store.close_session(session_id)
            for job_id in [j for j, e in self.queue.entries.items() if e.spec.get("session") == session_id]:
                self._cancel(job_id, "session time limit exceeded")
            for job_id in [j for j, r in self.running.items() if r.spec.get("session") == session_id]:
                self._end_running(job_id, "session time limit exceeded", cancel=False)
        if any(end <= now for _n, _u, _s, end in self.reservations):
            self.store.drop_reservations_before(now)
            self.reservations = [r for r in self.reservations if r[3] > now]
        for identity, until in list(self.banned.items()):
            if until < now_mono:
                del self.banned[identity]
            else:
                break

    def _end_running(self, job_id: str, error: str, *, cancel: bool) -> None:
        running = self.running.pop(job_id)
        worker = self.workers.get(running.worker)
        if worker is not None:
            worker.running.pop(job_id, None)
            self.outbox.append((worker.identity, P.WORKER, P.W_CANCEL, {"job": job_id, "attempt": running.attempt}))
        self.user_running[running.user] -= 1
        now = self.clock()
        if cancel:
            self.store.cancel(job_id, now)
            self._notify(job_id, {"state": "cancelled", "error": error})
        else:
            self.store.fail(job_id, error, now)
            self._notify(job_id, {"state": "failed", "error": error})

    # -- queue and dispatch -----------------------------------------------------------------------
    def _enqueue(self, job_id: str, user: str, spec: dict, not_before: float, checkpoint: bytes | None,
                 size: int | None = None) -> None:
        """Queue a job. A large spec waits in the store: the queue keeps what scheduling reads."""
        if size is None:
            size = len(P.pack(spec))
        if size > SLIM_SPEC_BYTES:
            spec = {k: v for k, v in spec.items() if k not in ("program", "params", "workload")}
            spec["slim"] = True
        key = (-int(spec.get("priority", 0)), next(self.counter))
        self.queue.push(QueueEntry(job_id, user, spec, key, not_before, checkpoint, size), self.clock())

    def _dispatch(self) -> None:
        if not self.queue or not self.workers:
            return
        now = self.clock()
        for worker in list(self.workers.values()):
            while worker.free > 0 and worker.identity in self.workers:
                entry = self._next_for(worker, now)
                if entry is None:
                    break
                self._start(worker, entry, now)

    def _next_for(self, worker: WorkerRecord, now: float) -> QueueEntry | None:
        reserved_for = self._reserved_user(worker.name, now) if self.reservations else None
        limit, running = self.user_max_running, self.user_running

        def allowed(user: str) -> bool:
            return ((reserved_for is None or user == reserved_for)
                    and (limit is None or running[user] < limit))

        return self.queue.pop_for(worker.identity, now, allowed)

    def _reserved_user(self, worker_name: str, now: float) -> str | None:
        for name, user, start, end in self.reservations:
            if name == worker_name and start <= now < end:
                return user
        return None

    def _start(self, worker: WorkerRecord, entry: QueueEntry, now: float) -> None:
        self.lost_leases.pop(entry.job_id, None)
        spec = entry.spec
        try:
            if spec.get("slim"):
                row = self.store.get(entry.job_id)
                spec = P.check_job_spec(row.spec)
            attempt = self.store.start_attempt(entry.job_id, worker.name, now)
        except Exception as exc:  # noqa: BLE001 -- a job that cannot start fails; the broker goes on
            reason = f"cannot be scheduled: {exc}"
            log.warning("failing job %s: %s", entry.job_id, reason)
            self.store.fail(entry.job_id, reason, now)
            self._notify(entry.job_id, {"state": FAILED, "error": reason})
            return
        self._run_on(worker, entry.job_id, attempt, entry.user, spec, now, entry.checkpoint)

    def _run_on(self, worker: WorkerRecord, job_id: str, attempt: int, user: str, spec: dict, now: float,
                checkpoint: bytes | None) -> None:
        worker.running[job_id] = attempt
        self.running[job_id] = Running(worker.identity, attempt, user, spec, now, time.monotonic(),
                                       spec.get("time_limit_s"))
        self.user_running[user] += 1
        self.outbox.append((worker.identity, P.WORKER, P.W_JOB, {"job": spec, "attempt": attempt, "checkpoint": checkpoint}))

    def _free_worker_for(self, user: str, spec: dict, now: float) -> WorkerRecord | None:
        """The worker `_dispatch` would start a new job on at once when nothing is queued (first free,
        unreserved or reserved for `user`, capable), or None."""
        if self.user_max_running is not None and self.user_running[user] >= self.user_max_running:
            return None
        requires = spec.get("requires") or {}
        for worker in self.workers.values():
            if worker.free > 0:
                reserved_for = self._reserved_user(worker.name, now) if self.reservations else None
                if (reserved_for is None or reserved_for == user) and matches(requires, worker.capabilities, now=now):
                    return worker
        return None

    # -- clients ----------------------------------------------------------------------------------
    def _reply(self, identity: bytes, req: int, ok: bool, data=None, error: str | None = None) -> None:
        body = {"req": req, "ok": ok}
        if data is not None:
            body["data"] = data
        if error is not None:
            body["error"] = error
        self.outbox.append((identity, P.CLIENT, P.C_REPLY, body))

    def _notify(self, job_id: str, data: dict) -> None:
        for identity, req in self.waiters.pop(job_id, ()):
            self._reply(identity, req, True, dict(data, id=job_id))

    def _owned(self, job_id: str, user: str):
        row = self.store.get(job_id) if P.JOB_ID.match(job_id) else None
        return row if row is not None and row.user == user else None

    def _client_message(self, identity: bytes, user: str, message: P.Message) -> None:
        command, body = message.command, message.body
        req = body["req"]
        now = self.clock()
        if command == P.C_SUBMIT:
            self._submit(identity, user, req, body["jobs"], now, wait=bool(body.get("wait")))
        elif command == P.C_STATUS:
            self._reply(identity, req, True, [self._status(job_id, user, now) for job_id in body["jobs"]])
        elif command == P.C_RESULT:
            owner = self.store.owner_state(body["job"]) if P.JOB_ID.match(body["job"]) else None
            if owner is not None and owner[0] == user and owner[1] not in FINAL_STATES:
                if body.get("wait"):
                    waiting = [w for w in self.waiters[body["job"]] if w[0] != identity]  # a resend replaces
                    self.waiters[body["job"]] = waiting + [(identity, req)]
                else:
                    self._reply(identity, req, True, {"id": body["job"], "state": owner[1]})
                return
            row = self._owned(body["job"], user) if owner is not None else None
            if row is None:
                self._reply(identity, req, False, error=f"no job {body['job']} of yours")
            elif row.state in FINAL_STATES:
                self._reply(identity, req, True, self._outcome(row))
            elif body.get("wait"):
                waiting = [w for w in self.waiters[row.id] if w[0] != identity]  # a resend replaces
                self.waiters[row.id] = waiting + [(identity, req)]
            else:
                self._reply(identity, req, True, {"id": row.id, "state": row.state})
        elif command == P.C_CANCEL:
            row = self._owned(body["job"], user)
            if row is None:
                self._reply(identity, req, False, error=f"no job {body['job']} of yours")
            elif row.state in FINAL_STATES:
                self._reply(identity, req, True, {"id": row.id, "state": row.state, "cancelled": False})
            else:
                self._cancel(row.id, "cancelled by its owner")
                self._reply(identity, req, True, {"id": row.id, "state": "cancelled", "cancelled": True})
        elif command == P.C_SESSION:
            self._session(identity, user, req, body, now)
        elif command == P.C_RESERVE:
            self._reserve(identity, user, req, body)
        else:
            raise P.ProtocolError(f"unexpected client command {message.name}")

    @staticmethod
    def _outcome(row) -> dict:
        data = {"id": row.id, "state": row.state}
        if row.state == DONE:
            data["result"] = P.unpack(row.result)
        else:
            data["error"] = row.error
        return data

    def _reserve(self, identity: bytes, user: str, req: int, body: dict) -> None:
        """Reservations: operators only (`operators`), at most `max_reservation_s` long, no overlaps."""
        name, start, end = body["worker"], body["start"], body["end"]
        if user not in self.operators:
            raise Refused(f"reservations are for operators only, and user {user} is not one "
                          f"(the broker names its operators with --operator NAME)")
        if end <= start:
            raise Refused("a reservation must end after it starts")
        if end - start > self.max_reservation_s:
            raise Refused(f"a reservation may last at most {self.max_reservation_s:g} s (--max-reservation-s); "
                          f"this one asks for {end - start:g} s")
        for other, _u, other_start, other_end in self.reservations:
            if other == name and other_start < end and start < other_end:
                raise Refused(f"worker {name} is already reserved then")
        self.store.add_reservation(name, user, start, end)
        self.reservations.append((name, user, start, end))
        self._reply(identity, req, True, {"worker": name})

    def _submit(self, identity: bytes, user: str, req: int, jobs: list, now: float, *, wait: bool = False) -> None:
        if wait and len(jobs) != 1:
            raise P.ProtocolError("SUBMIT with wait carries exactly one job")
        specs = [P.check_job_spec(spec) for spec in jobs]  # all checked before anything changes
        if len({spec["id"] for spec in specs}) != len(specs):
            raise P.ProtocolError("SUBMIT names the same job id twice")
        owners = {}
        for spec in specs:
            existing = owners[spec["id"]] = self.store.owner_state(spec["id"])
            if existing is not None and existing[0] != user:
                raise Refused(f"job id {spec['id']} is taken; submit with a fresh id")
            session = spec.get("session")
            if session is not None:
                row = self.store.session(session)
                if row is None or row[1] != user or row[4] != "open":
                    raise Refused(f"session {session} is not an open session of yours")
        packed = {spec["id"]: P.pack(spec) for spec in specs if owners[spec["id"]] is None}
        self._check_queue_limits(user, len(packed), sum(map(len, packed.values())))
        if self.user_rate_per_s is not None:
            bucket = self.buckets.setdefault(user, TokenBucket(self.user_rate_per_s, self.user_burst))
            if not bucket.take(len(specs), now):
                raise Refused(f"rate limit: at most {self.user_rate_per_s:g} jobs/s for user {user}; retry later")
        ids = []
        created = False
        try:
            for spec in specs:
                owner = owners[spec["id"]]
                # Nothing queued and a worker free: insert the job already running there (one statement,
                # no queue round trip), just as this turn's `_dispatch` would have started it.
                worker = self._free_worker_for(user, spec, now) if owner is None and not self.queue else None
                row, created = self.store.add_job(spec, user=user, now=now, owner=owner,
                                                  default_max_attempts=self.default_max_attempts,
                                                  start_on=None if worker is None else worker.name,
                                                  packed=packed.get(spec["id"]))
                if created:
                    if worker is None:
                        self._enqueue(row.id, user, spec, 0.0, None, size=len(packed[spec["id"]]))
                    else:
                        self._run_on(worker, row.id, 1, user, spec, now, None)
                ids.append(row.id)
        except StoreError as exc:
            raise Refused(str(exc)) from None
        self.stats["submitted"] += len(ids)
        if not wait:
            self._reply(identity, req, True, {"ids": ids})
            return
        # Submit-and-wait: the one reply is the job's outcome (a resubmission of a finished job gets it now).
        row = None if created else self.store.get(ids[0])
        if row is not None and row.state in FINAL_STATES:
            self._reply(identity, req, True, self._outcome(row))
        else:
            self.waiters[ids[0]] = [w for w in self.waiters[ids[0]] if w[0] != identity] + [(identity, req)]

    def _check_queue_limits(self, user: str, jobs: int, size: int) -> None:
        queued = self.queue.user_count.get(user, 0)
        if self.user_max_queued is not None and queued + jobs > self.user_max_queued:
            raise Refused(f"queue limit: user {user} has {queued} jobs queued and this broker allows at most "
                          f"{self.user_max_queued} per user (--user-max-queued); wait for some to finish or "
                          f"cancel some")
        held = self.queue.user_bytes.get(user, 0)
        if self.user_max_queued_bytes is not None and held + size > self.user_max_queued_bytes:
            raise Refused(f"byte budget: user {user} has {held >> 20} MiB of jobs queued, these add "
                          f"{size >> 20} MiB, and this broker allows at most {self.user_max_queued_bytes >> 20} MiB "
                          f"per user (--user-max-queued-bytes); wait for some to finish")

    def _cancel(self, job_id: str, error: str) -> None:
        if job_id in self.running:
            self._end_running(job_id, error, cancel=True)
            return
        self.queue.remove(job_id)
        self.orphans.pop(job_id, None)
        self.store.cancel(job_id, self.clock())
        self._notify(job_id, {"state": "cancelled", "error": error})

    def _session(self, identity: bytes, user: str, req: int, body: dict, now: float) -> None:
        if body["op"] == "open":
            limit = body.get("time_limit_s") or self.max_session_s
            limit = min(float(limit), self.max_session_s)
            session_id = uuid.uuid4().hex
            self.store.open_session(session_id, user, now, now + limit)
            self._reply(identity, req, True, {"session": session_id, "expires_at": now + limit})
        else:
            row = self.store.session(body.get("session") or "")
            if row is None or row[1] != user:
                raise Refused("no such session of yours")
            self.store.close_session(row[0])
            self._reply(identity, req, True, {"session": row[0]})

    def _status(self, job_id: str, user: str, now: float) -> dict:
        row = self._owned(job_id, user)
        if row is None:
            return {"id": job_id, "state": "unknown", "error": "no such job of yours"}
        data = row.public()
        data["eta_s"] = self._eta_s(row, now)
        if row.state == QUEUED:
            data["position"] = self.queue.position(job_id)
        return data

    def _eta_s(self, row, now: float) -> float | None:
        """Seconds until the job should finish: queue position × estimated durations / capable workers."""
        if row.state in FINAL_STATES:
            return 0.0
        estimate = float(row.estimated_duration_s or self.mean_duration_s)
        if row.state == RUNNING:
            running = self.running.get(row.id)
            speed = 1.0
            if running is not None and running.worker in self.workers:
                speed = self.workers[running.worker].speed
            return max(0.0, estimate * speed - (now - (row.started_at or now)))
        requires = row.spec.get("requires") or {}
        capable = [w for w in self.workers.values() if matches(requires, w.capabilities, now=now)]
        if not capable:
            return None
        slots = sum(w.slots for w in capable)
        speed = sum(w.speed for w in capable) / len(capable)
        ahead = self.queue.position(row.id)
        return (ahead // slots + 1) * estimate * speed
