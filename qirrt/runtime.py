"""`qirrt.run`: anything `qirrt.load` accepts → `Result`, on an executor found by name."""

from __future__ import annotations

import threading
from typing import Any

from .result import Result

_executors: dict[str, Any] = {}
_lock = threading.Lock()


def get_executor(name: str = "local"):
    """The shared instance of the executor registered as `name` in ``qirrt.executors``."""
    with _lock:
        executor = _executors.get(name)
        if executor is None:
            from .plugins import load_plugin

            obj = load_plugin("qirrt.executors", name)
            executor = obj() if isinstance(obj, type) else obj
            _executors[name] = executor
        return executor


def run(program_or_source: Any, *, shots: int = 1000, seed: int | None = None, executor: str | Any = "local",
        params: Any = None, memory: bool = False, precision: str = "complex128",
        mitigation: Any = None, observable: Any = None, **options) -> Result | list[Result]:
    """Run a program (or anything `qirrt.load` accepts) and return its `Result`.

    `params` binds the program's parameters: a mapping name → value, a sequence in
    `program.parameters` order, or a list of those (then a list of Results comes back).
    `executor` is a registered name (``"local"``, ``"null"``, ...) or an executor object; the
    other options go to it (`memory` and `precision` are the local executor's).

    `mitigation` (a pipeline such as ``"ddd,zne{scale-factors=1,3,5}"``) and `observable` (a Pauli
    string or `SparsePauliOp`) run the program through `qirrt.mitigation.run`: the Result's
    ``expectation`` is the mitigated ⟨O⟩ and ``expectation_unmitigated`` the raw one; the options
    ``target``, ``calibration`` and ``shot_budget`` then go to the mitigation steps.
    """
    from .loader import load

    program = load(program_or_source)
    runner = get_executor(executor) if isinstance(executor, str) else executor
    if mitigation is not None or observable is not None:
        from .mitigation import run as run_mitigated

        if params is not None:
            from .errors import PassError

            raise PassError("mitigated runs take bound programs: bind the parameters first "
                            "(qirrt.load(circuit.assign_parameters(...)))")
        return run_mitigated(program, mitigation, observable, executor=runner, shots=shots, seed=seed, **options)
    extra = dict(options)
    if memory:
        extra["memory"] = True
    if precision != "complex128":
        extra["precision"] = precision
    return runner.run(program, shots=shots, seed=seed, params=params, **extra)
