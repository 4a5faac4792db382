"""The Qiskit facade: run qirrt with the objects a Qiskit user already has.

* `QirrtBackend` is a `BackendV2`: ``backend.run(circuits, shots=..., parameter_binds=...)`` lowers each
  circuit to QIR (`qirrt.load`), runs it on a qirrt executor and returns a `qiskit.result.Result`
  whose counts are Qiskit's own keys;
* `QirrtSampler` is a `BaseSamplerV2`: PUBs ``(circuit, parameter_values, shots)`` with any
  broadcast shape run as one parametric Program per circuit (parameters stay runtime arguments of the
  QIR, so a sweep compiles once) and come back as `BitArray`s per classical register;
* `QirrtEstimator` is a `BaseEstimatorV2`: PUBs ``(circuit, observables, parameter_values, precision)``;
  each Pauli term is measured in its basis with ``ceil(1/precision²)`` shots and the result holds
  ``evs`` and ``stds`` in the PUB's broadcast shape.

Every one takes an executor (a registered name — ``"local"``, ``"aer"``, ``"cudaq"``, ``"emulated"`` —
or an `Executor` object) and executor options (e.g. ``target="FakeKolkata"`` for Aer's device noise).

This module is ``qirrt.qiskit``; inside the package every Qiskit import is absolute, so the name
shadows nothing.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from qiskit.circuit import QuantumCircuit
from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2, PrimitiveResult
from qiskit.primitives.containers import BitArray, DataBin, PubResult, SamplerPubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.primitives.primitive_job import PrimitiveJob
from qiskit.providers import BackendV2, JobV1, Options
from qiskit.providers import JobStatus as QiskitJobStatus
from qiskit.result import Result as QiskitResult

from qirrt.errors import ExecutionError

__all__ = ["QirrtBackend", "QirrtEstimator", "QirrtSampler"]

_GATES = ["x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cy", "cz", "swap",
          "rxx", "ryy", "rzz", "ccx", "measure", "reset", "delay", "id"]


def _executor(executor: str | Any):
    if isinstance(executor, str):
        from qirrt.executors.registry import get_executor

        return get_executor(executor)
    return executor


def _program(circuit: QuantumCircuit):
    from qirrt.api.load import load

    return load(circuit)


# =============================================================================================
# BackendV2
# =============================================================================================
class QirrtJob(JobV1):
    """A `JobV1` over qirrt executor jobs (one per circuit)."""

    def __init__(self, backend: QirrtBackend, job_id: str, jobs: list, circuits: list[QuantumCircuit], shots: int,
                 memory: bool):
        super().__init__(backend, job_id)
        self._jobs = jobs
        self._circuits = circuits
        self._shots = shots
        self._memory = memory

    def submit(self) -> None:  # already submitted by QirrtBackend.run
        return None

    def status(self) -> QiskitJobStatus:
        statuses = {job.status().value for job in self._jobs}
        if "failed" in statuses:
            return QiskitJobStatus.ERROR
        if "cancelled" in statuses:
            return QiskitJobStatus.CANCELLED
        if statuses <= {"done"}:
            return QiskitJobStatus.DONE
        return QiskitJobStatus.RUNNING if "running" in statuses else QiskitJobStatus.QUEUED

    def cancel(self) -> bool:
        return all(job.cancel() for job in self._jobs)

    def result(self, timeout: float | None = None) -> QiskitResult:
        experiments = []
        for job, circuit in zip(self._jobs, self._circuits):
            results = job.result(timeout_s=timeout)
            results = results if isinstance(results, list) else [results]
            for result in results:
                experiments.append(_experiment(circuit, result, self._shots, self._memory))
        return QiskitResult.from_dict({
            "backend_name": self._backend.name, "backend_version": self._backend.backend_version,
            "job_id": self._job_id, "qobj_id": self._job_id, "success": True, "results": experiments,
        })


def _hex(key: str) -> str:
    bits = key.replace(" ", "")
    return hex(int(bits, 2)) if bits else "0x0"


def _experiment(circuit: QuantumCircuit, result, shots: int, memory: bool) -> dict:
    data: dict[str, Any] = {"counts": {}}
    for key, count in result.counts.items():
        h = _hex(key)
        data["counts"][h] = data["counts"].get(h, 0) + int(count)
    if memory and result.memory is not None:
        data["memory"] = [_hex(k) for k in result.memory]
    header = {"name": circuit.name, "memory_slots": circuit.num_clbits,
              "creg_sizes": [[r.name, r.size] for r in circuit.cregs],
              "clbit_labels": [[r.name, i] for r in circuit.cregs for i in range(r.size)]}
    return {"shots": shots, "success": True, "data": data, "header": header,
            "metadata": {k: v for k, v in result.metadata.items() if isinstance(v, (int, float, str, bool))}}


class QirrtBackend(BackendV2):
    """Qiskit's `BackendV2` over a qirrt executor; see the module docstring."""

    def __init__(self, executor: str | Any = "local", *, num_qubits: int = 32, name: str | None = None,
                 **executor_options):
        self.executor = _executor(executor)
        self.executor_options = executor_options
        label = executor if isinstance(executor, str) else getattr(self.executor, "name", "custom")
        super().__init__(name=name or f"qirrt_{label}", description=f"qirrt executor {label!r}",
                         backend_version="0.1.0")
        self._target = self._build_target(num_qubits, executor_options.get("target"))

    @staticmethod
    def _build_target(num_qubits: int, device: Any):
        from qirrt.executors.aer import _basis_target, _with_control_flow

        if device is not None and not hasattr(device, "native_gates"):
            from qirrt.adapters import resolve_backend

            return _with_control_flow(resolve_backend(device).target)
        return _basis_target([g for g in _GATES if g not in ("measure", "reset", "delay")], num_qubits)

    @property
    def target(self):
        return self._target

    @property
    def max_circuits(self) -> int | None:
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024, seed=None, memory=False, parameter_binds=None)

    def run(self, run_input: QuantumCircuit | Sequence[QuantumCircuit], **options) -> QirrtJob:
        circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
        shots = int(options.pop("shots", self.options.shots))
        seed = options.pop("seed", options.pop("seed_simulator", self.options.seed))
        memory = bool(options.pop("memory", self.options.memory))
        binds = options.pop("parameter_binds", self.options.parameter_binds)
        extra = {**self.executor_options, **options}
        if memory:
            extra["memory"] = True
        jobs = []
        for index, circuit in enumerate(circuits):
            program = _program(circuit)
            params = None
            if program.parameters:
                if not binds or index >= len(binds):
                    raise ExecutionError(f"circuit {circuit.name!r} has parameters {list(program.parameters)}; "
                                         f"pass parameter_binds=[{{param: [values...]}}, ...]")
                params = _binds_to_points(binds[index], program.parameters)
            jobs.append(self.executor.submit(program, shots=shots, seed=seed, params=params, **extra))
        return QirrtJob(self, uuid.uuid4().hex, jobs, circuits, shots, memory)


def _binds_to_points(bind: dict, names: tuple[str, ...]) -> list[dict[str, float]]:
    by_name = {getattr(k, "name", str(k)): np.atleast_1d(np.asarray(v, dtype=float)) for k, v in bind.items()}
    lengths = {len(v) for v in by_name.values()}
    if len(lengths) != 1:
        raise ExecutionError(f"parameter_binds lists values of different lengths: {sorted(lengths)}")
    count = lengths.pop()
    return [{n: float(by_name[n][i]) for n in names} for i in range(count)]


# =============================================================================================
# SamplerV2
# =============================================================================================
class QirrtSampler(BaseSamplerV2):
    """`BaseSamplerV2` over a qirrt executor: BitArrays per classical register, per PUB shape."""

    def __init__(self, executor: str | Any = "local", *, default_shots: int = 1024, seed: int | None = None,
                 **executor_options):
        self.executor = _executor(executor)
        self.default_shots = default_shots
        self.seed = seed
        self.executor_options = executor_options

    def run(self, pubs: Iterable, *, shots: int | None = None) -> PrimitiveJob:
        coerced = [SamplerPub.coerce(pub, shots if shots is not None else self.default_shots) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult:
        return PrimitiveResult([self._run_pub(pub, i) for i, pub in enumerate(pubs)], metadata={"version": 2})

    def _run_pub(self, pub: SamplerPub, index: int) -> SamplerPubResult:
        circuit = pub.circuit
        program = _program(circuit)
        shape = pub.shape
        points = _points(pub.parameter_values, circuit, program)
        seed = None if self.seed is None else self.seed + index
        results = self.executor.run(program, shots=pub.shots, seed=seed, params=points, memory=True,
                                    **self.executor_options)
        results = results if isinstance(results, list) else [results]
        registers = list(circuit.cregs)
        arrays: dict[str, list] = {r.name: [] for r in registers}
        for result in results:
            if result.memory is None:
                raise ExecutionError(f"executor {getattr(self.executor, 'name', '?')} returned no per-shot memory; "
                                     f"QirrtSampler needs an executor that supports memory=True")
            words = [key.split(" ") if key else [] for key in result.memory]
            for position, register in enumerate(registers):
                column = [w[len(registers) - 1 - position] if len(w) == len(registers) else "0" * register.size
                          for w in words]
                arrays[register.name].append(BitArray.from_samples(column, register.size).array)
        data = {}
        for register in registers:
            stacked = np.stack(arrays[register.name]) if arrays[register.name] else np.zeros((1, pub.shots, 0),
                                                                                               np.uint8)
            data[register.name] = BitArray(stacked.reshape(shape + stacked.shape[1:]), register.size)
        return SamplerPubResult(DataBin(**data, shape=shape),
                                metadata={"shots": pub.shots, "circuit_metadata": circuit.metadata,
                                          "executor": getattr(self.executor, "name", None)})


def _points(bindings, circuit: QuantumCircuit, program) -> list[list[float]] | None:
    if not program.parameters:
        return None
    values = bindings.as_array(circuit.parameters)
    flat = values.reshape(-1, values.shape[-1])
    names = [p.name for p in circuit.parameters]
    order = [names.index(n) for n in program.parameters]
    return [row[order].tolist() for row in flat]


# =============================================================================================
# EstimatorV2
# =============================================================================================
class QirrtEstimator(BaseEstimatorV2):
    """`BaseEstimatorV2` by sampling each Pauli term in its basis; see the module docstring."""

    def __init__(self, executor: str | Any = "local", *, default_precision: float = 0.015625,
                 seed: int | None = None, **executor_options):
        self.executor = _executor(executor)
        self.default_precision = default_precision
        self.seed = seed
        self.executor_options = executor_options

    def run(self, pubs: Iterable, *, precision: float | None = None) -> PrimitiveJob:
        chosen = self.default_precision if precision is None else precision
        coerced = [EstimatorPub.coerce(pub, chosen) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[EstimatorPub]) -> PrimitiveResult:
        return PrimitiveResult([self._run_pub(pub, i) for i, pub in enumerate(pubs)], metadata={"version": 2})

    def _run_pub(self, pub: EstimatorPub, index: int) -> PubResult:
        precision = pub.precision
        if not precision or precision <= 0:
            raise ExecutionError(f"estimator precision must be positive, got {precision}")
        shots = max(1, math.ceil(1.0 / precision ** 2))
        circuit = pub.circuit
        shape = pub.shape
        observables = np.broadcast_to(np.arange(pub.observables.size).reshape(pub.observables.shape), shape)
        param_index = np.broadcast_to(np.arange(max(pub.parameter_values.size, 1)).reshape(
            pub.parameter_values.shape or ()), shape)
        flat_obs = pub.observables.ravel()
        bases = sorted({label for i in range(pub.observables.size) for label in flat_obs[i]
                        if set(label) - {"I"}})
        base_circuit = circuit.remove_final_measurements(inplace=False)
        values = pub.parameter_values.as_array(circuit.parameters) if circuit.parameters else None
        points = None if values is None else values.reshape(-1, values.shape[-1])
        # ⟨P⟩ per basis label and binding
        means: dict[str, np.ndarray] = {}
        for b_index, label in enumerate(bases):
            measured = _basis_circuit(base_circuit, label)
            program = _program(measured)
            params = None
            if points is not None:
                names = [p.name for p in circuit.parameters]
                order = [names.index(n) for n in program.parameters]
                params = [row[order].tolist() for row in points]
            seed = None if self.seed is None else self.seed + 1000 * index + b_index
            results = self.executor.run(program, shots=shots, seed=seed, params=params, **self.executor_options)
            results = results if isinstance(results, list) else [results]
            means[label] = np.array([_parity_mean(r.counts) for r in results])
        evs = np.zeros(shape)
        stds = np.zeros(shape)
        for position in np.ndindex(shape):
            observable = flat_obs[int(observables[position])]
            binding = int(param_index[position]) if points is not None else 0
            value, variance = 0.0, 0.0
            for label, coefficient in observable.items():
                coefficient = float(np.real(coefficient))
                if not set(label) - {"I"}:
                    value += coefficient
                    continue
                mean = float(means[label][binding])
                value += coefficient * mean
                variance += coefficient ** 2 * max(0.0, 1 - mean ** 2) / shots
            evs[position] = value
            stds[position] = math.sqrt(variance)
        return PubResult(DataBin(evs=evs, stds=stds, shape=shape),
                         metadata={"target_precision": precision, "shots": shots, "circuit_metadata": circuit.metadata})


def _basis_circuit(circuit: QuantumCircuit, label: str) -> QuantumCircuit:
    """`circuit` with Pauli `label` (rightmost letter = qubit 0) rotated to Z and its support measured."""
    from qiskit.circuit import ClassicalRegister

    support = [q for q, letter in enumerate(reversed(label)) if letter != "I"]
    measured = circuit.copy_empty_like()
    measured.compose(circuit, inplace=True)
    register = ClassicalRegister(len(support), "qirrt_basis")
    measured.add_register(register)
    for q in support:
        letter = label[len(label) - 1 - q]
        if letter == "X":
            measured.h(q)
        elif letter == "Y":
            measured.sdg(q)
            measured.h(q)
    for position, q in enumerate(support):
        measured.measure(q, register[position])
    return measured


def _parity_mean(counts: dict[str, int]) -> float:
    """⟨Z…Z⟩ over the basis register: the first space-separated word of each key is that register."""
    total = sum(counts.values())
    if not total:
        return 0.0
    signed = 0
    for key, count in counts.items():
        word = key.split(" ")[0]
        signed += count * (-1 if word.count("1") % 2 else 1)
    return signed / total
