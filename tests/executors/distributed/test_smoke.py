from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import qirrt.executors.distributed as dist
from tests.executors.distributed.helpers import BELL_IR

pytestmark = pytest.mark.timeout(60)


def test_submit_and_result_round_trip(cluster):
    cluster.start_broker()
    cluster.start_worker()
    cluster.wait_workers(1)
    with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
        job = client.submit(BELL_IR, shots=100)
        result = job.result(timeout_s=20)
        assert result.counts == {"00": 100} and result.shots == 100
        status = job.status()
        assert status["state"] == "done" and status["attempt"] == 1
        jobs = client.submit_many([BELL_IR] * 50, shots=7)
        assert [r.shots for r in client.results(jobs, timeout_s=20)] == [7] * 50


PROBE = """
from qirrt.plugins import load_plugin
from qirrt.qir.program import Program
import sys
program = Program.from_ir(open(sys.argv[1]).read())
load_plugin("qirrt.executors", sys.argv[2])().execute([program], shots=10, seed=1)
"""


def _executor_works(name: str) -> bool:
    """Whether the executor runs the Bell program in a process of its own (it may abort the process)."""
    try:
        done = subprocess.run([sys.executable, "-c", PROBE, str(Path(__file__).parent / "bell.ll"), name],
                              capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


@pytest.mark.timeout(300)
@pytest.mark.parametrize("executor", [pytest.param("local", marks=pytest.mark.slow), "null"])
def test_real_executor_through_a_worker(cluster, executor):
    from qirrt.qir.program import Program
    from qirrt.result import Result

    if not _executor_works(executor):
        pytest.skip(f"the {executor} executor does not run the Bell program in this build")

    program = Program.from_ir(BELL_IR)
    cluster.start_broker()
    cluster.start_worker(executor)
    cluster.wait_workers(1)
    with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
        job = client.submit(program, shots=200, seed=7, requires={"executor": executor})
        result = job.result(timeout_s=180)
    assert isinstance(result, Result) and result.shots == 200
    if executor == "local":
        assert sum(result.counts.values()) == 200 and set(result.counts) <= {"00", "11"}


@pytest.mark.timeout(120)
def test_cli_submit_status_result(cluster, tmp_path):
    import json

    cluster.start_broker()
    cluster.start_worker("null")
    cluster.wait_workers(1)
    source = tmp_path / "bell.ll"
    source.write_text(BELL_IR)
    common = ["--connect", cluster.url, "--insecure-loopback"]

    def qirrt(*args):
        done = subprocess.run([sys.executable, "-m", "qirrt.cli", *args], capture_output=True, text=True,
                              timeout=60, cwd=Path(__file__).resolve().parents[3], check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    job_id = qirrt("submit", str(source), "--shots", "25", *common).strip()
    result = json.loads(qirrt("result", job_id, "--timeout-s", "30", *common))
    assert result["shots"] == 25 and result["metadata"]["executor"] == "null"
    status = json.loads(qirrt("status", job_id, *common))
    assert status["id"] == job_id and status["state"] == "done"
