"""The Cirq facade: `Sampler`, a `cirq.Sampler` that runs circuits on qirrt executors.

``qirrt.cirq.Sampler(executor="local", target=None, seed=None)`` gives Cirq's sampler interface: ``run``,
``run_sweep`` (over any `cirq.Sweepable`: a `cirq.Linspace`, a `cirq.Points` product, a list of resolvers),
``sample`` (a pandas frame), ``run_batch`` and their async forms, all through ``run_sweep``. Results are
`cirq.ResultDict`s keyed by the circuit's own measurement keys, one row per repetition, bits in each
measurement gate's qubit order (``invert_mask`` applied); a key measured several times holds its last
measurement.

A circuit is lowered once (`qirrt.bindings.cirq`) with its symbols as runtime parameters and compiled once
(`qirrt.api.compile`, for ``target`` when given); every point of a sweep only binds values, and the points
run as one executor call (``compilations`` counts circuits compiled). ``executor`` is a registered name
(``"local"``, ``"aer"``, ...), an executor object, or a broker URL (``"tcp://host:port"``, ``keys=`` a key
folder, ``timeout_s`` the longest wait for results); ``target`` with ``aer`` simulates that device's
calibrated noise, as ``qirrt run --target`` does.
"""

from __future__ import annotations

from typing import Any

import cirq
import numpy as np

from qirrt.api.facades import FacadeRunner, shuffled_shots
from qirrt.errors import ExecutionError

__all__ = ["Sampler"]


class Sampler(cirq.Sampler):
    """A `cirq.Sampler` over a qirrt executor; see the module docstring."""

    def __init__(self, executor: Any = "local", *, target: Any = None, seed: int | None = None, keys: Any = None,
                 timeout_s: float | None = None, **executor_options):
        self.executor = executor
        self.target = target
        self.timeout_s = timeout_s
        self.executor_options = executor_options
        self._facade = FacadeRunner(executor, target, keys, executor_options, seed=seed, where="qirrt.cirq.Sampler")
        self._kind, self._runner, self._rng = self._facade.kind, self._facade.runner, self._facade.rng

    @property
    def compilations(self) -> int:
        """How many distinct circuits this sampler has compiled."""
        return self._facade.compilations

    def _compile(self, circuit: cirq.AbstractCircuit):
        from qirrt.bindings.cirq import from_cirq

        return self._facade.compiled(from_cirq(circuit))

    def run_sweep(self, program: cirq.AbstractCircuit, params: cirq.Sweepable, repetitions: int = 1
                  ) -> list[cirq.Result]:
        from qirrt.executors.base import check_shots

        if not isinstance(program, cirq.AbstractCircuit):
            raise ExecutionError(f"qirrt.cirq.Sampler runs cirq circuits, got {type(program).__name__}")
        check_shots(repetitions)
        resolvers = list(cirq.to_resolvers(params))
        compiled = self._compile(program)
        widths = _key_widths(program)
        rows = [self._values(compiled, resolver) for resolver in resolvers]
        seed = self._facade.seed()
        if self._kind == "cluster":
            jobs = self._runner.submit_many([compiled.bind(row) for row in rows], shots=repetitions, seed=seed)
            results = self._runner.results(jobs, timeout_s=self.timeout_s)
        else:
            full = [list(compiled.runtime_values(row)) for row in rows]
            results = self._runner.run(compiled.program, shots=repetitions, seed=seed, params=full, memory=True,
                                       **self.executor_options)
            results = results if isinstance(results, list) else [results]
        return [cirq.ResultDict(params=resolver, records=_records(result, widths, repetitions, self._rng))
                for resolver, result in zip(resolvers, results)]

    @staticmethod
    def _values(compiled, resolver: cirq.ParamResolver) -> np.ndarray:
        values = []
        for name in compiled.parameters:
            value = resolver.value_of(name)
            try:
                values.append(float(value))
            except TypeError:
                raise ExecutionError(f"qirrt.cirq.Sampler: the sweep gives no value for parameter {name!r} "
                                     f"(resolved to {value!r})") from None
        return np.array(values, dtype=float)


def _key_widths(circuit: cirq.AbstractCircuit) -> dict[str, int]:
    """Measurement key → number of qubits, in the circuit's order (as Cirq's results list them)."""
    widths: dict[str, int] = {}
    for op in circuit.all_operations():
        gate = getattr(op, "gate", None)
        if isinstance(gate, cirq.MeasurementGate):
            widths[str(gate.mkey)] = gate.num_qubits()
    return widths


def _records(result, widths: dict[str, int], repetitions: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    memory = result.memory if result.memory is not None else shuffled_shots(result.counts, rng)
    columns = {key: np.zeros((repetitions, 1, width), dtype=np.int8) for key, width in widths.items()}
    names = sorted(widths)  # the count key's fields are the sorted keys
    for shot, key in enumerate(memory):
        parts = key.split(" ") if key else []
        if len(parts) != len(names):
            raise ExecutionError(f"qirrt.cirq.Sampler: a shot recorded {len(parts)} measurement keys where the "
                                 f"circuit has {names}")
        for name, bits in zip(names, parts):
            columns[name][shot, 0, :] = [int(b) for b in bits]
    return columns
