"""`Cluster`: a qirrt cluster (its broker) as an `Executor`, so `qirrt.run`, `run_batch`, mitigation and
`CompiledProgram.run` all run on it.

Every program × parameter binding of a submission becomes one job, carrying the submission's seed and its
place in the batch (`seed_index`), so a worker running the same executor samples exactly what a local run
of the whole batch would (`qirrt.executors.base.seed_for_index`). Results come back in order, each with
``metadata["worker"]`` and ``metadata["lane"]``.

``split="auto"`` has the broker divide the batch between its lanes (`lane.py`): a PLAN request, answered
with `split.plan_batch` on the broker's live view — the ETA model (resource estimate × each lane's observed
speed; a QPU's per-job time, shot rate and queue) plus the lane-bound work already queued there; a single
program's shots are cut into pieces and merged. ``split="round-robin"`` deals items to the lanes
in turn. Items pinned to a lane whose workers have all gone are cancelled there and split again over the
lanes left, so a lane that dies mid-batch loses nothing. `requires` (``{"lane": "qpu"}``, ...) and
`target` constrain which lanes an item may use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from qirrt.errors import ExecutionError, JobCancelledError, JobTimeoutError
from qirrt.executors.base import (
    Executor,
    Job,
    JobStatus,
    OnTarget,
    batch_submission,
    settled_status,
)
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.client import BrokerError, Client
from qirrt.executors.distributed.colocate import pin
from qirrt.executors.distributed.jobqueue import matches
from qirrt.executors.distributed.split import (
    Lane,
    Plan,
    lane_from_dict,
    lanes_from_workers,
    predict_finish,
)
from qirrt.qir.params import bindings
from qirrt.qir.resources import estimated_simulation_s
from qirrt.result import Result

SPLITS = (None, "none", "auto", "round-robin")


class SplitError(ExecutionError, ValueError):
    """A bad `split` or `requires`, or a batch no registered lane can run."""


@dataclass
class _Item:
    """One job of a submission: a program with one binding (or a share of its shots)."""

    program: Any
    params: dict | None
    seed_index: int
    shots: int
    part_of: int  # the result this item counts towards (a split program's shares merge into one)
    estimate_s: float
    job_id: str | None = None
    lane: str | None = None
    done_at: float | None = None
    result: Result | None = None
    durations: dict = field(default_factory=dict)


def check_requires(requires: Any) -> dict:
    """`requires` as the broker's schema accepts it, or a `SplitError` naming the bad key or value."""
    if requires is None:
        return {}
    if not isinstance(requires, dict):
        raise SplitError(f"requires must be a mapping such as {{'lane': 'qpu'}}, got {type(requires).__name__}")
    try:
        msgspec.convert(requires, P.Requires)
    except msgspec.ValidationError as exc:
        known = ", ".join(P.Requires.__struct_fields__)
        raise SplitError(f"requires {requires!r}: {exc} (known keys: {known})") from None
    return dict(requires)


def check_split(value: Any) -> str | None:
    if value not in SPLITS:
        raise SplitError(f"split must be 'auto', 'round-robin' or None, got {value!r}")
    return None if value == "none" else value


class Cluster(Executor):
    """The executor at a broker's `url`; `qirrt.connect(url, keys=..., key_name=...)` makes one.

    Besides the `Executor` interface it offers the client's calls (`workers()`, `status(ids)`, `session()`,
    `reserve(...)`, `submit_many(...)`) through `client`, and `estimate(programs, shots=...)`: the lanes,
    the plan and its predicted makespan, before anything runs.
    """

    name = "cluster"

    def __init__(self, url: str, *, keys: str | Path | tuple | None = None, key_name: str | None = None,
                 insecure_loopback: bool = False, user: str | None = None, timeout_s: float = 30.0,
                 result_timeout_s: float | None = None, poll_s: float = 0.2, client: Client | None = None):
        if key_name is not None and keys is not None and not isinstance(keys, tuple):
            keys = (keys, key_name)
        self.client = client or Client(url, keys=keys, insecure_loopback=insecure_loopback, user=user,
                                       timeout_s=timeout_s)
        self.url = self.client.url
        self.result_timeout_s = result_timeout_s
        self.poll_s = poll_s
        self.lock = threading.RLock()  # the client is not thread-safe; jobs poll it from any thread

    # -- the client's own calls -------------------------------------------------------------------
    def workers(self) -> list[dict]:
        with self.lock:
            return self.client.workers()

    def __getattr__(self, name: str):
        if name in ("status", "session", "reserve", "submit_many", "submit_specs", "results", "result", "cancel"):
            return getattr(self.client, name)
        raise AttributeError(name)

    def close(self) -> None:
        with self.lock:
            self.client.close()

    def __enter__(self) -> Cluster:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- Executor ---------------------------------------------------------------------------------
    def execute(self, programs, *, shots: int, seed: int | None, params: Any = None, **options) -> list[Result]:
        results = self.submit(programs, shots=shots, seed=seed, params=params, **options).result()
        return results if isinstance(results, list) else [results]

    def submit(self, programs, *, shots: int = 1000, seed: int | None = None, params: Any = None,
               split: str | None = None, requires: dict | None = None, target: Any = None, priority: int = 0,
               session: Any = None, **options) -> ClusterJob:
        """Queue `programs` (each × its parameter bindings) on the cluster and return at once.

        `split`: None (the broker gives each job to the first capable worker), ``"auto"`` (divide between
        the lanes to minimise the makespan) or ``"round-robin"``. `requires` constrains the workers
        (``{"lane": "qpu"}``, ``{"gpu": True}``); `target` asks for a QPU lane of that device."""
        programs, needs, seed = batch_submission("cluster executor", programs, shots=shots, seed=seed,
                                                 requires=requires, target=target, options=options,
                                                 known="split, requires, target, priority, session",
                                                 check_requires=check_requires)
        strategy = check_split(split)
        batch, single = self._batch(programs, params)
        items = self._items(batch, params, int(shots))
        job = ClusterJob(self, items, shots=int(shots), seed=int(seed), requires=needs, priority=int(priority),
                         strategy=strategy, single=single, session=session)
        job.start()
        return job

    def estimate(self, programs, *, shots: int | Sequence[int] = 1000, params: Any = None,
                 split: str | None = "auto", requires: dict | None = None) -> dict:
        """What a submission would do now: the lanes, each item's lane and predicted finish, the makespan,
        and its cost by the broker's price table (``cost``, ``cost_by_lane``, ``currency``; see `prices`).
        `shots` is one count for all, or one per program."""
        batch, _ = self._batch(programs, params)
        if isinstance(shots, int):
            items = self._items(batch, params, int(shots))
        else:
            if len(shots) != len(batch):
                raise ExecutionError(f"estimate: {len(shots)} shot counts for {len(batch)} programs; give one each")
            items = [i for program, count in zip(batch, shots)
                     for i in self._items([program], params, int(count))]
            for index, item in enumerate(items):
                item.seed_index = item.part_of = index
        lanes, plan = _broker_plan(self, check_requires(requires), items, check_split(split) or "auto")
        out = {"lanes": [lane.name for lane in lanes], "assignment": plan.assignment,
               "finish_s": plan.finish_s, "makespan_s": plan.makespan_s}
        out.update(self.cost_of(items, plan.assignment))
        return out

    def cost_of(self, items: list[_Item], assignment: list[str]) -> dict:
        """What `items` on the lanes of `assignment` cost by the broker's price table: ``cost`` (the total,
        None without a table), ``cost_by_lane`` and ``currency``. A GPU lane's GPU-seconds are its predicted
        seconds."""
        with self.lock:
            prices = self.client.prices()
            workers = self.client.workers()
        if prices is None:
            return {"cost": None, "cost_by_lane": {}, "currency": None}
        caps = {row["lane"]: row["capabilities"] for row in workers}
        by_lane: dict[str, float] = {}
        for item, lane in zip(items, assignment):
            seconds = item.durations.get(lane) or 0.0
            cost = prices.cost(caps.get(lane, {"lane": lane}), shots=item.shots, elapsed_s=seconds)
            by_lane[lane] = by_lane.get(lane, 0.0) + cost["total"]
        return {"cost": round(sum(by_lane.values()), 12), "cost_by_lane": {k: round(v, 12) for k, v in by_lane.items()},
                "currency": prices.currency}

    def for_target(self, target: Any) -> OnTarget:
        """This cluster running everything on a QPU lane of `target` (programs already compiled for it)."""
        return OnTarget(self, target)

    @staticmethod
    def _items(batch, params, shots: int) -> list[_Item]:
        items, index = [], 0
        for program in batch:
            estimate = estimated_simulation_s(program.resources(), shots)
            for vector in bindings(program, params):
                values = dict(zip(program.parameters, (float(v) for v in vector))) if program.parameters else None
                items.append(_Item(program, values, index, shots, index, estimate))
                index += 1
        return items

    def __repr__(self) -> str:
        return f"Cluster({self.url!r})"


def _broker_plan(cluster: Cluster, requires: dict, items: list[_Item], strategy: str) -> tuple[list[Lane], Plan]:
    """The broker's placement of `items` on its lanes (`split.plan_batch` run there, on its live view of the
    workers, their speeds and the lane-bound work queued); each item's per-lane estimate is kept on it."""
    with cluster.lock:
        try:
            reply = cluster.client.plan([(item.estimate_s, item.shots, item.program.num_qubits) for item in items],
                                        strategy=strategy, requires=requires)
        except BrokerError as exc:
            raise SplitError(str(exc)) from None
    for item, options in zip(items, reply["durations"]):
        item.durations = options
    return [lane_from_dict(lane) for lane in reply["lanes"]], Plan(reply["assignment"], reply["finish_s"],
                                                                   reply["makespan_s"])


class ClusterJob(Job):
    """The jobs of one submission to a `Cluster`; `result()` waits for all, in order."""

    def __init__(self, cluster: Cluster, items: list[_Item], *, shots: int, seed: int, requires: dict,
                 priority: int, strategy: str | None, single: bool, session: Any = None):
        self.cluster = cluster
        # a `client.Session` (its jobs count towards its cost, lane-bound ones go to its co-located pair) or an id
        self.session_id = getattr(session, "id", session)
        self.pair = getattr(session, "pair", None)
        self.items = items
        self.parts = len(items)
        self.shots = shots
        self.seed = seed
        self.requires = requires
        self.priority = priority
        self.strategy = strategy
        self.single = single
        self.plan: Plan | None = None
        self.lanes: dict[str, Lane] = {}  # the lanes of the broker's plan, by name
        self.predicted_finish_s: list[float] = []
        self.submitted_at = 0.0
        self.moved = 0  # items moved off a lane that died
        self._unpinned_lane: Lane | None = None
        self._cancelled = False
        self._failed: str | None = None
        self._results: list[Result] | None = None
        self.id = ""

    # -- submitting -------------------------------------------------------------------------------
    @staticmethod
    def usable_lanes(cluster: Cluster, requires: dict, items: list[_Item]) -> list[Lane]:
        now = time.time()
        lanes = lanes_from_workers(cluster.workers(), lambda caps: matches(requires, caps, now=now))
        if not lanes:
            raise SplitError(f"no registered worker meets {requires or 'the batch'}; start a worker "
                             f"(qirrt worker --executor local, or --adapter emulated:FakeKolkata) or relax requires")
        return lanes

    def start(self) -> None:
        with self.cluster.lock:
            if self.strategy is None:
                # unpinned: the broker picks the worker; its speed is observed against that lane's own model,
                # so an estimate is sent only when every lane the items may use is of one kind
                # (no lane yet is fine: the jobs wait in the broker's queue for a worker that can run them)
                now = time.time()
                lanes = lanes_from_workers(self.cluster.workers(), lambda caps: matches(self.requires, caps, now=now))
                if len({lane.kind for lane in lanes}) == 1:
                    self._unpinned_lane = lanes[0]
            else:
                if len(self.items) == 1 and self.items[0].shots > 1:
                    lanes = self.usable_lanes(self.cluster, self.requires, self.items)
                    if len(lanes) > 1:
                        self._cut_shots(lanes)
                lanes, self.plan = _broker_plan(self.cluster, self.requires, self.items, self.strategy)
                self.lanes = {lane.name: lane for lane in lanes}
                for item, lane in zip(self.items, self.plan.assignment):
                    item.lane = lane
                self.predicted_finish_s = predict_finish(self.plan.assignment, [i.durations for i in self.items],
                                                         lanes)
            self.submitted_at = time.monotonic()
            self._send(self.items)
        self.id = self.items[0].job_id if len(self.items) == 1 else f"{self.items[0].job_id}+{len(self.items) - 1}"

    def _cut_shots(self, lanes: list[Lane]) -> None:
        """One program's shots in pieces, one per slot of every lane (merged again in `result`)."""
        (item,) = self.items
        pieces = min(item.shots, sum(max(1, lane.slots) for lane in lanes))
        sizes = [item.shots // pieces + (1 if k < item.shots % pieces else 0) for k in range(pieces)]
        self.items = [_Item(item.program, item.params, k, size, 0,
                            estimated_simulation_s(item.program.resources(), size)) for k, size in enumerate(sizes)]

    def _send(self, items: list[_Item]) -> None:
        client = self.cluster.client
        specs = []
        for item in items:
            requires = dict(self.requires)
            base = None
            if item.lane is not None:
                requires["lane"] = item.lane
                base = self.lanes[item.lane].base_s(item.estimate_s, item.shots, item.program.num_qubits)
            elif self._unpinned_lane is not None:
                base = self._unpinned_lane.base_s(item.estimate_s, item.shots)
            if self.session_id is not None:
                requires = pin(requires, self.pair)
            spec = client._spec(item.program, shots=item.shots, seed=self.seed, priority=self.priority,
                                params=item.params, requires=requires, max_attempts=None, time_limit_s=None,
                                estimated_duration_s=base, session=self.session_id)
            if base is None:  # lanes of both kinds may take it: no estimate to learn a speed from
                spec.pop("estimated_duration_s", None)
            if item.seed_index:
                spec["seed_index"] = item.seed_index
            item.job_id = spec["id"]
            specs.append(spec)
        for start in range(0, len(specs), P.MAX_JOBS_PER_SUBMIT):
            client.submit_specs(specs[start:start + P.MAX_JOBS_PER_SUBMIT])

    # -- Job --------------------------------------------------------------------------------------
    def status(self) -> JobStatus:
        settled = settled_status(self._results, self._failed, self._cancelled)
        if settled is not None:
            return settled
        with self.cluster.lock:
            states = [row["state"] for row in self._status([i.job_id for i in self.items])]
        if any(s in ("failed",) for s in states):
            return JobStatus.FAILED
        if all(s == "done" for s in states):
            return JobStatus.DONE
        return JobStatus.RUNNING if any(s in ("running", "done") for s in states) else JobStatus.QUEUED

    def cancel(self) -> bool:
        with self.cluster.lock:
            cancelled = [self.cluster.client.cancel(i.job_id) for i in self.items if i.result is None]
        self._cancelled = all(cancelled)
        return self._cancelled

    def _status(self, ids: list[str]) -> list[dict]:
        rows = []
        for start in range(0, len(ids), P.MAX_STATUS_JOBS):
            rows += self.cluster.client.status(ids[start:start + P.MAX_STATUS_JOBS])
        return rows

    def result(self, timeout_s: float | None = None) -> Result | list[Result]:
        if self._results is None:
            self._results = self._wait(timeout_s if timeout_s is not None else self.cluster.result_timeout_s)
        return self._results[0] if self.single and len(self._results) == 1 else self._results

    def _wait(self, timeout_s: float | None) -> list[Result]:
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            with self.cluster.lock:
                pending = self._poll()
            if not pending:
                return self._assemble()
            if end is not None and time.monotonic() >= end:
                raise JobTimeoutError(f"{len(pending)} of the {len(self.items)} jobs of this cluster submission have "
                                      f"no result after {timeout_s:g} s; wait longer or cancel() them")
            time.sleep(self.cluster.poll_s)

    def _poll(self) -> list[_Item]:
        """Collect what finished; move what waits on a lane that is gone. The items still pending."""
        pending = [i for i in self.items if i.result is None]
        if not pending:
            return []
        rows = self._status([i.job_id for i in pending])
        done = [i for i, row in zip(pending, rows) if row["state"] == "done"]
        for item, row in zip(pending, rows):
            if row["state"] in ("failed", "cancelled", "unknown"):
                self._failed = row.get("error") or row["state"]
                raise (JobCancelledError if row["state"] == "cancelled" else ExecutionError)(
                    f"cluster job {item.job_id} (item {item.part_of}) {row['state']}: {self._failed}")
        if done:
            results = self.cluster.client.results([i.job_id for i in done], timeout_s=60)
            now = time.monotonic()
            for item, result in zip(done, results):
                item.result, item.done_at = result, now
        pending = [i for i in pending if i.result is None]
        if self.plan is not None and pending:
            self._move_off_dead_lanes(pending, {row["id"]: row["state"] for row in rows})
        return pending

    def _move_off_dead_lanes(self, pending: list[_Item], states: dict) -> None:
        workers = self.cluster.workers()
        alive = {row["lane"] for row in workers}
        # a lost co-location partner needs nothing here: the broker drops a `prefer_worker` that has gone
        stranded = [i for i in pending if i.lane not in alive and states.get(i.job_id) == "queued"]
        if not stranded:
            return
        moved = [i for i in stranded if self.cluster.client.cancel(i.job_id)]
        if not moved:
            return
        lanes, plan = _broker_plan(self.cluster, self.requires, moved, self.strategy or "auto")
        self.lanes.update((lane.name, lane) for lane in lanes)
        for item, lane in zip(moved, plan.assignment):
            item.lane = lane
        self._send(moved)
        self.moved += len(moved)

    def _assemble(self) -> list[Result]:
        by_part: dict[int, list[_Item]] = {}
        for item in self.items:
            by_part.setdefault(item.part_of, []).append(item)
        out = []
        for part in sorted(by_part):
            pieces = by_part[part]
            result = pieces[0].result if len(pieces) == 1 else _merge([p.result for p in pieces])
            out.append(result)
        return out

    def finish_times_s(self) -> list[float]:
        """Each item's finish as observed by the client (seconds after submission; poll granularity)."""
        return [(i.done_at or self.submitted_at) - self.submitted_at for i in self.items]


def _merge(results: Sequence[Result]) -> Result:
    """One program's shots, run in pieces on several lanes, as one `Result`."""
    counts: dict[str, int] = {}
    for r in results:
        for key, value in r.counts.items():
            counts[key] = counts.get(key, 0) + int(value)
    first = results[0]
    metadata = dict(first.metadata)
    metadata["pieces"] = [{"worker": r.metadata.get("worker"), "lane": r.metadata.get("lane"), "shots": r.shots}
                          for r in results]
    metadata["lane"] = sorted({str(r.metadata.get("lane")) for r in results})
    metadata["worker"] = sorted({str(r.metadata.get("worker")) for r in results})
    memory = None
    if all(r.memory is not None for r in results):
        memory = [m for r in results for m in r.memory]
    return Result(counts=counts, shots=sum(r.shots for r in results), memory=memory, metadata=metadata,
                  output_schema=first.output_schema)


def connect(url: str, *, keys: str | Path | tuple | None = None, key_name: str | None = None,
            insecure_loopback: bool = False, **options) -> Cluster:
    """The cluster at `url` as an executor: CurveZMQ with the key pair `key_name` in the directory `keys`,
    or `insecure_loopback=True` for a broker on this machine without keys."""
    return Cluster(url, keys=keys, key_name=key_name, insecure_loopback=insecure_loopback, **options)


__all__ = ["Cluster", "ClusterJob", "SplitError", "check_requires", "check_split", "connect"]
