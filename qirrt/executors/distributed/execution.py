"""How a worker runs one job, on a pool thread: a program through its qirrt executor, a workload (user
code) in a separate, resource-limited process. The outcome is the body of the RESULT the worker reports:
a failure is data for the broker (`retry` false when retrying elsewhere cannot help), never an exception."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict

from qirrt.errors import InvalidProgramError, QirrtError, ResourceLimitError
from qirrt.executors.distributed.job import JobContext, run_program

MAX_PROGRAMS = 256  # parsed programs kept for jobs that send the same one again


class JobRunner:
    """Runs jobs on `executor`, and workloads under `isolation` with `workload_limits`."""

    def __init__(self, executor, isolation, workload_limits: dict, labels: dict | None = None):
        self.executor = executor
        self.labels = dict(labels or {})  # written into every program result's metadata (worker, lane)
        self.isolation = isolation
        self.workload_limits = workload_limits
        self.programs: OrderedDict[str, object] = OrderedDict()

    def run(self, spec: dict, context: JobContext) -> dict:
        """The RESULT body of one attempt of the job `spec`."""
        body = {"job": spec["id"], "attempt": context.attempt}
        started = time.monotonic()
        try:
            body.update(ok=True, result=self._result(spec, context))
        except Exception as exc:  # noqa: BLE001 -- a job's failure is data for the broker
            permanent = isinstance(exc, (InvalidProgramError, ResourceLimitError)) or getattr(exc, "permanent", False)
            message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, QirrtError) else str(exc)
            body.update(ok=False, error=message[:2000], retry=not permanent)
        body["elapsed_s"] = time.monotonic() - started
        return body

    def _result(self, spec: dict, context: JobContext):
        if spec["kind"] == "workload":
            from qirrt.executors.distributed.workload import run_sandboxed

            # A workload that crashes or hits a limit is a failed job (WorkloadError is permanent:
            # not retried elsewhere); it cannot signal this process, which goes on.
            return run_sandboxed(spec["workload"], limits=self.workload_limits, cancelled=context.cancelled,
                                 network=bool((spec.get("requires") or {}).get("network")),
                                 isolation=self.isolation)
        program = spec["program"]
        if not getattr(self.executor, "wants_program_text", False):
            program = self.program(program)
        result = run_program(self.executor, program, spec, context)
        if isinstance(result.get("metadata"), dict):
            result["metadata"].update(self.labels)
        return result

    def program(self, source: str | bytes):
        """The parsed program of `source` (IR text or bitcode), from the cache when it was seen lately."""
        from qirrt.qir.program import Program

        key = hashlib.sha256(source if isinstance(source, bytes) else source.encode()).hexdigest()
        program = self.programs.get(key)
        if program is None:
            program = Program.from_bitcode(source) if isinstance(source, bytes) else Program.from_ir(source)
            self.programs[key] = program
            if len(self.programs) > MAX_PROGRAMS:
                self.programs.popitem(last=False)
        return program
