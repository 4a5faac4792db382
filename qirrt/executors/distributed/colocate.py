"""Co-location (seed AD-11/AD-19): the simulator/QPU pair a session (a hybrid loop) keeps its jobs on.

A hybrid loop alternates simulator and QPU jobs, so its round trips matter more than any one lane's speed.
Every worker reports its ``host``; a QPU lane also reports ``adapter_latency_ms``, the round trip to its
device's API measured at registration. The pair is: the QPU worker with the lowest measured latency, and
a simulator worker on the same host as it (the fastest observed one there) — or, when no simulator runs
on that host, the fastest simulator worker anywhere (``same_host`` false). A session computes its pair
when it opens; its jobs that ask for a simulator lane then go to the pair's simulator worker, and those
that ask for the pair's QPU lane (or its target) to the pair's QPU worker — as ``prefer_worker``, a
preference the broker's queue honours while that worker is registered and drops once it is gone (the job
then runs on any worker of its lane). A job that names a worker, or no lane at all, is left alone.
`qirrt status --workers` prints the pair a session would choose now.
"""

from __future__ import annotations

import math

from qirrt.executors.distributed.jobqueue import target_key


def _latency(row: dict) -> float:
    value = (row.get("capabilities") or {}).get("adapter_latency_ms")
    return math.inf if value is None else float(value)


def choose_pair(workers: list[dict]) -> dict | None:
    """The pair for the registered `workers` (rows of the WORKERS reply), or None without a QPU and a
    simulator worker."""
    qpus = [w for w in workers if w.get("lane_kind") == "qpu"]
    simulators = [w for w in workers if w.get("lane_kind", "simulator") == "simulator"]
    if not qpus or not simulators:
        return None
    qpu = min(qpus, key=lambda w: (_latency(w), w["name"]))
    host = (qpu.get("capabilities") or {}).get("host")
    near = [w for w in simulators if host is not None and (w.get("capabilities") or {}).get("host") == host]
    simulator = min(near or simulators, key=lambda w: (float(w.get("speed", 1.0)), w["name"]))
    latency = _latency(qpu)
    return {"qpu": qpu["name"], "qpu_lane": qpu.get("lane"), "target": (qpu.get("capabilities") or {}).get("target"),
            "simulator": simulator["name"], "simulator_lane": simulator.get("lane"), "host": host,
            "same_host": bool(near), "adapter_latency_ms": None if math.isinf(latency) else latency}


def pin(requires: dict, pair: dict | None) -> dict:
    """`requires` of one session job, with the worker of the pair its lane asks for (a copy)."""
    if pair is None or requires.get("worker") is not None or requires.get("prefer_worker") is not None:
        return requires
    lane, target = requires.get("lane"), requires.get("target")
    out = dict(requires)
    if lane in ("simulator", pair["simulator_lane"]) and target is None:
        out["prefer_worker"] = pair["simulator"]
    elif (lane in ("qpu", pair["qpu_lane"]) or lane is None and target is not None) and \
            (target is None or pair["target"] is not None and target_key(target) == target_key(pair["target"])):
        out["prefer_worker"] = pair["qpu"]
    return out


__all__ = ["choose_pair", "pin"]
