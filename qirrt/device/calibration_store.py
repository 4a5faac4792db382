"""`CalibrationStore`: the history of calibration snapshots per target, in SQLite.

Every snapshot is kept, so any past run can name (and reload) the calibration it used by its epoch.
The default database lives in the user cache directory (``$XDG_CACHE_HOME/qirrt`` or
``~/.cache/qirrt``); pass `path` to put it elsewhere, or ``":memory:"`` for a private in-memory store.

Subscribers hear about a new epoch when its drift from the previous latest snapshot of the same
target exceeds their thresholds (optionally only on the qubits and pairs they use). Callbacks run in
the thread that called `add`; their exceptions propagate to that caller.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Self

from qirrt.device.calibration import DEFAULT_THRESHOLDS, Calibration, DriftReport, _utc
from qirrt.errors import CalibrationError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    target TEXT NOT NULL,
    epoch TEXT NOT NULL,
    timestamp_s REAL NOT NULL,
    added_s REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (target, epoch)
);
CREATE INDEX IF NOT EXISTS snapshots_by_time ON snapshots (target, timestamp_s);
"""


def default_store_path() -> Path:
    """``$XDG_CACHE_HOME/qirrt/calibrations.sqlite3`` (``~/.cache`` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qirrt" / "calibrations.sqlite3"


@dataclass(frozen=True)
class DriftEvent:
    """A new epoch drifted past a subscriber's thresholds."""

    target: str
    old: Calibration
    new: Calibration
    report: DriftReport
    exceeding: tuple = ()


@dataclass(eq=False)
class Subscription:
    """A registered drift callback; `cancel()` stops it."""

    callback: Callable[[DriftEvent], None]
    target: str | None
    thresholds: Mapping[str, float]
    qubits: frozenset[int] | None
    pairs: frozenset[tuple[int, int]] | None
    every_epoch: bool = False
    _store: CalibrationStore | None = field(default=None, repr=False)
    id: int = 0

    def cancel(self) -> None:
        if self._store is not None:
            self._store._unsubscribe(self)
            self._store = None


class CalibrationStore:
    """Snapshots per target, queried by epoch, as the latest, or as of a moment in time."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = str(default_store_path() if path is None else path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA busy_timeout=5000")
        self._connection.executescript(_SCHEMA)
        self._subscriptions: dict[int, Subscription] = {}
        self._ids = itertools.count(1)

    # -- writing ----------------------------------------------------------------------------------
    def add(self, calibration: Calibration) -> str:
        """Store a snapshot (idempotent) and return its epoch; notify subscribers of drift.

        Drift is measured against the latest snapshot of the same target older than this one.
        """
        import time

        with self._lock:
            previous = self.at(calibration.target_name, calibration.timestamp, strict=True)
            cursor = self._connection.execute(
                "INSERT OR IGNORE INTO snapshots (target, epoch, timestamp_s, added_s, body) VALUES (?, ?, ?, ?, ?)",
                (calibration.target_name, calibration.epoch, calibration.timestamp.timestamp(), time.time(),
                 calibration.to_json()))
            inserted = cursor.rowcount == 1
            subscribers = list(self._subscriptions.values())
        log.debug("calibration %s for %s %s", calibration.epoch, calibration.target_name,
                  "stored" if inserted else "already stored")
        if inserted and previous is not None:
            self._notify(subscribers, previous, calibration)
        return calibration.epoch

    def _notify(self, subscribers: list[Subscription], old: Calibration, new: Calibration) -> None:
        for subscription in subscribers:
            if subscription.target is not None and subscription.target != new.target_name:
                continue
            report = old.drift(new, qubits=subscription.qubits, pairs=subscription.pairs)
            exceeding = report.exceeding(subscription.thresholds)
            if exceeding:
                log.info("calibration drift on %s (%s → %s): %s", new.target_name, old.epoch, new.epoch,
                         ", ".join(f"{e.metric}{e.key}: {e.relative_change:.0%}" for e in exceeding[:5]))
            if exceeding or subscription.every_epoch:
                subscription.callback(DriftEvent(new.target_name, old, new, report, tuple(exceeding)))

    # -- reading ----------------------------------------------------------------------------------
    def _decode(self, body: str) -> Calibration:
        return Calibration.from_json(body)

    def targets(self) -> list[str]:
        with self._lock:
            rows = self._connection.execute("SELECT DISTINCT target FROM snapshots ORDER BY target").fetchall()
        return [r[0] for r in rows]

    def epochs(self, target: str) -> list[str]:
        """The target's epochs, oldest first."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT epoch FROM snapshots WHERE target = ? ORDER BY timestamp_s, added_s", (target,)).fetchall()
        return [r[0] for r in rows]

    def history(self, target: str) -> list[tuple[datetime, str]]:
        """(timestamp, epoch) pairs, oldest first."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT timestamp_s, epoch FROM snapshots WHERE target = ? ORDER BY timestamp_s, added_s",
                (target,)).fetchall()
        return [(_utc(float(t)), e) for t, e in rows]

    def get(self, target: str, epoch: str) -> Calibration:
        """The snapshot with this epoch; `CalibrationError` when there is none."""
        with self._lock:
            row = self._connection.execute("SELECT body FROM snapshots WHERE target = ? AND epoch = ?",
                                           (target, epoch)).fetchone()
        if row is None:
            raise CalibrationError(f"no calibration epoch {epoch!r} for target {target!r} in {self.path}")
        return self._decode(row[0])

    def latest(self, target: str) -> Calibration | None:
        """The newest snapshot of `target` by timestamp, or None when there is none."""
        with self._lock:
            row = self._connection.execute(
                "SELECT body FROM snapshots WHERE target = ? ORDER BY timestamp_s DESC, added_s DESC LIMIT 1",
                (target,)).fetchone()
        return self._decode(row[0]) if row else None

    def at(self, target: str, moment: datetime | str | float, *, strict: bool = False) -> Calibration | None:
        """The snapshot in force at `moment`: the newest taken at or before it (before it if `strict`)."""
        when = _utc(moment).timestamp()
        op = "<" if strict else "<="
        with self._lock:
            row = self._connection.execute(
                f"SELECT body FROM snapshots WHERE target = ? AND timestamp_s {op} ? "
                "ORDER BY timestamp_s DESC, added_s DESC LIMIT 1", (target, when)).fetchone()
        return self._decode(row[0]) if row else None

    def __len__(self) -> int:
        with self._lock:
            return self._connection.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]

    # -- subscriptions ----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[DriftEvent], None], *, target: str | None = None,
                  thresholds: Mapping[str, float] | None = None, qubits: Iterable[int] | None = None,
                  pairs: Iterable[tuple[int, int]] | None = None, every_epoch: bool = False) -> Subscription:
        """Call `callback(DriftEvent)` when a new epoch of `target` (any target if None) drifts more
        than `thresholds` (relative change per metric, default `DEFAULT_THRESHOLDS`) on `qubits`/`pairs`.

        With `every_epoch`, the callback hears of every new epoch; `DriftEvent.exceeding` is then empty
        when the drift stayed within the thresholds."""
        subscription = Subscription(
            callback=callback, target=target,
            thresholds=dict(DEFAULT_THRESHOLDS if thresholds is None else thresholds),
            qubits=None if qubits is None else frozenset(int(q) for q in qubits),
            pairs=None if pairs is None else frozenset((int(a), int(b)) for a, b in pairs),
            every_epoch=every_epoch, _store=self, id=next(self._ids))
        with self._lock:
            self._subscriptions[subscription.id] = subscription
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.pop(subscription.id, None)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CalibrationStore({self.path!r})"


_default: CalibrationStore | None = None
_default_lock = threading.Lock()


def default_store() -> CalibrationStore:
    """The process-wide store at `default_store_path()` (opened on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = CalibrationStore()
        return _default


__all__ = ["CalibrationStore", "DriftEvent", "Subscription", "default_store", "default_store_path"]
