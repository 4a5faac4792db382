"""`HardwareAdapter`: the interface to a QPU behind a vendor API, and the data it speaks.

An adapter is also an `Executor` (``submit`` → `Job`), so ``qirrt run --executor emulated`` works
like any simulator; on top it answers what only a device can: `calibration()`, `queue_info()`,
`capabilities()`, and `reserve(start, duration_s)` where the vendor sells reservations. Jobs are
addressed by id through the adapter (`status`, `cancel`, `result`) and through the `AdapterJob`
handle `submit` returns. Times are UTC `datetime`s; durations carry their unit in the name.

`TransientAdapterError` marks failures worth retrying (a dropped connection, a device reset); every
other `AdapterError` is final.
"""

from __future__ import annotations

import itertools
import logging
import threading
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from qirrt.errors import AdapterError
from qirrt.executors.base import Executor, Job, JobStatus
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

__all__ = ["AdapterJob", "Capabilities", "Clock", "HardwareAdapter", "ManualClock", "QueueInfo", "Reservation",
           "SystemClock", "TransientAdapterError", "utc"]


class TransientAdapterError(AdapterError):
    """A failure that may not happen again: resubmitting the job is reasonable."""

    transient = True


def utc(moment: datetime | float | None = None) -> datetime:
    """A timezone-aware UTC datetime from a datetime (naive ones are taken as UTC) or a POSIX time."""
    if moment is None:
        return datetime.now(UTC)
    if isinstance(moment, (int, float)):
        return datetime.fromtimestamp(moment, UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Clock:
    """Where an adapter reads the time and how it waits: replace it to run a day in a second."""

    def now(self) -> datetime:
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError


class SystemClock(Clock):
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(max(0.0, seconds))


class ManualClock(Clock):
    """A clock that moves only when told: `advance(seconds)`, and `sleep` advances it (tests, demos)."""

    def __init__(self, start: datetime | float | None = None):
        self._now = utc(start if start is not None else datetime(2026, 1, 1, tzinfo=UTC))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=max(0.0, seconds))
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


@dataclass(frozen=True)
class Capabilities:
    """What a device accepts."""

    name: str
    num_qubits: int
    native_gates: frozenset[str]
    profiles: tuple[str, ...] = ("base",)
    max_shots: int = 100_000
    mid_circuit_measurement: bool = False
    reservations: bool = False
    simulator: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "num_qubits": self.num_qubits, "native_gates": sorted(self.native_gates),
                "profiles": list(self.profiles), "max_shots": self.max_shots,
                "mid_circuit_measurement": self.mid_circuit_measurement, "reservations": self.reservations,
                "simulator": self.simulator}


@dataclass(frozen=True)
class QueueInfo:
    """The device queue as the vendor reports it: depth, and the estimated wait where known."""

    depth: int
    estimated_wait_s: float | None = None
    timestamp: datetime = field(default_factory=utc)
    own_jobs: int = 0
    operational: bool = True

    def to_dict(self) -> dict:
        return {"depth": self.depth, "estimated_wait_s": self.estimated_wait_s,
                "timestamp": self.timestamp.isoformat(), "own_jobs": self.own_jobs, "operational": self.operational}


@dataclass(frozen=True)
class Reservation:
    """Exclusive device time: jobs submitted with ``reservation=id`` run in it without queueing."""

    id: str
    start: datetime
    duration_s: float

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def overlaps(self, other: Reservation) -> bool:
        return self.start < other.end and other.start < self.end


class AdapterJob(Job):
    """A handle on one job of an adapter: everything goes through the adapter by id."""

    def __init__(self, adapter: HardwareAdapter, job_id: str, *, single: bool,
                 resubmit: Callable[[], str] | None = None):
        self.adapter = adapter
        self.id = job_id
        self._single = single
        self._resubmit = resubmit
        self.resubmissions = 0

    def status(self) -> JobStatus:
        return self.adapter.status(self.id)

    def cancel(self) -> bool:
        return self.adapter.cancel(self.id)

    def result(self, timeout_s: float | None = None) -> Result | list[Result]:
        """The job's Results; a transient failure (a device reset, a dropped connection) is resubmitted up to
        the adapter's `transient_retries` times before it is raised."""
        while True:
            try:
                results = self.adapter.result(self.id, timeout_s=timeout_s)
                break
            except TransientAdapterError as exc:
                if self._resubmit is None or self.resubmissions >= self.adapter.transient_retries:
                    raise
                self.resubmissions += 1
                log.warning("%s: %s; resubmitting (%d of %d)", self.adapter.name, exc, self.resubmissions,
                            self.adapter.transient_retries)
                self.id = self._resubmit()
        return results[0] if self._single and len(results) == 1 else results

    def eta(self) -> datetime | None:
        """When the adapter expects the job to finish (None when it cannot say)."""
        return self.adapter.job_eta(self.id)


class HardwareAdapter(Executor):
    """A QPU behind a vendor API. Subclasses implement the abstract methods; see the module docstring."""

    name: ClassVar[str] = "adapter"
    transient_retries: ClassVar[int] = 2
    """How often a job that failed transiently (`TransientAdapterError`) is resubmitted before it fails."""
    _ids = itertools.count(1)
    _ids_lock = threading.Lock()

    # -- the device -----------------------------------------------------------------------------
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abstractmethod
    def calibration(self):
        """The device's current `Calibration` snapshot."""

    @abstractmethod
    def queue_info(self) -> QueueInfo: ...

    def target(self):
        """The device's `Target` (static description)."""
        raise AdapterError(f"adapter {self.name!r} does not describe its target")

    def reserve(self, start: datetime | float, duration_s: float) -> Reservation:
        """Book the device from `start` for `duration_s` seconds."""
        raise AdapterError(f"adapter {self.name!r} does not support reservations")

    def reservations(self) -> list[Reservation]:
        return []

    # -- jobs -----------------------------------------------------------------------------------
    @abstractmethod
    def submit_programs(self, programs: list[Program], *, shots: int, seed: int | None, params: Any,
                        **options) -> str:
        """Send a batch to the vendor; return the job id at once."""

    @abstractmethod
    def status(self, job_id: str) -> JobStatus: ...

    @abstractmethod
    def cancel(self, job_id: str) -> bool: ...

    @abstractmethod
    def result(self, job_id: str, timeout_s: float | None = None) -> list[Result]:
        """The job's Results (one per program and binding); waits up to `timeout_s`."""

    def job_eta(self, job_id: str) -> datetime | None:
        return None

    # -- Executor -------------------------------------------------------------------------------
    def submit(self, programs: Program | Sequence[Program], *, shots: int = 1000, seed: int | None = None,
               params: Any = None, **options) -> AdapterJob:
        batch, single = self._batch(programs, params)
        limit = self.capabilities().max_shots
        if shots > limit:
            raise AdapterError(f"{self.name}: {shots} shots exceed the device's limit of {limit}; split the job")
        def send() -> str:
            return self.submit_programs(batch, shots=shots, seed=seed, params=params, **options)

        return AdapterJob(self, send(), single=single, resubmit=send)

    def execute(self, programs: list[Program], *, shots: int, seed: int | None = None, params: Any = None,
                **options) -> list[Result]:
        def send() -> str:
            return self.submit_programs(list(programs), shots=shots, seed=seed, params=params, **options)

        return AdapterJob(self, send(), single=False, resubmit=send).result()

    @classmethod
    def _new_id(cls, prefix: str) -> str:
        with cls._ids_lock:
            return f"{prefix}-{next(cls._ids)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
