"""One program job on a worker: the context a distributed-aware executor gets, and running the job.

A leaf: the worker's job threads and `RuntimeWorkerBase.execute` (in a sandboxed workload) both use it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class JobContext:
    """What a distributed-aware executor's `run_job(program, spec, context)` gets."""

    job_id: str
    attempt: int
    checkpoint: bytes | None
    cancelled: threading.Event
    _report: object = field(repr=False, default=None)

    def report(self, progress: float, checkpoint: bytes | None = None) -> None:
        """Tell the broker how far the job is (0..1) and, optionally, a checkpoint to resume from."""
        self._report(self.job_id, self.attempt, float(progress), checkpoint)


def run_program(executor, program, spec: dict, context: JobContext) -> dict:
    """Run one program job on `executor` and return the result as a plain dict (`Result.to_dict`)."""
    if hasattr(executor, "run_job"):
        result = executor.run_job(program, spec, context)
    else:
        kwargs = {"shots": spec["shots"], "seed": spec.get("seed")}
        if spec.get("params"):
            kwargs["params"] = spec["params"]
        if hasattr(executor, "execute"):  # qirrt's Executor: synchronous, already on a job thread
            result = executor.execute([program], **kwargs)
        else:
            result = executor.submit([program], **kwargs).result()
    if isinstance(result, list) and len(result) == 1:
        result = result[0]
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


__all__ = ["JobContext", "run_program"]
