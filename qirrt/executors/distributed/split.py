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

from collections.abc import Sequence
from dataclasses import dataclass, field

from qirrt.errors import ExecutionError


@dataclass(frozen=True)
class Lane:
    """A kind of worker: `requires` is what a job sent to it asks of the broker (e.g. an executor)."""

    name: str
    slots: int = 1
    queue_eta_s: float = 0.0
    requires: dict = field(default_factory=dict)


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


def submit_split(client, programs: Sequence, durations: Sequence[dict[str, float | None]],
                 lanes: Sequence[Lane], **options) -> tuple[Plan, list]:
    """Split `programs` with `split` and submit each to its lane (one SUBMIT message)."""
    plan = split(durations, lanes)
    by_name = {lane.name: lane for lane in lanes}
    specs = []
    for program, lane_name, estimates in zip(programs, plan.assignment, durations):
        lane = by_name[lane_name]
        specs.append(client._spec(program, requires=dict(lane.requires),
                                  estimated_duration_s=estimates[lane_name], **_defaults(options)))
    return plan, client.submit_specs(specs)


def _defaults(options: dict) -> dict:
    merged = {"shots": 1000, "seed": None, "priority": 0, "params": None, "max_attempts": None,
              "time_limit_s": None, "session": None}
    merged.update(options)
    return merged
