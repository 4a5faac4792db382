"""Fixtures shared by the whole suite: the one FakeKolkata device (loaded once per session), a GHZ file,
an empty qirrt cache."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

import pytest

from qirrt.device.calibration import Calibration
from qirrt.device.target import Target
from tests.corpus import ghz_qasm

# The suite never reads or fills the user's cache: one fresh directory per run (subprocesses inherit it).
os.environ.setdefault("QIRRT_CACHE_DIR", tempfile.mkdtemp(prefix="qirrt-test-cache-"))


@dataclass(frozen=True)
class FakeDevice:
    """A fake IBM backend seen three ways: qirrt's Target and Calibration, and the Qiskit backend they came from."""

    target: Target
    calibration: Calibration
    backend: Any


@pytest.fixture(scope="session")
def kolkata() -> FakeDevice:
    """FakeKolkataV2 (27 qubits, heavy hex); skips when the fake-backends extra (qiskit-ibm-runtime) is absent."""
    pytest.importorskip("qiskit_ibm_runtime", reason="needs the fake-backends extra (qiskit-ibm-runtime)")
    from qirrt.adapters import resolve_backend, resolve_calibration, resolve_target

    return FakeDevice(
        target=resolve_target("FakeKolkata"),
        calibration=resolve_calibration("FakeKolkata"),
        backend=resolve_backend("FakeKolkata"),
    )


@pytest.fixture
def ghz_file(tmp_path):
    """A 3-qubit GHZ program as an OpenQASM 2 file."""
    path = tmp_path / "ghz.qasm"
    path.write_text(ghz_qasm(3))
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty disk cache of its own, and no loaded or compiled program remembered in this process."""
    from qirrt.executors.local import jit
    from qirrt.qir import disk_cache, program_cache

    directory = tmp_path / "cache"
    monkeypatch.setenv(disk_cache.ENV_DIR, str(directory))
    monkeypatch.delenv(disk_cache.ENV_DISABLE, raising=False)
    program_cache.clear_memory()
    jit.clear_cache()
    yield directory
    program_cache.clear_memory()
    jit.clear_cache()
