"""`CalibrationManager`: pulls calibration from adapters into the `CalibrationStore` and reports drift.

Register adapters with `add(adapter, interval_s=...)`. `refresh()` pulls on demand (errors raise to
the caller); `poll()` pulls every adapter whose interval has elapsed on the manager's clock and
returns what it pulled and what failed (a failing adapter does not stop the others); `start()` runs
`poll()` in a background thread every `tick_s` until `stop()`. Every pulled snapshot goes into the
store, which keeps the history by epoch and calls drift subscribers (`subscribe`, e.g. the parametric
cache) when a new epoch moved past their thresholds — optionally only on the qubits and pairs they
use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from qirrt.adapters.base import Clock, SystemClock
from qirrt.errors import AdapterError, QirrtError

log = logging.getLogger(__name__)

__all__ = ["CalibrationManager", "PollReport"]


@dataclass
class _Source:
    adapter: object
    interval_s: float | None
    last_pull: datetime | None = None
    last_epoch: str | None = None
    pulls: int = 0
    failures: int = 0
    last_error: str | None = None
    target_name: str | None = None


@dataclass
class PollReport:
    """What one `poll()` did: epochs pulled per adapter name, and errors per adapter name."""

    pulled: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


class CalibrationManager:
    """Keeps the calibration store current for a set of adapters; see the module docstring."""

    def __init__(self, store=None, *, clock: Clock | None = None):
        if store is None:
            from qirrt.device.calibration_store import CalibrationStore

            store = CalibrationStore(":memory:")
        self.store = store
        self.clock = clock or SystemClock()
        self._sources: dict[str, _Source] = {}
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.errors: list[tuple[datetime, str, str]] = []
        """(time, adapter, message) of every failed periodic pull, newest last (bounded)."""

    # -- adapters -------------------------------------------------------------------------------
    def add(self, adapter, *, interval_s: float | None = None, name: str | None = None) -> str:
        """Manage `adapter`; pull every `interval_s` seconds when polled (None: on demand only)."""
        if interval_s is not None and interval_s <= 0:
            raise AdapterError(f"calibration interval must be positive, got {interval_s} s")
        key = name or adapter.name
        with self._lock:
            if key in self._sources:
                raise AdapterError(f"an adapter named {key!r} is already managed")
            self._sources[key] = _Source(adapter, interval_s)
        return key

    def remove(self, name: str) -> None:
        with self._lock:
            self._sources.pop(name, None)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._sources)

    def _source(self, name: str) -> _Source:
        with self._lock:
            source = self._sources.get(name)
        if source is None:
            known = ", ".join(self.names()) or "none"
            raise AdapterError(f"no managed adapter named {name!r} (managed: {known})")
        return source

    # -- pulling --------------------------------------------------------------------------------
    def refresh(self, name: str | None = None) -> dict[str, object]:
        """Pull now from one adapter (or all); return the snapshots by adapter name. Errors raise."""
        names = [name] if name is not None else self.names()
        return {n: self._pull(n) for n in names}

    def _pull(self, name: str):
        source = self._source(name)
        now = self.clock.now()
        calibration = source.adapter.calibration()
        epoch = self.store.add(calibration)
        with self._lock:
            source.last_pull = now
            source.pulls += 1
            changed = epoch != source.last_epoch
            source.last_epoch = epoch
            source.target_name = calibration.target_name
        if changed:
            log.info("calibration of %s: epoch %s (%s)", name, epoch, calibration.timestamp.isoformat())
        return calibration

    def due(self) -> list[str]:
        """Adapters whose interval has elapsed (or that were never pulled) on the manager's clock."""
        now = self.clock.now()
        with self._lock:
            return [n for n, s in sorted(self._sources.items()) if s.interval_s is not None and (
                s.last_pull is None or (now - s.last_pull).total_seconds() >= s.interval_s)]

    def poll(self) -> PollReport:
        """Pull every due adapter; failures are recorded, logged and reported, not raised."""
        report = PollReport()
        for name in self.due():
            try:
                report.pulled[name] = self._pull(name).epoch
            except QirrtError as exc:
                source = self._source(name)
                message = str(exc)
                with self._lock:
                    source.failures += 1
                    source.last_error = message
                    source.last_pull = self.clock.now()  # retry at the next interval, not in a tight loop
                    self.errors.append((self.clock.now(), name, message))
                    del self.errors[:-100]
                log.warning("calibration pull from %s failed: %s", name, message)
                report.failed[name] = message
        return report

    def status(self) -> dict[str, dict]:
        """Per adapter: interval, last pull, last epoch, pull and failure counts, last error."""
        with self._lock:
            return {n: {"interval_s": s.interval_s, "last_pull": s.last_pull.isoformat() if s.last_pull else None,
                        "last_epoch": s.last_epoch, "pulls": s.pulls, "failures": s.failures,
                        "last_error": s.last_error} for n, s in sorted(self._sources.items())}

    def latest(self, name: str):
        """The newest stored snapshot of a managed adapter's device (None before the first pull)."""
        source = self._source(name)
        if source.last_epoch is None:
            return None
        return self.store.latest(source.target_name)

    # -- drift ----------------------------------------------------------------------------------
    def subscribe(self, callback: Callable, *, target: str | None = None, thresholds: Mapping[str, float] | None = None,
                  qubits: Iterable[int] | None = None, pairs: Iterable[tuple[int, int]] | None = None,
                  every_epoch: bool = False):
        """Hear of drift (a `DriftEvent`) on `target` (a calibration's target name; all when None)."""
        return self.store.subscribe(callback, target=target, thresholds=thresholds, qubits=qubits, pairs=pairs,
                                    every_epoch=every_epoch)

    # -- background polling ---------------------------------------------------------------------
    def start(self, *, tick_s: float = 1.0) -> None:
        """Poll every `tick_s` seconds of real time in a daemon thread until `stop()`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.poll()
                except Exception:
                    log.exception("calibration manager poll failed")
                    with self._lock:
                        self.errors.append((self.clock.now(), "*", "poll raised; see the log"))
                self._stop.wait(tick_s)

        self._thread = threading.Thread(target=loop, name="qirrt-calibration-manager", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
