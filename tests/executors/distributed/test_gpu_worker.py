"""A worker on CUDA-Q's GPU target registers `gpu` and receives the jobs that require one (GPU runs only)."""

from __future__ import annotations

import pytest

import qirrt.executors.distributed as dist
from tests.executors.distributed.helpers import BELL_IR

pytestmark = [pytest.mark.gpu, pytest.mark.timeout(300)]


def test_jobs_that_require_a_gpu_go_to_the_cudaq_worker(cluster):
    pytest.importorskip("cudaq")
    from qirrt.executors.cudaq import gpu_available
    from qirrt.qir.program import Program

    if not gpu_available():
        pytest.skip("no usable NVIDIA GPU for CUDA-Q's nvidia target")
    cluster.start_broker()
    cluster.start_worker("local", name="cpu-worker")
    cluster.start_worker("cudaq", name="gpu-worker")
    cluster.wait_workers(2)
    with dist.connect(cluster.url, insecure_loopback=True, user="alice") as client:
        jobs = [client.submit(Program.from_ir(BELL_IR), shots=500, seed=i, requires={"gpu": True}) for i in range(4)]
        results = client.results(jobs, timeout_s=240)
    for result in results:
        assert result.shots == 500 and set(result.counts) <= {"00", "11"}
        assert result.metadata["executor"] == "cudaq" and result.metadata["target"] == "nvidia"
        # 500 fair coin flips: P(|#00 − 250| > 60) < 1e-7
        assert abs(result.counts.get("00", 0) - 250) <= 60
