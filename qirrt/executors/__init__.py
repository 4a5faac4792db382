"""Executors: run `Program`s and return `Result`s. Each one lives in its own module and registers
under the ``qirrt.executors`` entry-point group (`local`, `null`, ...)."""

from __future__ import annotations

from qirrt.executors.base import DoneJob, Executor, FutureJob, Job, JobStatus

__all__ = ["DoneJob", "Executor", "FutureJob", "Job", "JobStatus", "LocalExecutor", "NullExecutor"]


def __getattr__(name: str):
    # imported lazily: the local executor pulls in numba and llvmlite
    if name == "LocalExecutor":
        from qirrt.executors.local.executor import LocalExecutor

        return LocalExecutor
    if name == "NullExecutor":
        from qirrt.executors.null import NullExecutor

        return NullExecutor
    raise AttributeError(name)
