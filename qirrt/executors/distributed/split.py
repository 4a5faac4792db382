"""Splitting a batch between GPU-simulation and QPU-adapter workers to minimise the makespan (AD-7).

Each `Lane` is a kind of worker (a GPU simulator pool, one QPU adapter) with some parallel `slots`
and a `queue_eta_s` until its queue drains. Each item (a circuit of a batch, or one of the circuits
a mitigation pass expands into) has an estimated duration per lane, from resource estimation and the
workers' observed speed; `None` where the lane cannot run it (too many qubits for the simulator, a
gate the QPU lacks).

`split` is longest-processing-time-first onto the earliest-finishing slot, followed by a bounded
local search that moves and swaps items off the critical slot while that shortens the makespan. It
is a heuristic for a problem that is NP-hard (scheduling on unrelated machines); the tests compare it
with the exhaustive optimum on small batches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from qirrt.errors import ExecutionError


@dataclass(frozen=True)
class Lane:
    """A kind of worker: `requires` is what a job sent to it asks of the broker (e.g. an executor).

    The ETA model: an item takes ``speed × base`` seconds on a lane, where `base` is the program's
    resource estimate on a simulator lane and ``task_overhead_s + shots / shots_per_s`` on a QPU lane,
    and `speed` is what the broker observed (seconds taken per estimated second)."""

    name: str
    slots: int = 1
    queue_eta_s: float = 0.0
    requires: dict = field(default_factory=dict)
    kind: str = "simulator"
    speed: float = 1.0
    task_overhead_s: float = 0.0
    shots_per_s: float | None = None
    max_qubits: int | None = None

    def base_s(self, estimate_s: float, shots: int, qubits: int = 0) -> float | None:
        """An item's unscaled estimate here (what the job tells the broker), or None if it cannot run here."""
        if self.max_qubits is not None and qubits > self.max_qubits:
            return None
        if self.kind == "qpu":
            return self.task_overhead_s + shots / (self.shots_per_s or 1.0)
        return estimate_s + self.task_overhead_s

    def seconds(self, estimate_s: float, shots: int, qubits: int = 0) -> float | None:
        base = self.base_s(estimate_s, shots, qubits)
        return None if base is None else base * self.speed


def lanes_from_workers(workers: Sequence[dict], keep=lambda capabilities: True) -> list[Lane]:
    """The lanes of the registered workers (`Client.workers()` rows) whose capabilities pass `keep`:
    slots summed, speed averaged, a QPU's timing and queue from its descriptor."""
    grouped: dict[str, list[dict]] = {}
    for row in workers:
        if keep(row["capabilities"]):
            grouped.setdefault(row["lane"], []).append(row)
    lanes = []
    for name, rows in sorted(grouped.items()):
        caps = rows[0]["capabilities"]
        qpu = rows[0]["lane_kind"] == "qpu"
        lanes.append(Lane(name, slots=sum(int(r["slots"]) for r in rows), requires={"lane": name},
                          kind="qpu" if qpu else "simulator",
                          speed=sum(float(r["speed"]) for r in rows) / len(rows),
                          task_overhead_s=float(caps.get("task_overhead_s") or (0.0 if not qpu else 2.0)),
                          shots_per_s=caps.get("shots_per_s"), max_qubits=caps.get("max_qubits"),
                          queue_eta_s=float(caps.get("queue_wait_s") or 0.0) if qpu else 0.0))
    return lanes


@dataclass
class Plan:
    """Which items go to which lane, when each lane's slots finish, and the makespan."""

    assignment: list[str]  # lane name per item
    finish_s: dict[str, float]  # the latest finish time of each lane
    makespan_s: float

    def items_for(self, lane: str) -> list[int]:
        return [i for i, name in enumerate(self.assignment) if name == lane]


def split(durations: Sequence[dict[str, float | None]], lanes: Sequence[Lane], *,
          max_rounds: int = 200) -> Plan:
    """Assign each item to a lane; `durations[i][lane.name]` is item i's estimated seconds there."""
    if not lanes:
        raise ExecutionError("split needs at least one lane")
    by_name = {lane.name: lane for lane in lanes}
    slots = [(lane.name, k) for lane in lanes for k in range(max(1, lane.slots))]
    ready = {slot: by_name[slot[0]].queue_eta_s for slot in slots}
    for index, options in enumerate(durations):
        if not any(options.get(lane.name) is not None for lane in lanes):
            raise ExecutionError(f"item {index} can run on none of the lanes {', '.join(by_name)}")

    def cost(index: int, slot) -> float | None:
        value = durations[index].get(slot[0])
        return None if value is None else float(value)

    order = sorted(range(len(durations)),
                   key=lambda i: -min(v for v in durations[i].values() if v is not None))
    load = dict(ready)
    placed: dict[int, tuple] = {}
    for index in order:
        best = min((slot for slot in slots if cost(index, slot) is not None),
                   key=lambda slot: (load[slot] + cost(index, slot), slot))
        placed[index] = best
        load[best] += cost(index, best)

    # Local search: move or swap an item off the slot that finishes last while that helps.
    for _ in range(max_rounds):
        if not _improve_once(placed, load, slots, cost):
            break

    finish = {lane.name: max(load[slot] for slot in slots if slot[0] == lane.name) for lane in lanes}
    assignment = [placed[i][0] for i in range(len(durations))]
    return Plan(assignment, finish, max(load.values()) if load else 0.0)


def _improve_once(placed: dict, load: dict, slots: list, cost) -> bool:
    """Move or swap one item off the slot that finishes last if that lowers the makespan; whether it did."""
    critical = max(slots, key=lambda slot: load[slot])
    for index in [i for i, slot in placed.items() if slot == critical]:
        for target in slots:
            if target == critical or cost(index, target) is None:
                continue
            if (_try_move(index, critical, target, placed, load, cost)
                    or _try_swap(index, critical, target, placed, load, cost)):
                return True
    return False


def _try_move(index: int, critical, target, placed: dict, load: dict, cost) -> bool:
    """Move item `index` from `critical` to `target` if both then finish before the makespan."""
    makespan = load[critical]
    moved = load[target] + cost(index, target)
    if not (moved < makespan - 1e-12 and load[critical] - cost(index, critical) < makespan - 1e-12):
        return False
    load[critical] -= cost(index, critical)
    load[target] = moved
    placed[index] = target
    return True


def _try_swap(index: int, critical, target, placed: dict, load: dict, cost) -> bool:
    """Swap item `index` on `critical` with an item on `target` if that lowers both below the makespan."""
    makespan = load[critical]
    for other in [j for j, slot in placed.items() if slot == target]:
        if cost(other, critical) is None:
            continue
        new_critical = load[critical] - cost(index, critical) + cost(other, critical)
        new_target = load[target] - cost(other, target) + cost(index, target)
        if max(new_critical, new_target) < makespan - 1e-12:
            load[critical], load[target] = new_critical, new_target
            placed[index], placed[other] = target, critical
            return True
    return False


def round_robin(durations: Sequence[dict[str, float | None]], lanes: Sequence[Lane]) -> Plan:
    """Items dealt to the lanes in turn (skipping a lane that cannot run one): the baseline `split` beats."""
    if not lanes:
        raise ExecutionError("round-robin needs at least one lane")
    assignment, turn = [], 0
    for index, options in enumerate(durations):
        for k in range(len(lanes)):
            lane = lanes[(turn + k) % len(lanes)]
            if options.get(lane.name) is not None:
                assignment.append(lane.name)
                turn = (turn + k + 1) % len(lanes)
                break
        else:
            raise ExecutionError(f"item {index} can run on none of the lanes {', '.join(x.name for x in lanes)}")
    return plan_of(assignment, durations, lanes)


def plan_of(assignment: list[str], durations: Sequence[dict[str, float | None]], lanes: Sequence[Lane]) -> Plan:
    """The `Plan` of a given assignment, its finish times from `predict_finish`."""
    finish = predict_finish(assignment, durations, lanes)
    by_lane = {lane.name: lane.queue_eta_s for lane in lanes}
    for name, end in zip(assignment, finish):
        by_lane[name] = max(by_lane[name], end)
    return Plan(list(assignment), by_lane, max(finish, default=0.0))


def predict_finish(assignment: Sequence[str], durations: Sequence[dict[str, float | None]],
                   lanes: Sequence[Lane]) -> list[float]:
    """Each item's predicted finish (seconds from submission) when every lane's slots take its items in
    submission order, as the broker's queue hands them out."""
    free = {lane.name: [lane.queue_eta_s] * max(1, lane.slots) for lane in lanes}
    out = []
    for index, name in enumerate(assignment):
        slots = free[name]
        k = min(range(len(slots)), key=slots.__getitem__)
        slots[k] += float(durations[index][name])
        out.append(slots[k])
    return out


def plan_batch(items: Sequence[tuple[float, int, int]], lanes: Sequence[Lane], strategy: str
               ) -> tuple[Plan, list[dict[str, float | None]]]:
    """Place `items` — (simulation estimate in seconds, shots, qubits) each — on `lanes` by `strategy`
    (``"auto"``: `split`; ``"round-robin"``), with each item's estimated seconds on every lane."""
    durations = [{lane.name: lane.seconds(estimate_s, shots, qubits) for lane in lanes}
                 for estimate_s, shots, qubits in items]
    if strategy == "round-robin":
        return round_robin(durations, lanes), durations
    return plan_of(split(durations, lanes).assignment, durations, lanes), durations


def lane_to_dict(lane: Lane) -> dict:
    return dataclasses.asdict(lane)


def lane_from_dict(data: dict) -> Lane:
    return Lane(**data)
