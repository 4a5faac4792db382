"""The Ray tests' fixtures: one local Ray per module (2 CPUs, no dashboard) and, where qirrt was installed
before the ``ray`` entry points existed (an editable install of an older checkout), those entry points
registered from pyproject.toml for this run."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GROUPS = {"qirrt.executors": "ray", "qirrt.workload_engines": "ray"}


@pytest.fixture(scope="session", autouse=True)
def ray_entry_points(tmp_path_factory):
    """`executor="ray"` and `RuntimeProvider(engine="ray")` resolve through entry points; add the missing ones."""
    from qirrt import plugins

    missing = {g: n for g, n in GROUPS.items() if n not in plugins.names(g)}
    if not missing:
        yield
        return
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    folder = tmp_path_factory.mktemp("entry-points")
    info = folder / "qirrt_ray_entry_points-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qirrt-ray-entry-points\nVersion: 0\n")
    (info / "entry_points.txt").write_text("".join(f"[{g}]\n{n} = {declared[g][n]}\n" for g, n in missing.items()))
    sys.path.insert(0, str(folder))
    plugins._entries.cache_clear()
    yield
    sys.path.remove(str(folder))
    plugins._entries.cache_clear()


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A local Ray of 2 CPUs for this module; its workers import this checkout (and `tests`) and share a
    scratch folder with the test (``$QIRRT_RAY_TEST_DIR``)."""
    ray = pytest.importorskip("ray", reason="needs the ray extra (pip install 'qirrt[ray]')")
    scratch = tmp_path_factory.mktemp("ray-scratch")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "QIRRT_RAY_TEST_DIR")}
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), saved["PYTHONPATH"]) if p)
    os.environ["QIRRT_RAY_TEST_DIR"] = str(scratch)  # the workers Ray starts inherit both
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, namespace="qirrt")
    try:
        yield ray
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
