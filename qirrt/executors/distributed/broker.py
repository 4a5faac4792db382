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

The parts, one file each: `admission` (byte budgets, replays, bans), `client_commands` (what clients
ask), `roster` (registered workers and what they say), `leases` (running attempts, poisonous jobs),
`scheduler` (the queue, limits, reservations, backoff, ETAs). Every limit is refused with a reason that
names the option to change.

Two clocks (`scheduler.Clock`): liveness (heartbeats, orphan grace, byte budgets) runs on the monotonic
one; everything about jobs (submission times, retry backoff, time limits, reservations, ETAs) on the
injectable job `clock`, so a day-long job can be tested in seconds.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import zmq

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.admission import Admission
from qirrt.executors.distributed.client_commands import ClientCommands
from qirrt.executors.distributed.jobqueue import QueueEntry, matches
from qirrt.executors.distributed.leases import Leases, Orphan
from qirrt.executors.distributed.prices import PriceTable
from qirrt.executors.distributed.refusals import Refusals
from qirrt.executors.distributed.roster import Roster
from qirrt.executors.distributed.scheduler import Clock, Limits, Scheduler
from qirrt.executors.distributed.store import QUEUED, RUNNING, Store

log = logging.getLogger(__name__)

_NOBLOCK, _SNDMORE = int(zmq.NOBLOCK), int(zmq.SNDMORE)
MAX_BATCH = 1000  # messages handled per loop turn (one commit)
MAX_STATUS_JOBS = P.MAX_STATUS_JOBS

__all__ = ["Broker", "QueueEntry", "matches"]


def _stored_spec(store: Store, row, now: float) -> dict | None:
    """The spec of a stored job, checked; a spec that no longer validates (an older version stored it)
    fails its job, and gives None."""
    try:
        return P.check_job_spec(row.spec)
    except P.ProtocolError as exc:
        reason = f"cannot be scheduled: its stored spec is not valid ({exc}); resubmit it"
        log.warning("failing stored job %s: %s", row.id, reason)
        store.fail(row.id, reason, now)
        return None


class Broker:
    """A qirrt broker bound to `bind`, keeping its state in `store_path`. `clock` is the job clock (a
    callable), or a `Clock` with both."""

    def __init__(self, bind: str, store_path: str | Path, *, keys_dir: str | Path | None = None,
                 insecure_loopback: bool = False, clock: Callable[[], float] | Clock = time.time,
                 heartbeat_interval_ms: int = P.HEARTBEAT_INTERVAL_MS,
                 heartbeat_liveness: int = P.HEARTBEAT_LIVENESS, default_max_attempts: int = 5,
                 retry_backoff_s: float = 0.1, max_retry_backoff_s: float = 60.0,
                 user_max_running: int | None = None, user_rate_per_s: float | None = None,
                 user_burst: float = 1000.0, max_session_s: float = 7 * 86400.0,
                 operators: tuple[str, ...] | list[str] = (), max_reservation_s: float = 86400.0,
                 user_max_queued: int | None = 100_000, user_max_queued_bytes: int | None = 1 << 30,
                 max_message_bytes: int = P.MAXMSGSIZE_BYTES, peer_burst_bytes: int = 64 << 20,
                 peer_bytes_per_s: float = 16 << 20, max_worker_deaths: int = 2,
                 synchronous: str = "NORMAL", context: zmq.Context | None = None,
                 prices: PriceTable | None = None):
        security.require_secure_or_loopback(bind, keys=keys_dir, insecure_loopback=insecure_loopback,
                                            what="the broker", bind=True)
        self.prices = prices  # `prices.PriceTable`: each result records its cost; clients get the table
        self.clocks = clock if isinstance(clock, Clock) else Clock(wall=clock)
        self.clock = self.clocks.wall
        self.heartbeat_interval_s = heartbeat_interval_ms / 1000.0
        self.heartbeat_liveness = heartbeat_liveness
        self.store = Store(store_path, synchronous=synchronous)
        self.context = context or P.context()
        self.secure = keys_dir is not None
        self.zap = security.ZapHandler(self.context, security.allowlist(keys_dir)) if self.secure else None
        self._open_socket(bind, keys_dir, insecure_loopback, max_message_bytes)
        self.scheduler = Scheduler(Limits(retry_backoff_s, max_retry_backoff_s, user_max_running, user_rate_per_s,
                                          user_burst, frozenset(operators), max_reservation_s, user_max_queued,
                                          user_max_queued_bytes), self.clocks)
        self.queue = self.scheduler.queue
        self.admission = Admission(burst_bytes=peer_burst_bytes, bytes_per_s=peer_bytes_per_s, mono=self.clocks.mono)
        self.roster = Roster(self)
        self.workers = self.roster.workers
        self.leases = Leases(self, max_worker_deaths=max_worker_deaths)
        self.running = self.leases.running
        self.clients = ClientCommands(self, default_max_attempts=default_max_attempts, max_session_s=max_session_s)
        self.refusals = Refusals(self)
        self.waiters: dict[str, list[tuple[bytes, int]]] = defaultdict(list)
        self.outbox: list[tuple[bytes, bytes, bytes, dict]] = []
        self.out_seq = itertools.count(int(time.time() * 1_000_000))
        self.stats = defaultdict(int)
        self.heartbeat_at = self.clocks.mono() + self.heartbeat_interval_s
        self._last_tick_mono = self.clocks.mono()
        self._stopped = False
        self._recover()

    def _open_socket(self, bind: str, keys_dir, insecure_loopback: bool, max_message_bytes: int) -> None:
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

    # -- start-up ---------------------------------------------------------------------------------
    def _recover(self) -> None:
        """Rebuild the queue from the store after a (re)start; running jobs wait for their workers.
        A stored spec that no longer validates (an older version stored it) fails its job."""
        now = self.clock()
        for row in self.store.jobs_in(QUEUED):
            spec = _stored_spec(self.store, row, now)
            if spec is not None:
                self.scheduler.enqueue(row.id, row.user, spec, row.not_before, row.checkpoint)
        grace = self.clocks.mono() + self.heartbeat_interval_s * (self.heartbeat_liveness + 2)
        for row in self.store.jobs_in(RUNNING):
            spec = _stored_spec(self.store, row, now)
            if spec is not None:
                self.leases.orphans[row.id] = Orphan(row.attempt, row.worker, grace, spec, row.user,
                                                     row.started_at or now)
        self.scheduler.reservations = [tuple(r) for r in self.store.reservations()]
        self.store.commit()
        if self.queue or self.leases.orphans:
            log.info("recovered %d queued and %d running jobs from %s", len(self.queue), len(self.leases.orphans),
                     self.store.path)

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
        wait = self.heartbeat_at - self.clocks.mono()
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
            self._drain()
        now_mono = self.clocks.mono()
        if now_mono >= self.heartbeat_at:
            self._guarded(self._tick, now_mono)
            self.heartbeat_at = now_mono + self.heartbeat_interval_s
        self._dispatch()
        if self.store.db.in_transaction:
            self.store.commit()
        self._flush()

    def _drain(self) -> None:
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

    def _savepoint(self, name: str) -> None:
        db = self.store.db
        if not db.in_transaction:
            db.execute("BEGIN")  # else releasing the savepoint would commit: one commit per turn, not per step
        db.execute(f"SAVEPOINT {name}")

    def _guarded(self, step, *args) -> None:
        """Run one timer step in a savepoint; a failure rolls it back and is logged, the turn goes on."""
        db = self.store.db
        self._savepoint("step")
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

    # -- sending ----------------------------------------------------------------------------------
    def reply(self, identity: bytes, req: int, ok: bool, data=None, error: str | None = None) -> None:
        body = {"req": req, "ok": ok}
        if data is not None:
            body["data"] = data
        if error is not None:
            body["error"] = error
        self.outbox.append((identity, P.CLIENT, P.C_REPLY, body))

    def to_worker(self, identity: bytes, command: bytes, body: dict) -> None:
        self.outbox.append((identity, P.WORKER, command, body))

    def notify(self, job_id: str, data: dict) -> None:
        """Answer everyone waiting on `job_id`'s outcome."""
        for identity, req in self.waiters.pop(job_id, ()):
            self.reply(identity, req, True, dict(data, id=job_id))

    # -- receiving --------------------------------------------------------------------------------
    def _receive(self, frames: list) -> None:
        if self.secure:
            user = frames[-1].get("User-Id")
            frames = [f.bytes for f in frames]
        else:
            user = None
        identity = frames[0]
        if identity in self.admission.banned:
            self.stats["dropped_banned"] += 1
            return
        db = self.store.db
        self._savepoint("message")
        outbox_mark = len(self.outbox)
        message = None
        try:
            message = self._admit(identity, frames)
            if message is not None:
                self._route(identity, user, message)
        except Exception as exc:  # noqa: BLE001 -- one message must never end the broker
            db.execute("ROLLBACK TO message")
            del self.outbox[outbox_mark:]
            self.refusals.answer(identity, frames, message, exc)
        finally:
            db.execute("RELEASE message")

    def _admit(self, identity: bytes, frames: list) -> P.Message | None:
        """The message, checked (byte budget, schema, replay); None when it was refused unread."""
        peer = self.admission.peer(identity)
        if len(frames) == 4 and frames[1] == P.CLIENT and not self.admission.within_budget(peer, len(frames[3])):
            self.refusals.over_budget(identity, frames[3])
            return None
        message = P.decode(frames[1:])
        self.admission.check_replay(peer, message.body["seq"])
        return message

    def _route(self, identity: bytes, user: str | None, message: P.Message) -> None:
        """Hand a message to the worker or client commands, once its key may send it."""
        if user is None:
            user = message.body.get("user") or "anonymous"
        is_worker_key = user.startswith(security.WORKER_PREFIX)
        if message.header == P.WORKER:
            if self.secure and not is_worker_key:
                raise P.ProtocolError("a user key may not act as a worker")
            self.roster.handle(identity, user, message)
        else:
            if self.secure and is_worker_key:
                raise P.ProtocolError("a worker key may not act as a client")
            self.clients.handle(identity, user, message)

    # -- timers and dispatch ----------------------------------------------------------------------
    def _tick(self, now_mono: float) -> None:
        late_s = now_mono - self._last_tick_mono - self.heartbeat_interval_s
        self._last_tick_mono = now_mono
        if late_s > self.heartbeat_interval_s:
            # The broker itself stalled (a long turn, a stopped process): heartbeats it did not read are not
            # deaths, and must not make jobs suspect. Every worker gets the time back.
            log.warning("broker loop stalled %.1f s; extending worker liveness", late_s)
        self.roster.tick(now_mono, late_s if late_s > self.heartbeat_interval_s else 0.0)
        now = self.clock()
        self.leases.expire(now_mono, now)
        if self.scheduler.expire_reservations(now):
            self.store.drop_reservations_before(now)
        self.admission.unban_due(now_mono)

    def _dispatch(self) -> None:
        if not self.queue or not self.workers:
            return
        now = self.clock()
        for worker in list(self.workers.values()):
            while worker.free > 0 and worker.identity in self.workers:
                entry = self.scheduler.next_for(worker, now)
                if entry is None:
                    break
                self.leases.start(worker, entry, now)
