"""A worker's results spool: finished results the broker has not acknowledged yet, in a small SQLite file.

A worker keeps every result until the broker acknowledges it (after the broker's store has committed
it), and sends it again after each reconnect; the spool keeps them across a restart of the worker
process too (``qirrt worker --spool FILE``). The spool also remembers the worker's name: the broker
gives a result back only to the worker that ran the attempt, so a restarted worker must keep it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qirrt.errors import ExecutionError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (job TEXT PRIMARY KEY, attempt INTEGER NOT NULL, body BLOB NOT NULL);
"""


class SpoolError(ExecutionError):
    """The results spool cannot be opened, or belongs to another worker."""


class ResultSpool:
    """Unacknowledged results of one worker. Used from the worker's loop thread only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # survives a crash of the worker process
            self.db.executescript(_SCHEMA)
            self.db.commit()
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot open the results spool {self.path}: {exc}; give --spool a writable file") from None

    def claim(self, name: str | None) -> str | None:
        """The worker name this spool belongs to: `name`, recorded on first use; None for a new spool
        given no name. A spool of another name is refused (its results belong to that worker)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='worker'").fetchone()
        if row is not None:
            if name is not None and name != row[0]:
                raise SpoolError(f"the results spool {self.path} belongs to worker {row[0]!r}, not {name!r}; "
                                 f"start with --name {row[0]} or give another --spool file")
            return row[0]
        if name is not None:
            self.db.execute("INSERT INTO meta VALUES ('worker', ?)", (name,))
            self.db.commit()
        return name

    def put(self, job_id: str, attempt: int, body: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", (job_id, attempt, body))
        self.db.commit()

    def delete(self, job_id: str, attempt: int) -> None:
        self.db.execute("DELETE FROM results WHERE job=? AND attempt=?", (job_id, attempt))
        self.db.commit()

    def load(self) -> list[tuple[str, int, bytes]]:
        return self.db.execute("SELECT job, attempt, body FROM results ORDER BY rowid").fetchall()

    def close(self) -> None:
        self.db.close()
