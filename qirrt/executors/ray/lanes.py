"""The lanes of a Ray cluster, in the split planner's terms (`distributed.split.Lane`), and how each runs an item.

A **CPU lane** ``simulator:<executor>`` runs items as Ray tasks of one CPU each; its slots are the
cluster's CPUs. A **GPU lane** ``simulator:<executor>:gpu`` runs them as ``num_gpus=1`` tasks, one slot per
GPU; it exists only where the cluster has GPUs. A **QPU lane** ``qpu:<device>`` is one actor per adapter
(`device.DeviceActor`) with one slot, its timing and queue from the adapter, as a ZeroMQ worker would
advertise them (`distributed.lane.describe_lane`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qirrt.errors import ExecutionError
from qirrt.executors.distributed.jobqueue import matches
from qirrt.executors.distributed.lane import SIMULATOR_TASK_OVERHEAD_S
from qirrt.executors.distributed.split import Lane

REQUIRES_KEYS = ("lane", "gpu", "target")


class LaneError(ExecutionError, ValueError):
    """A `requires`, `target` or `gpu` no lane of the Ray cluster can meet."""


@dataclass(frozen=True)
class Placement:
    """A lane and what runs its items: ``cpu``/``gpu`` tasks of `executor`, or the ``qpu`` `actor`."""

    lane: Lane
    kind: str
    executor: str
    actor: Any = None
    target: str | None = None


def simulator_lanes(executor: str, label: str, resources: dict, gpu: Any, gpu_executor: str | None) -> list[Placement]:
    """The CPU lane, and the GPU lane when `gpu` allows one and the cluster has GPUs (`gpu=True` insists)."""
    cpus = int(resources.get("CPU", 0))
    gpus = int(resources.get("GPU", 0))
    if gpu is True and gpus < 1:
        raise LaneError("gpu=True, but the Ray cluster has no GPU; add a GPU worker group, or use gpu='auto' "
                        "(GPU tasks where there are GPUs, CPU tasks otherwise)")
    lanes = [Placement(Lane(f"simulator:{label}", slots=max(1, cpus), requires={"lane": f"simulator:{label}"},
                            task_overhead_s=SIMULATOR_TASK_OVERHEAD_S), "cpu", executor)]
    if gpu is not False and gpus >= 1:
        name = f"simulator:{label}:gpu"
        lanes.append(Placement(Lane(name, slots=gpus, requires={"lane": name, "gpu": True},
                                    task_overhead_s=SIMULATOR_TASK_OVERHEAD_S), "gpu", gpu_executor or executor))
    return lanes


def qpu_lane(caps: dict, adapter: str, actor: Any) -> Placement:
    """The lane of one device actor, from its `describe()`."""
    lane = Lane(caps["lane"], slots=1, requires={"lane": caps["lane"]}, kind="qpu",
                task_overhead_s=float(caps.get("task_overhead_s") or 0.0), shots_per_s=caps.get("shots_per_s"),
                max_qubits=caps.get("max_qubits"), queue_eta_s=float(caps.get("queue_wait_s") or 0.0))
    return Placement(lane, "qpu", adapter, actor, caps.get("target"))


def check_requires(requires: Any) -> dict:
    """`requires` as a dict with known keys only, or a `LaneError` naming the bad one."""
    if requires is None:
        return {}
    if not isinstance(requires, dict):
        raise LaneError(f"requires must be a mapping such as {{'lane': 'qpu:FakeKolkata'}} or {{'gpu': True}}, "
                        f"got {type(requires).__name__}")
    unknown = sorted(str(k) for k in set(requires) - set(REQUIRES_KEYS))
    if unknown:
        raise LaneError(f"unknown requires key(s) {', '.join(unknown)} for the Ray executor; known: "
                        f"{', '.join(REQUIRES_KEYS)}")
    if "gpu" in requires and not isinstance(requires["gpu"], bool):
        raise LaneError(f"requires['gpu'] is True or False, got {requires['gpu']!r}")
    for key in ("lane", "target"):
        if key in requires and not isinstance(requires[key], str):
            raise LaneError(f"requires[{key!r}] is a lane or device name, got {requires[key]!r}")
    return dict(requires)


def usable(placements: list[Placement], requires: dict) -> list[Placement]:
    """The lanes that meet `requires`, read as the ZeroMQ broker reads it (`jobqueue.matches`: a lane name or
    kind, a device under any of its spellings); a `LaneError` listing the lanes there are when none does.
    `gpu` picks the kind of simulator lane here: True a GPU lane, False a CPU one."""
    rest = {k: v for k, v in requires.items() if k != "gpu"}
    out = [p for p in placements if matches(rest, _capabilities(p))
           and ("gpu" not in requires or (p.kind == "gpu") == requires["gpu"])]
    if not out:
        have = ", ".join(p.lane.name for p in placements)
        raise LaneError(f"no lane of the Ray cluster meets {requires} (lanes: {have}); a QPU lane needs "
                        f"adapters=['emulated:<device>'], a GPU lane a GPU in the cluster")
    return out


def _capabilities(placement: Placement) -> dict:
    """A lane's capabilities as a ZeroMQ worker of it would advertise the ones `requires` can name."""
    return {"name": placement.lane.name, "lane": placement.lane.name, "lane_kind": placement.lane.kind,
            "target": placement.target}


__all__ = ["LaneError", "Placement", "check_requires", "qpu_lane", "simulator_lanes", "usable"]
