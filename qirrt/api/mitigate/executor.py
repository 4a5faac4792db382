"""`MitigatedExecutor`: a mitigation pipeline around another executor, as an executor.

What a workload's ``execution_options = {"passes": "zne{scale-factors=1,3,5}"}`` (or the seed's decorator
chain, ``["ErrorMitigatedExecutionBackend", "zne"]``) turns into on its worker: every program runs through
`qirrt.api.mitigate.pipeline.run_batch` on the inner executor, so each `Result` has the mitigated
``expectation`` (with an observable) and ``metadata["mitigation"]``. ``postprocess`` (a post-processor
name, or a fitted ``{"name": ..., "state": ...}`` spec shipped with the job) is appended as the last
step, ``readout-model``. Loaded by name, as
``qirrt.api.mitigate.executor:MitigatedExecutor`` or the ``mitigated`` executor plugin.
"""

from __future__ import annotations

from typing import Any

from qirrt.errors import PassError
from qirrt.executors.base import Executor
from qirrt.result import Result

#: The seed's Decorator classes: in an `execution_options` chain they wrap, the steps beside them mitigate.
DECORATORS = frozenset({"ExecutionBackend", "EnrichedExecutionBackend", "ErrorMitigatedExecutionBackend"})


def pipeline_text(passes: Any) -> str | None:
    """A pipeline from `execution_options["passes"]`: text as it is, or the seed's list (decorator names
    dropped, steps joined in order); None for none."""
    if passes is None or passes == "" or passes == []:
        return None
    if isinstance(passes, str):
        return passes
    if isinstance(passes, (list, tuple)) and all(isinstance(p, str) for p in passes):
        steps = [p for p in passes if p not in DECORATORS]
        return ",".join(steps) or None
    raise PassError(f"execution_options['passes'] must be a pipeline such as 'zne{{scale-factors=1,3,5}}' or a "
                    f"list such as ['ErrorMitigatedExecutionBackend', 'zne'], got {passes!r}")


class MitigatedExecutor(Executor):
    """Runs every program through the pipeline `mitigation` (and `observable`) on `executor`."""

    name = "mitigated"

    def __init__(self, executor: Any = "local", *, mitigation: Any = None, observable: Any = None,
                 target: Any = None, calibration: Any = None, shot_budget: int | None = None,
                 postprocess: Any = None):
        from qirrt.api.mitigate.pipeline import with_postprocess

        self.inner = executor
        self.mitigation = pipeline_text(mitigation) if not hasattr(mitigation, "steps") else mitigation
        self.mitigation = with_postprocess(self.mitigation, postprocess)
        self.observable = observable
        self.target = target
        self.calibration = calibration
        self.shot_budget = shot_budget

    def execute(self, programs, *, shots: int, seed: int | None, params: Any = None, **options) -> list[Result]:
        from qirrt.api.mitigate.pipeline import run_batch

        if params is not None:
            raise PassError("mitigated runs take bound programs: bind the parameters first")
        if options:
            raise PassError(f"unknown option(s) {', '.join(sorted(options))} for the mitigated executor")
        items = [(program, self.mitigation, self.observable) for program in programs]
        return run_batch(items, executor=self.inner, shots=shots, seed=seed, shot_budget=self.shot_budget,
                         target=self.target, calibration=self.calibration)

    def __repr__(self) -> str:
        return f"MitigatedExecutor({self.inner!r}, mitigation={self.mitigation!r})"


__all__ = ["DECORATORS", "MitigatedExecutor", "pipeline_text"]
