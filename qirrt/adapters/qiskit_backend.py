"""`QiskitBackendAdapter`: any Qiskit `BackendV2` as a qirrt hardware adapter.

IBM Runtime, IQM, or any provider's BackendV2 with its credentials; offline, the fake backends
(``"FakeKolkata"``, ``"FakeSherbrooke"``, ``"generic:5"``: `qirrt.adapters.resolve_backend`). Each
program is raised to a circuit (`qirrt.bindings.qiskit.to_circuit`), transpiled for the backend (control flow allowed
where the backend is a local simulator or its target lists it), bound per parameter point and sent
with ``backend.run`` or, with ``primitive="sampler"``, a `SamplerV2` in the backend's mode (IBM's
local mode for fake backends). Counts come back in the program's own keys. Calibration and target
come from ``backend.target``.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from qirrt.adapters.base import Capabilities, HardwareAdapter, QueueInfo, TransientAdapterError, utc
from qirrt.errors import AdapterError, ExecutionError, JobCancelledError, JobTimeoutError
from qirrt.executors.base import JobStatus, bindings, derive_seed
from qirrt.qir.program import Program
from qirrt.result import Result

log = logging.getLogger(__name__)

_STATUS = {"INITIALIZING": JobStatus.QUEUED, "QUEUED": JobStatus.QUEUED, "VALIDATING": JobStatus.QUEUED,
           "RUNNING": JobStatus.RUNNING, "DONE": JobStatus.DONE, "ERROR": JobStatus.FAILED,
           "CANCELLED": JobStatus.CANCELLED}
_LOCAL_MODULES = ("qiskit_ibm_runtime.fake_provider", "qiskit.providers.fake_provider", "qiskit_aer")


def is_local_simulator(backend) -> bool:
    """True for fake backends and Aer: they simulate locally and run any control flow Aer runs."""
    return type(backend).__module__.startswith(_LOCAL_MODULES)


@dataclass
class _Submitted:
    job: Any
    circuits: list
    programs: list[Program]
    points: list  # (program index, parameter vector, user seed)
    shots: int
    primitive: str
    submitted_s: float
    memory: bool = False


class QiskitBackendAdapter(HardwareAdapter):
    """A Qiskit `BackendV2` behind the `HardwareAdapter` interface; see the module docstring."""

    name = "qiskit"

    def __init__(self, backend: Any = "FakeKolkata", *, primitive: str = "run", optimization_level: int = 1,
                 seed_transpiler: int | None = 0):
        from qirrt.adapters import resolve_backend

        if primitive not in ("run", "sampler"):
            raise AdapterError(f"primitive must be 'run' or 'sampler', not {primitive!r}")
        self.backend = resolve_backend(backend)
        self.name = self.backend.name
        self.primitive = primitive
        self.optimization_level = optimization_level
        self.seed_transpiler = seed_transpiler
        self._jobs: dict[str, _Submitted] = {}
        self._circuits: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._transpile_target = None

    # -- the device -----------------------------------------------------------------------------
    @property
    def local(self) -> bool:
        return is_local_simulator(self.backend)

    def dynamic(self) -> bool:
        """Whether the backend runs mid-circuit measurement and feed-forward (IBM's SamplerV2 checks circuits
        against the backend's own target even in local mode, so there only what the target lists counts)."""
        listed = "if_else" in self.backend.target.operation_names
        return listed if self.primitive == "sampler" else (self.local or listed)

    def capabilities(self) -> Capabilities:
        return Capabilities(
            name=self.name, num_qubits=self.backend.num_qubits, native_gates=self.target().native_gates,
            profiles=("base", "adaptive") if self.dynamic() else ("base",),
            max_shots=int(getattr(self.backend, "max_shots", None) or 100_000),
            mid_circuit_measurement=self.dynamic(), reservations=False, simulator=self.local)

    def target(self):
        from qirrt.adapters import target_from_backend

        return target_from_backend(self.backend)

    def calibration(self):
        from qirrt.adapters import calibration_from_backend

        return calibration_from_backend(self.backend)

    def queue_info(self) -> QueueInfo:
        own = sum(1 for job_id in list(self._jobs) if not self._is_final(job_id))
        depth, operational = own, True
        status = getattr(self.backend, "status", None)
        if callable(status):
            try:
                reported = status()
                depth = int(getattr(reported, "pending_jobs", depth) or 0)
                operational = bool(getattr(reported, "operational", True))
            except Exception as exc:  # noqa: BLE001 - vendor status calls fail in assorted ways
                log.debug("backend %s status unavailable: %s", self.name, exc)
        return QueueInfo(depth=max(depth, own), estimated_wait_s=None, timestamp=utc(), own_jobs=own,
                         operational=operational)

    # -- circuits -------------------------------------------------------------------------------
    def circuit(self, program: Program):
        """The program raised and transpiled for this backend (cached per program hash)."""
        with self._lock:
            found = self._circuits.get(program.hash)
            if found is not None:
                return found
        from qiskit import transpile

        from qirrt.bindings.qiskit.to_circuit import to_qiskit

        raised = to_qiskit(program)
        dynamic = any(i.operation.name in ("if_else", "while_loop", "store") for i in raised.data)
        if dynamic and not self.dynamic():
            raise AdapterError(f"backend {self.name} does not run classical feed-forward, which program "
                               f"{program.entry_point!r} uses; pick a backend with dynamic-circuit support")
        try:
            circuit = transpile(raised, target=self._target_for_transpile(),
                                optimization_level=self.optimization_level, seed_transpiler=self.seed_transpiler)
        except Exception as exc:  # noqa: BLE001 - TranspilerError and kin
            raise AdapterError(f"cannot transpile program {program.entry_point!r} for {self.name}: {exc}") from None
        with self._lock:
            self._circuits[program.hash] = circuit
            while len(self._circuits) > 128:
                self._circuits.popitem(last=False)
        return circuit

    def _target_for_transpile(self):
        if self._transpile_target is None:
            if self.local and self.primitive == "run":
                from qirrt.executors.aer import _with_control_flow

                self._transpile_target = _with_control_flow(self.backend.target)
            else:
                self._transpile_target = self.backend.target
        return self._transpile_target

    # -- jobs -----------------------------------------------------------------------------------
    def submit_programs(self, programs: list[Program], *, shots: int, seed: int | None, params: Any,
                        memory: bool = False, **options) -> str:
        if options:
            raise AdapterError(f"unknown option(s) {', '.join(sorted(options))} for adapter {self.name}")
        circuits, points = [], []
        index = 0
        for p_index, program in enumerate(programs):
            circuit = self.circuit(program)
            for vector in bindings(program, params):
                user_seed, _ = derive_seed(seed, index)
                index += 1
                if circuit.parameters:
                    by_name = dict(zip(program.parameters, vector.tolist()))
                    bound = circuit.assign_parameters({p: by_name[p.name] for p in circuit.parameters})
                else:
                    bound = circuit
                circuits.append(bound)
                points.append((p_index, vector, user_seed))
        seed_value = derive_seed(seed, 0)[1] if seed is not None or self.local else None
        try:
            if self.primitive == "sampler":
                job = self._sampler(seed_value).run([(c,) for c in circuits], shots=shots)
            else:
                run_options = {"seed_simulator": seed_value} if self.local else {}
                job = self.backend.run(circuits, shots=shots, memory=memory, **run_options)
        except Exception as exc:  # noqa: BLE001 - vendor submission errors
            raise AdapterError(f"{self.name}: submission failed: {exc}") from None
        job_id = self._new_id(self.name)
        with self._lock:
            self._jobs[job_id] = _Submitted(job, circuits, list(programs), points, shots, self.primitive,
                                            time.time(), memory)
        return job_id

    def _sampler(self, seed: int | None):
        """qiskit-ibm-runtime's SamplerV2 in the backend's mode (local mode for fake backends)."""
        from qirrt.errors import require

        SamplerV2 = require("qiskit_ibm_runtime", extra="fake-backends", feature="The SamplerV2 primitive").SamplerV2
        with warnings.catch_warnings():  # runtime 0.50 deprecates SamplerV2 for a client-side Sampler
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = SamplerV2(mode=self.backend)
        if self.local and seed is not None:
            sampler.options.simulator.seed_simulator = seed
        return sampler

    def _get(self, job_id: str) -> _Submitted:
        found = self._jobs.get(job_id)
        if found is None:
            raise AdapterError(f"{self.name} has no job {job_id!r}")
        return found

    def _is_final(self, job_id: str) -> bool:
        return self.status(job_id) in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)

    def status(self, job_id: str) -> JobStatus:
        job = self._get(job_id).job
        try:
            raw = job.status()
        except Exception as exc:  # noqa: BLE001
            raise TransientAdapterError(f"{self.name}: status of job {job_id} unavailable: {exc}") from None
        name = getattr(raw, "name", str(raw)).upper()
        return _STATUS.get(name, JobStatus.RUNNING)

    def cancel(self, job_id: str) -> bool:
        job = self._get(job_id).job
        try:
            return bool(job.cancel()) or self.status(job_id) is JobStatus.CANCELLED
        except Exception:  # noqa: BLE001 - finished local jobs refuse cancellation
            return False

    def result(self, job_id: str, timeout_s: float | None = None) -> list[Result]:
        from qirrt.bindings.qiskit.to_circuit import key_function, map_counts

        submitted = self._get(job_id)
        start = time.perf_counter()
        if self.status(job_id) is JobStatus.CANCELLED:
            raise JobCancelledError(f"{self.name} job {job_id} was cancelled")
        try:
            outcome = _wait(submitted.job, timeout_s)
        except TimeoutError:
            raise JobTimeoutError(f"{self.name} job {job_id} did not finish within {timeout_s} s") from None
        except Exception as exc:  # noqa: BLE001
            raise ExecutionError(f"{self.name} job {job_id} failed: {exc}") from None
        results = []
        for position, (circuit, (p_index, vector, user_seed)) in enumerate(zip(submitted.circuits,
                                                                              submitted.points)):
            program = submitted.programs[p_index]
            shots_memory = None
            if submitted.primitive == "sampler":
                shot_keys = _sampler_memory(outcome[position], circuit)
                raw: dict[str, int] = {}
                for key in shot_keys:
                    raw[key] = raw.get(key, 0) + 1
                if submitted.memory:
                    shots_memory = shot_keys
            else:
                raw = outcome.get_counts(position) if circuit.num_clbits else {"": submitted.shots}
                if submitted.memory and circuit.num_clbits:
                    shots_memory = outcome.get_memory(position)
            counts = map_counts(raw, circuit) if circuit.num_clbits else {"": submitted.shots}
            memory = None
            if submitted.memory:
                convert = key_function(circuit) if circuit.num_clbits else (lambda key: "")
                memory = [convert(k) for k in shots_memory] if shots_memory is not None else [""] * submitted.shots
            metadata = {"executor": self.name, "adapter": type(self).__name__, "backend": self.name,
                        "job_id": job_id, "seed": user_seed, "program_hash": program.hash,
                        "num_qubits": program.num_qubits, "primitive": submitted.primitive,
                        "wall_time_s": time.perf_counter() - start}
            if program.parameters:
                metadata["parameters"] = dict(zip(program.parameters, vector.tolist()))
            results.append(Result(counts={k: int(v) for k, v in counts.items()}, shots=submitted.shots,
                                  memory=memory, metadata=metadata))
        return results


def _wait(job, timeout_s: float | None):
    """A vendor job's result, waiting at most `timeout_s` (TimeoutError past it)."""
    if timeout_s is None:
        return job.result()
    deadline = time.monotonic() + timeout_s
    while True:
        status = getattr(job.status(), "name", str(job.status())).upper()
        if status in ("DONE", "ERROR", "CANCELLED"):
            return job.result()
        if time.monotonic() >= deadline:
            raise TimeoutError
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def _sampler_memory(pub_result, circuit) -> list[str]:
    """Per-shot Qiskit keys (last register leftmost) of a SamplerV2 pub result."""
    data = pub_result.data
    columns = [getattr(data, register.name).get_bitstrings() for register in circuit.cregs]
    return [" ".join(reversed(parts)) for parts in zip(*columns)]
