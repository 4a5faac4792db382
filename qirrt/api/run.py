"""`qirrt.run`: anything `qirrt.load` accepts → `Result`, on an executor found by name
(`qirrt.executors.registry`; `get_executor` is re-exported here)."""

from __future__ import annotations

import threading
from typing import Any

from qirrt.executors.registry import executor_factory, get_executor
from qirrt.result import Result

_for_target: dict[tuple, Any] = {}  # (name, target name, transpile) -> its shared executor
_lock = threading.Lock()


def executor_for_target(name: str, target: Any, *, transpile: bool = True):
    """The executor named `name` running on `target`: Aer with the target's calibrated noise, or a
    hardware adapter for that device; any other executor simulates ideal qubits and is refused.

    `transpile=False` runs programs already compiled for the target as they are. The instance is shared
    for a target given by name.
    """
    key = (name, target, transpile) if isinstance(target, str) else None
    with _lock:
        if key is not None and key in _for_target:
            return _for_target[key]
    executor = _make_executor_for_target(name, target, transpile)
    if key is not None:
        with _lock:
            executor = _for_target.setdefault(key, executor)
    return executor


def _make_executor_for_target(name: str, target: Any, transpile: bool):
    from qirrt.errors import ExecutionError

    if name == "aer":
        from qirrt.executors.aer import AerExecutor

        return AerExecutor(target=target, transpile=transpile)
    factory = executor_factory(name)
    from qirrt.adapters.base import HardwareAdapter

    if isinstance(factory, type) and issubclass(factory, HardwareAdapter):
        return factory(target)
    shown = target if isinstance(target, str) else getattr(target, "name", type(target).__name__)
    raise ExecutionError(f"target {shown} needs an executor that models a device (aer, or an adapter such as "
                         f"emulated or qiskit-backend); '{name}' simulates ideal qubits")


def run(program_or_source: Any, *, shots: int = 1000, seed: int | None = None, executor: str | Any = "local",
        params: Any = None, memory: bool = False, precision: str = "complex128",
        mitigation: Any = None, observable: Any = None, target: Any = None, cutting: Any = None,
        postprocess: Any = None,
        **options) -> Result | list[Result]:
    """Run a program (or anything `qirrt.load` accepts) and return its `Result`.

    `params` binds the program's parameters: a mapping name → value, a sequence in
    `program.parameters` order, or a list of those (then a list of Results comes back).
    `executor` is a registered name (``"local"``, ``"null"``, ...) or an executor object; the
    other options go to it (`memory` and `precision` are the local executor's). `shots` is a whole
    number ≥ 1.

    `target` (a device such as ``"FakeKolkata"``) with an executor name means what ``qirrt run
    --target`` means: ``aer`` simulates that device's calibrated noise, an adapter (``emulated``,
    ``qiskit-backend``) runs on that device, and an ideal simulator (``local``, ``null``) is refused.
    An executor object receives `target` as an option.

    `mitigation` (a pipeline such as ``"ddd,zne{scale-factors=1,3,5}"``) and `observable` (a Pauli
    string or `SparsePauliOp`) run the program through `qirrt.api.mitigate.pipeline.run`: the Result's
    ``expectation`` is the mitigated ⟨O⟩ and ``expectation_unmitigated`` the raw one; the options
    ``calibration`` and ``shot_budget`` then go to the mitigation steps. With a target and an
    executor name, the program is compiled for the device once and run as compiled (an executor that
    re-transpiled it would cancel the folds, DD pulses and twirling Paulis), and the steps use the
    device's calibration.

    `cutting` (``{"max_qubits": 12}``, see `qirrt.api.cutting`) cuts the program into pieces of at most
    that many qubits, runs the subexperiments (`shots` each, `mitigation` applied to each) as one batch
    and returns the reconstructed ⟨`observable`⟩ with ``metadata["cutting"]["std_error"]``.
    `postprocess` (a post-processor such as ``"mlp"`` or ``"readout-model{name=mlp}"``, a `PostProcessor`
    object, or a fitted ``{"name": ..., "state": ...}`` spec; see `qirrt.passes.postprocess`) runs last
    in that pipeline: it is fitted on calibration circuits run in the same batch (or on the calibration
    snapshot) and corrects the outcome; without an observable the corrected quasi-probabilities are in
    ``metadata["mitigation"]["quasi_probabilities"]``.
    """
    from qirrt.api.load import load
    from qirrt.executors.base import check_shots

    check_shots(shots)
    program = load(program_or_source)
    if postprocess is not None:
        from qirrt.api.mitigate.pipeline import with_postprocess

        mitigation = with_postprocess(mitigation, postprocess)
    if cutting is not None:
        from qirrt.api.cutting import run_cut

        return run_cut(program, cutting, observable, executor=executor, shots=shots, seed=seed, params=params,
                       mitigation=mitigation, target=target, for_target=executor_for_target, **options)
    if mitigation is not None or observable is not None:
        return _run_mitigated(program, mitigation, observable, executor=executor, target=target, shots=shots,
                              seed=seed, params=params, options=options)
    if target is not None:
        if isinstance(executor, str):
            runner = executor_for_target(executor, target)
        else:
            runner, options = executor, {**options, "target": target}
    else:
        runner = get_executor(executor) if isinstance(executor, str) else executor
    extra = dict(options)
    if memory:
        extra["memory"] = True
    if precision != "complex128":
        extra["precision"] = precision
    return runner.run(program, shots=shots, seed=seed, params=params, **extra)


def _run_mitigated(program, mitigation, observable, *, executor, target, shots: int, seed: int | None,
                   params, options: dict) -> Result:
    from qirrt.api.mitigate.pipeline import run as run_mitigated

    if params is not None:
        from qirrt.errors import PassError

        raise PassError("mitigated runs take bound programs: bind the parameters first "
                        "(qirrt.load(circuit.assign_parameters(...)))")
    options = dict(options)
    on_cluster = hasattr(executor, "for_target")  # a qirrt cluster: compile here, run as compiled on a QPU lane
    if target is not None and (isinstance(executor, str) or on_cluster):
        from qirrt.adapters import load_backend
        from qirrt.api.compile import compile_program

        runner = executor.for_target(target) if on_cluster else executor_for_target(executor, target,
                                                                                    transpile=False)
        if "calibration" not in options:
            options["target"], options["calibration"] = load_backend(target)
        else:
            options["target"] = target
        program = compile_program(program, target=target).program
    else:
        runner = get_executor(executor) if isinstance(executor, str) else executor
        if target is not None:
            options["target"] = target
    return run_mitigated(program, mitigation, observable, executor=runner, shots=shots, seed=seed, **options)


def connect(url: str, **options):
    """A cluster as an executor: ``ray://head:10001`` is a Ray cluster (`RayExecutor`; `options` go to it),
    anything else a qirrt broker (``tcp://host:port``; `qirrt.executors.distributed.cluster.connect`)."""
    if isinstance(url, str) and url.startswith("ray://"):
        from qirrt.executors.ray.executor import RayExecutor

        return RayExecutor(url, **options)
    from qirrt.executors.distributed.cluster import connect as connect_cluster

    return connect_cluster(url, **options)


__all__ = ["connect", "executor_for_target", "get_executor", "run"]
