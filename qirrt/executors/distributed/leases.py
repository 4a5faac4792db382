"""The attempts the broker has handed out: which job runs where, and what becomes of it when it ends.

A lease is one attempt of a job on one worker (`Running`). It ends with the worker's result, a cancel, a
time limit, or the worker's loss. Poisonous jobs: the broker cannot tell a worker SIGKILLed by an operator
from one killed by its job, so a worker's death counts against every job it ran: the first death marks a
job *suspect* and requeues it once more; at `max_worker_deaths` it fails as *poisonous*. A checkpoint since
forgives the deaths before it (the store keeps the count). Jobs that were running when the broker
restarted wait as *orphans* for their worker to come back; a lease lost to a missed heartbeat is
remembered (`lost`) so that worker can resume it if it comes back before the job starts again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.store import DONE, FAILED, QUEUED

if TYPE_CHECKING:
    from qirrt.executors.distributed.jobqueue import QueueEntry
    from qirrt.executors.distributed.roster import WorkerRecord

log = logging.getLogger(__name__)

MAX_LOST = 100_000


@dataclass
class Running:
    worker: bytes
    attempt: int
    user: str
    spec: dict
    started_at: float  # the job clock
    started_mono: float
    time_limit_s: float | None


@dataclass(frozen=True)
class Orphan:
    """A job the store says was running when the broker (re)started; its worker has until `grace`."""

    attempt: int
    worker: str | None
    grace: float  # monotonic
    spec: dict
    user: str
    started_at: float


class Leases:
    """The running attempts of `broker`, and the rules for ending them."""

    def __init__(self, broker, *, max_worker_deaths: int):
        self.broker = broker
        self.max_worker_deaths = max(1, max_worker_deaths)
        self.running: dict[str, Running] = {}
        self.orphans: dict[str, Orphan] = {}
        # job id -> (attempt, worker name, failure counted, death counted) of a lease lost to a missed
        # heartbeat or an orphan's grace: if that worker comes back with the attempt (still running, or
        # finished while the broker could not hear it) before the job starts again, the job resumes there
        # instead of re-running, and the failure and death counted against it are given back.
        self.lost: OrderedDict[str, tuple[int, str, bool, bool]] = OrderedDict()

    # -- starting ---------------------------------------------------------------------------------
    def start(self, worker: WorkerRecord, entry: QueueEntry, now: float) -> None:
        """Start a job taken from the queue on `worker`; one that cannot start fails."""
        b = self.broker
        self.lost.pop(entry.job_id, None)
        spec = entry.spec
        try:
            if spec.get("slim"):
                spec = P.check_job_spec(b.store.get(entry.job_id).spec)
            attempt = b.store.start_attempt(entry.job_id, worker.name, now)
        except Exception as exc:  # noqa: BLE001 -- a job that cannot start fails; the broker goes on
            reason = f"cannot be scheduled: {exc}"
            log.warning("failing job %s: %s", entry.job_id, reason)
            b.store.fail(entry.job_id, reason, now)
            b.notify(entry.job_id, {"state": FAILED, "error": reason})
            return
        self.run_on(worker, entry.job_id, attempt, entry.user, spec, now, entry.checkpoint)

    def run_on(self, worker: WorkerRecord, job_id: str, attempt: int, user: str, spec: dict, now: float,
               checkpoint: bytes | None) -> None:
        """Send the job to `worker` (the store already says it runs there)."""
        self._hold(worker, job_id, attempt, user, spec, now)
        self.broker.to_worker(worker.identity, P.W_JOB, {"job": spec, "attempt": attempt, "checkpoint": checkpoint})

    def _hold(self, worker: WorkerRecord, job_id: str, attempt: int, user: str, spec: dict, started_at: float):
        worker.running[job_id] = attempt
        self.running[job_id] = Running(worker.identity, attempt, user, spec, started_at, self.broker.clocks.mono(),
                                       spec.get("time_limit_s"))
        self.broker.scheduler.user_running[user] += 1

    def _release(self, job_id: str) -> Running | None:
        running = self.running.pop(job_id, None)
        if running is not None:
            self.broker.scheduler.user_running[running.user] -= 1
        return running

    def adopt(self, worker: WorkerRecord, job_id: str, attempt: int) -> bool:
        """Take back an attempt a re-registering worker still runs or has finished: a job orphaned by
        a broker restart, or requeued after its lease was lost and not started again since."""
        b = self.broker
        orphan = self.orphans.get(job_id)
        if orphan is not None and orphan.attempt == attempt and orphan.worker == worker.name:
            del self.orphans[job_id]
            spec, job_user, started_at = orphan.spec, orphan.user, orphan.started_at
        elif self.lost.get(job_id, ())[:2] == (attempt, worker.name) and job_id in b.scheduler.queue:
            _, _, refund_failure, refund_death = self.lost[job_id]
            started_at = b.store.resume_attempt(job_id, attempt, worker.name, refund_failure=refund_failure,
                                                refund_death=refund_death)
            if started_at is None:
                return False
            entry = b.scheduler.queue.remove(job_id)
            del self.lost[job_id]
            spec, job_user = entry.spec, entry.user
            if spec.get("slim"):
                spec = P.check_job_spec(b.store.get(job_id).spec)
            b.stats["resumed"] += 1
        else:
            return False
        self._hold(worker, job_id, attempt, job_user, spec, started_at)
        return True

    # -- ending -----------------------------------------------------------------------------------
    def finish(self, worker: WorkerRecord, body: dict, now: float) -> None:
        """The outcome `worker` reported for an attempt it runs: accept it, or retry or fail the job."""
        b = self.broker
        job_id, attempt = body["job"], body["attempt"]
        del worker.running[job_id]
        running = self._release(job_id)
        if running is not None:
            b.scheduler.observe(worker, running.started_at, running.spec, now)
        ok, error, retry = body["ok"], body.get("error"), body.get("retry")
        if ok:
            result = body.get("result") or {}
            try:
                P._check_plain(result, "result")
            except P.ProtocolError as exc:  # the job made something the broker cannot keep: its fault
                ok, error, retry = False, f"its result cannot be stored: {exc}", False
        if ok and running is not None and b.prices is not None and isinstance(result.get("metadata"), dict):
            # what the job cost on this lane, from the price table and what it actually used
            elapsed = body.get("elapsed_s")
            result["metadata"]["cost"] = b.prices.cost(
                worker.capabilities, shots=int(running.spec.get("shots", 0)),
                elapsed_s=max(0.0, now - running.started_at) if elapsed is None else elapsed)
        if ok:
            if b.store.accept_result(job_id, attempt, worker.name, P.pack(result), now):
                b.stats["accepted"] += 1
                b.notify(job_id, {"state": DONE, "result": result})
            else:
                b.stats["stale_results"] += 1
            return
        error = (error or "the executor failed")[:2000]
        failures = (b.store.get(job_id).failures if running else 0) + 1
        retry_at = now + b.scheduler.backoff_s(failures) if retry else None
        state = b.store.end_attempt(job_id, attempt, error=error, retry_at=retry_at, now=now)
        if state == QUEUED and running is not None:
            b.scheduler.enqueue(job_id, running.user, running.spec, retry_at or 0.0, b.store.get(job_id).checkpoint)
        elif state is not None:
            b.notify(job_id, {"state": state, "error": error})

    def lose_all(self, worker: WorkerRecord, reason: str, *, death: bool) -> None:
        """Each job `worker` ran goes back to the queue (or fails, out of attempts or poisonous)."""
        for job_id, attempt in worker.running.items():
            running = self._release(job_id)
            if running is not None:
                self.lose(job_id, attempt, running.user, running.spec, f"worker {worker.name} lost: {reason}",
                          count_failure=True, death=death, worker_name=worker.name)
        worker.running.clear()

    def lose(self, job_id: str, attempt: int, user: str, spec: dict, error: str, *,
             count_failure: bool, death: bool = False, worker_name: str | None = None) -> None:
        b = self.broker
        now = b.clock()
        row = b.store.get(job_id)
        failures = (row.failures if row else 0) + (1 if count_failure else 0)
        retry_at = now + (b.scheduler.backoff_s(failures) if count_failure else 0.0)
        if death:
            deaths = (row.worker_deaths if row else 0) + 1
            if deaths >= self.max_worker_deaths:
                error = (f"poisonous: {deaths} workers died while running it (last: {error}); "
                         f"not retried onto other workers")
                retry_at = None
            else:
                error = (f"suspect: {error}; retried once more, and failed as poisonous if its next worker "
                         f"dies too")
        state = b.store.end_attempt(job_id, attempt, error=error, retry_at=retry_at, now=now,
                                    count_failure=count_failure, worker_death=death)
        if state == QUEUED:
            b.scheduler.enqueue(job_id, user, spec, retry_at, row.checkpoint if row else None)
            if worker_name is not None:
                self.lost[job_id] = (attempt, worker_name, count_failure, death)
                while len(self.lost) > MAX_LOST:
                    self.lost.popitem(last=False)
        elif state is not None:
            if death and state == FAILED:
                b.stats["poisonous"] += 1
                log.warning("job %s failed as poisonous: %s", job_id, error)
            b.notify(job_id, {"state": state, "error": error})

    def end(self, job_id: str, error: str, *, cancel: bool) -> None:
        """Stop a running job: cancelled by its owner, or failed (time limit, session over)."""
        b = self.broker
        running = self._release(job_id)
        worker = b.workers.get(running.worker)
        if worker is not None:
            worker.running.pop(job_id, None)
            b.to_worker(worker.identity, P.W_CANCEL, {"job": job_id, "attempt": running.attempt})
        now = b.clock()
        if cancel:
            b.store.cancel(job_id, now)
            b.notify(job_id, {"state": "cancelled", "error": error})
        else:
            b.store.fail(job_id, error, now)
            b.notify(job_id, {"state": "failed", "error": error})

    def cancel(self, job_id: str, error: str) -> None:
        """Cancel a job wherever it is: running, queued or orphaned."""
        b = self.broker
        if job_id in self.running:
            self.end(job_id, error, cancel=True)
            return
        b.scheduler.queue.remove(job_id)
        self.orphans.pop(job_id, None)
        b.store.cancel(job_id, b.clock())
        b.notify(job_id, {"state": "cancelled", "error": error})

    # -- timers -----------------------------------------------------------------------------------
    def expire(self, now_mono: float, now: float) -> None:
        """Orphans past their grace, jobs past their time limit, jobs of sessions past theirs."""
        b = self.broker
        for job_id, orphan in list(self.orphans.items()):
            if orphan.grace < now_mono:
                del self.orphans[job_id]
                self.lose(job_id, orphan.attempt, orphan.user, orphan.spec,
                          "its worker did not come back after a broker restart",
                          count_failure=False, worker_name=orphan.worker)
        for job_id, running in list(self.running.items()):
            if running.time_limit_s is not None and now - running.started_at > running.time_limit_s:
                self.end(job_id, f"time limit of {running.time_limit_s:g} s exceeded", cancel=False)
        for session_id in b.store.expired_sessions(now):
            b.store.close_session(session_id)
            queued = b.scheduler.queue.entries.items()
            for job_id in [j for j, e in queued if e.spec.get("session") == session_id]:
                self.cancel(job_id, "session time limit exceeded")
            for job_id in [j for j, r in self.running.items() if r.spec.get("session") == session_id]:
                self.end(job_id, "session time limit exceeded", cancel=False)
