"""Done-when 7 and the seed's programming model: workloads found by AST, shipped, run in a limited
process; hostile ones are killed by their limits and marked failed, nobody else is affected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import qirrt.executors.distributed as dist
from qirrt.errors import ExecutionError
from qirrt.executors.distributed.workload import (
    RuntimeProvider,
    WorkloadError,
    discover,
    run_sandboxed,
)
from tests.executors.distributed.helpers import BELL_IR, wait_until

HERE = Path(__file__).parent / "workloads"
LIMITS = {"memory_mb": 512, "cpu_s": 2, "wall_s": 3.0, "nproc": 16}


def test_discover_reads_sources_imports_and_class_by_ast():
    bundle = discover(HERE / "benign.py")
    assert bundle["entry"] == "benign" and bundle["class"] == "Sum"
    assert sorted(bundle["files"]) == ["benign.py", "helper.py"]  # the local module it imports is shipped
    assert bundle["packages"] == ["msgpack"]  # math, os: stdlib; qirrt: provided; helper: local
    assert bundle["backend_name"] == "local"
    assert bundle["execution_options"] == {"passes": "zne{scale-factors=1,3,5}"}


def test_discover_needs_exactly_one_worker_class(tmp_path):
    (tmp_path / "none.py").write_text("x = 1\n")
    with pytest.raises(WorkloadError, match="found none"):
        discover(tmp_path / "none.py")


@pytest.mark.timeout(30)
def test_sandbox_scrubs_environment(monkeypatch):
    monkeypatch.setenv("SECRET", "do-not-leak")
    bundle = discover(HERE / "benign.py")
    bundle["inputs"] = {"n": 10}
    value = run_sandboxed(bundle, limits=LIMITS)["value"]
    assert value["total"] == 45 and value["secret"] is None


@pytest.mark.timeout(120)
def test_hostile_workloads_are_killed_and_others_unaffected(cluster):
    cluster.start_broker()
    worker = cluster.start_worker(name="w", extra=(
        "--slots", "2", "--workload-memory-mb", "512", "--workload-cpu-s", "1", "--workload-wall-s", "2",
        "--workload-nproc", "16"))
    cluster.wait_workers(1)
    mallory = dist.connect(cluster.url, insecure_loopback=True, user="mallory")
    bob = dist.connect(cluster.url, insecure_loopback=True, user="bob")
    provider = RuntimeProvider(mallory)
    expected = {"forkbomb": "process limit|wall time limit|CPU time limit",
                "hog": "memory limit of 512 MB", "spin": "CPU time limit of 1 s|wall time limit"}
    for name, reason in expected.items():
        job = provider.schedule(HERE / f"{name}.py", max_attempts=3)
        # Meanwhile another user's work goes through on the same worker.
        assert bob.submit(BELL_IR, shots=9).result(timeout_s=30).shots == 9
        with pytest.raises(ExecutionError, match=reason):
            job.result(timeout_s=60)
        status = job.status()
        assert status["state"] == "failed" and status["attempt"] == 1  # no retry of a hostile workload
    benign = RuntimeProvider(bob).schedule(HERE / "benign.py", inputs={"n": 100})
    assert benign.result(timeout_s=30)["total"] == 4950
    assert worker.alive()
    assert cluster.query("SELECT registrations, state FROM workers WHERE id='w'") == [(1, "up")]
    # Nothing the workloads forked is left behind.
    wait_until(lambda: not [p for p in os.listdir("/proc") if p.isdigit() and _is_sandbox(p)], 10,
               "no sandbox processes left")
    mallory.close()
    bob.close()


def _is_sandbox(pid: str) -> bool:
    try:
        return b"distributed/sandbox.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
