"""The store on its own: idempotent submission, exactly one accepted result, stale attempts refused."""

from __future__ import annotations

import uuid

import pytest

from qirrt.executors.distributed.store import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Store,
    StoreError,
)


def _spec(**changes):
    spec = {"id": uuid.uuid4().hex, "kind": "program", "program": "ir", "shots": 10}
    spec.update(changes)
    return spec


@pytest.fixture
def store(tmp_path):
    made = Store(tmp_path / "s.db")
    yield made
    made.close()


def test_submission_is_idempotent_per_user(store):
    spec = _spec()
    row, created = store.add_job(spec, user="alice", now=1.0, default_max_attempts=3)
    again, created_again = store.add_job(spec, user="alice", now=2.0, default_max_attempts=3)
    assert created and not created_again and again.id == row.id and again.submitted_at == 1.0
    with pytest.raises(StoreError, match="is taken; submit with a fresh id"):
        store.add_job(spec, user="bob", now=3.0, default_max_attempts=3)
    store.commit()
    assert store.count() == 1


def test_exactly_one_result_and_stale_attempts_refused(store):
    spec = _spec()
    store.add_job(spec, user="alice", now=0.0, default_max_attempts=3)
    assert store.start_attempt(spec["id"], "w1", 1.0) == 1
    assert store.end_attempt(spec["id"], 1, error="worker lost", retry_at=2.0, now=1.5) == QUEUED
    assert store.start_attempt(spec["id"], "w2", 2.0) == 2
    assert not store.accept_result(spec["id"], 1, "w1", b"stale", 3.0)  # the old attempt
    assert store.accept_result(spec["id"], 2, "w2", b"good", 3.0)
    assert not store.accept_result(spec["id"], 2, "w2", b"again", 4.0)  # a duplicate
    row = store.get(spec["id"])
    assert (row.state, row.result, row.result_worker, row.attempt) == (DONE, b"good", "w2", 2)
    assert [r[:2] for r in store.refusals()] == [(spec["id"], 1), (spec["id"], 2)]
    with pytest.raises(StoreError, match="is not queued"):
        store.start_attempt(spec["id"], "w3", 5.0)


def test_attempts_run_out(store):
    spec = _spec(max_attempts=2)
    store.add_job(spec, user="alice", now=0.0, default_max_attempts=5)
    store.start_attempt(spec["id"], "w", 0.0)
    assert store.end_attempt(spec["id"], 1, error="boom", retry_at=1.0, now=0.5) == QUEUED
    store.start_attempt(spec["id"], "w", 1.0)
    assert store.end_attempt(spec["id"], 2, error="boom", retry_at=2.0, now=1.5) == FAILED
    assert store.end_attempt(spec["id"], 2, error="late", retry_at=2.0, now=1.6) is None


def test_uncommitted_submission_is_not_there_after_a_crash(tmp_path):
    first = Store(tmp_path / "s.db")
    kept, lost = _spec(), _spec()
    first.add_job(kept, user="a", now=0.0, default_max_attempts=1)
    first.commit()
    first.add_job(lost, user="a", now=0.0, default_max_attempts=1)
    first.db.close()  # no commit: the second submission was never acknowledged
    first._stop_checkpoints.set()
    second = Store(tmp_path / "s.db")
    assert [row.id for row in second.jobs_in(QUEUED, RUNNING)] == [kept["id"]]
    second.close()


def test_a_version_1_store_is_migrated(tmp_path):
    """A store an older qirrt wrote gains jobs.worker_deaths and worker_names, its jobs intact."""
    import sqlite3

    path = tmp_path / "old.db"
    made = Store(path)
    made.add_job(_spec(), user="alice", now=1.0, default_max_attempts=3)
    made.commit()
    made.close()
    with sqlite3.connect(path) as db:  # what version 1 looked like
        db.execute("ALTER TABLE jobs DROP COLUMN worker_deaths")
        db.execute("DROP TABLE worker_names")
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    migrated = Store(path)
    try:
        (row,) = migrated.jobs_in(QUEUED)
        assert row.user == "alice" and row.worker_deaths == 0
        assert migrated.bind_worker_name("w1", "worker:w1", 2.0) == "worker:w1"
        assert migrated.bind_worker_name("w1", "worker:w2", 3.0) == "worker:w1"  # the first key keeps it
        assert migrated.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
    finally:
        migrated.close()
