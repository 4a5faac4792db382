"""What a Ray worker runs for one item of a batch: plain data in (executor name, QIR text or bitcode, a job
spec), plain data out (the RESULT body a qirrt worker would send its broker). No user object is pickled.

The item is run by the same `JobRunner` as a ZeroMQ worker's job, so it samples the same stream: the
spec carries the batch's seed and the item's place in it (`seed_index`). Executors and parsed programs are
kept per worker process, so the items of a sweep parse their program once per process.
"""

from __future__ import annotations

import os
import threading

from qirrt.executors.distributed.execution import JobRunner
from qirrt.executors.distributed.job import JobContext

_runners: dict[tuple[str, str], JobRunner] = {}
_lock = threading.Lock()


def runner_for(executor_name: str, lane: str) -> JobRunner:
    """This process's runner for `executor_name` on `lane` (made on first use)."""
    from qirrt.executors.registry import new_executor

    key = (executor_name, lane)
    with _lock:
        runner = _runners.get(key)
        if runner is None:
            labels = {"worker": f"ray:{_node()}:{os.getpid()}", "lane": lane}
            runner = _runners[key] = JobRunner(new_executor(executor_name), None, {}, labels)
        return runner


def _node() -> str:
    try:
        import ray

        return ray.get_runtime_context().get_node_id()[:12]
    except Exception:  # noqa: BLE001 -- outside Ray (tests of this function): the host's name
        return os.uname().nodename


def run_item(executor_name: str, lane: str, program: str | bytes, spec: dict) -> dict:
    """Run one program item (`program` is QIR text or bitcode) and return the RESULT body:
    ``{"ok": True, "result": {...}}`` or ``{"ok": False, "error": ..., "retry": ...}``."""
    runner = runner_for(executor_name, lane)
    spec = {**spec, "program": program}
    context = JobContext(spec["id"], 1, None, threading.Event(), _report=lambda *a: None)
    return runner.run(spec, context)


__all__ = ["run_item", "runner_for"]
