"""`AerExecutor`: Programs on Qiskit Aer — raised to circuits, noiseless or with a device's noise.

Each program is raised to a Qiskit circuit by `qirrt.bindings.qiskit.to_circuit` (adaptive control flow included) and
run on `AerSimulator` with the method asked for (``statevector``, ``density_matrix``,
``matrix_product_state``, or Aer's ``automatic`` choice). Count keys are the program's own (the
circuit's Qiskit counts go through `qirrt.bindings.qiskit.to_circuit.map_counts`), so results compare directly with the
local executor's.

Noise comes from a `Calibration` (`qirrt.device.noise_model`): give ``target="FakeKolkata"`` (any fake
backend name, ``"generic:N"``, a Qiskit `BackendV2` or a qirrt `Target`) to lay the circuit out,
route and translate it for that device with Qiskit's transpiler and simulate the device's calibrated
noise; give ``calibration=`` to simulate another snapshot of it (a stored or drifted one), or
``noise=False`` for the transpiled circuit without noise. Without a target, a calibration alone
applies to the program's qubits as they are (a program already compiled for the device).

Raised and transpiled circuits are cached per program hash and target, so parameter sweeps raise and
transpile once and bind per point.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from qirrt.errors import CalibrationError, ExecutionError, ResourceLimitError
from qirrt.executors.base import Executor, each_binding, merge_options
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

METHODS = ("automatic", "statevector", "density_matrix", "matrix_product_state", "stabilizer")
_CONTROL_FLOW = ("if_else", "while_loop", "for_loop", "switch_case", "store")
_CACHE_SIZE = 128


@dataclass(frozen=True)
class AerOptions:
    """How the Aer executor runs (every field can also be passed per call)."""

    method: str = "automatic"
    target: Any = None
    """A fake backend name ("FakeKolkata"), "generic:N", a Qiskit BackendV2, or a qirrt Target."""
    calibration: Any = None
    """A `Calibration` whose noise to simulate (default: the target's own)."""
    noise: bool = True
    """With a target or calibration: simulate its noise (False: only lay out and translate)."""
    transpile: bool = True
    """With a target: transpile the raised circuit for it (False: the program is already compiled)."""
    optimization_level: int = 1
    seed_transpiler: int | None = 0
    asymmetric_readout: bool = False
    max_parallel_threads: int = 0
    memory_limit_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ExecutionError(f"unknown Aer method {self.method!r}; choose one of {', '.join(METHODS)}")


@dataclass
class _Prepared:
    """A program raised (and transpiled) for one target: what every binding runs."""

    circuit: Any
    noise_model: Any
    description: dict
    constant_key: str | None  # the key of every shot when no record reads a clbit


class AerExecutor(Executor):
    """Runs Programs on Qiskit Aer; see the module docstring. Options: `AerOptions` fields."""

    name = "aer"
    pool_workers = 2

    def __init__(self, **options):
        self.options = self._options(AerOptions(), options)
        self._cache: OrderedDict[tuple, _Prepared] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _options(base: AerOptions, options: dict) -> AerOptions:
        return merge_options(base, options, executor="aer")

    # -- running -------------------------------------------------------------------------------------
    def execute(self, programs: list[Program], *, shots: int, seed: int | None = None, params: Any = None,
                memory: bool = False, **options) -> list[Result]:
        opts = self._options(self.options, options)
        results = []
        for program, vector, user_seed, stream, _ in each_binding(programs, params, seed):
            prepared = self.prepare(program, opts)  # cached per program
            results.append(self._run_one(program, prepared, vector, shots=int(shots), seed=user_seed,
                                         stream=stream, memory=memory, opts=opts))
        return results

    def _run_one(self, program: Program, prepared: _Prepared, vector: np.ndarray, *, shots: int, seed: int,
                 stream: int, memory: bool, opts: AerOptions) -> Result:
        from qiskit_aer import AerSimulator

        from qirrt.bindings.qiskit.to_circuit import key_function

        start = time.perf_counter()
        metadata = {"executor": self.name, "seed": seed, "program_hash": program.hash,
                    "num_qubits": program.num_qubits, "num_results": program.num_results, **prepared.description}
        if program.parameters:
            metadata["parameters"] = dict(zip(program.parameters, vector.tolist()))
        if prepared.constant_key is not None or shots == 0:
            counts = {prepared.constant_key: shots} if shots else {}
            mem = [prepared.constant_key] * shots if memory else None
            metadata.update(wall_time_s=time.perf_counter() - start, method=opts.method)
            return Result(counts=counts, shots=shots, memory=mem, metadata=metadata)
        circuit = prepared.circuit
        if circuit.parameters:
            by_name = dict(zip(program.parameters, vector.tolist()))
            circuit = circuit.assign_parameters({p: by_name[p.name] for p in circuit.parameters})
        simulator = AerSimulator(method=opts.method, noise_model=prepared.noise_model, seed_simulator=stream,
                                 max_parallel_threads=opts.max_parallel_threads)
        try:
            job = simulator.run(circuit, shots=shots, memory=memory)
            outcome = job.result()
        except Exception as exc:  # noqa: BLE001 - Aer raises assorted QiskitError/AerError subclasses
            raise ExecutionError(f"Aer failed on program {program.entry_point!r}: {exc}") from None
        if not outcome.success:
            raise ExecutionError(f"Aer failed on program {program.entry_point!r}: {outcome.status}")
        convert = key_function(circuit)
        counts: dict[str, int] = {}
        for key, count in outcome.get_counts(0).items():
            mapped = convert(key)
            counts[mapped] = counts.get(mapped, 0) + int(count)
        result = Result(counts=counts, shots=shots)
        if memory:
            result.memory = [convert(k) for k in outcome.get_memory(0)]
        details = outcome.results[0].metadata
        metadata.update(wall_time_s=time.perf_counter() - start, method=details.get("method", opts.method),
                        aer_time_s=float(getattr(outcome.results[0], "time_taken", 0.0) or 0.0))
        result.metadata = metadata
        return result

    # -- preparation ---------------------------------------------------------------------------------
    def prepare(self, program: Program, options: AerOptions | None = None) -> _Prepared:
        """The raised (and, with a target, transpiled) circuit and noise model of `program` (cached)."""
        opts = options or self.options
        key = (program.hash, _target_key(opts.target), _calibration_key(opts.calibration), opts.noise,
               opts.transpile, opts.optimization_level, opts.seed_transpiler, opts.asymmetric_readout)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        prepared = self._prepare(program, opts)
        with self._lock:
            self._cache[key] = prepared
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return prepared

    def _prepare(self, program: Program, opts: AerOptions) -> _Prepared:
        from qirrt.bindings.qiskit.to_circuit import records_of, to_qiskit

        circuit = to_qiskit(program)
        records = records_of(circuit)
        constant_key = None
        if not any(source == "clbit" for _, source, _ in records):
            from qirrt.bindings.qiskit.to_circuit import format_records

            constant_key = format_records([(kind, value) for kind, _, value in records])
        description: dict[str, Any] = {"method": opts.method}
        backend, calibration, qirrt_target = _resolve(opts)
        noise_model = None
        dt_s = getattr(backend, "dt", None) if backend is not None else (
            qirrt_target.dt_ns * 1e-9 if qirrt_target is not None and qirrt_target.dt_ns else None)
        if backend is not None or qirrt_target is not None:
            description["target"] = backend.name if backend is not None else qirrt_target.name
            if opts.transpile:
                circuit = _transpile(circuit, backend, qirrt_target, calibration, opts)
        elif calibration is not None:
            circuit = _translate(circuit, calibration, opts)
        if calibration is not None and opts.noise:
            # a control-flow operation's qubits include every qubit its blocks touch
            active = frozenset(circuit.find_bit(q).index for instruction in circuit.data
                               for q in instruction.qubits)
            noise_model = _noise_model(calibration, dt_s, opts.asymmetric_readout, active)
            description["noise"] = {"calibration": calibration.target_name, "epoch": calibration.epoch,
                                    "timestamp": calibration.timestamp.isoformat()}
        else:
            description["noise"] = None
        if constant_key is None:
            _check_memory(circuit, opts)
        description["circuit"] = {"num_qubits": circuit.num_qubits, "depth": circuit.depth(),
                                  "ops": {k: int(v) for k, v in circuit.count_ops().items()}}
        return _Prepared(circuit, noise_model, description, constant_key)

    def __repr__(self) -> str:
        target = f", target={_target_key(self.options.target)!r}" if self.options.target is not None else ""
        return f"AerExecutor(method={self.options.method!r}{target})"


# -- helpers -----------------------------------------------------------------------------------------
def _target_key(target: Any) -> Any:
    if target is None or isinstance(target, str):
        return target
    from qirrt.device.target import Target

    if isinstance(target, Target):
        return ("target", hash(target))
    return ("backend", id(target))


def _calibration_key(calibration: Any) -> Any:
    return None if calibration is None else calibration.epoch


def _resolve(opts: AerOptions):
    """(Qiskit backend or None, Calibration or None, qirrt Target or None) of the options."""
    from qirrt.device.calibration import Calibration
    from qirrt.device.target import Target

    calibration = opts.calibration
    if calibration is not None and not isinstance(calibration, Calibration):
        raise CalibrationError(f"calibration must be a qirrt Calibration, got {type(calibration).__name__}")
    target = opts.target
    if target is None:
        return None, calibration, None
    if isinstance(target, Target):
        if calibration is None and opts.noise:
            raise CalibrationError(f"target {target.name!r} is a bare Target without calibration data; pass "
                                   f"calibration=... for its noise, or noise=False")
        return None, calibration, target
    from qirrt.adapters import resolve_backend, resolve_calibration

    backend = resolve_backend(target)
    if calibration is None:
        calibration = resolve_calibration(target)
    return backend, calibration, None


def _with_control_flow(qiskit_target):
    """A copy of a Qiskit Target that also accepts control flow and `store` (Aer runs them)."""
    from qiskit.circuit import ForLoopOp, IfElseOp, Store, SwitchCaseOp, WhileLoopOp

    extended = copy.deepcopy(qiskit_target)
    for cls, name in ((IfElseOp, "if_else"), (WhileLoopOp, "while_loop"), (ForLoopOp, "for_loop"),
                      (SwitchCaseOp, "switch_case"), (Store, "store")):
        if name not in extended.operation_names:
            extended.add_instruction(cls, name=name)
    return extended


_EXTENDED_TARGETS: dict[int, Any] = {}


def _transpile(circuit, backend, qirrt_target, calibration, opts: AerOptions):
    from qiskit import transpile

    try:
        if backend is not None:
            key = id(backend)
            extended = _EXTENDED_TARGETS.get(key)
            if extended is None or extended[0] is not backend:
                extended = (backend, _with_control_flow(backend.target))
                _EXTENDED_TARGETS[key] = extended
            return transpile(circuit, target=extended[1], optimization_level=opts.optimization_level,
                             seed_transpiler=opts.seed_transpiler)
        from qiskit.transpiler import CouplingMap

        from qirrt.device.noise_model import qiskit_gate_name

        basis = sorted({qiskit_gate_name(g) for g in qirrt_target.native_gates})
        edges = list(qirrt_target.coupling.edges)
        coupling = CouplingMap(edges) if edges else None
        target = _basis_target(basis, qirrt_target.num_qubits, coupling)
        return transpile(circuit, target=target, optimization_level=opts.optimization_level,
                         seed_transpiler=opts.seed_transpiler)
    except Exception as exc:  # noqa: BLE001 - the transpiler raises TranspilerError and kin
        name = backend.name if backend is not None else qirrt_target.name
        raise ExecutionError(f"cannot transpile program {circuit.name!r} for target {name!r}: {exc}") from None


def _basis_target(basis: list[str], num_qubits: int, coupling=None):
    """A Qiskit Target of `basis` gates (plus measure, reset, delay and control flow)."""
    from qiskit.transpiler import Target as QiskitTarget

    gates = sorted(set(basis) | {"measure", "reset", "delay"})
    target = QiskitTarget.from_configuration(basis_gates=gates, num_qubits=num_qubits, coupling_map=coupling)
    return _with_control_flow(target)


def _translate(circuit, calibration, opts: AerOptions):
    """Translate to the calibrated gates on the program's own qubits (no layout, no routing)."""
    from qiskit import transpile

    from qirrt.device.noise_model import basis_gates_of

    basis = basis_gates_of(calibration)
    try:
        target = _basis_target(basis, circuit.num_qubits)
        return transpile(circuit, target=target, optimization_level=0, initial_layout=list(range(circuit.num_qubits)))
    except Exception as exc:  # noqa: BLE001
        raise ExecutionError(f"cannot translate program {circuit.name!r} to the gates of calibration "
                             f"{calibration.epoch} ({', '.join(basis)}): {exc}") from None


_NOISE_MODELS: OrderedDict[tuple, Any] = OrderedDict()
_NOISE_LOCK = threading.Lock()


def _noise_model(calibration, dt_s: float | None, asymmetric: bool, qubits: frozenset[int]):
    """The noise model of `calibration` on `qubits` (built once per epoch and qubit set)."""
    from qirrt.device.noise_model import noise_model_from_calibration

    key = (calibration.epoch, dt_s, asymmetric, qubits)
    with _NOISE_LOCK:
        found = _NOISE_MODELS.get(key)
        if found is not None:
            _NOISE_MODELS.move_to_end(key)
            return found
    model = noise_model_from_calibration(calibration, dt_s=dt_s, asymmetric_readout=asymmetric, qubits=qubits)
    with _NOISE_LOCK:
        _NOISE_MODELS[key] = model
        while len(_NOISE_MODELS) > 32:
            _NOISE_MODELS.popitem(last=False)
    return model


def _check_memory(circuit, opts: AerOptions) -> None:
    from qirrt.executors.local.memory import available_bytes

    active = {q for instruction in circuit.data for q in instruction.qubits}
    n = len(active) if active else circuit.num_qubits
    if opts.method == "statevector" or (opts.method == "automatic" and n > 12):
        needed = 16 * (1 << n)
    elif opts.method == "density_matrix":
        needed = 16 * (1 << (2 * n))
    else:
        return
    limit = opts.memory_limit_bytes if opts.memory_limit_bytes is not None else available_bytes()
    if needed > limit:
        raise ResourceLimitError(f"Aer {opts.method} simulation of {n} qubits needs {needed / 2**30:.1f} GiB, "
                                 f"more than the {limit / 2**30:.1f} GiB available; use "
                                 f"method='matrix_product_state' or fewer qubits")
