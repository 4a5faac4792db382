"""The broker's registered workers and the messages they send (READY, HEARTBEAT, RESULT, PROGRESS, DISCONNECT).

Majordomo style: a table from command to handler; anything but READY from an unknown worker gets DISCONNECT
(it re-registers). A worker name belongs to the key that first registered it (and a key's own name,
`keys/workers/<name>.key`, to that key from the start). The same worker on a new connection carries over
the jobs it still lists; a new process under the same name (a restart) died under the jobs it no longer
lists. Results are acknowledged with the next heartbeat, after the store committed them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.store import DONE

log = logging.getLogger(__name__)

MAX_UNACKED = 256  # results acknowledged at once when this many wait for the next heartbeat


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


class Roster:
    """The workers registered with `broker`, by connection identity."""

    def __init__(self, broker):
        self.broker = broker
        self.workers: dict[bytes, WorkerRecord] = {}
        self._commands = {P.W_HEARTBEAT: Roster._on_heartbeat, P.W_RESULT: Roster._on_result,
                          P.W_PROGRESS: Roster._on_progress, P.W_DISCONNECT: Roster._on_disconnect}

    def _expiry(self) -> float:
        b = self.broker
        return b.clocks.mono() + b.heartbeat_interval_s * b.heartbeat_liveness

    # -- messages ---------------------------------------------------------------------------------
    def handle(self, identity: bytes, user: str, message: P.Message) -> None:
        worker = self.workers.get(identity)
        command, body = message.command, message.body
        if command == P.W_READY:
            if worker is not None:
                raise P.ProtocolError("READY from a worker that is already registered")
            self._register(identity, user, body)
            return
        if worker is None:
            self._unregistered(identity, command, body)
            return
        worker.expiry = self._expiry()
        handler = self._commands.get(command)
        if handler is not None:
            handler(self, worker, body)

    def _unregistered(self, identity: bytes, command: bytes, body: dict) -> None:
        b = self.broker
        if command == P.W_RESULT:
            b.stats["stale_results"] += 1
            b.store.refuse(body["job"], body["attempt"], None, "result from an unregistered worker", b.clock())
        # Majordomo: anything but READY from an unknown worker gets DISCONNECT; it re-registers.
        b.to_worker(identity, P.W_DISCONNECT, {"reason": "not registered"})
        b.admission.forget(identity)

    def _on_heartbeat(self, worker: WorkerRecord, body: dict) -> None:
        """Its expiry moved on already; a QPU lane's fresh queue figures replace the ones it registered with
        (the capabilities dict is shared with the queue's index, whose matching ignores these fields)."""
        if body.get("queue") is not None and worker.capabilities.get("lane_kind") == "qpu":
            worker.capabilities.update(P.plain(body["queue"]))

    def _on_progress(self, worker: WorkerRecord, body: dict) -> None:
        if worker.running.get(body["job"]) == body["attempt"]:
            self.broker.store.set_progress(body["job"], body["attempt"], min(1.0, body["progress"]),
                                           body.get("checkpoint"))

    def _on_disconnect(self, worker: WorkerRecord, body: dict) -> None:
        self.purge(worker, "worker said goodbye", death=False)
        self.broker.admission.forget(worker.identity)

    def _on_result(self, worker: WorkerRecord, body: dict) -> None:
        b = self.broker
        job_id, attempt = body["job"], body["attempt"]
        # Acknowledge every result, whatever becomes of it: the worker keeps a result until then. The
        # acknowledgements go with the next heartbeat (after a commit), off the path of the reply.
        worker.acks.append((job_id, attempt))
        if len(worker.acks) >= MAX_UNACKED:  # a fast worker's list of kept results stays short
            self.acknowledge(worker)
        now = b.clock()
        if worker.running.get(job_id) == attempt:
            b.leases.finish(worker, body, now)
            return
        row = b.store.get(job_id)
        if row is not None and row.state == DONE and row.attempt == attempt and row.result_worker == worker.name:
            b.stats["duplicate_results"] += 1  # delivered again after a lost acknowledgement
            return
        b.stats["stale_results"] += 1
        b.store.refuse(job_id, attempt, worker.name, "result for an attempt this worker does not run", now)

    # -- registration -----------------------------------------------------------------------------
    def _check_name(self, name: str, user: str, now: float) -> None:
        b = self.broker
        keyed = security.WORKER_PREFIX + name
        if b.secure and keyed != user and keyed in b.zap.allowed.values():
            raise P.ProtocolError(f"worker name {name} is the name of worker key {keyed}; this key ({user}) "
                                  f"may not use it: pick another --name")
        owner = b.store.bind_worker_name(name, user, now)
        if owner != user:
            raise P.ProtocolError(f"worker name {name} belongs to another worker key ({owner}); "
                                  f"this key ({user}) may not use it: pick another --name")

    def _take_over(self, name: str, body: dict) -> dict[str, int]:
        """Retire older connections of worker `name`; the jobs it still lists carry over to the new one."""
        listed = {job_id: attempt for job_id, attempt in body["running"]}
        carried: dict[str, int] = {}
        for other in list(self.workers.values()):
            if other.name != name:
                continue
            for job_id, attempt in list(other.running.items()):
                if listed.get(job_id) == attempt:
                    carried[job_id] = attempt
                    del other.running[job_id]
            if body.get("incarnation") and other.incarnation == body["incarnation"]:
                # the same process on a new connection: a job it does not list never reached it
                self.purge(other, "reconnected without it (the job message was lost)", death=False)
            else:
                self.purge(other, "re-registered without it (the worker restarted)", death=True)
        return carried

    def _register(self, identity: bytes, user: str, body: dict) -> None:
        b = self.broker
        capabilities = P.plain(body["capabilities"])
        name = body["worker"]
        now = b.clock()
        self._check_name(name, user, now)
        carried = self._take_over(name, body)
        slots = capabilities.get("slots", 1)
        capabilities["name"] = name
        worker = WorkerRecord(identity, name, user, capabilities, slots, self._expiry(),
                              incarnation=body.get("incarnation", ""))
        self.workers[identity] = worker
        b.scheduler.queue.add_worker(identity, capabilities)
        b.store.register_worker(name, capabilities, now)
        b.stats["registrations"] += 1
        for job_id, attempt in carried.items():
            worker.running[job_id] = attempt
            b.leases.running[job_id].worker = identity
        for job_id, attempt in body["running"]:
            if job_id not in carried and not b.leases.adopt(worker, job_id, attempt):
                b.to_worker(identity, P.W_CANCEL, {"job": job_id, "attempt": attempt})
        log.info("worker %s registered (%d slots, executors %s)", name, slots, capabilities.get("executors"))

    # -- leaving ----------------------------------------------------------------------------------
    def purge(self, worker: WorkerRecord, reason: str, *, death: bool) -> None:
        """Forget a worker; each job it ran goes back to the queue (or fails, out of attempts). With
        `death` the worker died under its jobs: each is suspect once, poisonous the next time."""
        b = self.broker
        self.workers.pop(worker.identity, None)
        b.scheduler.queue.remove_worker(worker.identity)
        b.store.worker_down(worker.name, b.clock())
        b.leases.lose_all(worker, reason, death=death)
        log.info("worker %s purged: %s", worker.name, reason)

    def acknowledge(self, worker: WorkerRecord) -> None:
        """Tell `worker` its reported results are safe in the store (a CANCEL of each attempt)."""
        for job_id, attempt in worker.acks:
            self.broker.to_worker(worker.identity, P.W_CANCEL, {"job": job_id, "attempt": attempt})
        worker.acks.clear()

    def tick(self, now_mono: float, late_s: float) -> None:
        """Heartbeat the live workers (with their acknowledgements) and purge the silent ones. A broker
        that stalled `late_s` seconds gives every worker that time back first."""
        if late_s > 0:
            for worker in self.workers.values():
                worker.expiry += late_s
        for worker in list(self.workers.values()):
            if worker.expiry < now_mono:
                self.broker.stats["expired"] += 1
                self.purge(worker, "missed heartbeats", death=True)
            else:
                self.broker.to_worker(worker.identity, P.W_HEARTBEAT, {})
                self.acknowledge(worker)
