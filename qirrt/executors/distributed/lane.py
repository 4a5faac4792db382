"""What lane a worker is, as it advertises it: a simulator lane or a QPU lane, with what the splitter needs.

A **simulator lane** (``local``, ``aer``, ``cudaq``) is named ``simulator:<executor>`` and says whether it
has a GPU; its speed is what the broker observes (seconds taken per estimated second, `WorkerRecord.speed`).
A **QPU lane** is a `HardwareAdapter` (``emulated:FakeKolkata``, ``qiskit-backend:FakeSherbrooke``) named
``qpu:<device>``: it advertises its device (`target`), qubits, basis gates, a hash of its coupling map,
its calibration epoch, the round-trip latency to its adapter (``adapter_latency_ms``, one `queue_info`
call, measured at registration), its queue (depth and the wait ahead of a new job) and its timing (fixed seconds per
job, shots per second) — an emulated device's queue model, or conservative defaults for a real one.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

log = logging.getLogger(__name__)

#: Timing assumed for a QPU that does not say: a cloud device's typical per-job overhead and shot rate.
DEFAULT_TASK_OVERHEAD_S = 2.0
DEFAULT_SHOTS_PER_S = 2000.0
#: A simulator job's fixed cost (dispatch, parsing, compiling) before the broker has observed the lane.
SIMULATOR_TASK_OVERHEAD_S = 0.02


def is_qpu(executor) -> bool:
    return callable(getattr(executor, "queue_info", None)) and callable(getattr(executor, "target", None))


def describe_lane(executor, executor_name: str) -> dict:
    """The lane fields of a worker's capability descriptor (`protocol.Capabilities`)."""
    if not is_qpu(executor):
        return {"lane": f"simulator:{executor_name}", "lane_kind": "simulator",
                "task_overhead_s": SIMULATOR_TASK_OVERHEAD_S}
    target = executor.target()
    edges = sorted((int(a), int(b)) for a, b in target.coupling.edges)
    caps = {"lane": f"qpu:{target.name}", "lane_kind": "qpu", "target": target.name,
            "max_qubits": int(target.num_qubits), "native_gates": sorted(target.native_gates),
            "coupling_hash": hashlib.sha256(repr(edges).encode()).hexdigest()[:16]}
    try:
        caps["calibration_epoch"] = str(executor.calibration().epoch)[:200]
    except Exception as exc:  # noqa: BLE001 -- a device without a calibration still serves jobs
        log.warning("lane %s: no calibration (%s)", caps["lane"], exc)
    try:
        started = time.perf_counter()
        caps.update(queue_figures(executor))  # one round trip to the device's API: the lane's measured latency
        caps["adapter_latency_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
    except Exception as exc:  # noqa: BLE001
        log.warning("lane %s: no queue information (%s)", caps["lane"], exc)
        caps.update(_timing(executor))
    return caps


def _timing(executor) -> dict:
    queue = getattr(executor, "queue", None)  # an emulated device's queue model
    overhead = getattr(queue, "overhead_s", None)
    shot_s = getattr(queue, "shot_s", None)
    return {"task_overhead_s": float(DEFAULT_TASK_OVERHEAD_S if overhead is None else overhead),
            "shots_per_s": float(DEFAULT_SHOTS_PER_S if not shot_s else 1.0 / shot_s)}


def queue_figures(executor) -> dict:
    """A QPU lane's queue now (`queue_depth`, `queue_wait_s`) and per-job timing (`task_overhead_s`,
    `shots_per_s`), from one call to the device's queue API; sent at registration and refreshed in
    heartbeats."""
    info = executor.queue_info()
    figures = _timing(executor)
    figures["queue_depth"] = int(info.depth)
    figures["queue_wait_s"] = float(max(0.0, info.estimated_wait_s))
    queue = getattr(executor, "queue", None)
    latency, job_s = getattr(queue, "latency_s", None), getattr(queue, "job_s", None)
    if latency is not None and job_s is not None:
        # an emulated queue: each job of ours waits the latency and the other users' jobs ahead of it
        ahead_s = latency + info.depth * job_s
        figures["task_overhead_s"] += ahead_s
        figures["queue_wait_s"] = float(max(0.0, info.estimated_wait_s - ahead_s))
    return figures


class QueueWatch:
    """Refreshes a QPU lane's `queue_figures` every `interval_s` on a thread of its own (a device API call
    must not hold up the worker's loop); `take()` hands over figures newer than the last ones taken."""

    def __init__(self, executor, interval_s: float):
        self.executor, self.interval_s = executor, float(interval_s)
        self._fresh: dict | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="qirrt-queue-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def take(self) -> dict | None:
        with self._lock:
            fresh, self._fresh = self._fresh, None
        return fresh

    def refresh(self) -> None:
        """Read the queue once (what the thread does every `interval_s`)."""
        try:
            figures = queue_figures(self.executor)
        except Exception as exc:  # noqa: BLE001 -- the device API is down: keep the last figures
            log.warning("queue figures not refreshed: %s", exc)
            return
        with self._lock:
            self._fresh = figures

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()


__all__ = ["QueueWatch", "describe_lane", "is_qpu", "queue_figures"]
