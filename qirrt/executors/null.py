"""`NullExecutor`: accepts any Program and returns an empty Result, so the layers above run without a
simulator (as tinygrad's null backend does)."""

from __future__ import annotations

from typing import Any

from qirrt.executors.base import DoneJob, Executor, Job, is_binding_batch
from qirrt.qir.program import Program
from qirrt.result import Result


class NullExecutor(Executor):
    """Runs nothing: every Result has no counts, `shots` as requested and metadata naming the program."""

    name = "null"

    def execute(self, programs: list[Program], *, shots: int, seed: int | None = None, params: Any = None,
                **options) -> list[Result]:
        results = []
        for program in programs:
            count = len(params) if is_binding_batch(params) else 1
            for _ in range(count):
                results.append(Result(counts={}, shots=shots, metadata={
                    "executor": self.name, "seed": seed, "wall_time_s": 0.0, "program_hash": program.hash,
                    "num_qubits": program.num_qubits, "options": dict(options)}))
        return results

    def submit(self, programs, *, shots: int = 1000, seed: int | None = None, params: Any = None,
               **options) -> Job:
        batch, single = self._batch(programs, params)
        return DoneJob(self.execute(batch, shots=shots, seed=seed, params=params, **options), single=single)
