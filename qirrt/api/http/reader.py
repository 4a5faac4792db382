"""Read the broker's store without ever writing it: SQLite URI ``mode=ro`` on a WAL database.

One connection per thread (FastAPI runs plain endpoints on a thread pool). The tokens file is attached
read-only too, so who owns a job (the dashboard's `owners` record, else the store's `user` column) is
decided in SQL and lists paginate there.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from qirrt.api.http.tokens import Principal
from qirrt.errors import QirrtError
from qirrt.executors.distributed import protocol as P

STATES = ("queued", "running", "done", "failed", "cancelled")
_OWNER = "COALESCE(o.user, j.user)"
_LIST_COLUMNS = (f"j.id, {_OWNER}, j.kind, j.state, j.priority, j.attempt, j.failures, j.progress, j.submitted_at, "
                 "j.started_at, j.finished_at, j.error, j.session, j.estimated_duration_s, j.worker, j.max_attempts")
_LIST_KEYS = ("id", "user", "kind", "state", "priority", "attempt", "failures", "progress", "submitted_at",
              "started_at", "finished_at", "error", "session", "estimated_duration_s", "worker", "max_attempts")


class StoreUnavailableError(QirrtError):
    """The broker's store cannot be read (not created yet, or not a qirrt store)."""


@dataclass(frozen=True)
class JobDetail:
    """One job as the dashboard shows it: its row, its spec (program, options) and its result."""

    row: dict
    spec: dict
    result: dict | None
    refusals: tuple[dict, ...]


def _ro_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


class StoreReader:
    """Queries of the store (and the attached tokens file), on a read-only connection per thread."""

    def __init__(self, store: str | Path, tokens: str | Path):
        self.store = Path(store)
        self.tokens = Path(tokens)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is not None:
            return db
        if not self.store.is_file():
            raise StoreUnavailableError(f"no broker store at {self.store} yet; start the broker with --store "
                                        f"{self.store} or point --store at its file")
        try:
            db = sqlite3.connect(_ro_uri(self.store), uri=True, check_same_thread=False, timeout=5)
            db.execute("PRAGMA busy_timeout=5000")
            db.execute("ATTACH DATABASE ? AS t", (_ro_uri(self.tokens),))
            db.execute("SELECT 1 FROM jobs LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot read the broker store {self.store}: {exc}") from None
        self._local.db = db
        return db

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._db().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot read the broker store {self.store}: {exc}") from None

    @staticmethod
    def _scope(who: Principal, user: str | None) -> tuple[list[str], list]:
        where, args = [], []
        if not who.operator:
            where.append(f"{_OWNER} = ?")
            args.append(who.user)
        if user is not None:
            where.append(f"{_OWNER} = ?")
            args.append(user)
        return where, args

    # -- jobs -------------------------------------------------------------------------------------
    def jobs(self, who: Principal, *, state: str | None = None, user: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[dict], int]:
        """A page of the jobs `who` may see, newest first, and how many there are in all."""
        where, args = self._scope(who, user)
        if state is not None:
            where.append("j.state = ?")
            args.append(state)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        base = f"FROM jobs j LEFT JOIN t.owners o ON o.job = j.id {clause}"
        total = self._query(f"SELECT COUNT(*) {base}", tuple(args))[0][0]
        rows = self._query(f"SELECT {_LIST_COLUMNS} {base} ORDER BY j.submitted_at DESC, j.rowid DESC "
                           f"LIMIT ? OFFSET ?", (*args, limit, offset))
        return [dict(zip(_LIST_KEYS, r)) for r in rows], total

    def job(self, job_id: str, who: Principal) -> JobDetail | None:
        """The job if `who` may see it (the same None for a job that does not exist: ids do not leak)."""
        where, args = self._scope(who, None)
        clause = " AND ".join(["j.id = ?", *where])
        rows = self._query(f"SELECT {_LIST_COLUMNS}, j.spec, j.result FROM jobs j LEFT JOIN t.owners o "
                           f"ON o.job = j.id WHERE {clause}", (job_id, *args))
        if not rows:
            return None
        *values, spec, result = rows[0]
        refusals = self._query("SELECT attempt, worker, reason, at FROM refusals WHERE job=? ORDER BY rowid",
                               (job_id,))
        return JobDetail(dict(zip(_LIST_KEYS, values)), P.unpack(spec),
                         None if result is None else P.unpack(result),
                         tuple(dict(zip(("attempt", "worker", "reason", "at"), r)) for r in refusals))

    def history(self, who: Principal, since: float) -> list[tuple]:
        """(submitted_at, started_at, finished_at, state) of the visible jobs touched since `since`."""
        where, args = self._scope(who, None)
        where.append("(j.finished_at IS NULL OR j.finished_at >= ?)")
        return self._query(f"SELECT j.submitted_at, j.started_at, j.finished_at, j.state FROM jobs j "
                           f"LEFT JOIN t.owners o ON o.job = j.id WHERE {' AND '.join(where)}", (*args, since))

    def queue(self, now: float) -> dict:
        """The queue in numbers: jobs by state, by user queued, oldest wait, mean wait and run times."""
        by_state = dict.fromkeys(STATES, 0)
        by_state.update(dict(self._query("SELECT state, COUNT(*) FROM jobs GROUP BY state")))
        queued_by_user = dict(self._query(f"SELECT {_OWNER}, COUNT(*) FROM jobs j LEFT JOIN t.owners o "
                                          f"ON o.job = j.id WHERE j.state='queued' GROUP BY 1 ORDER BY 2 DESC"))
        oldest = self._query("SELECT MIN(submitted_at) FROM jobs WHERE state='queued'")[0][0]
        recent = self._query("SELECT AVG(started_at - submitted_at), AVG(finished_at - started_at), COUNT(*) "
                             "FROM jobs WHERE state='done' AND finished_at >= ?", (now - 3600.0,))[0]
        last_minute = self._query("SELECT COUNT(*) FROM jobs WHERE state='done' AND finished_at >= ?",
                                  (now - 60.0,))[0][0]
        return {"jobs": by_state, "queued_by_user": queued_by_user,
                "oldest_queued_s": None if oldest is None else max(0.0, now - oldest),
                "mean_wait_s": recent[0], "mean_run_s": recent[1], "done_last_hour": recent[2],
                "throughput_per_min": last_minute}

    # -- workers and sessions ---------------------------------------------------------------------
    def workers(self) -> list[dict]:
        rows = self._query("SELECT id, capabilities, registered_at, last_seen, state, registrations FROM workers "
                           "ORDER BY id")
        return [{"name": r[0], "capabilities": json.loads(r[1]), "registered_at": r[2], "last_seen": r[3],
                 "state": r[4], "registrations": r[5]} for r in rows]

    def sessions(self, who: Principal) -> list[tuple]:
        where, args = ([], []) if who.operator else (["user = ?"], [who.user])
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self._query(f"SELECT id, user, opened_at, expires_at, state FROM sessions {clause} "
                           f"ORDER BY opened_at DESC LIMIT 500", tuple(args))

    def session(self, session_id: str, who: Principal) -> tuple | None:
        rows = self._query("SELECT id, user, opened_at, expires_at, state FROM sessions WHERE id=?", (session_id,))
        if not rows or (not who.operator and rows[0][1] != who.user):
            return None
        return rows[0]

    def session_jobs(self, session_id: str) -> list[tuple]:
        return self._query("SELECT state, result FROM jobs WHERE session=?", (session_id,))
