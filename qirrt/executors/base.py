"""`Executor` and `Job`: the interface every backend implements, and a thread-pool job helper.

An executor turns programs into `Result`s. `submit` returns at once with a `Job`; `run` is the
blocking convenience. Subclasses implement `execute(programs, *, shots, seed, params, **options)`,
which runs synchronously and returns one `Result` per (program, parameter binding).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import enum
import os
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, ClassVar

import numpy as np

from qirrt.errors import ExecutionError, JobCancelledError, JobTimeoutError
from qirrt.qir.params import bindings, is_binding_batch
from qirrt.qir.program import Program
from qirrt.result import Result


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job(ABC):
    """A submitted piece of work; `result()` blocks until it is done."""

    id: str

    @abstractmethod
    def status(self) -> JobStatus: ...

    @abstractmethod
    def cancel(self) -> bool:
        """Cancel if it has not started; True when it will not run."""

    @abstractmethod
    def result(self, timeout_s: float | None = None) -> Result | list[Result]:
        """The `Result` (a list when several programs or bindings were submitted)."""

    def done(self) -> bool:
        return self.status() in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r}, {self.status().value})"


class FutureJob(Job):
    """A job running on a thread pool (`concurrent.futures.Future` underneath)."""

    def __init__(self, future: Future, *, single: bool, started: threading.Event | None = None,
                 job_id: str | None = None):
        self.id = job_id or uuid.uuid4().hex
        self._future = future
        self._single = single
        self._started = started or threading.Event()

    def status(self) -> JobStatus:
        f = self._future
        if f.cancelled():
            return JobStatus.CANCELLED
        if f.done():
            return JobStatus.FAILED if f.exception() is not None else JobStatus.DONE
        return JobStatus.RUNNING if self._started.is_set() else JobStatus.QUEUED

    def cancel(self) -> bool:
        return self._future.cancel()

    def result(self, timeout_s: float | None = None) -> Result | list[Result]:
        try:
            results = self._future.result(timeout=timeout_s)
        except CancelledError:
            raise JobCancelledError(f"job {self.id} was cancelled before it ran") from None
        except FutureTimeout:
            raise JobTimeoutError(f"job {self.id} did not finish within {timeout_s} s; it is still "
                                  f"{self.status().value} (wait longer or cancel it)") from None
        return results[0] if self._single and len(results) == 1 else results


class DoneJob(Job):
    """A job whose results already exist (for executors with nothing to wait for)."""

    def __init__(self, results: list[Result], *, single: bool):
        self.id = uuid.uuid4().hex
        self._results = results
        self._single = single

    def status(self) -> JobStatus:
        return JobStatus.DONE

    def cancel(self) -> bool:
        return False

    def result(self, timeout_s: float | None = None) -> Result | list[Result]:
        return self._results[0] if self._single and len(self._results) == 1 else self._results


_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def job_pool(name: str, workers: int = 1) -> ThreadPoolExecutor:
    """A process-wide thread pool per executor kind (created on first use)."""
    with _pools_lock:
        pool = _pools.get(name)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"qirrt-{name}")
            _pools[name] = pool
        return pool


class Executor(ABC):
    """Runs `Program`s. Subclasses set `name` and implement `execute`."""

    name: ClassVar[str] = "executor"
    profiles: ClassVar[tuple[str, ...]] = ("base", "adaptive")
    native_gates: ClassVar[tuple[str, ...]] = ()
    pool_workers: ClassVar[int] = 1

    @abstractmethod
    def execute(self, programs: list[Program], *, shots: int, seed: int | None,
                params: Any = None, **options) -> list[Result]:
        """Run synchronously; one `Result` per program and parameter binding (program-major)."""

    def submit(self, programs: Program | Sequence[Program], *, shots: int = 1000, seed: int | None = None,
               params: Any = None, **options) -> Job:
        """Queue `programs` and return a `Job` at once; `job.result()` is a `Result` for a single
        Program with at most one parameter binding, else a list."""
        batch, single = self._batch(programs, params)
        check_shots(shots)
        started = threading.Event()

        def work():
            started.set()
            return self.execute(batch, shots=shots, seed=seed, params=params, **options)

        context = contextvars.copy_context()  # a progress hook set by the caller reaches the pool thread
        future = job_pool(self.name, self.pool_workers).submit(context.run, work)
        return FutureJob(future, single=single, started=started)

    def run(self, program: Program, *, shots: int = 1000, seed: int | None = None, params: Any = None,
            **options) -> Result | list[Result]:
        """Run one program and wait: a `Result` (a list for a batch of parameter bindings)."""
        return self.submit(program, shots=shots, seed=seed, params=params, **options).result()

    @staticmethod
    def _batch(programs, params) -> tuple[list[Program], bool]:
        if isinstance(programs, Program):
            return [programs], not is_binding_batch(params)
        batch = list(programs)
        for item in batch:
            if not isinstance(item, Program):
                raise ExecutionError(f"executors run qirrt Programs, got {type(item).__name__}; "
                                     f"convert it first with qirrt.load(...)")
        return batch, False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def check_shots(shots: Any) -> None:
    """The one rule for shots, in the API, the CLI and every executor: an integer ≥ 1."""
    if not isinstance(shots, (int, np.integer)) or isinstance(shots, bool) or shots < 1:
        raise ExecutionError(f"shots must be a whole number ≥ 1, got {shots!r}: a run samples at least one shot "
                             f"(for probabilities without sampling use qirrt.qir.exact.exact_distribution)")


# -- options and parameter bindings (the binding forms live in qirrt.qir.params) ------------------------------
def merge_options(base, options: dict, *, executor: str, also: str = "memory"):
    """`base` (an options dataclass) with `options` replaced; unknown names are a clear error."""
    known = {f.name for f in dataclasses.fields(base)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ExecutionError(f"unknown option(s) {', '.join(unknown)} for the {executor} executor; known: "
                             f"{', '.join(sorted(known))}, {also}")
    return dataclasses.replace(base, **options) if options else base


def each_binding(programs, params: Any, seed: int | None):
    """(program, parameter vector, user seed, stream seed, index) for every program × binding, in order."""
    index = 0
    for program in programs:
        if not isinstance(program, Program):
            raise ExecutionError(f"executors run qirrt Programs, got {type(program).__name__}; "
                                 f"convert it with qirrt.load(...) first")
        for vector in bindings(program, params):
            user_seed, stream = derive_seed(seed, index)
            yield program, vector, user_seed, stream, index
            hook = _RUN_DONE.get()
            if hook is not None:
                hook(index)
            index += 1


_RUN_DONE: contextvars.ContextVar = contextvars.ContextVar("qirrt_run_done", default=None)


_RUNS_EXPECTED: contextvars.ContextVar = contextvars.ContextVar("qirrt_runs_expected", default=None)


@contextlib.contextmanager
def reporting_runs(callback: Callable[[int], None], *, expect: Callable[[int], None] | None = None):
    """Within this block (and the jobs submitted in it), executors call `callback(index)` as each run of
    a submission (program × parameter binding, program-major) finishes: progress for batches. Work that
    knows how many runs it is about to make (a mitigation expansion) says so through `expect(count)`."""
    tokens = _RUN_DONE.set(callback), _RUNS_EXPECTED.set(expect)
    try:
        yield
    finally:
        _RUNS_EXPECTED.reset(tokens[1])
        _RUN_DONE.reset(tokens[0])


def run_done_hook() -> Callable[[int], None] | None:
    """The callback of the enclosing `reporting_runs` block, for an executor whose runs finish elsewhere
    (it captures the hook when a job is submitted and calls it as the job's runs come back)."""
    return _RUN_DONE.get()


def expect_runs(count: int) -> None:
    """Tell the enclosing `reporting_runs` block that `count` more runs are on their way."""
    expect = _RUNS_EXPECTED.get()
    if expect is not None:
        expect(count)


_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _unshift(y: int, shift: int) -> int:
    x = y
    for _ in range(64 // shift + 1):
        x = y ^ (x >> shift)
    return x


def _unsplitmix64(z: int) -> int:
    z = _unshift(z, 31)
    z = (z * pow(0x94D049BB133111EB, -1, 1 << 64)) & _MASK64
    z = _unshift(z, 27)
    z = (z * pow(0xBF58476D1CE4E5B9, -1, 1 << 64)) & _MASK64
    z = _unshift(z, 30)
    return (z - 0x9E3779B97F4A7C15) & _MASK64


def seed_for_index(seed: int, index: int) -> int:
    """The seed whose first run draws the stream of run `index` under `seed`.

    A batch cut into single jobs (the cluster sends each item alone) runs item `index` with this seed
    and samples exactly what the whole batch would have sampled for it: ``derive_seed(seed_for_index(s,
    i), 0)[1] == derive_seed(s, i)[1]``.
    """
    return _unsplitmix64(_splitmix64(int(seed) & _MASK64) ^ int(index))


def derive_seed(seed: int | None, index: int) -> tuple[int, int]:
    """(user-visible seed, 32-bit stream seed) of the `index`-th run of a submission.

    With ``seed=None`` a fresh seed is drawn, so the metadata can reproduce the run.
    """
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little") >> 1
    seed = int(seed)
    return seed, _splitmix64(_splitmix64(seed & _MASK64) ^ index) & 0xFFFFFFFF


class OnTarget(Executor):
    """An executor (a cluster, Ray) whose every submission asks for a QPU lane of one device (what
    `qirrt.run` uses for a mitigated run with a target: compiled on the client, run as compiled there)."""

    def __init__(self, inner: Executor, target: Any):
        self.inner = inner
        self.name = inner.name
        self.target = target_name(target)

    def execute(self, programs, *, shots: int, seed: int | None, params: Any = None, **options) -> list[Result]:
        return self.inner.execute(programs, shots=shots, seed=seed, params=params, target=self.target, **options)

    def submit(self, programs, **options) -> Job:
        return self.inner.submit(programs, target=self.target, **options)


def target_name(target: Any) -> str:
    """A device (a name, or an object with a `name`) as the name lanes are matched by."""
    return target if isinstance(target, str) else getattr(target, "name", str(target))


def batch_submission(label: str, programs, *, shots: int, seed: int | None, requires: Any, target: Any,
                     options: dict, known: str, check_requires: Callable[[Any], dict]):
    """What a lane-placing executor (the cluster, Ray) checks before it submits: no unknown `options`,
    valid `shots`, IR text or bitcode loaded as a Program, `requires` checked with `target` folded in, and
    one drawn seed when none is given (the whole batch reproducible from its metadata).
    Returns (programs, requires, seed)."""
    if options:
        raise ExecutionError(f"unknown option(s) {', '.join(sorted(options))} for the {label}; known: {known}")
    check_shots(shots)
    if isinstance(programs, (str, bytes)):
        programs = Program.from_bitcode(programs) if isinstance(programs, bytes) else Program.from_ir(programs)
    needs = check_requires(requires)
    if target is not None:
        needs["target"] = target_name(target)
    if seed is None:
        seed = derive_seed(None, 0)[0]
    return programs, needs, int(seed)


def settled_status(results, failed, cancelled: bool) -> JobStatus | None:
    """The status of a batch job its own state already settles (results in, failed, cancelled), or None
    when its parts must be asked."""
    if results is not None:
        return JobStatus.DONE
    if failed is not None:
        return JobStatus.FAILED
    return JobStatus.CANCELLED if cancelled else None
