"""Which queued job runs where, and when: the broker's scheduling, on an injected clock.

The `Scheduler` owns the queue (`JobQueue`), the reservations and each user's running count, and
decides: the next job for a free worker (capable, reserved for its user or unreserved, the user under
`user_max_running`, highest priority first); the free worker a new job can start on at once; whether a
submission fits the user's queue limits (`user_max_queued`, `user_max_queued_bytes`) and job rate
(`user_rate_per_s`, a token bucket); whether a reservation is allowed; the retry backoff after a
failure; and a job's queue position and ETA. Nothing here reads the time itself: every decision takes
`now` from the caller or from `clock`, so tests step a fake clock through a day without sleeping.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.admission import Refused
from qirrt.executors.distributed.jobqueue import JobQueue, QueueEntry, matches
from qirrt.executors.distributed.ratelimit import TokenBucket
from qirrt.executors.distributed.store import FINAL_STATES, RUNNING

SLIM_SPEC_BYTES = 16 * 1024  # queued specs larger than this wait in the store, not in memory


@dataclass(frozen=True)
class Clock:
    """The broker's two clocks: `wall` for everything about jobs (submission, backoff, time limits,
    reservations, ETAs), `mono` for liveness (heartbeats, byte budgets, bans)."""

    wall: Callable[[], float] = time.time
    mono: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class Limits:
    """The scheduling limits a broker is started with (see `Broker` for their options)."""

    retry_backoff_s: float = 0.1
    max_retry_backoff_s: float = 60.0
    user_max_running: int | None = None
    user_rate_per_s: float | None = None
    user_burst: float = 1000.0
    operators: frozenset[str] = frozenset()
    max_reservation_s: float = 86400.0
    user_max_queued: int | None = 100_000
    user_max_queued_bytes: int | None = 1 << 30


class Scheduler:
    """The queue and the rules for taking jobs out of it."""

    def __init__(self, limits: Limits = Limits(), clock: Clock = Clock(),
                 reservations: Iterable[tuple[str, str, float, float]] = ()):
        self.limits = limits
        self.clock = clock
        self.queue = JobQueue()
        self.reservations: list[tuple[str, str, float, float]] = [tuple(r) for r in reservations]
        self.user_running: defaultdict[str, int] = defaultdict(int)
        self.buckets: dict[str, TokenBucket] = {}
        self.counter = itertools.count()
        self.mean_duration_s = 1.0

    # -- the queue --------------------------------------------------------------------------------
    def enqueue(self, job_id: str, user: str, spec: dict, not_before: float, checkpoint: bytes | None,
                size: int | None = None) -> None:
        """Queue a job. A large spec waits in the store: the queue keeps what scheduling reads."""
        if size is None:
            size = len(P.pack(spec))
        if size > SLIM_SPEC_BYTES:
            spec = {k: v for k, v in spec.items() if k not in ("program", "params", "workload")}
            spec["slim"] = True
        key = (-int(spec.get("priority", 0)), next(self.counter))
        self.queue.push(QueueEntry(job_id, user, spec, key, not_before, checkpoint, size), self.clock.wall())

    def next_for(self, worker, now: float) -> QueueEntry | None:
        """Take the job `worker` (a registered worker: `identity`, `name`) should start now, or None."""
        reserved_for = self.reserved_user(worker.name, now) if self.reservations else None
        limit, running = self.limits.user_max_running, self.user_running

        def allowed(user: str) -> bool:
            return ((reserved_for is None or user == reserved_for)
                    and (limit is None or running[user] < limit))

        return self.queue.pop_for(worker.identity, now, allowed)

    def free_worker_for(self, workers: Iterable, user: str, spec: dict, now: float):
        """The worker a new job would start on at once when nothing is queued (first free, unreserved or
        reserved for `user`, capable), or None."""
        if not self.under_running_limit(user):
            return None
        requires = spec.get("requires") or {}
        for worker in workers:
            if worker.free > 0:
                reserved_for = self.reserved_user(worker.name, now) if self.reservations else None
                if (reserved_for is None or reserved_for == user) and \
                        self.queue.accepts(requires, worker.capabilities, now=now):
                    return worker
        return None

    def under_running_limit(self, user: str) -> bool:
        limit = self.limits.user_max_running
        return limit is None or self.user_running[user] < limit

    # -- admission of new jobs --------------------------------------------------------------------
    def admit(self, user: str, *, jobs: int, new_jobs: int, new_bytes: int, now: float) -> None:
        """Refuse a submission of `jobs` jobs (`new_jobs` of them not yet stored, `new_bytes` packed)
        over the user's queue limits or job rate."""
        self._check_queue_limits(user, new_jobs, new_bytes)
        rate = self.limits.user_rate_per_s
        if rate is not None:
            bucket = self.buckets.setdefault(user, TokenBucket(rate, self.limits.user_burst))
            if not bucket.take(jobs, now):
                raise Refused(f"rate limit: at most {rate:g} jobs/s for user {user}; retry later")

    def _check_queue_limits(self, user: str, jobs: int, size: int) -> None:
        limits = self.limits
        queued = self.queue.user_count.get(user, 0)
        if limits.user_max_queued is not None and queued + jobs > limits.user_max_queued:
            raise Refused(f"queue limit: user {user} has {queued} jobs queued and this broker allows at most "
                          f"{limits.user_max_queued} per user (--user-max-queued); wait for some to finish or "
                          f"cancel some")
        held = self.queue.user_bytes.get(user, 0)
        if limits.user_max_queued_bytes is not None and held + size > limits.user_max_queued_bytes:
            raise Refused(f"byte budget: user {user} has {held >> 20} MiB of jobs queued, these add "
                          f"{size >> 20} MiB, and this broker allows at most {limits.user_max_queued_bytes >> 20} "
                          f"MiB per user (--user-max-queued-bytes); wait for some to finish")

    # -- reservations -----------------------------------------------------------------------------
    def reserved_user(self, worker_name: str, now: float) -> str | None:
        for name, user, start, end in self.reservations:
            if name == worker_name and start <= now < end:
                return user
        return None

    def check_reservation(self, user: str, name: str, start: float, end: float) -> None:
        """Reservations: operators only, at most `max_reservation_s` long, no overlaps."""
        limits = self.limits
        if user not in limits.operators:
            raise Refused(f"reservations are for operators only, and user {user} is not one "
                          f"(the broker names its operators with --operator NAME)")
        if end <= start:
            raise Refused("a reservation must end after it starts")
        if end - start > limits.max_reservation_s:
            raise Refused(f"a reservation may last at most {limits.max_reservation_s:g} s (--max-reservation-s); "
                          f"this one asks for {end - start:g} s")
        for other, _u, other_start, other_end in self.reservations:
            if other == name and other_start < end and start < other_end:
                raise Refused(f"worker {name} is already reserved then")

    def expire_reservations(self, now: float) -> bool:
        """Forget reservations over by `now`; whether there were any."""
        if not any(end <= now for _n, _u, _s, end in self.reservations):
            return False
        self.reservations = [r for r in self.reservations if r[3] > now]
        return True

    # -- retries and estimates --------------------------------------------------------------------
    def backoff_s(self, failures: int) -> float:
        """The wait before retry number `failures`: doubling from `retry_backoff_s`, capped."""
        return min(self.limits.max_retry_backoff_s, self.limits.retry_backoff_s * 2 ** max(0, failures - 1))

    def observe(self, worker, started_at: float, spec: dict, now: float) -> None:
        """Learn from a finished attempt: the mean job duration and `worker`'s speed."""
        elapsed = max(0.0, now - started_at)
        self.mean_duration_s = 0.9 * self.mean_duration_s + 0.1 * elapsed
        estimate = spec.get("estimated_duration_s")
        if estimate:
            # robust: one sample moves the speed at most 4× (a first run's JIT compile is not the lane's pace)
            sample = min(max(elapsed / float(estimate), worker.speed / 4), worker.speed * 4)
            worker.speed = 0.8 * worker.speed + 0.2 * sample

    def eta_s(self, row, workers: Iterable, running_speed: float, now: float) -> float | None:
        """Seconds until the job should finish: queue position × estimated durations / capable workers.
        `running_speed` is the speed of the worker running it (1.0 when unknown)."""
        if row.state in FINAL_STATES:
            return 0.0
        estimate = float(row.estimated_duration_s or self.mean_duration_s)
        if row.state == RUNNING:
            return max(0.0, estimate * running_speed - (now - (row.started_at or now)))
        requires = row.spec.get("requires") or {}
        capable = [w for w in workers if matches(requires, w.capabilities, now=now)]
        if not capable:
            return None
        slots = sum(w.slots for w in capable)
        speed = sum(w.speed for w in capable) / len(capable)
        ahead = self.queue.position(row.id)
        return (ahead // slots + 1) * estimate * speed

    def position(self, job_id: str) -> int:
        return self.queue.position(job_id)
