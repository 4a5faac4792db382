"""Workloads on Ray (issue 22): `RuntimeProvider(engine="ray")` ships a `RuntimeWorkerBase` workload with the
packages discovery found as a Ray runtime environment, runs it in the worker sandbox on the Ray node, and
streams its progress; its limits and failures come back as clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from qirrt.errors import PluginError
from qirrt.executors.distributed.workload import RuntimeProvider, WorkloadError

ray = pytest.importorskip("ray", reason="needs the ray extra (pip install 'qirrt[ray]')")

from qirrt.executors.ray.workload import RayEngine, missing_packages, runtime_env_for

WORKLOADS = Path(__file__).parents[1] / "distributed" / "workloads"
LIMITS = {"memory_mb": 1024, "cpu_s": 20, "wall_s": 60.0, "nproc": 32}


@pytest.mark.timeout(120)
def test_a_workload_with_a_discovered_package_runs_sandboxed_and_streams_progress(ray_cluster, monkeypatch):
    monkeypatch.setenv("SECRET", "do-not-leak")
    provider = RuntimeProvider(engine="ray", packages="installed", limits=LIMITS, heartbeat_s=0.2)
    job = provider.schedule(WORKLOADS / "benign.py", inputs={"n": 10})
    assert job.packages == ["msgpack"] and job.runtime_env == {}  # discovered; the node has it installed
    events = list(job.events(timeout_s=90))
    assert events[0]["event"] == "started" and events[-1]["event"] == "done"
    value = job.result()
    assert value["total"] == 45 and value["secret"] is None  # ran, in a scrubbed environment


@pytest.mark.timeout(120)
def test_a_missing_package_and_a_limit_are_clear_failures(ray_cluster, tmp_path):
    needy = tmp_path / "needy.py"
    needy.write_text("import qirrt_no_such_package\nfrom qirrt.executors.distributed.workload import "
                     "RuntimeWorkerBase\n\nclass Needy(RuntimeWorkerBase):\n    def run(self):\n        return 1\n")
    job = RuntimeProvider(engine="ray", packages="installed").schedule(needy)
    with pytest.raises(WorkloadError, match="needs qirrt-no-such-package, not installed on this Ray node"):
        job.result(timeout_s=90)
    spin = RuntimeProvider(engine="ray", packages="installed",
                           limits={"cpu_s": 1, "wall_s": 20.0, "memory_mb": 1024, "nproc": 16})
    with pytest.raises(WorkloadError, match="CPU time limit of 1 s|wall time limit"):
        spin.schedule(WORKLOADS / "spin.py").result(timeout_s=90)


def test_runtime_environments_for_each_mode():
    assert runtime_env_for(["msgpack", "scipy"]) == {"pip": {"packages": ["msgpack", "scipy"], "pip_check": False}}
    offline = runtime_env_for(["msgpack"], pip_install_options=["--no-index"])
    assert offline["pip"]["pip_install_options"] == ["--no-index"]
    assert runtime_env_for(["msgpack"], image="ghcr.io/qirrt/qirrt:0.1") == {"image_uri": "ghcr.io/qirrt/qirrt:0.1"}
    assert runtime_env_for(["msgpack"], mode="installed") == {} == runtime_env_for([])
    with pytest.raises(WorkloadError, match="packages must be one of pip, installed"):
        runtime_env_for(["x"], mode="conda")
    assert missing_packages(["msgpack", "qirrt-no-such-package"]) == ["qirrt-no-such-package"]


def test_provider_options_are_checked():
    with pytest.raises(WorkloadError, match="for Ray use RuntimeProvider"):
        RuntimeProvider()
    with pytest.raises(PluginError, match="no plugin named 'spark'"):
        RuntimeProvider(engine="spark")
    with pytest.raises(WorkloadError, match="unknown workload limit"):
        RayEngine(limits={"gpu_s": 1})
    with pytest.raises(WorkloadError, match="packages must be one of"):
        RayEngine(packages="everything")
    with pytest.raises(WorkloadError, match="Ray places workloads by its own resources"):
        RayEngine().schedule(WORKLOADS / "benign.py", requires={"gpu": True})


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_discovered_packages_are_installed_as_a_pip_runtime_env_offline(ray_cluster):
    """Ray builds a virtualenv for the job and pip-installs the discovered package there; ``--no-index``
    keeps pip off the network (what the node already has satisfies it)."""
    provider = RuntimeProvider(engine="ray", pip_install_options=["--no-index"], limits=LIMITS)
    job = provider.schedule(WORKLOADS / "benign.py", inputs={"n": 5})
    assert job.runtime_env["pip"]["packages"] == ["msgpack"]
    events = list(job.events(timeout_s=280))
    assert "runtime_resources/pip" in events[0]["python"]  # the job ran in Ray's environment for it
    assert job.result()["total"] == 10
