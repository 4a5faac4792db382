"""Benchmarks never crash on a missing peer: each says which peer it skips and still ends with its JSON
line. The peers are made unimportable (`sys.modules[name] = None`); only the cheap `--list-peers` path
runs, never a measurement. The shared helpers' statistics are checked on known inputs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # the benchmark puts its folder first; undo after
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("name", "blocked", "skipped"), [
    ("local_vs_peers", ("qirrunner", "qdk", "qdk.simulation"), ("skipping qir-runner", "skipping qdk")),
    ("sv_peers", ("qsimcirq", "qulacs", "qiskit_aer"), ("skipping qsim", "skipping qulacs", "skipping aer")),
    ("mitigation_accuracy", ("mitiq",), ("skipping mitiq",)),
])
def test_a_missing_peer_is_skipped_with_a_line(name, blocked, skipped, monkeypatch, capsys):
    for module in blocked:
        monkeypatch.setitem(sys.modules, module, None)
    benchmark = _load(name, monkeypatch)
    assert benchmark.main(["--list-peers"]) == 0
    out = capsys.readouterr().out
    for line in skipped:
        assert line in out
    assert "Traceback" not in out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["benchmark"] == name
    assert figures["peers"] == []


def test_a_present_peer_is_listed(monkeypatch, capsys):
    pytest.importorskip("qirrunner")
    benchmark = _load("local_vs_peers", monkeypatch)
    monkeypatch.setitem(sys.modules, "qdk", None)
    monkeypatch.setitem(sys.modules, "qdk.simulation", None)
    benchmark.main(["--list-peers"])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["peers"] == ["qir-runner"]


def test_g_test_accepts_a_matching_sample_and_rejects_a_wrong_one(monkeypatch):
    peers = _load("_peers", monkeypatch)
    probabilities = {"00": 0.5, "11": 0.5}
    assert peers.g_test({"00": 5000, "11": 5000}, probabilities) > 0.9
    assert peers.g_test({"00": 5600, "11": 4400}, probabilities) < 1e-6
    assert peers.g_test({"00": 5000, "11": 4999, "01": 1}, probabilities) == 0.0  # an impossible outcome


def test_g_test_pools_rare_outcomes_instead_of_failing_on_them(monkeypatch):
    peers = _load("_peers", monkeypatch)
    rare = {f"{k:010b}": 0.5 / 1000 for k in range(1000)}  # 1000 outcomes expected 0.5 times each
    probabilities = {"common": 0.5, **rare}
    counts = {"common": 1000}
    for k in range(0, 1000, 1):
        if k % 2 == 0:
            counts[f"{k:010b}"] = 2  # 1000 rare shots in all, as expected: pooled, the check passes
    assert peers.g_test(counts, probabilities) > 0.01


def test_fit_linear_recovers_startup_and_per_shot_cost(monkeypatch):
    peers = _load("_peers", monkeypatch)
    a, b = peers.fit_linear([(1000, 0.05 + 1000 * 2e-5), (3000, 0.05 + 3000 * 2e-5), (10_000, 0.05 + 10_000 * 2e-5)])
    assert a == pytest.approx(0.05) and b == pytest.approx(2e-5)
    a, b = peers.fit_linear([(1000, 0.010), (3000, 0.031)])  # noise puts the intercept below 0: clipped
    assert a == 0.0 and b == pytest.approx((1000 * 0.010 + 3000 * 0.031) / (1000 ** 2 + 3000 ** 2))


def test_distribution_check_sees_a_wrong_bit_in_a_few_shots_of_a_wide_distribution(monkeypatch):
    peers = _load("_peers", monkeypatch)
    uniform = {f"{k:012b}": 1 / 4096 for k in range(4096)}
    import numpy as np

    fair: dict[str, int] = {}
    for k in np.random.default_rng(1).integers(4096, size=64):  # 64 shots of the uniform distribution
        fair[f"{k:012b}"] = fair.get(f"{k:012b}", 0) + 1
    assert peers.distribution_check(fair, uniform) > 0.01
    stuck: dict[str, int] = {}
    for key, count in fair.items():  # the same shots with the first bit stuck at 1
        stuck["1" + key[1:]] = stuck.get("1" + key[1:], 0) + count
    assert peers.distribution_check(stuck, uniform) < 0.001
