"""The broker's persistent store: jobs, sessions, workers and reservations in SQLite (WAL).

The broker changes the store inside one transaction per turn of its loop and sends nothing that
depends on a change (a submission's acknowledgement, a dispatch, a result) until `commit()` has
returned: a job the client was told about survives a SIGKILL of the broker. WAL with
``synchronous=NORMAL`` survives process crashes; pass ``synchronous="FULL"`` to survive power loss too.

Result acceptance is idempotent: a job accepts exactly one result, and only from the attempt it is
running now (`accept_result`); a result from an older attempt is refused and recorded in `refusals`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from qirrt.errors import ExecutionError
from qirrt.executors.distributed import protocol

SCHEMA_VERSION = 2  # 2: jobs.worker_deaths, worker_names

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    kind TEXT NOT NULL,
    spec BLOB NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    worker TEXT,
    submitted_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    not_before REAL NOT NULL DEFAULT 0,
    time_limit_s REAL,
    estimated_duration_s REAL,
    session TEXT,
    progress REAL NOT NULL DEFAULT 0,
    checkpoint BLOB,
    result BLOB,
    error TEXT,
    result_worker TEXT,
    worker_deaths INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, opened_at REAL NOT NULL, expires_at REAL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY, capabilities TEXT NOT NULL, registered_at REAL NOT NULL,
    last_seen REAL NOT NULL, state TEXT NOT NULL, registrations INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, worker TEXT NOT NULL, user TEXT NOT NULL,
    start REAL NOT NULL, "end" REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS worker_names (
    name TEXT PRIMARY KEY, user TEXT NOT NULL, bound_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    job TEXT NOT NULL, attempt INTEGER NOT NULL, worker TEXT, reason TEXT NOT NULL, at REAL NOT NULL
);
"""

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL_STATES = (DONE, FAILED, CANCELLED)


class StoreError(ExecutionError):
    """The broker's store refused a change (a conflicting job id, a schema from a newer qirrt)."""


@dataclass
class JobRow:
    id: str
    user: str
    kind: str
    spec: dict
    priority: int
    state: str
    attempt: int
    failures: int
    max_attempts: int
    worker: str | None
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    not_before: float
    time_limit_s: float | None
    estimated_duration_s: float | None
    session: str | None
    progress: float
    checkpoint: bytes | None
    result: bytes | None
    error: str | None
    result_worker: str | None
    worker_deaths: int = 0  # workers that died while running it (see the broker on poisonous jobs)

    def public(self) -> dict:
        """What a client may see of its job (no program, no checkpoint)."""
        return {"id": self.id, "state": self.state, "attempt": self.attempt, "failures": self.failures,
                "progress": self.progress, "submitted_at": self.submitted_at,
                "started_at": self.started_at, "finished_at": self.finished_at, "error": self.error,
                "priority": self.priority, "session": self.session}


_JOB_COLUMNS = ", ".join(JobRow.__dataclass_fields__)
_INSERT_JOB = f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ({', '.join('?' * len(JobRow.__dataclass_fields__))})"


class Store:
    """One broker's SQLite store. Not thread-safe: the broker's loop owns it."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL", checkpoint_interval_s: float | None = 0.5):
        self.path = str(path)
        self.synchronous = "FULL" if synchronous.upper() == "FULL" else "NORMAL"
        self.db = sqlite3.connect(self.path, isolation_level="DEFERRED", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={self.synchronous}")
        self.db.execute("PRAGMA busy_timeout=5000")
        self._checkpointer = None
        if checkpoint_interval_s is not None:
            # WAL checkpoints (and their fsync) run on a thread of their own, off the broker's loop:
            # an automatic checkpoint inside a commit costs the job that triggers it milliseconds.
            self.db.execute("PRAGMA wal_autocheckpoint=0")
            self._stop_checkpoints = threading.Event()
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, args=(checkpoint_interval_s,),
                                                  name="qirrt-store-checkpoint", daemon=True)
        self.db.executescript(_SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {row[0]}, newer than this qirrt's "
                             f"{SCHEMA_VERSION}; upgrade qirrt or point --store at another file")
        elif int(row[0]) < SCHEMA_VERSION:
            self._migrate(int(row[0]))
        self.db.commit()
        if self._checkpointer is not None:
            self._checkpointer.start()

    def _migrate(self, version: int) -> None:
        """Bring a store an older qirrt wrote up to `SCHEMA_VERSION` (new tables exist already)."""
        if version < 2:
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(jobs)")}
            if "worker_deaths" not in columns:
                self.db.execute("ALTER TABLE jobs ADD COLUMN worker_deaths INTEGER NOT NULL DEFAULT 0")
        self.db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

    def _checkpoint_loop(self, interval_s: float) -> None:
        db = sqlite3.connect(self.path, check_same_thread=False)
        db.execute(f"PRAGMA synchronous={self.synchronous}")
        try:
            while not self._stop_checkpoints.wait(interval_s):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue
        finally:
            db.close()

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._stop_checkpoints.set()
            self._checkpointer.join(timeout=5)
        self.db.close()

    # -- jobs -------------------------------------------------------------------------------------
    def add_job(self, spec: dict, *, user: str, now: float, default_max_attempts: int,
                owner: tuple[str, str] | None | bool = False, start_on: str | None = None,
                packed: bytes | None = None) -> tuple[JobRow, bool]:
        """Insert a job (not yet committed). An id already taken by the same user is the same job
        (an idempotent resubmission): returns (that job, False). Another user's id is an error.
        `owner` is the caller's `owner_state(id)` when it already looked (saves a query).
        `start_on` (a worker name) inserts a new job already running its first attempt there: the row
        `start_attempt` would leave, in one statement instead of two. `packed` is the spec already packed."""
        if owner is False:
            owner = self.owner_state(spec["id"])
        if owner is not None:
            if owner[0] != user:
                raise StoreError(f"job id {spec['id']} is taken; submit with a fresh id")
            return self.get(spec["id"]), False
        get = spec.get
        state, attempt, started_at = (QUEUED, 0, None) if start_on is None else (RUNNING, 1, now)
        row = JobRow(
            spec["id"], user, spec["kind"], spec, int(get("priority", 0)), state, attempt, 0,
            int(get("max_attempts") or default_max_attempts), start_on, now, started_at, None, 0.0,
            get("time_limit_s"), get("estimated_duration_s"), get("session"), 0.0, None, None, None, None, 0)
        self.db.execute(_INSERT_JOB, (
            row.id, user, row.kind, packed or protocol.pack(spec), row.priority, state, attempt, 0, row.max_attempts,
            start_on, now, started_at, None, 0.0, row.time_limit_s, row.estimated_duration_s, row.session, 0.0, None,
            None, None, None, 0))
        return row, True

    def get(self, job_id: str) -> JobRow | None:
        row = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id=?", (job_id,)).fetchone()
        return self._job(row) if row else None

    def owner_state(self, job_id: str) -> tuple[str, str] | None:
        """(user, state) of a job, without reading its spec or result."""
        return self.db.execute("SELECT user, state FROM jobs WHERE id=?", (job_id,)).fetchone()

    @staticmethod
    def _job(row: tuple) -> JobRow:
        values = list(row)
        values[3] = protocol.unpack(values[3])
        return JobRow(*values)

    def jobs_in(self, *states: str) -> list[JobRow]:
        marks = ", ".join("?" * len(states))
        rows = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state IN ({marks}) ORDER BY rowid",
                               states).fetchall()
        return [self._job(r) for r in rows]

    def count(self, state: str | None = None) -> int:
        if state is None:
            return self.db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM jobs WHERE state=?", (state,)).fetchone()[0]

    def start_attempt(self, job_id: str, worker: str, now: float) -> int:
        """Mark a queued job running on `worker`; returns the new attempt number."""
        row = self.db.execute("UPDATE jobs SET state=?, attempt=attempt+1, worker=?, started_at=? "
                              "WHERE id=? AND state=? RETURNING attempt",
                              (RUNNING, worker, now, job_id, QUEUED)).fetchone()
        if row is None:
            raise StoreError(f"job {job_id} is not queued; it cannot start")
        return row[0]

    def accept_result(self, job_id: str, attempt: int, worker: str, result: bytes, now: float) -> bool:
        """Accept the result of the running attempt; any other (stale, duplicate) is refused."""
        cursor = self.db.execute(
            "UPDATE jobs SET state=?, result=?, result_worker=?, finished_at=?, progress=1.0, worker=NULL "
            "WHERE id=? AND attempt=? AND state=? AND worker=?",
            (DONE, result, worker, now, job_id, attempt, RUNNING, worker))
        if cursor.rowcount == 1:
            return True
        self.refuse(job_id, attempt, worker, "stale or duplicate result", now)
        return False

    def resume_attempt(self, job_id: str, attempt: int, worker: str, *, refund_failure: bool = False,
                       refund_death: bool = False) -> float | None:
        """Give a job requeued after its lease was lost back to `worker`, which still runs (or has
        finished) `attempt`: the same attempt, running again (the worker did not die after all: the
        failure and worker death counted are refunded). Returns the attempt's start time, or None when
        the job has moved on (started again, finished, cancelled)."""
        row = self.db.execute(
            "UPDATE jobs SET state=?, worker=?, failures=MAX(0, failures-?), worker_deaths=MAX(0, worker_deaths-?) "
            "WHERE id=? AND state=? AND attempt=? RETURNING started_at",
            (RUNNING, worker, int(refund_failure), int(refund_death), job_id, QUEUED, attempt)).fetchone()
        return None if row is None else float(row[0] or 0.0)

    def refuse(self, job_id: str, attempt: int, worker: str | None, reason: str, now: float) -> None:
        self.db.execute("INSERT INTO refusals VALUES (?, ?, ?, ?, ?)", (job_id, attempt, worker, reason, now))

    def refusals(self) -> list[tuple]:
        return self.db.execute("SELECT job, attempt, worker, reason FROM refusals ORDER BY rowid").fetchall()

    def end_attempt(self, job_id: str, attempt: int, *, error: str, retry_at: float | None, now: float,
                    count_failure: bool = True, worker_death: bool = False) -> str | None:
        """End the running attempt without a result: requeue it (at `retry_at`) while attempts are
        left, else fail the job. `worker_death`: its worker died under it (counted in worker_deaths).
        Returns the job's new state, or None for a stale attempt."""
        row = self.db.execute("SELECT failures, max_attempts FROM jobs WHERE id=? AND attempt=? AND state=?",
                              (job_id, attempt, RUNNING)).fetchone()
        if row is None:
            return None
        failures = row[0] + (1 if count_failure else 0)
        deaths = 1 if worker_death else 0
        if retry_at is None or failures >= row[1]:
            self.db.execute("UPDATE jobs SET state=?, failures=?, error=?, finished_at=?, worker=NULL, "
                            "worker_deaths=worker_deaths+? WHERE id=?", (FAILED, failures, error, now, deaths, job_id))
            return FAILED
        self.db.execute("UPDATE jobs SET state=?, failures=?, error=?, not_before=?, worker=NULL, "
                        "worker_deaths=worker_deaths+? WHERE id=?", (QUEUED, failures, error, retry_at, deaths, job_id))
        return QUEUED

    def set_progress(self, job_id: str, attempt: int, progress: float, checkpoint: bytes | None) -> bool:
        if checkpoint is None:
            cursor = self.db.execute("UPDATE jobs SET progress=? WHERE id=? AND attempt=? AND state=?",
                                     (progress, job_id, attempt, RUNNING))
        else:
            # A new checkpoint is forward progress: worker deaths before it no longer count against the job.
            cursor = self.db.execute(
                "UPDATE jobs SET progress=?, checkpoint=?, worker_deaths=0 WHERE id=? AND attempt=? AND state=?",
                (progress, checkpoint, job_id, attempt, RUNNING))
        return cursor.rowcount == 1

    def cancel(self, job_id: str, now: float) -> bool:
        cursor = self.db.execute(
            "UPDATE jobs SET state=?, finished_at=?, error='cancelled', worker=NULL WHERE id=? AND state IN (?, ?)",
            (CANCELLED, now, job_id, QUEUED, RUNNING))
        return cursor.rowcount == 1

    def fail(self, job_id: str, error: str, now: float) -> None:
        self.db.execute("UPDATE jobs SET state=?, error=?, finished_at=?, worker=NULL WHERE id=? AND state IN (?, ?)",
                        (FAILED, error, now, job_id, QUEUED, RUNNING))

    # -- sessions ---------------------------------------------------------------------------------
    def open_session(self, session_id: str, user: str, now: float, expires_at: float | None) -> None:
        self.db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, 'open')", (session_id, user, now, expires_at))

    def session(self, session_id: str) -> tuple | None:
        return self.db.execute("SELECT id, user, opened_at, expires_at, state FROM sessions WHERE id=?",
                               (session_id,)).fetchone()

    def close_session(self, session_id: str) -> None:
        self.db.execute("UPDATE sessions SET state='closed' WHERE id=?", (session_id,))

    def session_jobs(self, session_id: str) -> list[tuple]:
        """(state, packed result) of every job of a session."""
        return self.db.execute("SELECT state, result FROM jobs WHERE session=?", (session_id,)).fetchall()

    def expired_sessions(self, now: float) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT id FROM sessions WHERE state='open' AND expires_at IS NOT NULL AND expires_at <= ?", (now,))]

    # -- workers and reservations -----------------------------------------------------------------
    def register_worker(self, worker_id: str, capabilities: dict, now: float) -> None:
        self.db.execute(
            "INSERT INTO workers VALUES (?, ?, ?, ?, 'up', 1) ON CONFLICT(id) DO UPDATE SET "
            "capabilities=excluded.capabilities, last_seen=excluded.last_seen, state='up', "
            "registrations=registrations+1", (worker_id, json.dumps(capabilities), now, now))

    def worker_down(self, worker_id: str, now: float) -> None:
        self.db.execute("UPDATE workers SET state='down', last_seen=? WHERE id=?", (now, worker_id))

    def workers(self) -> list[tuple]:
        return self.db.execute("SELECT id, capabilities, state, registrations FROM workers").fetchall()

    def bind_worker_name(self, name: str, user: str, now: float) -> str:
        """Bind a worker name to the key (user id) that first registers it; returns the name's owner."""
        self.db.execute("INSERT OR IGNORE INTO worker_names VALUES (?, ?, ?)", (name, user, now))
        return self.db.execute("SELECT user FROM worker_names WHERE name=?", (name,)).fetchone()[0]

    def add_reservation(self, worker: str, user: str, start: float, end: float) -> None:
        self.db.execute('INSERT INTO reservations (worker, user, start, "end") VALUES (?, ?, ?, ?)',
                        (worker, user, start, end))

    def drop_reservations_before(self, now: float) -> None:
        self.db.execute('DELETE FROM reservations WHERE "end" <= ?', (now,))

    def reservations(self) -> list[tuple]:
        return self.db.execute('SELECT worker, user, start, "end" FROM reservations').fetchall()
