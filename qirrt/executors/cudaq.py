"""`CudaqExecutor`: Programs on NVIDIA CUDA-Q — a kernel built gate by gate, then `cudaq.sample`.

The program is raised to a circuit (`qirrt.bindings.qiskit.to_circuit`) and each gate becomes a `cudaq.make_kernel`
builder call (``rxx``/``ryy``/``rzz`` through CNOTs, ``sx`` as ``rx(π/2)`` up to a global phase,
``ccx`` as a doubly controlled ``x``). Rotation angles that depend on the program's parameters become
elements of the kernel's one ``list[float]`` argument, evaluated on the host per binding, so a
parameter sweep builds and JIT-compiles the kernel once.

Simulator target: ``target="auto"`` (the default) uses ``nvidia`` (cuStateVec) when a GPU is usable
and ``qpp-cpu`` otherwise. GPU targets are probed in a subprocess first, because on a machine without a
GPU ``tensornet`` aborts the whole process and ``nvidia`` raises at ``set_target``
(../shared/QIR-NOTES.md); the probe's verdict is cached per target for the process.

CUDA-Q's builder no longer has classical feedback (``c_if`` was removed in favour of kernel mode and
``cudaq.run``), so this executor runs programs whose measurements are terminal: no gate, reset or
read after a qubit's measurement, no branches. Others raise `ExecutionError` pointing at the ``local``
and ``aer`` executors. `cudaq.sample` reports counts, not shot order: with ``memory=True`` the shots
come back in a seeded random order (``metadata["memory_order"] == "shuffled"``).
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from qirrt.errors import ExecutionError, require
from qirrt.executors.base import Executor, each_binding, merge_options
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

GPU_TARGETS = ("nvidia", "nvidia-fp64", "nvidia-mgpu", "nvidia-mqpu", "tensornet", "tensornet-mps")
CPU_TARGETS = ("qpp-cpu", "density-matrix-cpu", "stim")
_LOCK = threading.RLock()
"""CUDA-Q's target and random seed are process-global: one sample at a time."""
_PROBES: dict[str, tuple[bool, str]] = {}
_PROBE_SCRIPT = """
import sys
import cudaq
cudaq.set_target(sys.argv[1])
kernel = cudaq.make_kernel()
qubits = kernel.qalloc(2)
kernel.h(qubits[0])
kernel.cx(qubits[0], qubits[1])
counts = cudaq.sample(kernel, shots_count=16)
seen = {bits for bits, _ in counts.items()}
assert seen <= {"00", "11"}, seen
print("ok")
"""
_SIMPLE = {"x", "y", "z", "h", "s", "sdg", "t", "tdg"}
_ROTATIONS = {"rx", "ry", "rz"}
_IGNORED = {"barrier", "delay", "id"}


@dataclass(frozen=True)
class CudaqOptions:
    """How the cudaq executor runs."""

    target: str = "auto"
    """"auto" (nvidia when a GPU is usable, else qpp-cpu) or a CUDA-Q target name."""
    probe_timeout_s: float = 120.0


def probe_target(name: str, *, timeout_s: float = 120.0) -> tuple[bool, str]:
    """Whether CUDA-Q target `name` works here, tried in a subprocess (cached); (ok, reason)."""
    with _LOCK:
        if name in _PROBES:
            return _PROBES[name]
    try:
        completed = subprocess.run([sys.executable, "-c", _PROBE_SCRIPT, name], capture_output=True, text=True,
                                   check=False, timeout=timeout_s, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        ok = completed.returncode == 0 and "ok" in completed.stdout
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        reason = "works" if ok else (f"exit code {completed.returncode}: " + (lines[-1] if lines else "no output"))
    except subprocess.TimeoutExpired:
        ok, reason = False, f"probe timed out after {timeout_s} s"
    with _LOCK:
        _PROBES[name] = (ok, reason)
    log.info("cudaq target %s: %s", name, reason)
    return ok, reason


def gpu_available(*, timeout_s: float = 120.0) -> bool:
    """True when CUDA-Q's `nvidia` target works in a subprocess (a usable NVIDIA GPU)."""
    if not _nvidia_device_present():
        return False
    return probe_target("nvidia", timeout_s=timeout_s)[0]


def _nvidia_device_present() -> bool:
    return any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl")) or bool(
        os.environ.get("CUDA_VISIBLE_DEVICES", "").strip(" -1"))


def choose_target(requested: str = "auto", *, timeout_s: float = 120.0) -> str:
    """The CUDA-Q target to use: `requested`, or for "auto" nvidia when usable and qpp-cpu otherwise."""
    if requested == "auto":
        return "nvidia" if gpu_available(timeout_s=timeout_s) else "qpp-cpu"
    if requested in GPU_TARGETS or requested not in CPU_TARGETS:
        ok, reason = probe_target(requested, timeout_s=timeout_s)
        if not ok:
            raise ExecutionError(f"CUDA-Q target {requested!r} does not work on this machine ({reason}); use "
                                 f"target='auto' or one of {', '.join(CPU_TARGETS)}")
    return requested


@dataclass
class _Kernel:
    """A built kernel: the builder object, how to compute its angle list, and how to read its shots."""

    kernel: Any
    angle_exprs: list  # per kernel argument: a Qiskit ParameterExpression
    measured: dict[int, int]  # clbit → qubit
    records: list
    num_qubits: int
    gate_count: int


class CudaqExecutor(Executor):
    """Runs Programs with `cudaq.sample`; see the module docstring. Options: `CudaqOptions` fields."""

    name = "cudaq"
    pool_workers = 1

    def __init__(self, **options):
        self.options = self._options(CudaqOptions(), options)
        self._kernels: OrderedDict[str, _Kernel] = OrderedDict()

    @staticmethod
    def _options(base: CudaqOptions, options: dict) -> CudaqOptions:
        return merge_options(base, options, executor="cudaq")

    @property
    def target(self) -> str:
        """The CUDA-Q target runs use (resolving "auto" probes the GPU once)."""
        return choose_target(self.options.target, timeout_s=self.options.probe_timeout_s)

    @property
    def gpu(self) -> bool:
        """Whether runs use a GPU target (what a distributed worker advertises as its `gpu` capability)."""
        return self.target in GPU_TARGETS

    def execute(self, programs: list[Program], *, shots: int, seed: int | None = None, params: Any = None,
                memory: bool = False, **options) -> list[Result]:
        opts = self._options(self.options, options)
        cudaq = require("cudaq", extra="cudaq", feature="The cudaq executor")
        target = choose_target(opts.target, timeout_s=opts.probe_timeout_s)
        results = []
        for program, vector, user_seed, stream, index in each_binding(programs, params, seed):
            built = self.kernel(program)  # cached per program hash
            results.append(self._run_one(cudaq, target, program, built, vector, shots=int(shots),
                                         seed=user_seed, stream=stream, memory=memory, index=index))
        return results

    def kernel(self, program: Program) -> _Kernel:
        """The CUDA-Q kernel of `program` (built once per program hash)."""
        with _LOCK:
            found = self._kernels.get(program.hash)
            if found is not None:
                self._kernels.move_to_end(program.hash)
                return found
        built = build_kernel(program)
        with _LOCK:
            self._kernels[program.hash] = built
            while len(self._kernels) > 64:
                self._kernels.popitem(last=False)
        return built

    def _run_one(self, cudaq, target: str, program: Program, built: _Kernel, vector: np.ndarray, *, shots: int,
                 seed: int, stream: int, memory: bool, index: int) -> Result:
        from qirrt.bindings.qiskit.to_circuit import format_records

        start = time.perf_counter()
        metadata = {"executor": self.name, "seed": seed, "program_hash": program.hash,
                    "num_qubits": program.num_qubits, "num_results": program.num_results, "target": target,
                    "gates": built.gate_count}
        if program.parameters:
            metadata["parameters"] = dict(zip(program.parameters, vector.tolist()))
        if target not in GPU_TARGETS:
            from qirrt.executors.local.memory import check_register

            check_register(built.num_qubits, "complex128")
        args = _angles(built, program, vector)
        raw: dict[str, int] = {}
        sample_time = 0.0
        if shots:
            with _LOCK:
                if cudaq.get_target().name != target:
                    cudaq.set_target(target)
                cudaq.set_random_seed(int(stream) & 0x7FFFFFFF)
                began = time.perf_counter()
                try:
                    outcome = cudaq.sample(built.kernel, args, shots_count=shots) if args is not None else \
                        cudaq.sample(built.kernel, shots_count=shots)
                except RuntimeError as exc:
                    raise ExecutionError(f"CUDA-Q ({target}) failed on program {program.entry_point!r}: "
                                         f"{str(exc).strip().splitlines()[0]}") from None
                sample_time = time.perf_counter() - began
                raw = {key: int(count) for key, count in outcome.items()}
        counts: dict[str, int] = {}
        keys: dict[str, str] = {}
        for bits, count in raw.items():
            values = []
            for kind, source, value in built.records:
                if source == "clbit":
                    qubit = built.measured.get(value)
                    values.append((kind, int(bits[qubit]) if qubit is not None else 0))
                else:
                    values.append((kind, value))
            key = format_records(values)
            keys[bits] = key
            counts[key] = counts.get(key, 0) + count
        result = Result(counts=counts, shots=shots)
        if memory:
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, 1)))
            shots_list = [key for key, count in counts.items() for _ in range(count)]
            rng.shuffle(shots_list)
            result.memory = shots_list
            metadata["memory_order"] = "shuffled"
        metadata.update(wall_time_s=time.perf_counter() - start, sample_time_s=sample_time)
        result.metadata = metadata
        return result

    def __repr__(self) -> str:
        return f"CudaqExecutor(target={self.options.target!r})"


def _angles(built: _Kernel, program: Program, vector: np.ndarray) -> list[float] | None:
    if not built.angle_exprs:
        return None
    by_name = dict(zip(program.parameters, vector.tolist()))
    out = []
    for expression in built.angle_exprs:
        bound = expression.bind({p: by_name[p.name] for p in expression.parameters})
        out.append(float(bound))
    return out


def build_kernel(program: Program) -> _Kernel:
    """Build the CUDA-Q kernel of a program whose measurements are terminal."""
    cudaq = require("cudaq", extra="cudaq", feature="The cudaq executor")
    from qirrt.bindings.qiskit.to_circuit import records_of, to_qiskit

    circuit = to_qiskit(program)
    records = records_of(circuit)
    parametric = bool(circuit.parameters)
    if parametric:
        kernel, argument = cudaq.make_kernel(list)
    else:
        kernel, argument = cudaq.make_kernel(), None
    n = max(circuit.num_qubits, 1)
    qubits = kernel.qalloc(n)
    angle_exprs: list = []
    measured_qubits: set[int] = set()
    touched: set[int] = set()
    measured: dict[int, int] = {}
    gates = 0

    def angle(value):
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return float(value)
        except TypeError:
            angle_exprs.append(value)
            return argument[len(angle_exprs) - 1]

    def refuse(what: str):
        return ExecutionError(f"the cudaq executor runs programs whose measurements are terminal, but program "
                              f"{program.entry_point!r} {what}; run it with the 'local' or 'aer' executor")

    for instruction in circuit.data:
        operation = instruction.operation
        name = operation.name
        idx = [circuit.find_bit(q).index for q in instruction.qubits]
        if name in _IGNORED:
            continue
        if name == "measure":
            measured_qubits.add(idx[0])
            measured[circuit.find_bit(instruction.clbits[0]).index] = idx[0]
            continue
        if name == "reset":
            if idx[0] in touched:
                raise refuse(f"resets qubit {idx[0]} after using it")
            continue
        if name in ("if_else", "while_loop", "for_loop", "switch_case", "store"):
            raise refuse("has classical control flow")
        if set(idx) & measured_qubits:
            raise refuse(f"applies {name} to qubit {min(set(idx) & measured_qubits)} after measuring it")
        touched.update(idx)
        gates += 1
        q = [qubits[i] for i in idx]
        if name in _SIMPLE:
            getattr(kernel, name)(q[0])
        elif name in _ROTATIONS:
            getattr(kernel, name)(angle(operation.params[0]), q[0])
        elif name == "sx":
            kernel.rx(math.pi / 2, q[0])
        elif name in ("cx", "cy", "cz", "swap"):
            getattr(kernel, name)(q[0], q[1])
        elif name == "ccx":
            kernel.cx([q[0], q[1]], q[2])
        elif name in ("rxx", "ryy", "rzz"):
            theta = angle(operation.params[0])
            _two_qubit_rotation(kernel, name, theta, q[0], q[1])
        else:
            raise ExecutionError(f"the cudaq executor has no translation for gate '{name}' in program "
                                 f"{program.entry_point!r}")
    return _Kernel(kernel, angle_exprs, measured, records, n, gates)


def _two_qubit_rotation(kernel, name: str, theta, a, b) -> None:
    """exp(-iθ/2 P⊗P) for P in X, Y, Z through a CNOT-conjugated rz."""
    if name == "rxx":
        kernel.h(a)
        kernel.h(b)
    elif name == "ryy":
        kernel.rx(math.pi / 2, a)
        kernel.rx(math.pi / 2, b)
    kernel.cx(a, b)
    kernel.rz(theta, b)
    kernel.cx(a, b)
    if name == "rxx":
        kernel.h(a)
        kernel.h(b)
    elif name == "ryy":
        kernel.rx(-math.pi / 2, a)
        kernel.rx(-math.pi / 2, b)
