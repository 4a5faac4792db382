"""Progress on stderr: the cold-kernel note, the periodic line off a terminal, the bar on one, --quiet."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import qirrt
from qirrt.cli import progress as progress_module
from qirrt.cli.app import main
from qirrt.cli.progress import COLD_KERNELS, Progress, announce_cold_kernels
from qirrt.executors.base import reporting_runs

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
QIRRT = [sys.executable, "-m", "qirrt.cli"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_names_items_elapsed_time_eta_and_state():
    now = [100.0]
    bar = Progress("sweep", total=4, stream=io.StringIO(), clock=lambda: now[0])
    bar.advance("point 1 done")
    bar.advance("point 2 done")
    now[0] = 110.0
    assert bar.line() == "sweep: 2/4 done, 10 s elapsed, ETA 10 s (point 2 done)"
    assert Progress("run", stream=io.StringIO(), clock=lambda: 0.0).line() == "run: 0 s elapsed"


def test_non_terminal_prints_a_line_every_interval_and_quiet_prints_nothing():
    stream = io.StringIO()
    with Progress("long run", stream=stream, interval_s=0.05):
        time.sleep(0.5)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("long run: ") for line in lines)
    quiet = io.StringIO()
    with Progress("long run", stream=quiet, interval_s=0.05, quiet=True):
        time.sleep(0.2)
    assert quiet.getvalue() == ""


def test_terminal_shows_a_rich_bar_with_items_and_state():
    stream = Terminal()
    with Progress("batch", total=3, stream=stream, delay_s=0.0) as bar:
        deadline = time.monotonic() + 10
        while bar._bar is None and time.monotonic() < deadline:
            time.sleep(0.01)
        bar.advance("point 1 done")
        time.sleep(0.3)
        assert bar._bar is not None
        task = bar._bar.tasks[0]
        assert (task.completed, task.total, task.fields["state"]) == (1, 3, "point 1 done")
    assert "batch" in stream.getvalue()


def test_cold_kernels_are_announced_once_in_one_line(monkeypatch):
    from qirrt.executors.local import numba_cache

    monkeypatch.setattr(numba_cache, "kernels_cached", lambda precision="complex128": False)
    stream = io.StringIO()
    assert announce_cold_kernels("local", "complex128", quiet=False, stream=stream)
    assert stream.getvalue() == COLD_KERNELS + "\n"
    for executor, quiet in (("aer", False), ("local", True)):
        silent = io.StringIO()
        assert not announce_cold_kernels(executor, "complex128", quiet=quiet, stream=silent)
        assert silent.getvalue() == ""
    monkeypatch.setattr(numba_cache, "kernels_cached", lambda precision="complex128": True)
    assert not announce_cold_kernels("local", "complex128", quiet=False, stream=io.StringIO())


def test_kernels_are_marked_cached_after_a_local_run():
    from qirrt.executors.local.numba_cache import kernels_cached

    qirrt.run(EXAMPLES / "bell.qasm", shots=10, seed=1)
    assert kernels_cached("complex128")


def test_cli_says_so_when_the_kernels_are_cold(monkeypatch):
    from qirrt.executors.local import numba_cache

    monkeypatch.setattr(numba_cache, "kernels_cached", lambda precision="complex128": False)
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "bell.qasm"), "--shots", "10", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == COLD_KERNELS
    assert result.stdout.startswith("{")  # the JSON on stdout is untouched
    quiet = CliRunner().invoke(main, ["run", str(EXAMPLES / "bell.qasm"), "--shots", "10", "--json", "--quiet"])
    assert COLD_KERNELS not in quiet.stderr


def test_batch_reports_each_parameter_point_through_the_public_api():
    done = []
    with reporting_runs(done.append):
        results = qirrt.run(EXAMPLES / "rotation.qasm", shots=10, seed=1, params=[[0.1], [0.2], [0.3]])
    assert len(results) == 3 and done == [0, 1, 2]


def test_cli_run_off_a_terminal_prints_progress_lines_and_a_timing_summary():
    command = QIRRT + ["run", str(EXAMPLES / "rotation.qasm"), "--params", "[[0.1], [0.2], [0.3]]",
                       "--shots", "1000000", "--progress-interval-s", "0.02"]
    finished = subprocess.run(command, capture_output=True, check=False, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    lines = [line for line in finished.stderr.splitlines() if line.startswith("running rotation.qasm: ")]
    assert lines and all("/3 done" in line for line in lines)
    assert len(finished.stdout.splitlines()) == 3
    quiet = subprocess.run(command + ["--quiet"], capture_output=True, check=False, text=True, timeout=600)
    assert quiet.returncode == 0 and "running rotation.qasm" not in quiet.stderr


def test_cli_summary_separates_load_compile_and_run_time(monkeypatch):
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "bell.qasm"), "--shots", "10", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("10 shots on local: load ") and ", compile " in summary and ", run " in summary


def test_progress_module_imports_rich_lazily():
    code = "import sys, qirrt.cli.progress, qirrt.cli.app; print('rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True, timeout=300)
    assert out.stdout.strip() == "False", out.stderr
    assert progress_module.Progress  # the module under test is the one imported above


@pytest.mark.parametrize("args", [["--params", "[[0.1], 2]"], ["--params", "0.1", "--mitigate", "zne"]])
def test_bad_batch_or_mitigation_input_is_one_line_exit_2(args):
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "rotation.qasm"), "--quiet", *args])
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


def test_missing_params_are_named_in_the_cli_own_words():
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "rotation.qasm"), "--quiet"])
    assert result.exit_code == 2
    assert "--params" in result.stderr and "params=" not in result.stderr and "{" not in result.stderr


def test_cluster_job_state_names_queue_position_progress_and_eta():
    from qirrt.cli.cluster import _job_state

    assert _job_state({"state": "queued", "attempt": 1, "position": 3, "eta_s": 12.4}) == \
        "queued, position 3 in the queue, ETA 12 s"
    assert _job_state({"state": "running", "attempt": 2, "progress": 0.5, "eta_s": 0.0}) == \
        "running, attempt 2, 50% done"
    assert _job_state({}) == "unknown"


def test_waiting_for_a_cluster_job_shows_its_state_and_returns_its_result(monkeypatch):
    from qirrt.cli import cluster as cluster_cli
    from qirrt.executors.distributed.testing import LocalCluster

    shown = []
    monkeypatch.setattr(Progress, "describe", lambda self, state: shown.append(state))
    with LocalCluster(workers=1) as cluster:
        client = cluster.connect(user="alice")
        job = client.submit(qirrt.load(EXAMPLES / "bell.qasm"), shots=200, seed=3)
        outcome = cluster_cli._wait_for(client, job.id, 120, quiet=False)
    assert sum(outcome.counts.values()) == 200 and set(outcome.counts) <= {"00", "11"}
    assert shown and shown[-1].startswith("done")


def test_a_mitigated_run_announces_how_many_circuits_it_will_run():
    expected, done = [], []
    with reporting_runs(done.append, expect=expected.append):
        qirrt.run(qirrt.load(EXAMPLES / "bell.qasm"), mitigation="zne{scale-factors=1,3,5}", observable="ZZ",
                  shots=200, seed=5)
    assert sum(expected) == len(done) >= 3  # one circuit per scale factor at least
    bar = Progress("mitigation", stream=io.StringIO(), clock=lambda: 0.0)
    bar.expect(3)
    bar.advance("circuit 1 done")
    assert bar.line() == "mitigation: 1/3 done, 0 s elapsed, ETA 0 s (circuit 1 done)"
