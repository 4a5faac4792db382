"""Post-processors in a workload's execution options on a cluster (issue 21): a fitted state shipped with the
job, or fitted on the worker from calibration circuits run in the same job."""

from __future__ import annotations

from pathlib import Path

import pytest

import qirrt
from qirrt.executors.distributed.testing import LocalCluster
from qirrt.executors.distributed.workload import RuntimeProvider, discover
from qirrt.passes.postprocess.tensored import TensoredReadoutInverse

HERE = Path(__file__).parent / "workloads"
# a state fitted elsewhere (say, on the device's last calibration): 10% and 20% readout error on both bits
SHIPPED = TensoredReadoutInverse(width=2, positions=(0, 1), p01=(0.1, 0.1), p10=(0.2, 0.2)).to_spec()


@pytest.fixture(autouse=True)
def builtins():
    from qirrt.passes.mitigation.readout_model import ReadoutModel
    from qirrt.passes.postprocess import (
        available_postprocessors,
        register_postprocessor,
        unregister_postprocessor,
    )
    from qirrt.passes.registry import available_passes, register_pass

    if "readout-model" not in available_passes():  # an install older than this checkout (CI installs it)
        register_pass(ReadoutModel)
    added = "tensored" not in available_postprocessors()
    if added:
        register_postprocessor(TensoredReadoutInverse)
    yield
    if added:
        unregister_postprocessor("tensored")


def test_the_workload_declares_its_post_processor():
    bundle = discover(HERE / "postprocessed.py")
    assert bundle["execution_options"] == {"postprocess": "tensored"}


def _local(postprocess, seed):
    """The same program, post-processor and seed on the local executor, in this process."""
    from postprocessed import BELL

    return qirrt.run(qirrt.load(BELL), executor="local", shots=400, seed=seed, postprocess=postprocess)


def test_the_workloads_execution_options_apply_a_shipped_state_in_process(monkeypatch):
    """The workload run in this process, as its sandbox runs it (the cluster test below is slow: ~90 s)."""
    monkeypatch.syspath_prepend(str(HERE))
    import postprocessed

    value = postprocessed.Corrected({"postprocess": SHIPPED, "seed": 3}).run()
    quasi = value["metadata"]["mitigation"]["quasi_probabilities"]
    assert quasi == pytest.approx(_local(SHIPPED, 3).metadata["mitigation"]["quasi_probabilities"], abs=1e-12)
    assert min(quasi.get("01", 0.0), quasi.get("10", 0.0)) < -0.05


@pytest.mark.slow  # two sandboxed workloads: ~90 s on a loaded 2-core box
@pytest.mark.timeout(300)
def test_a_fitted_state_ships_with_the_job_and_is_applied_on_the_worker(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="w")
        provider = RuntimeProvider(cluster.connect())
        shipped = provider.schedule(HERE / "postprocessed.py", inputs={"postprocess": SHIPPED, "seed": 3})
        fitted_there = provider.schedule(HERE / "postprocessed.py", inputs={"seed": 4})
        value = shipped.result(timeout_s=120)
        refit = fitted_there.result(timeout_s=120)
    quasi = value["metadata"]["mitigation"]["quasi_probabilities"]
    assert quasi == pytest.approx(_local(SHIPPED, 3).metadata["mitigation"]["quasi_probabilities"], abs=1e-12)
    # the shipped inverse was applied to ideal Bell counts: it pushes 01 and 10 below zero, as a refit could not
    assert min(quasi.get("01", 0.0), quasi.get("10", 0.0)) < -0.05
    assert value["metadata"]["mitigation"]["pipeline"] == "readout-model"
    # without a shipped state the worker fits `tensored` on calibration circuits run in the job: on an ideal
    # simulator that is the identity, so the corrected distribution is the ideal one (shot noise only)
    corrected = refit["metadata"]["mitigation"]["quasi_probabilities"]
    assert set(corrected) <= {"00", "11"} and corrected["00"] == pytest.approx(0.5, abs=0.1)
    assert corrected == pytest.approx(_local("tensored", 4).metadata["mitigation"]["quasi_probabilities"], abs=1e-12)


@pytest.mark.timeout(120)
def test_qirrt_run_on_a_cluster_with_postprocess(monkeypatch):
    """`qirrt.run(executor=cluster, postprocess=...)`: the calibration circuits run on the cluster in the same
    batch as the program; the fit and the correction happen on the client."""
    monkeypatch.syspath_prepend(str(HERE))
    from postprocessed import BELL

    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="sim")
        on_cluster = qirrt.run(qirrt.load(BELL), executor=cluster.as_executor(), shots=400, seed=8,
                               postprocess="tensored")
        shipped = qirrt.run(qirrt.load(BELL), executor=cluster.as_executor(), shots=400, seed=8, postprocess=SHIPPED)
    assert on_cluster.metadata["mitigation"]["quasi_probabilities"] == pytest.approx(
        _local("tensored", 8).metadata["mitigation"]["quasi_probabilities"], abs=1e-12)
    assert shipped.metadata["mitigation"]["quasi_probabilities"] == pytest.approx(
        _local(SHIPPED, 8).metadata["mitigation"]["quasi_probabilities"], abs=1e-12)
