"""`LocalExecutor`: qirrt's native engine — QIR JIT-compiled with llvmlite onto numba state vectors.

One call runs every shot: the compiled program records gates on a tape, the tape is simulated in
fused, cache-blocked batches, measurement outcomes are decided lazily and shots are split over the
branches of the measurement tree (`native.execute`). A program whose measurements are all terminal
is therefore simulated once and sampled; an adaptive one costs one run per distinct path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qirrt.errors import ExecutionError
from qirrt.executors.base import (
    Executor,
    bindings,
    derive_seed,
    each_binding,
    is_binding_batch,
    merge_options,
)
from qirrt.executors.local import abi
from qirrt.executors.local.memory import check_register, max_qubits, state_bytes
from qirrt.qir.dialect import GATES
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

_EXECUTION_LOCK = threading.Lock()
"""Numba's thread pool runs one parallel region at a time; runs are serialised process-wide."""

_DTYPES = {"complex128": np.complex128, "complex64": np.complex64}
_MAX_TRACE = 1 << 26
_MAX_RECORDS = 1 << 24


@dataclass(frozen=True)
class LocalOptions:
    """Tuning of the local executor (all have working defaults)."""

    precision: str = "complex128"
    max_steps: int = 100_000_000
    """Quantum operations plus basic blocks one run may execute before it is stopped as a runaway."""
    fusion_qubits: int = 2
    """Largest dense fused gate (larger ones cost more multiply-adds than the passes they save)."""
    diagonal_qubits: int = 10
    """Largest fused diagonal gate."""
    block_qubits: int = 14
    """Registers above this size are simulated in cache-blocked passes of this many qubits."""
    parallel_qubits: int = 14
    """Registers of at least this many qubits use all threads."""
    fusion_overhead: float = 0.2
    """Cost of one more operation per amplitude (ns; the kernels cost 0.6-1.8, see `fusion`)."""
    max_saved_states: int = 16
    """Saved branch states (memory permitting); deeper branches are replayed from the start."""
    tape_capacity: int = 8192
    memory_limit_bytes: int | None = None
    interpret: bool = True
    """Run programs whose control flow only branches on measurement results from their operation
    list, without LLVM JIT compilation (`operations`): time then grows linearly with their length.

    The rule is "operation list whenever it accepts the program", measured (`benchmarks/adaptive_load.py`):
    both run the same runtime callbacks, so a warm run from the list costs 1.0-1.2× a compiled one
    (teleport, 10,000 shots: 0.09 vs 0.08 ms; 12 qubits with 5 mid-circuit measurements: 162 vs 134 ms
    on a loaded 2-core box), while compiling costs ~14 ms and more (a disk-cache hit still several ms):
    the JIT would pay off only after hundreds to thousands of runs of one program in one process."""
    jit_cache: bool = True
    """Keep JIT-compiled object code in the disk cache (`qirrt.qir.disk_cache`) and load it from there in
    later processes instead of compiling again (CLI: --no-cache; ``QIRRT_NO_CACHE=1`` turns it off too)."""
    max_jit_instructions: int = 1_000_000
    """Largest program that is JIT-compiled (instructions); a larger one raises ResourceLimitError
    before compilation (CLI: --max-jit-instructions). Interpreted programs have no such limit."""

    def __post_init__(self):
        if self.precision not in _DTYPES:
            raise ExecutionError(f"precision must be 'complex128' or 'complex64', not {self.precision!r}")
        limit = self.max_jit_instructions
        if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
            raise ExecutionError(f"max_jit_instructions must be a positive integer, not {self.max_jit_instructions!r}")


class LocalExecutor(Executor):
    """The embedded default executor; see the module docstring. Options: `LocalOptions` fields."""

    name = "local"
    native_gates = tuple(GATES)

    def __init__(self, **options):
        self.options = LocalOptions(**options)

    @property
    def max_qubits(self) -> int:
        return max_qubits(self.options.precision)

    # -- running -----------------------------------------------------------------------------------------
    def run(self, program: Program, *, shots: int = 1000, seed: int | None = None, params: Any = None,
            **options) -> Result | list[Result]:
        """Run in the calling thread (no job queue) and return the Result."""
        batch, single = self._batch(program, params)
        results = self.execute(batch, shots=shots, seed=seed, params=params, **options)
        return results[0] if single and len(results) == 1 else results

    def execute(self, programs: list[Program], *, shots: int, seed: int | None = None, params: Any = None,
                memory: bool = False, output_schema: bool = False, **options) -> list[Result]:
        opts = merge_options(self.options, options, executor="local", also="memory, output_schema")
        if not isinstance(shots, (int, np.integer)) or isinstance(shots, bool) or shots < 0:
            raise ExecutionError(f"shots must be a non-negative integer, got {shots!r}")
        if seed is None:  # one fresh seed per submission; each run derives its stream from it
            seed = derive_seed(None, 0)[0]
        results = []
        for program, vector, user_seed, stream, index in each_binding(programs, params, seed):
            results.append(self._run_one(program, vector, shots=int(shots), seed=user_seed,
                                         stream=stream, memory=memory, output_schema=output_schema,
                                         opts=opts, index=index))
        return results

    def statevector(self, program: Program, *, params: Any = None, seed: int | None = 0,
                    **options) -> np.ndarray:
        """The state before the final (undecided) measurements, for programs with one path.

        Mid-circuit measurements are decided with the seed's single shot, so adaptive programs
        return the state of that one branch.
        """
        opts = replace(self.options, **options) if options else self.options
        (vector,) = bindings(program, params) if not is_binding_batch(params) else (None,)
        if vector is None:
            raise ExecutionError("statevector() takes one parameter binding")
        from qirrt.executors.local import driver as native

        spare = check_register(program.num_qubits, opts.precision, limit_bytes=opts.memory_limit_bytes)
        compiled, _ = _native_program(program, vector, opts)
        bufs = _Buffers(program, vector, shots=1, opts=opts, spare=spare, trace_cap=1 << 16,
                        record_cap=64 + 4 * program.num_results)
        with _EXECUTION_LOCK:
            bufs.configure(program, vector, shots=1, opts=opts)
            bufs.attach(compiled, vector)
            out = native.execute(bufs.header, compiled.run_address, derive_seed(seed, 0)[1], 1, False)
        if int(out[0]):
            raise _execution_error(program, int(out[0]), int(out[1]), opts, 1 << 16, bufs.records.shape[0])
        return bufs.state

    def _run_one(self, program: Program, vector: np.ndarray, *, shots: int, seed: int, stream: int,
                 memory: bool, output_schema: bool, opts: LocalOptions, index: int) -> Result:
        from qirrt.executors.local import driver as native
        from qirrt.executors.local import shots as shots_mod

        start = time.perf_counter()
        nq = program.num_qubits
        spare = check_register(nq, opts.precision, limit_bytes=opts.memory_limit_bytes)
        compiled, fresh = _native_program(program, vector, opts)
        jit_time = compiled.compile_time_s if fresh else 0.0
        keep_memory = memory or output_schema
        trace_cap = 1 << 12
        record_cap = 64 + 4 * program.num_results
        while True:
            with _EXECUTION_LOCK:
                bufs = _buffers(program, vector, shots=shots, opts=opts, spare=spare, trace_cap=trace_cap,
                                record_cap=record_cap)
                bufs.attach(compiled, vector)
                out = native.execute(bufs.header, compiled.run_address, stream, shots, keep_memory)
                stats = bufs.header[abi.H_STAT_OPS:abi.H_STAT_DECISIONS + 1].tolist()
                gates = int(bufs.header[abi.H_STAT_GATES])
            error, error_arg = int(out[0]), int(out[1])
            if error == abi.ERR_TRACE_CAPACITY and trace_cap < _MAX_TRACE:
                trace_cap *= 16
                continue
            if error == abi.ERR_RECORD_CAPACITY and record_cap < _MAX_RECORDS:
                record_cap *= 16
                continue
            break
        if error:
            raise _execution_error(program, error, error_arg, opts, trace_cap, record_cap)
        raw = shots_mod.RawOutput(*out[2:])
        counts, pattern_keys = shots_mod.build_counts(raw, compiled.label, compiled.templates)
        result = Result(counts=counts, shots=shots)
        if keep_memory:
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, 1)))
            order = shots_mod.shot_order(raw, rng)
            if memory:
                result.memory = shots_mod.build_memory(pattern_keys, order)
            if output_schema:
                result.output_schema = shots_mod.build_output_schema(
                    raw, order, compiled.label, entry_point=program.entry_point, labeled=True)
        result.metadata = {
            "executor": self.name,
            "seed": seed,
            "wall_time_s": time.perf_counter() - start,
            "jit_time_s": jit_time,
            "program_hash": program.hash,
            "interpreted": compiled.operations is not None,
            "jit_from_disk_cache": bool(getattr(compiled, "from_disk", False)) and fresh,
            "num_qubits": nq,
            "num_results": program.num_results,
            "precision": opts.precision,
            "paths": raw.num_paths,
            "gates_simulated": gates,
            "fused_operations": stats[0],
            "passes": stats[1],
            "decisions": stats[3],
        }
        if program.parameters:
            result.metadata["parameters"] = dict(zip(program.parameters, vector.tolist()))
        log.debug("ran %s: %d shots, %d paths, %d gates in %d operations over %d passes, %.4f s",
                  program.hash[:12], shots, raw.num_paths, gates, stats[0], stats[1],
                  result.metadata["wall_time_s"])
        return result


class _Buffers:
    """The context header and every buffer it points to, for one execution."""

    def __init__(self, program: Program, vector: np.ndarray, *, shots: int, opts: LocalOptions, spare: int,
                 trace_cap: int, record_cap: int):
        nq = program.num_qubits
        dtype = _DTYPES[opts.precision]
        size = state_bytes(nq, opts.precision)
        self.slots = int(min(opts.max_saved_states, max(0, spare) // max(size, 1)))
        dim = 1 << nq
        self.state = np.empty(dim, dtype)
        self.pool = np.empty(self.slots * dim if self.slots else 1, dtype)
        self.slot_used = np.zeros(max(self.slots, 1), np.int64)
        cap = max(16, opts.tape_capacity)
        self.tape_ops = np.empty((cap, 4), np.int64)
        self.tape_ang = np.empty(cap, np.float64)
        self.results = np.zeros(max(program.num_results, 1), np.int64)
        self.pending = np.zeros(max(nq, 1), np.int64)
        self.params = np.zeros(max(len(program.parameters), 1), np.float64)
        self.records = np.empty((record_cap, 3), np.int64)
        self.trace = np.empty(trace_cap, np.int8)
        self.pushes = np.empty((shots + 1, 4), np.int64)
        self._configured: LocalOptions | None = None
        self.angles: np.ndarray | None = None
        h = np.zeros(abi.HEADER_SIZE, np.int64)
        h[abi.H_NQ] = nq
        h[abi.H_PREC] = 0 if opts.precision == "complex128" else 1
        h[abi.H_STATE] = self.state.ctypes.data
        h[abi.H_POOL] = self.pool.ctypes.data
        h[abi.H_SLOT_USED] = self.slot_used.ctypes.data
        h[abi.H_TAPE_OPS] = self.tape_ops.ctypes.data
        h[abi.H_TAPE_ANG] = self.tape_ang.ctypes.data
        h[abi.H_TAPE_CAP] = cap
        h[abi.H_RES] = self.results.ctypes.data
        h[abi.H_NRES] = program.num_results
        h[abi.H_QPEND] = self.pending.ctypes.data
        self.last_result = np.full(max(nq, 1), -1, np.int64)
        h[abi.H_QLAST] = self.last_result.ctypes.data
        h[abi.H_PARAMS] = self.params.ctypes.data
        h[abi.H_REC] = self.records.ctypes.data
        h[abi.H_REC_CAP] = record_cap
        h[abi.H_TRACE] = self.trace.ctypes.data
        h[abi.H_TRACE_CAP] = trace_cap
        h[abi.H_PUSH] = self.pushes.ctypes.data
        h[abi.H_PUSH_CAP] = self.pushes.shape[0]
        for slot, address in _service_addresses(opts.precision).items():
            h[slot] = address
        self.header = h

    def fits(self, shots: int, opts: LocalOptions, trace_cap: int, record_cap: int) -> bool:
        h = self.header
        return (h[abi.H_TRACE_CAP] == trace_cap and h[abi.H_REC_CAP] == record_cap
                and h[abi.H_TAPE_CAP] == max(16, opts.tape_capacity)
                and h[abi.H_PREC] == (0 if opts.precision == "complex128" else 1))

    def configure(self, program: Program, vector: np.ndarray, *, shots: int, opts: LocalOptions) -> None:
        """Set what changes from run to run: parameters, shots, limits, tuning; clear the counters."""
        h = self.header
        if self.pushes.shape[0] < shots + 1:
            self.pushes = np.empty((shots + 1, 4), np.int64)
            h[abi.H_PUSH] = self.pushes.ctypes.data
            h[abi.H_PUSH_CAP] = self.pushes.shape[0]
        h[abi.H_POOL_SLOTS] = self.slots if shots > 1 else 0
        if vector.size:
            self.params[:vector.size] = vector
        h[abi.H_NPARAMS] = vector.size
        if opts is not self._configured:
            h[abi.H_MAX_STEPS] = opts.max_steps
            h[abi.H_FUSE_MAX] = opts.fusion_qubits
            h[abi.H_DIAG_MAX] = opts.diagonal_qubits
            h[abi.H_BLOCK_QUBITS] = opts.block_qubits
            h[abi.H_PAR_QUBITS] = opts.parallel_qubits
            h[abi.H_FUSE_OVERHEAD] = round(opts.fusion_overhead * 100)
            self._configured = opts
        h[abi.H_ERROR:abi.H_ERROR_ARG + 1] = 0
        h[abi.H_STAT_OPS:abi.H_STAT_DECISIONS + 1] = 0

    def attach(self, compiled, vector: np.ndarray) -> None:
        """Point the header at the operation list of an interpreted program (none for compiled code)."""
        h = self.header
        operations = compiled.operations
        if operations is None:
            self.angles = None
            h[abi.H_OPS] = h[abi.H_OPS_ANG] = h[abi.H_OPS_LEN] = h[abi.H_OPS_FLAGS] = 0
            return
        self.angles = operations.angles_for(vector)  # referenced here while the run uses it
        h[abi.H_OPS] = operations.ops.ctypes.data
        h[abi.H_OPS_ANG] = self.angles.ctypes.data
        h[abi.H_OPS_LEN] = len(operations)
        h[abi.H_OPS_FLAGS] = operations.num_flags


_REUSE_QUBITS = 12
"""Buffers of registers up to this size are kept per program and reused (small runs are dominated
by allocation otherwise); larger ones are allocated for each run and freed after it."""
_reusable: OrderedDict[tuple[str, str], _Buffers] = OrderedDict()


def _buffers(program: Program, vector: np.ndarray, *, shots: int, opts: LocalOptions, spare: int,
             trace_cap: int, record_cap: int) -> _Buffers:
    """Buffers for one run (call with `_EXECUTION_LOCK` held)."""
    if program.num_qubits > _REUSE_QUBITS:
        bufs = _Buffers(program, vector, shots=shots, opts=opts, spare=spare, trace_cap=trace_cap,
                        record_cap=record_cap)
    else:
        key = (program.hash, opts.precision)
        bufs = _reusable.get(key)
        if bufs is None or not bufs.fits(shots, opts, trace_cap, record_cap):
            bufs = _Buffers(program, vector, shots=shots, opts=opts, spare=spare, trace_cap=trace_cap,
                            record_cap=record_cap)
            _reusable[key] = bufs
            while len(_reusable) > 32:
                _reusable.popitem(last=False)
        else:
            _reusable.move_to_end(key)
    bufs.configure(program, vector, shots=shots, opts=opts)
    return bufs


def _native_program(program: Program, vector: np.ndarray, opts: LocalOptions):
    """(what runs `program`: its operation list or JIT-compiled code, whether this call built it)."""
    from qirrt.executors.local import jit, operations

    if opts.interpret:
        compiled, fresh = operations.compiled(program)
        if compiled is not None:
            highest = compiled.operations.max_parameter
            if highest >= vector.size:
                raise _execution_error(program, abi.ERR_PARAM_RANGE, highest, opts, 0, 0)
            return compiled, fresh
    before = program.hash in jit._cache
    compiled = jit.compile_program(program, max_instructions=opts.max_jit_instructions,
                                   disk_cache=opts.jit_cache)
    return compiled, not before


_services: dict[str, dict[int, int]] = {}


def _service_addresses(precision: str) -> dict[int, int]:
    """Header slot → address of each simulator service for `precision`."""
    table = _services.get(precision)
    if table is None:
        from qirrt.executors.local import services

        built = services.services(precision)
        table = {abi.H_FN_FLUSH: built["flush"].address, abi.H_FN_PROB: built["prob_one"].address,
                 abi.H_FN_COLLAPSE: built["collapse"].address, abi.H_FN_COPY: built["copy"].address,
                 abi.H_FN_RESET: built["reset"].address, abi.H_FN_SAMPLE: built["sample"].address}
        _services[precision] = table
    return table


def _execution_error(program: Program, code: int, arg: int, opts: LocalOptions, trace_cap: int,
                     record_cap: int) -> ExecutionError:
    where = f"program @{program.entry_point} ({program.hash[:12]})"
    if code == abi.ERR_QUBIT_RANGE:
        return ExecutionError(f"{where} used qubit {arg}, but it declares required_num_qubits="
                              f"{program.num_qubits}; fix the qubit index or the attribute")
    if code == abi.ERR_RESULT_RANGE:
        return ExecutionError(f"{where} used result {arg}, but it declares required_num_results="
                              f"{program.num_results}; fix the result index or the attribute")
    if code == abi.ERR_STEP_LIMIT:
        return ExecutionError(f"{where} did not finish within max_steps={opts.max_steps} steps (quantum "
                              f"operations and basic blocks) in one run — it may loop forever; pass a "
                              f"larger max_steps if it is meant to run this long")
    if code == abi.ERR_PARAM_RANGE:
        return ExecutionError(f"{where} read parameter {arg}, but only {len(program.parameters)} "
                              f"parameter value(s) were bound")
    if code == abi.ERR_SAME_QUBIT:
        return ExecutionError(f"{where} applied a multi-qubit gate with qubit {arg} twice")
    if code == abi.ERR_TRACE_CAPACITY:
        return ExecutionError(f"{where} took more than {trace_cap} measurement decisions in one run")
    if code == abi.ERR_RECORD_CAPACITY:
        return ExecutionError(f"{where} wrote more than {record_cap} output records in one run")
    if code == abi.ERR_NONDETERMINISTIC:
        return ExecutionError(f"{where} took a different path when replayed with the same measurement "
                              f"outcomes; the local executor needs programs whose control flow depends "
                              f"only on measurement results")
    return ExecutionError(f"{where} failed in the native runtime (error {code}, argument {arg})")

