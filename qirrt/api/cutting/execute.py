"""Running a cut program: its subexperiments as one batch (each through a mitigation pipeline, if given)
on any executor, and ⟨O⟩ reconstructed with its standard error.

The batch goes through `qirrt.run_batch` without reference runs: identical subexperiments (a piece whose
QPD term is the same for two coefficients) run once with their shots added and the counts are split back
by sampling without replacement, which leaves them independent, as separate runs would be. The seed makes
a run reproducible on the same executor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from qirrt.api.cutting.estimate import Outcome, reconstruct
from qirrt.api.cutting.options import CuttingError, CuttingOptions
from qirrt.api.cutting.plan import CutPlan, plan_of, prepare
from qirrt.qir.program import Program
from qirrt.result import Result


class Recording:
    """An executor that adds `options` (``split="auto"``, ``requires``, ...) to every submission and
    remembers the lane and worker of each result it hands back."""

    def __init__(self, executor, options: dict):
        self.executor = executor
        self.options = options
        self.lanes: Counter = Counter()

    def submit(self, programs, **kwargs):
        return _RecordedJob(self, self.executor.submit(programs, **kwargs, **self.options))


class _RecordedJob:
    def __init__(self, owner: Recording, job):
        self.owner = owner
        self.job = job

    def result(self, timeout_s: float | None = None):
        results = self.job.result(timeout_s) if timeout_s is not None else self.job.result()
        for result in results if isinstance(results, list) else [results]:
            lane = result.metadata.get("lane") or result.metadata.get("executor") or "?"
            for name in lane if isinstance(lane, list) else [lane]:
                self.owner.lanes[str(name)] += 1
        return results

    def __getattr__(self, name: str):
        return getattr(self.job, name)


def cut(program, max_qubits: Any = None, *, observable: Any = None, shots: int = 1000, mitigation: Any = None,
        target: Any = None, calibration: Any = None, executor: Any = None, **options) -> CutPlan:
    """The `CutPlan` of cutting `program` (anything `qirrt.load` takes) into pieces of at most `max_qubits`:
    the cuts, the subexperiments, the sampling overhead (cutting × mitigation) and the shots, before
    anything runs. `options` are the other `CuttingOptions` (seed, max_gamma, gate_cuts, wire_cuts,
    max_subexperiments); `shots` is per subexperiment."""
    from qirrt.api.load import load
    from qirrt.executors.base import check_shots

    check_shots(shots)
    settings = CuttingOptions.parse({**options, "max_qubits": max_qubits} if max_qubits is not None or not options
                                    else options)
    problem = prepare(load(program), settings, observable)
    device, compile_for = _device(target, calibration)
    return plan_of(problem, [compile_for(p) for p in problem.programs], shots=shots, mitigation=mitigation,
                   executor=executor if hasattr(executor, "cost_of") else None, **device)


def run_cut(program: Program, cutting: Any, observable: Any, *, executor, shots: int, seed: int | None,
            mitigation: Any = None, target: Any = None, params: Any = None,
            for_target: Callable | None = None, **options) -> Result:
    """`qirrt.run(program, observable=..., cutting=...)`: see `qirrt.api.cutting`."""
    if observable is None:
        raise CuttingError("a cut run reconstructs an expectation value: give observable=..., e.g. 'ZZ' "
                           "(rightmost letter = qubit 0)")
    if params is not None:
        raise CuttingError("cut runs take bound programs: bind the parameters first (program.bind(...) or "
                           "qirrt.load(circuit.assign_parameters(...)))")
    from qirrt.api.mitigate.pipeline import Pipeline, run_batch

    settings = CuttingOptions.parse(cutting)
    device, compile_for = _device(target, options.pop("calibration", None))
    runner = _runner(executor, target, for_target)
    problem = prepare(program, settings, observable)
    pipeline = Pipeline.parse(mitigation)
    programs = [compile_for(p) for p in problem.programs]
    if hasattr(runner, "for_target") and "split" not in options:
        options["split"] = "auto"  # a cluster: subexperiments spread over its simulator and QPU lanes
    recording = Recording(runner, options)
    the_plan = plan_of(problem, programs, shots=shots, mitigation=pipeline, **device)
    results = run_batch([(p, pipeline) for p in programs], executor=recording, shots=shots, seed=seed,
                        reference=False, **device)
    outcomes = [_outcome(r, shots) for r in results]
    estimate = reconstruct(problem, outcomes)
    metadata = {"cutting": {"plan": the_plan.to_dict(), "std_error": estimate.std_error,
                            "observable": the_plan.observable, "terms": list(estimate.terms),
                            "lanes": dict(recording.lanes), "seed": seed}}
    if len(pipeline):
        metadata["mitigation"] = {"pipeline": str(pipeline), "std_error": estimate.std_error}
    return Result(counts={}, shots=the_plan.shots, metadata=metadata, expectation=estimate.value)


def _outcome(result: Result, shots: int) -> Outcome:
    info = result.metadata.get("mitigation", {})
    return Outcome(info.get("quasi_probabilities", {}), int(info.get("effective_shots", shots)))


def _runner(executor, target, for_target):
    """The executor to run on: as `qirrt.run` picks it for a mitigated run (a device's executor for a target
    given with an executor name, the cluster's QPU lane of that device for a cluster)."""
    from qirrt.executors.registry import get_executor

    if target is None:
        return get_executor(executor) if isinstance(executor, str) else executor
    if isinstance(executor, str):
        if for_target is None:
            raise CuttingError("a target with an executor name needs qirrt.run's executor_for_target")
        return for_target(executor, target, transpile=False)
    return executor.for_target(target) if hasattr(executor, "for_target") else executor


def _device(target, calibration) -> tuple[dict, Callable[[Program], Program]]:
    """(the target and calibration the mitigation steps use, how to compile a subexperiment for the device)."""
    if target is None:
        return ({} if calibration is None else {"calibration": calibration}), lambda p: p
    from qirrt.adapters import load_backend
    from qirrt.api.compile import compile_program

    device = target
    if calibration is None:
        device, calibration = load_backend(target)
    return ({"target": device, "calibration": calibration},
            lambda p: compile_program(p, target=target, calibration=calibration).program)


__all__ = ["Recording", "cut", "run_cut"]
