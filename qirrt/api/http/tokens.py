"""Bearer tokens of the dashboard's users, stored hashed in a SQLite file of their own.

`qirrt keys generate --token --user NAME [--operator]` makes a token, prints it once and keeps only its
SHA-256 (a token is 256 random bits, so a fast hash is as safe as a slow one here). The same file holds
who submitted each job through the dashboard (`owners`): on a broker with CurveZMQ keys every such job
belongs to the dashboard's own key, and this table says which token user it is really for. The
broker's store is never written.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from qirrt.errors import QirrtError

TOKEN_PREFIX = "qirrt_"
CHECK_CACHE_S = 5.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL, operator INTEGER NOT NULL,
                                   created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS owners (job TEXT PRIMARY KEY, user TEXT NOT NULL, submitted_at REAL NOT NULL);
"""


class TokenError(QirrtError):
    """A token file that cannot be read or written, or a user name that is not allowed."""


@dataclass(frozen=True)
class Principal:
    """Who a request is from: a user, and whether they may see and cancel every user's jobs."""

    user: str
    operator: bool = False


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """The tokens file: `issue` a token, `check` one, and record or look up job owners."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise TokenError(f"no tokens file at {self.path}; make a token with: "
                             f"qirrt keys generate --token --user NAME --tokens {self.path}")
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise TokenError(f"cannot use {self.path} as a tokens file: {exc}") from None
        if create:
            self.path.chmod(0o600)
        self._checked: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()  # one connection, used by the web app's thread pool

    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self.db.execute(sql, args).fetchall()

    def close(self) -> None:
        self.db.close()

    def issue(self, user: str, *, operator: bool = False) -> str:
        """A fresh token for `user` (shown once: only its hash is kept)."""
        if not _NAME.fullmatch(user):
            raise TokenError(f"user name {user!r} is not allowed; use 1-64 letters, digits, '_', '.', '@' or '-'")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._execute("INSERT INTO tokens VALUES (?, ?, ?, ?)", (digest(token), user, int(operator), time.time()))
        return token

    def check(self, token: str) -> Principal | None:
        """The token's user, or None for a token this file does not hold (a known token is remembered for
        `CHECK_CACHE_S`, so polling clients cost no query; a token added to the file works at once)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        key = digest(token)
        now = time.monotonic()
        cached = self._checked.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        rows = self._execute("SELECT user, operator FROM tokens WHERE hash=?", (key,))
        if not rows:
            return None
        who = Principal(rows[0][0], bool(rows[0][1]))
        if len(self._checked) > 10_000:
            self._checked.clear()
        self._checked[key] = (who, now + CHECK_CACHE_S)
        return who

    def record_owner(self, job_id: str, user: str) -> None:
        self._execute("INSERT OR IGNORE INTO owners VALUES (?, ?, ?)", (job_id, user, time.time()))
