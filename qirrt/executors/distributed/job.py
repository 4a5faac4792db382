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
    seed = spec.get("seed")
    if seed is not None and spec.get("seed_index"):  # one item of a batch: sample what the batch would
        from qirrt.executors.base import seed_for_index

        seed = seed_for_index(seed, spec["seed_index"])
    if hasattr(executor, "run_job"):
        result = executor.run_job(program, spec, context)
    else:
        kwargs = {"shots": spec["shots"], "seed": seed}
        if spec.get("params"):
            kwargs["params"] = spec["params"]
        if hasattr(executor, "execute"):  # qirrt's Executor: synchronous, already on a job thread
            result = executor.execute([program], **kwargs)
        else:
            result = executor.submit([program], **kwargs).result()
    if isinstance(result, list) and len(result) == 1:
        result = result[0]
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and spec.get("seed") is not None:
        metadata["seed"] = spec["seed"]  # the batch's seed, which reproduces it
        if spec.get("seed_index") is not None:
            metadata["seed_index"] = spec["seed_index"]
    return data


__all__ = ["JobContext", "run_program"]
