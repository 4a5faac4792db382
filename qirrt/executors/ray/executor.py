"""`RayExecutor`: a Ray cluster as an `Executor` with the ZeroMQ `Cluster`'s contract, so `qirrt.run`,
`qirrt.run_batch`, `CompiledProgram.run` sweeps and mitigation expansions all fan out as Ray tasks.

Every program × parameter binding of a submission is one item, carrying the submission's seed and its
place in the batch (`seed_index`), exactly as the cluster sends them: a Ray worker running the same
executor samples what a local run of the whole batch would (`qirrt.executors.base.seed_for_index`).
Programs travel as QIR text (put in the object store once per program), results come back as plain
dicts; no user object is pickled. Simulator items are CPU tasks (``max_retries``: a killed worker
process is retried), GPU items ``num_gpus=1`` tasks, QPU items go to the device's actor.

`split`: None puts every item on one lane (the QPU lane of `target`, the lane `requires` names, else the
GPU lane when the cluster has GPUs, else the CPU lane); ``"auto"`` divides the batch between the usable
lanes with the ZeroMQ cluster's planner (`distributed.split.split`); ``"round-robin"`` deals them in turn.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from qirrt.errors import ExecutionError, JobCancelledError, JobTimeoutError
from qirrt.executors.base import (
    Executor,
    Job,
    JobStatus,
    OnTarget,
    batch_submission,
    run_done_hook,
    settled_status,
)
from qirrt.executors.distributed.split import Plan, plan_batch
from qirrt.executors.ray.lanes import (
    LaneError,
    Placement,
    check_requires,
    qpu_lane,
    simulator_lanes,
    usable,
)
from qirrt.executors.ray.runtime import RayAddressError, check_address, ensure_started
from qirrt.qir.params import bindings
from qirrt.qir.resources import estimated_simulation_s
from qirrt.result import Result

log = logging.getLogger(__name__)
SPLITS = (None, "none", "auto", "round-robin")
POLL_S = 0.05
LANES_TTL_S = 2.0  # the cluster's lanes are looked up again after this long (autoscaling changes them)
INLINE_BYTES = 64 * 1024  # a program used once and smaller than this travels inline with its task


@dataclass
class _Item:
    """One item of a submission: a program (its object-store reference) with one binding."""

    program: Any
    payload: Any
    params: dict | None
    seed_index: int
    estimate_s: float
    lane: str | None = None


def _check_split(value: Any) -> str | None:
    if value not in SPLITS:
        raise LaneError(f"split must be 'auto', 'round-robin' or None, got {value!r}")
    return None if value == "none" else value


def _check_name(what: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ExecutionError(f"{what} is an executor name such as 'local' or 'emulated:FakeKolkata' (a worker "
                             f"loads it by name; objects are not shipped), got {value!r}")
    return value


class RayExecutor(Executor):
    """Runs programs on Ray: `address` None starts a local Ray on demand (`num_cpus`), ``"ray://head:10001"``
    joins a cluster. `executor` is what the simulator tasks run (a registered name); `adapters` are QPU
    adapters, one actor each: names (``["emulated:FakeKolkata"]``) or names with their options
    (``{"emulated:FakeKolkata": {"failure_rate": 0}}``); `gpu` is ``"auto"``, True or False. An item whose
    run fails in a way another attempt may cure (a QPU job failure), or whose worker dies, is tried up to
    `max_retries` more times."""

    name = "ray"

    def __init__(self, address: str | None = None, *, executor: str = "local", adapters: tuple | list = (),
                 gpu: Any = "auto", gpu_executor: str | None = None, num_cpus: int | None = None,
                 max_retries: int = 3, split: str | None = None, namespace: str = "qirrt",
                 result_timeout_s: float | None = None, init_options: dict | None = None):
        self.address = check_address(address)
        self.executor = _check_name("executor", executor)
        self.gpu_executor = None if gpu_executor is None else _check_name("gpu_executor", gpu_executor)
        if isinstance(adapters, str):
            adapters = (adapters,)
        if not isinstance(adapters, dict):
            adapters = {a: {} for a in adapters}
        for name, adapter_options in adapters.items():
            _check_name("an adapter", name)
            if not isinstance(adapter_options, dict):
                raise ExecutionError(f"options of adapter {name!r} are a dict (JSON-like), got {adapter_options!r}")
        self.adapter_options = {name: dict(o) for name, o in adapters.items()}
        self.adapters = tuple(self.adapter_options)
        if gpu not in ("auto", True, False):
            raise LaneError(f"gpu must be 'auto', True or False, got {gpu!r}")
        self.gpu = gpu
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ExecutionError(f"max_retries must be a whole number ≥ 0, got {max_retries!r}")
        self.max_retries = max_retries
        self.split = _check_split(split)
        self.num_cpus = num_cpus
        self.namespace = namespace
        self.result_timeout_s = result_timeout_s
        self.init_options = dict(init_options or {})
        if self.address is not None and num_cpus is not None:
            raise RayAddressError(f"num_cpus={num_cpus} sizes a local Ray; the cluster at {self.address} has "
                                  f"its own CPUs (leave num_cpus out)")
        self._ray = None
        self._task = None
        self._actors: dict[str, Any] = {}
        self._lanes: tuple[float, list[Placement]] | None = None
        self._lock = threading.RLock()

    # -- the cluster --------------------------------------------------------------------------------
    def ray(self):
        """The started Ray module (joining or starting the cluster on first use)."""
        with self._lock:
            if self._ray is None:
                ray = ensure_started(self.address, num_cpus=self.num_cpus, namespace=self.namespace,
                                     init_options=self.init_options)
                from qirrt.executors.ray.tasks import run_item

                self._task = ray.remote(run_item)
                self._ray = ray
            return self._ray

    def _actor(self, adapter: str):
        with self._lock:
            actor = self._actors.get(adapter)
            if actor is None:
                ray = self.ray()
                from qirrt.executors.ray.device import DeviceActor

                actor = ray.remote(DeviceActor).options(
                    name=f"qirrt-qpu:{adapter}", namespace=self.namespace, get_if_exists=True, num_cpus=0,
                    max_concurrency=1, max_restarts=self.max_retries, max_task_retries=self.max_retries,
                ).remote(adapter, self.adapter_options.get(adapter) or {})
                self._actors[adapter] = actor
            return actor

    def devices(self) -> list[dict]:
        """Each QPU adapter's lane descriptor, queue, calibration epoch and observed job latency."""
        ray = self.ray()
        return ray.get([self._actor(a).describe.remote() for a in self.adapters])

    def lanes(self, *, max_age_s: float = LANES_TTL_S) -> list[Placement]:
        """The lanes: the CPU lane, a GPU lane where there are GPUs, one QPU lane per adapter (looked up
        again when older than `max_age_s`)."""
        from qirrt.executors.registry import executor_label

        cached = self._lanes
        if cached is not None and time.monotonic() - cached[0] < max_age_s:
            return cached[1]
        ray = self.ray()
        placements = simulator_lanes(self.executor, executor_label(self.executor), ray.cluster_resources(),
                                     self.gpu, self.gpu_executor)
        for adapter, caps in zip(self.adapters, self.devices()):
            placements.append(qpu_lane(caps, adapter, self._actor(adapter)))
        self._lanes = (time.monotonic(), placements)
        return placements

    def shutdown(self) -> None:
        """Let go of the device actors (Ray itself stays up for whoever else uses it)."""
        with self._lock:
            if self._ray is not None:
                for actor in self._actors.values():
                    self._ray.kill(actor)
            self._actors.clear()
            self._lanes = None

    # -- Executor -----------------------------------------------------------------------------------
    def execute(self, programs, *, shots: int, seed: int | None, params: Any = None, **options) -> list[Result]:
        results = self.submit(programs, shots=shots, seed=seed, params=params, **options).result()
        return results if isinstance(results, list) else [results]

    def submit(self, programs, *, shots: int = 1000, seed: int | None = None, params: Any = None,
               split: Any = "default", requires: dict | None = None, target: Any = None, **options) -> RayJob:
        """Queue `programs` (each × its parameter bindings) as Ray tasks and return at once."""
        programs, needs, seed = batch_submission("Ray executor", programs, shots=shots, seed=seed,
                                                 requires=requires, target=target, options=options,
                                                 known="split, requires, target", check_requires=check_requires)
        strategy = self.split if split == "default" else _check_split(split)
        batch, single = self._batch(programs, params)
        ray = self.ray()
        items = self._items(ray, batch, params, int(shots))
        placements = self._place(items, needs, strategy, int(shots))
        by_name = {p.lane.name: p for p in placements}
        def send(item: _Item):
            return self._dispatch(by_name[item.lane], item, int(shots), int(seed))

        return RayJob(self, [send(item) for item in items], items, single=single, seed=int(seed),
                      hook=run_done_hook(), resend=send)

    def estimate(self, programs, *, shots: int = 1000, params: Any = None, split: str | None = "auto",
                 requires: dict | None = None) -> dict:
        """What a submission would do now: the lanes, each item's lane and the predicted makespan."""
        batch, _ = self._batch(programs, params)
        items = self._items(None, batch, params, int(shots))
        plan = self._plan(items, usable(self.lanes(max_age_s=0.0), check_requires(requires)),
                          _check_split(split) or "auto", int(shots))
        return {"lanes": sorted(set(plan.assignment)), "assignment": plan.assignment,
                "finish_s": plan.finish_s, "makespan_s": plan.makespan_s}

    def for_target(self, target: Any) -> OnTarget:
        """This executor running everything on the QPU lane of `target` (programs already compiled for it)."""
        return OnTarget(self, target)

    # -- placing and sending ------------------------------------------------------------------------
    @staticmethod
    def _items(ray, batch, params, shots: int) -> list[_Item]:
        items, index = [], 0
        for program in batch:
            estimate = estimated_simulation_s(program.resources(), shots)
            vectors = list(bindings(program, params))
            payload = program.ir
            if ray is not None and (len(vectors) > 1 or len(payload) > INLINE_BYTES):
                payload = ray.put(payload)  # once in the object store for all its items
            for vector in vectors:
                values = dict(zip(program.parameters, (float(v) for v in vector))) if program.parameters else None
                items.append(_Item(program, payload, values, index, estimate))
                index += 1
        return items

    def _place(self, items: list[_Item], needs: dict, strategy: str | None, shots: int) -> list[Placement]:
        lanes = usable(self.lanes(), needs)
        if strategy is None:
            chosen = _default_lane(lanes)
            for item in items:
                if chosen.lane.base_s(item.estimate_s, shots, item.program.num_qubits) is None:
                    raise LaneError(f"item {item.seed_index} needs {item.program.num_qubits} qubits; lane "
                                    f"{chosen.lane.name} has {chosen.lane.max_qubits}")
                item.lane = chosen.lane.name
            return [chosen]
        plan = self._plan(items, lanes, strategy, shots)
        for item, lane in zip(items, plan.assignment):
            item.lane = lane
        return lanes

    @staticmethod
    def _plan(items: list[_Item], placements: list[Placement], strategy: str, shots: int) -> Plan:
        try:
            return plan_batch([(i.estimate_s, shots, i.program.num_qubits) for i in items],
                              [p.lane for p in placements], strategy)[0]
        except ExecutionError as exc:
            raise LaneError(str(exc)) from None

    def _dispatch(self, placement: Placement, item: _Item, shots: int, seed: int):
        spec = {"id": uuid.uuid4().hex, "kind": "program", "shots": shots, "seed": seed,
                "seed_index": item.seed_index, "params": item.params, "priority": 0}
        if placement.kind == "qpu":
            return placement.actor.run.remote(item.payload, spec)
        resources = {"num_gpus": 1, "num_cpus": 0} if placement.kind == "gpu" else {"num_cpus": 1}
        task = self._task.options(max_retries=self.max_retries, **resources)
        return task.remote(placement.executor, placement.lane.name, item.payload, spec)

    def __repr__(self) -> str:
        return f"RayExecutor({self.address or 'local'!r}, executor={self.executor!r})"


def _default_lane(lanes: list[Placement]) -> Placement:
    """One lane for an unsplit batch: the GPU lane before the CPU lane, a QPU lane only when `requires` or
    `target` left nothing else."""
    order = {"gpu": 0, "cpu": 1, "qpu": 2}
    return min(lanes, key=lambda p: order[p.kind])


class RayJob(Job):
    """The Ray tasks of one submission; `result()` waits for all and returns them in order."""

    def __init__(self, executor: RayExecutor, refs: list, items: list[_Item], *, single: bool, seed: int, hook=None,
                 resend=None):
        self.executor = executor
        self.refs = refs
        self.items = items
        self.single = single
        self.seed = seed
        self.hook = hook  # the caller's `reporting_runs` callback: called as each item finishes
        self.id = f"ray-{uuid.uuid4().hex[:16]}"
        self._bodies: dict[int, dict] = {}
        self._resend = resend
        self.retried: dict[int, int] = {}  # item -> failed attempts sent again
        self._results: list[Result] | None = None
        self._cancelled = False
        self._failed: str | None = None
        self._lock = threading.Lock()

    @property
    def lanes(self) -> list[str]:
        return [item.lane for item in self.items]

    def status(self) -> JobStatus:
        settled = settled_status(self._results, self._failed, self._cancelled)
        if settled is not None:
            return settled
        ray = self.executor.ray()
        ready, _ = ray.wait(self.refs, num_returns=len(self.refs), timeout=0)
        if len(ready) == len(self.refs):
            try:
                self.result(timeout_s=0)
            except JobTimeoutError:  # an item failed in a way another attempt may cure: sent again
                return JobStatus.RUNNING
            except ExecutionError:
                return JobStatus.CANCELLED if self._cancelled else JobStatus.FAILED
            return JobStatus.DONE
        return JobStatus.RUNNING if ready else JobStatus.QUEUED

    def cancel(self) -> bool:
        ray = self.executor.ray()
        pending = [ref for k, ref in enumerate(self.refs) if k not in self._bodies]
        for ref in pending:
            try:
                ray.cancel(ref)
            except Exception as exc:  # noqa: BLE001 -- a task that already finished cannot be cancelled
                log.debug("cancel %s: %s", ref, exc)
        self._cancelled = bool(pending)
        return self._cancelled

    def result(self, timeout_s: float | None = None) -> Result | list[Result]:
        with self._lock:
            if self._results is None:
                wait = timeout_s if timeout_s is not None else self.executor.result_timeout_s
                self._results = self._wait(wait)
        return self._results[0] if self.single and len(self._results) == 1 else self._results

    def _wait(self, timeout_s: float | None) -> list[Result]:
        ray = self.executor.ray()
        end = None if timeout_s is None else time.monotonic() + timeout_s
        index_of = {ref: k for k, ref in enumerate(self.refs)}
        pending = [ref for k, ref in enumerate(self.refs) if k not in self._bodies]
        while pending:
            left = None if end is None else max(0.0, end - time.monotonic())
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_S if left is None
                                      else min(POLL_S, left), fetch_local=True)
            for ref in ready:
                k = index_of[ref]
                body = self._body(ray, ref, k)
                if body is None:  # a failure another attempt may cure: sent again
                    self.refs[k] = self._resend(self.items[k])
                    index_of[self.refs[k]] = k
                    pending.append(self.refs[k])
                    continue
                self._bodies[k] = body
                if self.hook is not None:
                    self.hook(k)
            if pending and end is not None and time.monotonic() >= end:
                raise JobTimeoutError(f"{len(pending)} of the {len(self.refs)} Ray tasks of job {self.id} have no "
                                      f"result after {timeout_s:g} s; wait longer or cancel() it")
        return [Result.from_dict(self._bodies[k]["result"]) for k in range(len(self.refs))]

    def _body(self, ray, ref, k: int) -> dict | None:
        from ray import exceptions as rx

        try:
            body = ray.get(ref)
        except rx.TaskCancelledError:
            self._cancelled = True
            raise JobCancelledError(f"Ray job {self.id} was cancelled (item {k} did not run)") from None
        except (rx.WorkerCrashedError, rx.ActorDiedError, rx.NodeDiedError) as exc:
            self._failed = str(exc)
            raise ExecutionError(f"item {k} of Ray job {self.id} lost its worker {self.executor.max_retries + 1} "
                                 f"time(s) (max_retries={self.executor.max_retries}): {_first_line(exc)}") from None
        except rx.RayTaskError as exc:
            self._failed = str(exc)
            cause = exc.cause if getattr(exc, "cause", None) is not None else exc
            raise ExecutionError(f"item {k} of Ray job {self.id} failed on lane {self.items[k].lane}: "
                                 f"{_first_line(cause)}") from None
        if not body.get("ok"):
            tries = self.retried.get(k, 0)
            if body.get("retry") and self._resend is not None and tries < self.executor.max_retries:
                self.retried[k] = tries + 1
                log.info("item %d of %s failed (%s); attempt %d", k, self.id, body.get("error"), tries + 2)
                return None
            self._failed = body.get("error") or "failed"
            raise ExecutionError(f"item {k} of Ray job {self.id} failed on lane {self.items[k].lane}: {self._failed}")
        return body


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["RayExecutor", "RayJob"]
