"""The broker's queue of waiting jobs, indexed by what the jobs require.

Jobs are grouped by their requirement signature (the exact `requires` map), and each group knows
which registered workers can run it, so finding work for a free worker looks only at groups that
worker can run: 20,000 jobs no worker can run cost dispatch nothing. Inside a group each user has
a heap in priority order (`key` = (-priority, arrival)), so a user at their running limit or shut
out by a reservation is skipped in one step, not job by job. Jobs waiting out a retry backoff sit
in a heap by time and join their group when due.

`scans` counts the candidates dispatch looked at (groups and heap heads), so tests can show the
cost does not grow with jobs that cannot run.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from qirrt.executors.distributed import protocol as P


def _lowered(values) -> set[str]:
    return {str(x).lower() for x in values}


# One predicate per requirement key: (wanted, capabilities, now) -> whether the worker meets it.
_REQUIREMENTS: dict[str, Callable[[object, dict, float | None], bool]] = {
    "executor": lambda wanted, caps, now: wanted in caps.get("executors", ()),
    "qubits": lambda wanted, caps, now: int(wanted) <= int(caps.get("max_qubits", 0)),
    "profile": lambda wanted, caps, now: wanted in caps.get("profiles", ()),
    "kind": lambda wanted, caps, now: wanted in caps.get("kinds", ("program",)),
    "packages": lambda wanted, caps, now: _lowered(wanted) <= _lowered(caps.get("packages", ())),
    "native_gates": lambda wanted, caps, now: _lowered(wanted) <= _lowered(caps.get("native_gates", ())),
    "mitigation": lambda wanted, caps, now: _lowered(wanted) <= _lowered(caps.get("mitigation", ())),
    "gpu": lambda wanted, caps, now: not bool(wanted) or bool(caps.get("gpu")),
    # a workload that needs the network: its worker's operator allows it
    "network": lambda wanted, caps, now: not bool(wanted) or bool(caps.get("workload_network")),
    "calibration_max_age_s": lambda wanted, caps, now: (caps.get("calibration_at") is not None and now is not None
                                                        and now - float(caps["calibration_at"]) <= float(wanted)),
    "worker": lambda wanted, caps, now: caps.get("name") == wanted,
    # a preference, not a constraint: `JobQueue` holds such a job for that worker while it is registered
    "prefer_worker": lambda wanted, caps, now: True,
    "lane": lambda wanted, caps, now: wanted in (caps.get("lane"), caps.get("lane_kind")),
    "target": lambda wanted, caps, now: (caps.get("target") is not None
                                         and target_key(str(wanted)) == target_key(str(caps["target"]))),
}


def target_key(name: str) -> str:
    """A device name as matching compares it: ``FakeKolkata``, ``fake_kolkata`` and ``FakeKolkataV2`` agree."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    key = key.removeprefix("fake")
    return key.removesuffix("v2")


def _unknown(wanted, capabilities: dict, now: float | None) -> bool:
    return False  # an unknown requirement is never met silently


def matches(requires: dict, capabilities: dict, *, now: float | None = None) -> bool:
    """True when a worker with `capabilities` can run a job that `requires` these things."""
    return all(_REQUIREMENTS.get(key, _unknown)(wanted, capabilities, now)
               for key, wanted in requires.items() if wanted is not None)


_TIMED = "calibration_max_age_s"  # the one requirement whose answer changes with the clock
_PREFER = "prefer_worker"  # the one whose answer changes with the workers registered


@dataclass
class QueueEntry:
    job_id: str
    user: str
    spec: dict
    key: tuple
    not_before: float
    checkpoint: bytes | None = None
    size: int = 0  # packed spec bytes, counted against the user's byte budget
    sig: bytes = b""


@dataclass
class _Group:
    sig: bytes
    requires: dict
    timed: bool
    heaps: dict[str, list] = field(default_factory=dict)  # user -> heap of (key, job id)
    live: int = 0  # queued entries (ready or delayed) in this group


@dataclass
class _Worker:
    capabilities: dict
    groups: dict[bytes, _Group] = field(default_factory=dict)  # groups it can run, clock aside


class JobQueue:
    def __init__(self) -> None:
        self.entries: dict[str, QueueEntry] = {}
        self.groups: dict[bytes, _Group] = {}
        self.delayed: list[tuple[float, tuple, str]] = []  # (not_before, key, job id)
        self.workers: dict[bytes, _Worker] = {}
        self.names: Counter = Counter()  # registered worker names, for `prefer_worker`
        self.user_count: defaultdict[str, int] = defaultdict(int)
        self.user_bytes: defaultdict[str, int] = defaultdict(int)
        self.scans = 0
        self._sorted_keys: list[tuple] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, job_id: str) -> bool:
        return job_id in self.entries

    def get(self, job_id: str) -> QueueEntry | None:
        return self.entries.get(job_id)

    def values(self):
        return self.entries.values()

    # -- workers ----------------------------------------------------------------------------------
    def add_worker(self, identity: bytes, capabilities: dict) -> None:
        self.remove_worker(identity)
        worker = self.workers[identity] = _Worker(capabilities)
        self.names[capabilities.get("name")] += 1
        for group in self.groups.values():
            if self._static_match(group, capabilities):
                worker.groups[group.sig] = group
        self._regroup_preferring(capabilities.get("name"))

    def remove_worker(self, identity: bytes) -> None:
        worker = self.workers.pop(identity, None)
        if worker is not None:
            name = worker.capabilities.get("name")
            self.names[name] -= 1
            if self.names[name] <= 0:
                del self.names[name]
                self._regroup_preferring(name)

    def _regroup_preferring(self, name) -> None:
        """Recompute which workers may run the groups that prefer worker `name` (it came or went)."""
        for group in self.groups.values():
            if group.requires.get(_PREFER) == name:
                for worker in self.workers.values():
                    if self._static_match(group, worker.capabilities):
                        worker.groups[group.sig] = group
                    else:
                        worker.groups.pop(group.sig, None)

    def _static_match(self, group: _Group, capabilities: dict) -> bool:
        requires = {k: v for k, v in group.requires.items() if k != _TIMED} if group.timed else group.requires
        return self.accepts(requires, capabilities)

    def accepts(self, requires: dict, capabilities: dict, *, now: float | None = None) -> bool:
        """`matches`, with `prefer_worker` honoured while the preferred worker is registered."""
        preferred = requires.get(_PREFER)
        if preferred is not None and preferred in self.names and capabilities.get("name") != preferred:
            return False
        return matches(requires, capabilities, now=now)

    # -- jobs -------------------------------------------------------------------------------------
    def push(self, entry: QueueEntry, now: float) -> None:
        requires = entry.spec.get("requires") or {}
        entry.sig = P.pack(sorted(requires.items()))
        group = self.groups.get(entry.sig)
        if group is None:
            group = self.groups[entry.sig] = _Group(entry.sig, requires, _TIMED in requires)
            for worker in self.workers.values():
                if self._static_match(group, worker.capabilities):
                    worker.groups[group.sig] = group
        group.live += 1
        self.entries[entry.job_id] = entry
        self.user_count[entry.user] += 1
        self.user_bytes[entry.user] += entry.size
        self._sorted_keys = None
        if entry.not_before > now:
            heapq.heappush(self.delayed, (entry.not_before, entry.key, entry.job_id))
        else:
            heapq.heappush(group.heaps.setdefault(entry.user, []), (entry.key, entry.job_id))

    def remove(self, job_id: str) -> QueueEntry | None:
        """Take a job out of the queue (started, cancelled); its heap slot is dropped lazily."""
        entry = self.entries.pop(job_id, None)
        if entry is None:
            return None
        self._sorted_keys = None
        self.user_count[entry.user] -= 1
        self.user_bytes[entry.user] -= entry.size
        if not self.user_count[entry.user]:
            del self.user_count[entry.user], self.user_bytes[entry.user]
        group = self.groups[entry.sig]
        group.live -= 1
        if not group.live:
            del self.groups[entry.sig]
            for worker in self.workers.values():
                worker.groups.pop(entry.sig, None)
        return entry

    def _release_due(self, now: float) -> None:
        delayed = self.delayed
        while delayed and delayed[0][0] <= now:
            _, key, job_id = heapq.heappop(delayed)
            entry = self.entries.get(job_id)
            if entry is not None and entry.key == key:
                heapq.heappush(self.groups[entry.sig].heaps.setdefault(entry.user, []), (key, job_id))

    def pop_for(self, identity: bytes, now: float, allowed: Callable[[str], bool]) -> QueueEntry | None:
        """The highest-priority job the worker `identity` can run now from a user `allowed` to start one."""
        self._release_due(now)
        worker = self.workers.get(identity)
        if worker is None or not worker.groups:
            return None
        entries, best, best_heap = self.entries, None, None
        for group in worker.groups.values():
            self.scans += 1
            if group.timed and not matches(group.requires, worker.capabilities, now=now):
                continue
            empty = []
            for user, heap in group.heaps.items():
                while heap and (entries.get(heap[0][1]) is None or entries[heap[0][1]].key != heap[0][0]):
                    heapq.heappop(heap)  # started or cancelled since it was pushed
                if not heap:
                    empty.append(user)
                    continue
                self.scans += 1
                if (best is None or heap[0] < best) and allowed(user):
                    best, best_heap = heap[0], heap
            for user in empty:
                del group.heaps[user]
        if best is None:
            return None
        heapq.heappop(best_heap)
        return self.remove(best[1])

    def queued_seconds(self, lane: str) -> float:
        """The estimated seconds of the queued jobs bound to `lane` (work a new batch waits behind there)."""
        return sum(float(entry.spec.get("estimated_duration_s") or 0.0) for entry in self.entries.values()
                   if (entry.spec.get("requires") or {}).get("lane") == lane)

    def position(self, job_id: str) -> int:
        """How many queued jobs come before this one (0 when it is not queued)."""
        entry = self.entries.get(job_id)
        if entry is None:
            return 0
        if self._sorted_keys is None:
            self._sorted_keys = sorted(e.key for e in self.entries.values())
        return bisect.bisect_left(self._sorted_keys, entry.key)
