"""The broker's indexed queue picks exactly what a scan of every queued job would pick."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from qirrt.executors.distributed.jobqueue import JobQueue, QueueEntry, matches

REQUIRES = [{}, {"executor": "aer"}, {"qubits": 5}, {"qubits": 40}, {"gpu": True}, {"executor": "aer", "qubits": 5},
            {"calibration_max_age_s": 10.0}, {"worker": "w1"}, {"network": True}]
CAPABILITIES = [
    {"name": "w0", "executors": ["local"], "max_qubits": 30},
    {"name": "w1", "executors": ["aer"], "max_qubits": 10, "gpu": True, "calibration_at": 100.0},
    {"name": "w2", "executors": ["aer", "local"], "max_qubits": 64, "workload_network": True},
]
USERS = ["alice", "bob", "carol"]

ops = st.lists(st.one_of(
    st.tuples(st.just("push"), st.sampled_from(range(len(REQUIRES))), st.sampled_from(USERS), st.integers(-2, 2),
              st.sampled_from([0.0, 0.0, 105.0, 120.0])),
    st.tuples(st.just("remove"), st.integers(0, 60)),
    st.tuples(st.just("pop"), st.sampled_from(range(len(CAPABILITIES))), st.sets(st.sampled_from(USERS)),
              st.sampled_from([100.0, 108.0, 115.0])),
    st.tuples(st.just("worker"), st.sampled_from(range(len(CAPABILITIES))), st.booleans()),
), max_size=80)


def _reference(entries: dict, capabilities: dict, now: float, allowed) -> str | None:
    """The old dispatch: scan every queued job in priority order, take the first this worker can run."""
    for entry in sorted(entries.values(), key=lambda e: e.key):
        if entry.not_before <= now and allowed(entry.user) and matches(entry.spec.get("requires") or {},
                                                                        capabilities, now=now):
            return entry.job_id
    return None


@settings(max_examples=300, deadline=None)
@given(ops)
def test_indexed_queue_matches_a_full_scan(operations):
    queue, counter, ids = JobQueue(), itertools.count(), []
    registered: set[int] = set()
    clock = 100.0  # the broker's clock only moves forward
    for op in operations:
        if op[0] == "push":
            _, req, user, priority, not_before = op
            job_id = f"job{len(ids)}"
            ids.append(job_id)
            spec = {"requires": dict(REQUIRES[req])} if REQUIRES[req] else {}
            queue.push(QueueEntry(job_id, user, spec, (-priority, next(counter)), not_before, None, 10), 100.0)
        elif op[0] == "remove":
            if ids:
                queue.remove(ids[op[1] % len(ids)])
        elif op[0] == "worker":
            _, index, add = op
            if add:
                queue.add_worker(bytes([index]), CAPABILITIES[index])
                registered.add(index)
            else:
                queue.remove_worker(bytes([index]))
                registered.discard(index)
        else:
            _, index, users, now = op
            now = clock = max(clock, now)
            allowed = users.__contains__
            expected = _reference(queue.entries, CAPABILITIES[index], now, allowed) if index in registered else None
            got = queue.pop_for(bytes([index]), now, allowed)
            assert (got.job_id if got else None) == expected
        assert sum(queue.user_count.values()) == len(queue.entries)
        assert sum(queue.user_bytes.values()) == 10 * len(queue.entries)
        assert sum(g.live for g in queue.groups.values()) == len(queue.entries)


def _entry(job_id: str, requires: dict) -> QueueEntry:
    return QueueEntry(job_id, "alice", {"requires": requires}, (0, job_id), 0.0)


def test_prefer_worker_holds_a_job_for_that_worker_only_while_it_is_registered():
    queue = JobQueue()
    queue.add_worker(b"0", CAPABILITIES[0])
    queue.add_worker(b"1", CAPABILITIES[1])
    queue.push(_entry("j1", {"prefer_worker": "w1"}), now=0.0)
    queue.push(_entry("j2", {"prefer_worker": "w1"}), now=0.0)
    assert queue.pop_for(b"0", 0.0, lambda user: True) is None  # w1 is there: the job waits for it
    assert queue.pop_for(b"1", 0.0, lambda user: True).job_id == "j1"
    queue.remove_worker(b"1")  # w1 left: anyone may take what it was preferred for
    assert queue.pop_for(b"0", 0.0, lambda user: True).job_id == "j2"
    queue.push(_entry("j3", {"prefer_worker": "w1", "executor": "aer"}), now=0.0)
    queue.add_worker(b"2", CAPABILITIES[2])
    queue.add_worker(b"1", CAPABILITIES[1])  # back again: only w1 may take it, though w2 could run it
    assert queue.pop_for(b"2", 0.0, lambda user: True) is None
    assert queue.pop_for(b"1", 0.0, lambda user: True).job_id == "j3"


def test_prefer_worker_for_a_worker_never_registered_is_no_constraint():
    queue = JobQueue()
    queue.add_worker(b"0", CAPABILITIES[0])
    queue.push(_entry("j", {"prefer_worker": "gone", "qubits": 5}), now=0.0)
    assert matches({"prefer_worker": "gone"}, CAPABILITIES[0])
    assert queue.pop_for(b"0", 0.0, lambda user: True).job_id == "j"
