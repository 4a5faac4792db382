"""CudaqExecutor: agrees with the exact distribution and the local executor on qpp-cpu (G-tests,
p > 0.001); GPU targets are probed in a subprocess and used only where they work."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest

import qirrt
from qirrt.errors import ExecutionError
from qirrt.qir.exact import exact_distribution
from tests.corpus import CONTROL_FLOW, CORPUS, expression_ansatz
from tests.stats import assert_distribution, assert_same_sample

cudaq = pytest.importorskip("cudaq")

from qirrt.executors.cudaq import CudaqExecutor, choose_target, probe_target

TERMINAL = sorted((set(CORPUS) - CONTROL_FLOW) | {"forloop"})
SHOTS = 4000
HAS_GPU_DEVICE = os.path.exists("/dev/nvidia0")


@pytest.fixture(scope="module")
def cpu() -> CudaqExecutor:
    return CudaqExecutor(target="qpp-cpu")


@pytest.mark.parametrize("name", TERMINAL)
def test_qpp_cpu_matches_exact_and_the_local_executor(cpu, name):
    program = qirrt.load(CORPUS[name]())
    result = cpu.run(program, shots=SHOTS, seed=5)
    assert result.metadata["executor"] == "cudaq" and result.metadata["target"] == "qpp-cpu"
    assert sum(result.counts.values()) == SHOTS
    assert_distribution(result.counts, exact_distribution(program))
    assert_same_sample(result.counts, qirrt.run(program, shots=SHOTS, seed=6).counts)


def test_parameter_sweep_builds_one_kernel(cpu):
    program = qirrt.load(expression_ansatz())
    points = np.random.default_rng(2).uniform(-math.pi, math.pi, (3, len(program.parameters)))
    results = cpu.run(program, shots=SHOTS, seed=1, params=points)
    assert len(results) == 3
    assert cpu.kernel(program) is cpu.kernel(program)
    assert len(cpu.kernel(program).angle_exprs) > 0
    for result, point in zip(results, points):
        assert_distribution(result.counts, exact_distribution(program, point))


def test_seeded_runs_repeat(cpu):
    program = qirrt.load(CORPUS["qft4"]())
    assert cpu.run(program, shots=500, seed=9).counts == cpu.run(program, shots=500, seed=9).counts


def test_memory_comes_back_shuffled_but_consistent(cpu):
    program = qirrt.load(CORPUS["ghz3"]())
    result = cpu.run(program, shots=200, seed=3, memory=True)
    assert result.metadata["memory_order"] == "shuffled"
    assert sorted(result.memory) == sorted(k for k, c in result.counts.items() for _ in range(c))


@pytest.mark.parametrize("name, why", [("teleport", "has classical control flow"),
                                       ("measurerotate", "applies h to qubit 0 after measuring it"),
                                       ("midreset", "resets qubit 0 after using it")])
def test_adaptive_programs_are_refused_with_a_pointer_elsewhere(cpu, name, why):
    program = qirrt.load(CORPUS[name]())
    message = (f"the cudaq executor runs programs whose measurements are terminal, but program "
               f"'{program.entry_point}' {why}; run it with the 'local' or 'aer' executor")
    with pytest.raises(ExecutionError, match=re.escape(message)):
        cpu.run(program, shots=10)


def test_registered_and_auto_falls_back_to_cpu_without_a_gpu():
    result = qirrt.run(CORPUS["ghz3"](), shots=100, seed=1, executor="cudaq")
    assert set(result.counts) <= {"000", "111"}
    if not HAS_GPU_DEVICE:
        assert choose_target("auto") == "qpp-cpu"
        assert result.metadata["target"] == "qpp-cpu"


def test_a_worker_advertises_the_gpu_only_for_a_gpu_target(monkeypatch):
    from qirrt.executors import cudaq as module
    from qirrt.executors.distributed.worker import describe

    assert describe(CudaqExecutor(target="qpp-cpu"), "cudaq", slots=1)["gpu"] is False
    monkeypatch.setattr(module, "choose_target", lambda requested, timeout_s: "nvidia")
    assert describe(CudaqExecutor(), "cudaq", slots=1)["gpu"] is True


def test_the_probe_passes_on_a_working_target():
    assert probe_target("qpp-cpu", timeout_s=120) == (True, "works")


@pytest.mark.skipif(HAS_GPU_DEVICE, reason="checks the behaviour without a GPU")
def test_gpu_targets_are_probed_in_a_subprocess_without_killing_us():
    ok, reason = probe_target("tensornet", timeout_s=120)
    assert not ok and reason
    with pytest.raises(ExecutionError, match=re.escape("CUDA-Q target 'tensornet' does not work on this machine")):
        CudaqExecutor(target="tensornet").run(qirrt.load(CORPUS["ghz3"]()), shots=10)


def test_unknown_options_are_refused():
    with pytest.raises(ExecutionError, match=re.escape("unknown option(s) gpu for the cudaq executor")):
        CudaqExecutor(gpu=True)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["ghz8", "qft6", "random7x8", "ising6"])
def test_nvidia_target_matches_exact(name):
    executor = CudaqExecutor(target="auto")
    assert executor.target == "nvidia"
    program = qirrt.load(CORPUS[name]())
    result = executor.run(program, shots=SHOTS, seed=2)
    assert result.metadata["target"] == "nvidia"
    assert_distribution(result.counts, exact_distribution(program))
