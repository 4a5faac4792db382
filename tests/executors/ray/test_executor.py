"""The Ray executor (issue 22): same contract and same samples as the local executor, fanned out as Ray
tasks; QPU adapters as actors; a killed worker process retried; clear errors for bad addresses and options.

Statistical bound: every distribution check is a G-test at p > 0.001 (tests/stats.py) against the exact
distribution (`qirrt.exact`) or a peer sample; equality of seeded samples is exact (the local executor is
deterministic per item seed, and Ray items carry the batch seed and their index as cluster jobs do)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qirrt
from qirrt.errors import ExecutionError, JobTimeoutError
from qirrt.executors.local.executor import LocalExecutor
from tests.stats import assert_distribution, assert_same_sample

ray = pytest.importorskip("ray", reason="needs the ray extra (pip install 'qirrt[ray]')")

from qirrt.executors.ray.executor import RayExecutor
from qirrt.executors.ray.lanes import LaneError
from qirrt.executors.ray.runtime import RayAddressError, check_address

BELL = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; measure q -> c;'


@pytest.fixture(scope="module")
def executor(ray_cluster):
    ex = RayExecutor(max_retries=3)
    yield ex
    ex.shutdown()


@pytest.fixture(scope="module")
def parametric():
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    qc = QuantumCircuit(2, 2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def _counts(results):
    return [dict(r.counts) for r in results]


@pytest.mark.timeout(120)
def test_a_40_point_sweep_equals_the_local_sweep(executor, parametric):
    compiled = qirrt.compile(parametric)
    values = [[float(t)] for t in np.linspace(0.0, np.pi, 40)]
    on_ray = compiled.run(values, shots=400, seed=11, executor=executor)
    local = compiled.run(values, shots=400, seed=11, executor="local")
    assert _counts(on_ray) == _counts(local)  # the same seed and index per point: the same sample
    assert {r.metadata["lane"] for r in on_ray} == {"simulator:local"}
    assert len({r.metadata["worker"] for r in on_ray}) >= 1
    exact = qirrt.exact.exact_distribution(compiled.program, values[13])
    assert_distribution(on_ray[13].counts, exact)
    other = compiled.run(values, shots=400, seed=12, executor=executor)  # another seed: another sample
    assert _counts(other) != _counts(on_ray)
    assert_same_sample(other[20].counts, local[20].counts)


@pytest.mark.timeout(120)
def test_a_batch_on_ray_equals_the_same_batch_on_the_zeromq_cluster(executor, parametric):
    from qirrt.executors.distributed.testing import LocalCluster

    program = qirrt.load(parametric)
    values = [[0.2 * k] for k in range(8)]
    on_ray = executor.run(program, shots=300, seed=17, params=values)
    with LocalCluster(workers=2) as cluster:
        on_zmq = cluster.as_executor().run(program, shots=300, seed=17, params=values)
    assert _counts(on_ray) == _counts(on_zmq) == _counts(LocalExecutor().run(program, shots=300, seed=17,
                                                                               params=values))
    assert [r.metadata["seed_index"] for r in on_ray] == [r.metadata.get("seed_index", 0) for r in on_zmq]


@pytest.mark.timeout(120)
def test_zne_on_ray_equals_zne_locally(executor):
    program = qirrt.load(BELL)
    options = {"shots": 2000, "seed": 5, "mitigation": "zne{scale-factors=1,3,5}", "observable": "ZZ"}
    on_ray = qirrt.run(program, executor=executor, **options)
    local = qirrt.run(program, executor="local", **options)
    assert on_ray.expectation == pytest.approx(local.expectation, abs=1e-12)
    assert dict(on_ray.counts) == dict(local.counts)
    assert on_ray.expectation == pytest.approx(1.0, abs=1e-9)  # noiseless: <ZZ> of a Bell pair is 1


@pytest.mark.timeout(120)
def test_executor_by_name_run_batch_and_progress(ray_cluster):
    program = qirrt.load(BELL)
    result = qirrt.run(program, executor="ray", shots=3000, seed=3)
    assert dict(result.counts) == dict(qirrt.run(program, shots=3000, seed=3).counts)
    assert_distribution(result.counts, {"00": 0.5, "11": 0.5})
    assert result.metadata["seed"] == 3 and result.metadata["lane"] == "simulator:local"
    items = [(program, None), (program, "zne{scale-factors=1,3}", "ZZ")]
    batch = qirrt.run_batch(items, executor="ray", shots=500, seed=9)
    local = qirrt.run_batch(items, executor="local", shots=500, seed=9)
    assert _counts(batch) == _counts(local) and batch[1].expectation == local[1].expectation
    from qirrt.executors.base import reporting_runs

    seen = []
    with reporting_runs(seen.append):
        RayExecutor().submit([program] * 5, shots=50, seed=1).result(timeout_s=60)
    assert sorted(seen) == [0, 1, 2, 3, 4]


@pytest.mark.timeout(120)
def test_a_killed_worker_process_is_retried_and_the_batch_completes(executor, ray_cluster):
    scratch = Path(os.environ["QIRRT_RAY_TEST_DIR"])
    for stale in scratch.glob("pid-*"):
        stale.unlink()
    slow = RayExecutor(executor="tests.executors.ray.helpers:SlowLocal", max_retries=2)
    program = qirrt.load(BELL)
    job = slow.submit([program] * 4, shots=300, seed=21)
    deadline = time.monotonic() + 60
    while not list(scratch.glob("pid-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = int(next(scratch.glob("pid-*")).name.split("-")[1])
    os.kill(victim, signal.SIGKILL)  # a worker process dies mid-task
    results = job.result(timeout_s=90)
    assert _counts(results) == _counts(LocalExecutor().submit([program] * 4, shots=300, seed=21).result())
    assert victim not in {int(r.metadata["worker"].rsplit(":", 1)[1]) for r in results}


@pytest.mark.timeout(120)
def test_status_and_cancel(ray_cluster):
    from qirrt.errors import JobCancelledError
    from qirrt.executors.base import JobStatus

    slow = RayExecutor(executor="tests.executors.ray.helpers:SlowLocal")
    program = qirrt.load(BELL)
    job = slow.submit([program] * 6, shots=10, seed=2)
    assert job.status() in (JobStatus.QUEUED, JobStatus.RUNNING)
    assert job.cancel() is True
    with pytest.raises(JobCancelledError, match="was cancelled"):
        job.result(timeout_s=60)
    assert job.status() is JobStatus.CANCELLED
    done = RayExecutor().submit(program, shots=10, seed=2)
    done.result(timeout_s=60)
    assert done.status() is JobStatus.DONE
    waiting = slow.submit([program] * 2, shots=10, seed=3)
    with pytest.raises(JobTimeoutError, match="no result after"):
        waiting.result(timeout_s=0.2)
    waiting.cancel()


@pytest.mark.timeout(120)
def test_a_qpu_adapter_is_one_actor_with_its_lane_calibration_and_latency(ray_cluster):
    fast = {"failure_rate": 0.0, "queue": {"latency_s": 0.05, "mean_depth": 0.0, "job_s": 0.01,
                                             "overhead_s": 0.01, "shot_s": 1e-6}}
    ex = RayExecutor(adapters={"emulated:FakeKolkata": fast})
    try:
        program = qirrt.load(BELL)
        on_device = ex.submit([program, program], shots=2000, seed=4, target="FakeKolkata")
        results = on_device.result(timeout_s=90)
        assert on_device.lanes == ["qpu:fake_kolkata"] * 2
        assert {r.metadata["worker"] for r in results} == {"ray-actor:emulated:FakeKolkata"}
        for r in results:  # a noisy device: mostly 00 and 11
            assert (r.counts.get("00", 0) + r.counts.get("11", 0)) / r.shots > 0.8
        (device,) = ex.devices()
        assert device["lane"] == "qpu:fake_kolkata" and device["jobs_run"] == 2
        assert device["calibration_epoch"] and device["adapter_latency_ms"] >= 0 and device["mean_job_s"] > 0
        plain = ex.submit([program] * 3, shots=100, seed=4)  # no target: simulator tasks, not the device
        assert plain.result(timeout_s=60) and plain.lanes == ["simulator:local"] * 3
        plan = ex.estimate([program] * 6, shots=100, split="auto")
        assert set(plan["assignment"]) <= {"simulator:local", "qpu:fake_kolkata"}
        assert plan["makespan_s"] > 0
    finally:
        ex.shutdown()


@pytest.mark.timeout(60)
def test_no_gpu_falls_back_to_cpu_tasks_and_gpu_true_is_refused(executor):
    program = qirrt.load(BELL)
    job = RayExecutor(gpu="auto").submit([program] * 2, shots=100, seed=1)
    assert job.result(timeout_s=60) and job.lanes == ["simulator:local"] * 2
    with pytest.raises(LaneError, match="has no GPU"):
        RayExecutor(gpu=True).submit(program, shots=10)
    with pytest.raises(LaneError, match="no lane of the Ray cluster meets"):
        executor.submit(program, shots=10, requires={"gpu": True})
    with pytest.raises(LaneError, match="no lane of the Ray cluster meets"):
        executor.submit(program, shots=10, target="FakeSherbrooke")


@pytest.mark.timeout(60)
def test_bad_options_give_clear_errors(executor):
    program = qirrt.load(BELL)
    with pytest.raises(ExecutionError, match="unknown option"):
        executor.submit(program, shots=10, memory=True)
    with pytest.raises(LaneError, match="split must be"):
        executor.submit(program, shots=10, split="fastest")
    with pytest.raises(LaneError, match="unknown requires key"):
        executor.submit(program, shots=10, requires={"colour": "red"})
    with pytest.raises(ExecutionError, match="shots must be"):
        executor.submit(program, shots=0)
    with pytest.raises(ExecutionError, match="max_retries"):
        RayExecutor(max_retries=-1)
    with pytest.raises(ExecutionError, match="objects are not shipped"):
        RayExecutor(executor=LocalExecutor())
    with pytest.raises(RayAddressError, match="num_cpus"):
        RayExecutor("ray://head:10001", num_cpus=2)
    with pytest.raises(RayAddressError, match="already runs Ray"):
        qirrt.connect("ray://head:10001").submit(program, shots=10)
    failing = RayExecutor(executor="no-such-executor")
    with pytest.raises(ExecutionError, match="no-such-executor"):
        failing.submit(program, shots=10).result(timeout_s=60)


def test_connect_and_the_registry_make_ray_executors():
    ex = qirrt.connect("ray://head.example:10001")
    assert isinstance(ex, RayExecutor) and ex.address == "ray://head.example:10001"
    from qirrt.executors.registry import new_executor

    assert new_executor("ray://10.0.0.5:10001").address == "ray://10.0.0.5:10001"
    assert new_executor("ray", num_cpus=2).address is None
    with pytest.raises(RayAddressError, match="scheme must be ray://"):
        qirrt.connect("ray://x").__class__ and check_address("http://head:10001")


@pytest.mark.parametrize(("given_address", "expected"), [
    (None, None), ("local", None), ("auto", "auto"), ("ray://head", "ray://head:10001"),
    ("ray://head:10001", "ray://head:10001"), ("//head:1", "ray://head:1"), ("10.0.0.5:6379", "10.0.0.5:6379"),
    ("ray://[::1]:10001", "ray://[::1]:10001")])
def test_addresses_normalise(given_address, expected):
    assert check_address(given_address) == expected


@pytest.mark.parametrize("bad", ["", "ray://", "ray://:10001", "ray://head:0", "ray://head:70000",
                                 "tcp://head:5555", "ray://he ad:1", "head", 42, "ray://head:port"])
def test_bad_addresses_are_refused_clearly(bad):
    with pytest.raises(RayAddressError, match="Ray address|a string"):
        check_address(bad)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.builds(lambda h, p: f"ray://{h}:{p}", st.text(max_size=12),
                                                 st.integers(-5, 70000))))
def test_any_address_text_is_normalised_or_refused(text):
    try:
        out = check_address(text)
    except RayAddressError as exc:
        assert repr(text) in str(exc)  # the message names the address it refused
        return
    assert out in (None, "auto") or out.rsplit(":", 1)[1].isdigit()
    assert check_address(out) == out  # normalising twice changes nothing


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_an_unreachable_head_is_a_clear_error():
    """Joined in a fresh process (this one may run Ray already): Ray Client gives up after ~30 s."""
    import subprocess
    import sys

    code = ("import qirrt\nfrom qirrt.executors.ray.runtime import RayAddressError\n"
            "try:\n    qirrt.run(qirrt.load('examples/bell.qasm'), executor=qirrt.connect('ray://127.0.0.1:1'))\n"
            "except RayAddressError as exc:\n    print(exc)\n")
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=110, check=False,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert "cannot start or reach Ray at ray://127.0.0.1:1" in out.stdout, out.stderr[-2000:]


def test_a_cluster_with_gpus_gets_a_gpu_lane_that_unsplit_batches_use():
    """The lane logic alone (this machine has no GPU; a Ray node's GPUs are a resource count to it)."""
    from qirrt.executors.ray.executor import _default_lane
    from qirrt.executors.ray.lanes import simulator_lanes, usable

    lanes = simulator_lanes("local", "local", {"CPU": 16.0, "GPU": 2.0}, "auto", "cudaq")
    assert [(p.lane.name, p.kind, p.executor, p.lane.slots) for p in lanes] == [
        ("simulator:local", "cpu", "local", 16), ("simulator:local:gpu", "gpu", "cudaq", 2)]
    assert _default_lane(lanes).kind == "gpu"
    assert [p.kind for p in usable(lanes, {"gpu": False})] == ["cpu"]
    assert [p.kind for p in simulator_lanes("local", "local", {"CPU": 16.0, "GPU": 2.0}, False, None)] == ["cpu"]
    assert [p.kind for p in simulator_lanes("local", "local", {"CPU": 2.0}, "auto", None)] == ["cpu"]
