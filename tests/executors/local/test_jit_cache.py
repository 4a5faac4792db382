"""JIT object code in the disk cache (`qirrt.executors.local.jit`): a second process loads it instead
of compiling, a corrupt entry is recompiled, the option turns it off; and the two ways the local
executor runs a program (operation list, JIT-compiled code) give the same distributions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import qirrt
from qirrt.executors.local import jit
from qirrt.executors.local.executor import LocalExecutor
from qirrt.qir import disk_cache
from qirrt.qir.exact import exact_distribution
from tests.corpus import mid_circuit_reset
from tests.stats import assert_distribution, assert_same_sample

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "producers"
RUS_COUNTER = GOLDEN / "cudaq" / "rus_counter_qir-adaptive.ll"  # integer arithmetic and phis: JIT only
TELEPORT = GOLDEN / "qdk" / "teleport_adaptive.ll"


def _load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return qirrt.load(path, cache=False)


def _objects(directory: Path) -> list[Path]:
    return sorted(p for p in (directory / "jit").rglob("*.o")) if (directory / "jit").exists() else []


def test_a_second_process_loads_the_compiled_program_from_disk(cache):
    script = (
        "import sys, json, warnings; warnings.simplefilter('ignore')\n"
        "import qirrt\n"
        "from qirrt.executors.local.executor import LocalExecutor\n"
        "r = LocalExecutor(interpret=False).run(qirrt.load(sys.argv[1]), shots=4000, seed=11)\n"
        "print(json.dumps([r.metadata['interpreted'], r.metadata['jit_from_disk_cache'], r.counts]))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{disk_cache.ENV_DIR: str(cache)})
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", script, str(RUS_COUNTER)], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    (first_interpreted, first_from_disk, first_counts), (_, second_from_disk, second_counts) = runs
    assert not first_interpreted and not first_from_disk and second_from_disk
    assert len(_objects(cache)) == 1
    assert second_counts == first_counts  # the same code, the same seed
    assert_distribution(second_counts, exact_distribution(_load(RUS_COUNTER)))


def test_a_corrupt_object_is_recompiled(cache):
    program = _load(RUS_COUNTER)
    first = jit.compile_program(program)
    (entry,) = _objects(cache)
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2])
    jit.clear_cache()
    again = jit.compile_program(program)
    assert not first.from_disk and not again.from_disk
    assert entry.read_bytes() == good
    jit.clear_cache()
    assert jit.compile_program(program).from_disk
    result = LocalExecutor(interpret=False).run(program, shots=4000, seed=5)
    assert_distribution(result.counts, exact_distribution(program))


def test_the_option_turns_the_object_cache_off(cache):
    program = _load(RUS_COUNTER)
    LocalExecutor(interpret=False, jit_cache=False).run(program, shots=100, seed=1)
    assert _objects(cache) == []
    LocalExecutor(interpret=False).run(program, shots=100, seed=1)  # compiled this process: nothing to store
    jit.clear_cache()
    LocalExecutor(interpret=False).run(program, shots=100, seed=1)
    assert len(_objects(cache)) == 1


def test_the_cli_no_cache_flag_leaves_the_cache_empty(tmp_path):
    directory = tmp_path / "cli-cache"
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{disk_cache.ENV_DIR: str(directory)})
    env.pop(disk_cache.ENV_DISABLE, None)
    command = [sys.executable, "-m", "qirrt.cli", "run", "-q", "--seed", "3", "--json"]
    off = subprocess.run(command + ["--no-cache", str(RUS_COUNTER)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert off.returncode == 0, off.stderr
    assert not directory.exists()
    on = subprocess.run(command + [str(RUS_COUNTER)], env=env, capture_output=True, text=True, timeout=300)
    assert on.returncode == 0, on.stderr
    assert json.loads(on.stdout)["counts"] == json.loads(off.stdout)["counts"]
    assert list((directory / "programs").rglob("*.json"))


@pytest.mark.parametrize("name", ["teleport", "if-result", "mid-circuit"])
def test_operation_list_and_jit_give_the_same_distribution(name):
    source = {"teleport": TELEPORT, "if-result": GOLDEN / "pyqir" / "if_result.ll"}.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = qirrt.load(source if source is not None else mid_circuit_reset(), cache=False)
    interpreted = LocalExecutor(interpret=True).run(program, shots=6000, seed=21)
    compiled = LocalExecutor(interpret=False).run(program, shots=6000, seed=22)
    assert interpreted.metadata["interpreted"] and not compiled.metadata["interpreted"]
    exact = exact_distribution(program)
    assert_distribution(interpreted.counts, exact)
    assert_distribution(compiled.counts, exact)
    assert_same_sample(interpreted.counts, compiled.counts)
