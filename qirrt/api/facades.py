"""What the framework facades (`qirrt.api.pennylane`, `qirrt.api.cirq`) share: the executor a user names and
per-shot keys for executors that return counts only."""

from __future__ import annotations

from typing import Any

import numpy as np

from qirrt.errors import ExecutionError

__all__ = ["FacadeRunner", "resolve_executor", "shuffled_shots"]


def resolve_executor(executor: Any, target: Any, keys: Any, options: dict, *, where: str) -> tuple[str, Any]:
    """(kind, runner) for `executor`: kind "exec" for an executor, "cluster" for a broker client.

    `executor` is a registered name (with `target`: that device's executor, programs run as compiled), an
    executor object with ``run``, or a broker URL (``tcp://...``; `keys` a key folder, else an insecure
    loopback connection)."""
    if not isinstance(executor, str):
        if not hasattr(executor, "run"):
            raise ExecutionError(f"{where}: executor must be a name, a broker URL or an executor object with "
                                 f"run(), got {type(executor).__name__}")
        return "exec", executor
    if "://" in executor:
        if target is not None:
            raise ExecutionError(f"{where}: target= cannot be combined with a broker URL; the cluster's workers "
                                 f"choose their executor")
        from qirrt.executors.distributed.client import connect

        return "cluster", connect(executor, keys=keys, insecure_loopback=keys is None, **options)
    from qirrt.api.run import executor_for_target
    from qirrt.executors.registry import executor_factory, get_executor

    executor_factory(executor)  # an unknown name fails here, listing the names that exist
    if target is not None:
        return "exec", executor_for_target(executor, target, transpile=False)
    return "exec", get_executor(executor)


class FacadeRunner:
    """What a framework facade (the PennyLane device, the Cirq sampler) runs on: the resolved executor,
    a seeded random stream, and its compiled programs by program hash (compile once, bind many)."""

    def __init__(self, executor: Any, target: Any, keys: Any, options: dict, *, seed: int | None, where: str):
        self.target = target
        self.kind, self.runner = resolve_executor(executor, target, keys, options, where=where)
        self.rng = np.random.default_rng(seed)
        self._compiled: dict[str, Any] = {}
        self.compilations = 0

    def compiled(self, program):
        """`program` compiled for the target, once per distinct program."""
        from qirrt.api.compile import compile_program

        compiled = self._compiled.get(program.hash)
        if compiled is None:
            compiled = compile_program(program, target=self.target, cache=False)
            self._compiled[program.hash] = compiled
            self.compilations += 1
        return compiled

    def seed(self) -> int:
        return int(self.rng.integers(2**31 - 1))


def shuffled_shots(counts: dict[str, int], rng: np.random.Generator) -> list[str]:
    """The shots of `counts` in a random order: per-shot keys for executors without memory (shots are
    exchangeable, so this is distributed as the executor's own memory would be)."""
    keys = [key for key, count in counts.items() for _ in range(int(count))]
    return [keys[i] for i in rng.permutation(len(keys))]
