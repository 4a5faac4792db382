"""Calibration history for the dashboard: per target, each epoch's means and the drift events between epochs.

Reads `qirrt.device.calibration_store`'s SQLite file read-only; a drift event is a new epoch whose
change from the one before exceeds `DEFAULT_THRESHOLDS` (the thresholds `CalibrationStore.subscribe` uses).
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import statistics
import threading
from pathlib import Path
from urllib.parse import quote

from qirrt.device.calibration import DEFAULT_THRESHOLDS, Calibration

MAX_EPOCHS = 500


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def summary(calibration: Calibration) -> dict:
    """One epoch in numbers: mean T1/T2 (µs), mean 1- and 2-qubit gate error, mean readout error."""
    qubits = calibration.qubits.values()
    t1, t2 = _mean(q.t1_s for q in qubits), _mean(q.t2_s for q in qubits)
    gates = calibration.gates.items()
    return {"epoch": calibration.epoch, "timestamp_s": calibration.timestamp.timestamp(),
            "qubits": len(calibration.qubits), "gates": len(calibration.gates),
            "t1_us": None if t1 is None else t1 * 1e6, "t2_us": None if t2 is None else t2 * 1e6,
            "gate_error_1q": _mean(g.error for (_, qs), g in gates if len(qs) == 1),
            "gate_error_2q": _mean(g.error for (_, qs), g in gates if len(qs) == 2),
            "readout_error": _mean(q.readout_error for q in qubits)}


@functools.lru_cache(maxsize=4096)
def _decode(body: str) -> Calibration:
    return Calibration.from_json(body)


class CalibrationReader:
    """The calibration store's targets and history, read-only (nothing at all when the file is absent)."""

    def __init__(self, path: str | Path | None):
        self.path = None if path is None else Path(path)
        self._local = threading.local()

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        if self.path is None or not self.path.is_file():
            return []
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode=ro", uri=True,
                                                  check_same_thread=False, timeout=5)
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []

    def targets(self) -> list[dict]:
        rows = self._query("SELECT target, COUNT(*), MAX(timestamp_s) FROM snapshots GROUP BY target ORDER BY target")
        return [{"target": t, "epochs": n, "latest_at": at} for t, n, at in rows]

    def history(self, target: str) -> tuple[list[dict], list[dict]]:
        """(epochs oldest first, drift events), the newest `MAX_EPOCHS` epochs only."""
        rows = self._query("SELECT body FROM snapshots WHERE target=? ORDER BY timestamp_s DESC, added_s DESC "
                           "LIMIT ?", (target, MAX_EPOCHS))
        snapshots = [_decode(r[0]) for r in reversed(rows)]
        drift = []
        for old, new in itertools.pairwise(snapshots):
            exceeding = old.drift(new).exceeding(DEFAULT_THRESHOLDS)
            if exceeding:
                worst = sorted(exceeding, key=lambda e: -e.relative_change)[:5]
                drift.append({"from_epoch": old.epoch, "epoch": new.epoch, "timestamp_s": new.timestamp.timestamp(),
                              "metrics": sorted({e.metric for e in exceeding}),
                              "worst": [{"metric": e.metric, "key": str(e.key), "old": e.old, "new": e.new,
                                         "relative_change": e.relative_change} for e in worst]})
        return [summary(s) for s in snapshots], drift
