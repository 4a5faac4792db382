"""One QPU adapter as one Ray actor: it owns the device connection, runs one job at a time (the actor's
concurrency is 1, so device access is serialised), holds the calibration, and reports its lane (queue,
timing, latency) and what it observed (jobs run, mean and last latency of a job).
"""

from __future__ import annotations

import logging
import threading
import time

from qirrt.errors import AdapterError
from qirrt.executors.distributed.job import JobContext
from qirrt.executors.distributed.lane import describe_lane, is_qpu, queue_figures

log = logging.getLogger(__name__)

class DeviceActor:
    """The body of the actor for the adapter `adapter_name` (``emulated:FakeKolkata``)."""

    def __init__(self, adapter_name: str, options: dict | None = None):
        from qirrt.executors.distributed.execution import JobRunner
        from qirrt.executors.registry import executor_label, new_executor

        adapter = new_executor(adapter_name, **(options or {}))
        if not is_qpu(adapter):
            raise AdapterError(f"{adapter_name!r} is not a QPU adapter (it has no target() and queue_info()); "
                               f"run simulators as Ray tasks with executor={adapter_name!r} instead")
        self.adapter_name = adapter_name
        self.caps = describe_lane(adapter, executor_label(adapter_name))
        self.runner = JobRunner(adapter, None, {}, {"worker": f"ray-actor:{adapter_name}", "lane": self.caps["lane"]})
        self.jobs = 0
        self.busy_s = 0.0
        self.last_s: float | None = None

    def describe(self) -> dict:
        """The lane descriptor (as a ZeroMQ worker advertises it), refreshed queue, and observed timing."""
        caps = dict(self.caps)
        adapter = self.runner.executor
        try:
            started = time.perf_counter()
            caps.update(queue_figures(adapter))  # depth, wait and per-job timing, as a ZeroMQ QPU lane sends them
            caps["adapter_latency_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
        except Exception as exc:  # noqa: BLE001 -- a queue that cannot be asked keeps its last answer
            caps["queue_error"] = str(exc)[:200]
        caps.update(jobs_run=self.jobs, mean_job_s=self.busy_s / self.jobs if self.jobs else None,
                    last_job_s=self.last_s)
        try:
            caps["calibration_epoch"] = str(adapter.calibration().epoch)[:200]
        except Exception as exc:  # noqa: BLE001 -- a device without a calibration still serves jobs
            log.debug("%s: no calibration now (%s); the epoch at start is kept", self.adapter_name, exc)
        return caps

    def run(self, program: str | bytes, spec: dict) -> dict:
        """One program item (QIR text or bitcode) on the device: the RESULT body (see `tasks.run_item`)."""
        spec = {**spec, "program": program}
        started = time.monotonic()
        context = JobContext(spec["id"], 1, None, threading.Event(), _report=lambda *a: None)
        body = self.runner.run(spec, context)
        self.last_s = time.monotonic() - started
        self.busy_s += self.last_s
        self.jobs += 1
        return body


__all__ = ["DeviceActor"]
