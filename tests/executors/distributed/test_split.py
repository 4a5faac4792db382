from __future__ import annotations

import itertools
import random

import pytest

from qirrt.errors import ExecutionError
from qirrt.executors.distributed.split import Lane, split


def _optimum(durations, lanes):
    slots = [(lane.name, k, lane.queue_eta_s) for lane in lanes for k in range(lane.slots)]
    best = float("inf")
    for choice in itertools.product(range(len(slots)), repeat=len(durations)):
        load = {i: slots[i][2] for i in range(len(slots))}
        ok = True
        for item, slot in enumerate(choice):
            value = durations[item].get(slots[slot][0])
            if value is None:
                ok = False
                break
            load[slot] += value
        if ok:
            best = min(best, max(load.values()))
    return best


def test_fast_gpu_takes_most_work_but_not_all():
    lanes = [Lane("gpu", slots=1), Lane("qpu", slots=1, queue_eta_s=5.0)]
    durations = [{"gpu": 1.0, "qpu": 2.0}] * 10
    plan = split(durations, lanes)
    # gpu alone: 10 s; with the qpu free after 5 s it takes two: 8 + (5 + 4) -> makespan 9... or better
    assert plan.makespan_s == pytest.approx(_optimum(durations, lanes))
    assert 0 < len(plan.items_for("qpu")) < len(plan.items_for("gpu"))


def test_items_only_one_lane_can_run():
    lanes = [Lane("gpu"), Lane("qpu")]
    durations = [{"gpu": None, "qpu": 3.0}, {"gpu": 1.0, "qpu": None}, {"gpu": 2.0, "qpu": 2.0}]
    plan = split(durations, lanes)
    assert plan.assignment[0] == "qpu" and plan.assignment[1] == "gpu"
    with pytest.raises(ExecutionError, match="item 0 can run on none of the lanes gpu, qpu"):
        split([{"gpu": None, "qpu": None}], lanes)


@pytest.mark.parametrize("seed", range(12))
def test_close_to_the_exhaustive_optimum(seed):
    rng = random.Random(seed)
    lanes = [Lane("gpu", slots=rng.choice([1, 2]), queue_eta_s=rng.uniform(0, 3)),
             Lane("qpu", slots=1, queue_eta_s=rng.uniform(0, 10))]
    durations = [{"gpu": rng.uniform(0.5, 5), "qpu": rng.uniform(0.2, 3)} for _ in range(6)]
    plan = split(durations, lanes)
    optimum = _optimum(durations, lanes)
    assert plan.makespan_s <= optimum * 1.25 + 1e-9
    assert plan.makespan_s >= optimum - 1e-9
