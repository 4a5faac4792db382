"""`EmulatedQPU`: a fake device with a queue, drifting calibration, failures and reservations.

It runs programs with a fake backend's noise (Aer, through `qirrt.executors.aer`) and behaves like a
busy cloud QPU, deterministically for a given seed and clock:

* **queue**: other users' jobs ahead of ours number a Poisson draw (mean `QueueModel.mean_depth`) per
  `QueueModel.window_s` of time; a job starts after the submission latency, the jobs ahead and our
  own earlier jobs, never inside a reservation, and takes ``overhead_s + shots · shot_s`` device
  time. `queue_info()` reports the depth and the estimated wait, `job_eta()` each job's finish;
* **drift**: the calibration changes every `DriftModel.epoch_s` — readout errors, gate errors and
  T1/T2 follow seeded log-normal random walks from the backend's snapshot. `calibration()` is the
  snapshot in force now; a job is simulated with the snapshot in force when it starts;
* **noise**: the device's calibrated noise, or ideal qubits with ``noise=False`` (still transpiled for
  the device and queued: a QPU lane whose answers tests can compare with exact values);
* **failures**: a job fails with probability `failure_rate` (`TransientAdapterError` from
  `result`, as a device reset would);
* **reservations**: `reserve(start, duration_s)` books exclusive time; jobs submitted with
  ``reservation=id`` run in it without queueing, other jobs wait until it ends.

Time comes from a `Clock` (`SystemClock` by default, `ManualClock` in tests), so a day of queueing
and drift takes milliseconds to test.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np

from qirrt.adapters.base import (
    Capabilities,
    Clock,
    HardwareAdapter,
    QueueInfo,
    Reservation,
    SystemClock,
    TransientAdapterError,
    utc,
)
from qirrt.errors import AdapterError, JobCancelledError, JobTimeoutError
from qirrt.executors.base import JobStatus
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

__all__ = ["DriftModel", "EmulatedQPU", "QueueModel"]


@dataclass(frozen=True)
class QueueModel:
    """The emulated queue's timing."""

    latency_s: float = 0.5
    """From submission to the earliest possible start."""
    mean_depth: float = 2.0
    """Other users' jobs ahead, on average (Poisson)."""
    window_s: float = 300.0
    """How long one draw of the other users' queue lasts."""
    job_s: float = 1.0
    """Device time of one of their jobs."""
    overhead_s: float = 0.2
    """Fixed device time of each of our jobs."""
    shot_s: float = 2e-4
    """Device time per shot of ours."""


class DriftModel(NamedTuple):
    """How the calibration wanders: log-normal random-walk steps per epoch (σ of the log)."""

    epoch_s: float = 3600.0
    readout_sigma: float = 0.15
    gate_sigma: float = 0.10
    coherence_sigma: float = 0.05


@dataclass
class _EmulatedJob:
    id: str
    programs: list[Program]
    shots: int
    seed: int | None
    params: Any
    submitted: datetime
    start: datetime
    finish: datetime
    fails: bool
    reservation: str | None
    memory: bool = False
    cancelled: bool = False
    results: list[Result] | None = None


class EmulatedQPU(HardwareAdapter):
    """A fake backend behind a simulated cloud queue; see the module docstring."""

    name = "emulated"

    def __init__(self, backend: Any = "FakeKolkata", *, seed: int = 0, clock: Clock | None = None,
                 queue: QueueModel | None = None, drift: DriftModel | None = None, failure_rate: float = 0.02,
                 method: str = "automatic", origin: datetime | float | None = None, noise: bool = True):
        from qirrt.adapters import resolve_backend

        if not 0.0 <= failure_rate <= 1.0:
            raise AdapterError(f"failure_rate must be in [0, 1], got {failure_rate}")
        self.backend = resolve_backend(backend)
        self.name = f"emulated-{self.backend.name}"
        self.seed = int(seed)
        self.clock = clock or SystemClock()
        self.queue = QueueModel(**queue) if isinstance(queue, dict) else (queue or QueueModel())
        self.drift = DriftModel(**drift) if isinstance(drift, dict) else (drift or DriftModel())
        self.failure_rate = failure_rate
        self.method = method
        self.noise = bool(noise)  # False: ideal qubits (queue, drift bookkeeping and failures as before)
        self.origin = utc(origin) if origin is not None else self.clock.now()
        self._jobs: dict[str, _EmulatedJob] = {}
        self._reservations: dict[str, Reservation] = {}
        self._device_free = self.origin
        self._reserved_free: dict[str, datetime] = {}
        self._lock = threading.RLock()
        self._base = None
        self._walk: list[dict] = []  # per epoch: multiplicative factors
        self._snapshots: dict[int, Any] = {}
        self._failures = np.random.default_rng(np.random.SeedSequence([self.seed, 0xFA11]))
        self._executor = None

    # -- the device -----------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(name=self.name, num_qubits=self.backend.num_qubits,
                            native_gates=self.target().native_gates, profiles=("base", "adaptive"),
                            max_shots=100_000, mid_circuit_measurement=True, reservations=True, simulator=True)

    def target(self):
        from qirrt.adapters import target_from_backend

        return target_from_backend(self.backend)

    def _base_calibration(self):
        if self._base is None:
            from qirrt.adapters import calibration_from_backend

            self._base = calibration_from_backend(self.backend)
        return self._base

    def epoch_index(self, moment: datetime | None = None) -> int:
        elapsed = ((moment or self.clock.now()) - self.origin).total_seconds()
        return max(0, math.floor(elapsed / self.drift.epoch_s))

    def calibration(self):
        """The calibration snapshot in force now."""
        return self.calibration_at(self.clock.now())

    def calibration_at(self, moment: datetime):
        """The snapshot in force at `moment` (the same object for the whole epoch)."""
        index = self.epoch_index(utc(moment))
        with self._lock:
            found = self._snapshots.get(index)
            if found is None:
                found = self._snapshot(index)
                self._snapshots[index] = found
            return found

    def _factors(self, index: int) -> dict:
        """Cumulative drift factors of epoch `index` (a seeded random walk per metric and qubit/gate)."""
        base = self._base_calibration()
        qubits = sorted(base.qubits)
        gates = sorted(base.gates)
        while len(self._walk) <= index:
            k = len(self._walk)
            if k == 0:
                self._walk.append({"readout": np.ones(len(qubits)), "t1": np.ones(len(qubits)),
                                   "t2": np.ones(len(qubits)), "gate": np.ones(len(gates))})
                continue
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, k]))
            previous = self._walk[-1]
            d = self.drift
            self._walk.append({
                "readout": previous["readout"] * np.exp(rng.normal(0, d.readout_sigma, len(qubits))),
                "t1": previous["t1"] * np.exp(rng.normal(0, d.coherence_sigma, len(qubits))),
                "t2": previous["t2"] * np.exp(rng.normal(0, d.coherence_sigma, len(qubits))),
                "gate": previous["gate"] * np.exp(rng.normal(0, d.gate_sigma, len(gates))),
            })
        return self._walk[index]

    def _snapshot(self, index: int):
        from qirrt.device.calibration import Calibration

        base = self._base_calibration()
        factors = self._factors(index)
        qubits = {}
        for position, q in enumerate(sorted(base.qubits)):
            entry = base.qubits[q]
            f_readout = float(factors["readout"][position])
            t1 = entry.t1_s * float(factors["t1"][position]) if entry.t1_s else entry.t1_s
            t2 = entry.t2_s * float(factors["t2"][position]) if entry.t2_s else entry.t2_s
            if t1 and t2:
                t2 = min(t2, 2 * t1)
            qubits[q] = replace(
                entry, t1_s=t1, t2_s=t2,
                readout_error=_clip(entry.readout_error, f_readout, 0.5),
                prob_meas1_prep0=_clip(entry.prob_meas1_prep0, f_readout, 0.5),
                prob_meas0_prep1=_clip(entry.prob_meas0_prep1, f_readout, 0.5))
        gates = {}
        for position, key in enumerate(sorted(base.gates)):
            entry = base.gates[key]
            gates[key] = replace(entry, error=_clip(entry.error, float(factors["gate"][position]), 0.75))
        timestamp = self.origin + timedelta(seconds=index * self.drift.epoch_s)
        return Calibration(target_name=self.name, timestamp=timestamp, qubits=qubits, gates=gates,
                           source=f"emulated:{base.source}:seed={self.seed}:epoch={index}")

    # -- queue ----------------------------------------------------------------------------------
    def external_depth(self, moment: datetime | None = None) -> int:
        """Other users' jobs in the queue at `moment` (a seeded Poisson draw per window)."""
        elapsed = ((moment or self.clock.now()) - self.origin).total_seconds()
        window = max(0, math.floor(elapsed / self.queue.window_s))
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x0E0E, window]))
        return int(rng.poisson(self.queue.mean_depth))

    def queue_info(self) -> QueueInfo:
        now = self.clock.now()
        with self._lock:
            waiting = [j for j in self._jobs.values() if not j.cancelled and now < j.start]
            busy_s = max(0.0, (self._device_free - now).total_seconds())
        external = self.external_depth(now)
        wait = self.queue.latency_s + external * self.queue.job_s + busy_s
        return QueueInfo(depth=external + len(waiting), estimated_wait_s=wait, timestamp=now,
                         own_jobs=len(waiting), operational=True)

    # -- reservations ---------------------------------------------------------------------------
    def reserve(self, start: datetime | float, duration_s: float) -> Reservation:
        start = utc(start)
        if duration_s <= 0:
            raise AdapterError(f"reservation duration must be positive, got {duration_s} s")
        if start < self.clock.now():
            raise AdapterError(f"cannot reserve {self.name} in the past ({start.isoformat()})")
        reservation = Reservation(self._new_id("reservation"), start, float(duration_s))
        with self._lock:
            for other in self._reservations.values():
                if reservation.overlaps(other):
                    raise AdapterError(f"{self.name} is already reserved from {other.start.isoformat()} to "
                                       f"{other.end.isoformat()} ({other.id})")
            self._reservations[reservation.id] = reservation
        return reservation

    def reservations(self) -> list[Reservation]:
        with self._lock:
            return sorted(self._reservations.values(), key=lambda r: r.start)

    def _outside_reservations(self, start: datetime, length_s: float) -> datetime:
        """The earliest moment ≥ start when `length_s` of device time fits between reservations."""
        moved = True
        while moved:
            moved = False
            for reservation in self.reservations():
                end = start + timedelta(seconds=length_s)
                if start < reservation.end and reservation.start < end:
                    start = reservation.end
                    moved = True
        return start

    # -- jobs -----------------------------------------------------------------------------------
    def submit_programs(self, programs: list[Program], *, shots: int, seed: int | None, params: Any,
                        reservation: str | None = None, memory: bool = False, **options) -> str:
        if options:
            raise AdapterError(f"unknown option(s) {', '.join(sorted(options))} for {self.name}; known: reservation, "
                               f"memory")
        for program in programs:
            if program.num_qubits > self.backend.num_qubits:
                raise AdapterError(f"program {program.entry_point!r} needs {program.num_qubits} qubits; "
                                   f"{self.name} has {self.backend.num_qubits}")
        now = self.clock.now()
        length_s = self.queue.overhead_s + shots * self.queue.shot_s * max(1, len(programs))
        with self._lock:
            if reservation is not None:
                booked = self._reservations.get(reservation)
                if booked is None:
                    raise AdapterError(f"{self.name} has no reservation {reservation!r}")
                start = max(booked.start, now + timedelta(seconds=self.queue.latency_s),
                            self._reserved_free.get(reservation, booked.start))
                if start + timedelta(seconds=length_s) > booked.end:
                    raise AdapterError(f"job of {length_s:.1f} s does not fit in reservation {reservation} "
                                       f"(ends {booked.end.isoformat()})")
                self._reserved_free[reservation] = start + timedelta(seconds=length_s)
            else:
                ahead_s = self.queue.latency_s + self.external_depth(now) * self.queue.job_s
                start = max(now + timedelta(seconds=ahead_s), self._device_free)
                start = self._outside_reservations(start, length_s)
            finish = start + timedelta(seconds=length_s)
            if reservation is None:
                self._device_free = max(self._device_free, finish)
            fails = bool(self._failures.random() < self.failure_rate)
            job = _EmulatedJob(self._new_id(self.name), list(programs), shots, seed, params, now, start, finish,
                               fails, reservation, memory=memory)
            self._jobs[job.id] = job
        log.debug("%s: job %s queued, starts %s, finishes %s", self.name, job.id, start.isoformat(),
                  finish.isoformat())
        return job.id

    def _get(self, job_id: str) -> _EmulatedJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise AdapterError(f"{self.name} has no job {job_id!r}")
        return job

    def status(self, job_id: str) -> JobStatus:
        job = self._get(job_id)
        if job.cancelled:
            return JobStatus.CANCELLED
        now = self.clock.now()
        if now < job.start:
            return JobStatus.QUEUED
        if now < job.finish:
            return JobStatus.RUNNING
        return JobStatus.FAILED if job.fails else JobStatus.DONE

    def job_eta(self, job_id: str) -> datetime | None:
        job = self._get(job_id)
        return None if job.cancelled else job.finish

    def job_times(self, job_id: str) -> dict[str, datetime]:
        job = self._get(job_id)
        return {"submitted": job.submitted, "start": job.start, "finish": job.finish}

    def cancel(self, job_id: str) -> bool:
        job = self._get(job_id)
        with self._lock:
            if job.cancelled:
                return True
            if self.clock.now() >= job.start:
                return False
            job.cancelled = True
            return True

    def result(self, job_id: str, timeout_s: float | None = None) -> list[Result]:
        job = self._get(job_id)
        now = self.clock.now()
        if job.cancelled:
            raise JobCancelledError(f"{self.name} job {job_id} was cancelled")
        remaining_s = (job.finish - now).total_seconds()
        if remaining_s > 0:
            if timeout_s is not None and remaining_s > timeout_s:
                self.clock.sleep(timeout_s)
                raise JobTimeoutError(f"{self.name} job {job_id} is {self.status(job_id).value}; it should finish "
                                      f"at {job.finish.isoformat()}, {remaining_s:.0f} s from when you asked")
            self.clock.sleep(remaining_s)
        if job.cancelled:
            raise JobCancelledError(f"{self.name} job {job_id} was cancelled")
        if job.fails:
            raise TransientAdapterError(f"{self.name} job {job_id} failed at {job.start.isoformat()} (emulated "
                                        f"device reset); resubmitting it should work")
        with self._lock:
            if job.results is None:
                job.results = self._simulate(job)
            return list(job.results)

    def _simulate(self, job: _EmulatedJob) -> list[Result]:
        from qirrt.executors.aer import AerExecutor

        if self._executor is None:
            self._executor = AerExecutor(target=self.backend, method=self.method, noise=self.noise)
        calibration = self.calibration_at(job.start)
        results = self._executor.execute(job.programs, shots=job.shots, seed=job.seed, params=job.params,
                                         calibration=calibration, memory=job.memory)
        for result in results:
            result.metadata.update(executor=self.name, adapter=type(self).__name__, job_id=job.id,
                                   calibration_epoch=calibration.epoch, submitted=job.submitted.isoformat(),
                                   started=job.start.isoformat(), finished=job.finish.isoformat(),
                                   queued_s=(job.start - job.submitted).total_seconds(), reservation=job.reservation)
        return results


def _clip(value: float | None, factor: float, top: float) -> float | None:
    if value is None:
        return None
    return float(min(max(value * factor, 0.0), top))
