"""The cluster as an executor (issue 17): qirrt.run / run_batch / mitigation / compiled runs on a broker with a
simulator lane and an emulated-QPU lane, split="auto", seeds, lanes that die, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit

import qirrt
from qirrt.executors.distributed.cluster import SplitError, check_requires
from qirrt.executors.distributed.testing import LocalCluster
from tests.executors.distributed.helpers import QPU, sweep_program
from tests.stats import assert_same_sample

SLOW_QUEUE = {"latency_s": 0.05, "mean_depth": 0.0, "job_s": 0.01, "overhead_s": 0.3, "shot_s": 1e-5}


@pytest.fixture(scope="module")
def lanes():
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="sim")
        cluster.add_worker("emulated:FakeKolkata", name="qpu", executor_options=QPU)
        yield cluster


def test_sweep_split_across_a_simulator_and_a_qpu_lane(lanes):
    program = sweep_program()
    values = [[float(v)] for v in np.linspace(0, np.pi, 40)]
    executor = lanes.as_executor()
    job = executor.submit(program, shots=400, seed=21, params=values, split="auto")
    results = job.result(timeout_s=300)
    assert len(results) == 40
    used = {r.metadata["lane"] for r in results}
    assert used == {"simulator:local", "qpu:fake_kolkata"}, used
    assert [r.metadata["lane"] for r in results] == job.plan.assignment  # order kept, each where it was sent
    local = qirrt.run(program, executor="local", shots=400, seed=21, params=values)
    emulated = qirrt.executors.registry.new_executor("emulated:FakeKolkata", **QPU)
    on_qpu = emulated.execute([program], shots=400, seed=21, params=values)
    for index, result in enumerate(results):
        assert result.metadata["parameters"]["theta"] == pytest.approx(values[index][0])
        assert result.metadata["worker"] in ("sim", "qpu")
        if result.metadata["lane"] == "simulator:local":
            assert result.counts == local[index].counts  # same executor, same seed: the same sample
        else:
            assert_same_sample(result.counts, on_qpu[index].counts)


def test_run_batch_and_compiled_run_on_the_cluster(lanes):
    executor = lanes.as_executor()
    program = sweep_program()
    bell = qirrt.run(program, executor=executor, shots=300, seed=4, params={"theta": np.pi / 2},
                     split=None, requires={"lane": "simulator"})
    assert bell.metadata["lane"] == "simulator:local" and set(bell.counts) <= {"00", "11"}
    items = [(program.bind({"theta": 0.3}) if hasattr(program, "bind") else program, "ddd")]
    if hasattr(program, "bind"):
        [mitigated] = qirrt.run_batch(items, executor=executor, shots=200, seed=5, observable="ZZ")
        assert mitigated.expectation is not None
    compiled = qirrt.compile(program)
    rows = np.array([[0.0], [np.pi]])
    out = compiled.run(rows, executor=executor, shots=200, seed=9)
    local = compiled.run(rows, executor="local", shots=200, seed=9)
    for result, peer in zip(out, local):
        if result.metadata["lane"] == "simulator:local":
            assert result.counts == peer.counts
        else:  # the noisy device: mostly the ideal outcome
            assert max(result.counts, key=result.counts.get) == max(peer.counts, key=peer.counts.get)


def test_zne_ddd_on_the_cluster_equals_the_local_run(lanes):
    from qirrt.adapters import load_backend
    from qirrt.api.compile import compile_program
    from qirrt.api.mitigate.pipeline import run as run_mitigated

    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    on_cluster = qirrt.run(program, executor=lanes.as_executor(), target="FakeKolkata", mitigation="ddd,zne",
                           observable="ZZ", shots=500, seed=17)
    target, calibration = load_backend("FakeKolkata")
    local = run_mitigated(compile_program(program, target="FakeKolkata").program, "ddd,zne", "ZZ",
                          executor=qirrt.executors.registry.new_executor("emulated:FakeKolkata", **QPU), shots=500,
                          seed=17, target=target, calibration=calibration)
    assert on_cluster.expectation == pytest.approx(local.expectation, abs=1e-12)
    assert on_cluster.counts == local.counts


@pytest.mark.parametrize("split", ["fast", 3, "AUTO", ""])
def test_a_bad_split_is_a_clear_error(lanes, split):
    with pytest.raises(SplitError, match="split must be 'auto', 'round-robin' or None"):
        lanes.as_executor().submit(sweep_program(), params=[[0.1]], split=split)


def test_a_requirement_no_lane_meets_is_a_clear_error(lanes):
    with pytest.raises(SplitError, match="no registered worker meets"):
        lanes.as_executor().submit(sweep_program(), params=[[0.1]], split="auto", requires={"lane": "gpu-farm"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=12), st.one_of(st.integers(), st.text(max_size=5), st.none(),
                                                        st.booleans(), st.floats(allow_nan=True)), max_size=4))
def test_requires_is_checked_before_anything_is_sent(requires):
    try:
        checked = check_requires(requires)
    except SplitError as exc:
        assert "requires" in str(exc)
    else:
        assert set(checked) <= set(qirrt.executors.distributed.protocol.Requires.__struct_fields__)


def _spawn_worker(url: str, name: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    return subprocess.Popen([sys.executable, "-m", "qirrt.cli", "worker", "--connect", url, "--insecure-loopback",
                             "--name", name, "--heartbeat-interval-ms", "100", "--adapter", "emulated:FakeKolkata",
                             "--adapter-options", json.dumps({"failure_rate": 0, "queue": SLOW_QUEUE})],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_a_lane_killed_mid_batch_loses_nothing():
    program = sweep_program()
    values = [[float(v)] for v in np.linspace(0, np.pi, 30)]
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="sim")
        proc = _spawn_worker(cluster.url, "doomed-qpu")
        try:
            deadline = time.monotonic() + 120
            executor = cluster.as_executor()
            while not any(w["name"] == "doomed-qpu" for w in executor.workers()):
                assert time.monotonic() < deadline and proc.poll() is None, "the QPU worker did not register"
                time.sleep(0.2)
            job = executor.submit(program, shots=200, seed=2, params=values, split="round-robin")
            assert "qpu:fake_kolkata" in job.plan.assignment
            while not any(i.result is not None and i.lane == "qpu:fake_kolkata" for i in job.items):
                assert time.monotonic() < deadline, "the QPU lane never finished a job"
                with executor.lock:
                    job._poll()
                time.sleep(0.1)
            proc.kill()
            results = job.result(timeout_s=120)
        finally:
            proc.kill()
            proc.wait(10)
    assert len(results) == 30 and job.moved > 0
    assert [r.metadata["parameters"]["theta"] for r in results] == pytest.approx([v[0] for v in values])
    assert {r.metadata["lane"] for r in results} == {"simulator:local", "qpu:fake_kolkata"}


def test_a_workloads_execution_options_apply_zne(monkeypatch):
    """The seed's decorator list in `execution_options` runs the workload's programs through ZNE."""
    from qirrt.executors.distributed.workload import discover

    here = os.path.join(os.path.dirname(__file__), "workloads")
    bundle = discover(os.path.join(here, "zne.py"))
    assert bundle["execution_options"]["passes"] == ["ErrorMitigatedExecutionBackend", "zne{scale-factors=1,3,5}"]
    monkeypatch.syspath_prepend(here)
    import zne  # the workload module, run in this process as its sandbox would run it

    value = zne.Zne({"seed": 3}).run()
    assert value["metadata"]["mitigation"]["pipeline"].startswith("zne")  # 1,3,5: the default, not printed
    direct = qirrt.run(qirrt.load(zne.BELL), mitigation="zne{scale-factors=1,3,5}", observable="ZZ", shots=400, seed=3)
    assert value["expectation"] == pytest.approx(direct.expectation, abs=1e-12)


def test_unknown_execution_options_are_a_clear_error():
    from qirrt.executors.distributed.workload import RuntimeWorkerBase, WorkloadError

    class Odd(RuntimeWorkerBase):
        execution_options = {"pases": "zne"}  # noqa: RUF012

    with pytest.raises(WorkloadError, match="unknown execution_options pases of Odd; known: passes"):
        Odd().execute("not even QIR")


def test_status_workers_shows_the_lanes(lanes):
    from click.testing import CliRunner

    from qirrt.cli.app import main

    out = CliRunner().invoke(main, ["status", "--workers", "--connect", lanes.url, "--insecure-loopback"])
    assert out.exit_code == 0, out.output
    rows = {row["name"]: row for row in map(json.loads, out.output.splitlines())}
    assert rows["sim"]["lane"] == "simulator:local" and rows["sim"]["lane_kind"] == "simulator"
    qpu = rows["qpu"]
    assert qpu["lane"] == "qpu:fake_kolkata" and qpu["target"] == "fake_kolkata" and qpu["max_qubits"] == 27
    assert {"queue_depth", "calibration_epoch", "coupling_hash", "shots_per_s", "adapter_latency_ms"} <= set(qpu)
    assert qpu["adapter_latency_ms"] >= 0 and "adapter_latency_ms" not in rows["sim"]


@pytest.mark.parametrize("adapter, options, message", [
    ("nonsense:FakeKolkata", "{}", "is not ADAPTER:DEVICE"),
    ("emulated:FakeKolkata", "[1]", "must be a JSON object"),
    ("emulated:FakeKolkata", "{", "not JSON"),
])
def test_worker_adapter_errors_exit_2(adapter, options, message):
    from click.testing import CliRunner

    from qirrt.cli.app import main

    out = CliRunner().invoke(main, ["worker", "--insecure-loopback", "--adapter", adapter,
                                    "--adapter-options", options])
    assert out.exit_code == 2 and message in out.output


def test_a_cluster_url_is_an_executor_name(lanes):
    from qirrt.executors.registry import executor_label, new_executor

    assert executor_label("emulated:FakeKolkata") == "emulated"
    assert executor_label("qirrt.executors.null:NullExecutor") == "NullExecutor"
    cluster = new_executor(lanes.url)  # tcp://127.0.0.1:PORT: no keys needed on loopback
    try:
        result = qirrt.run(sweep_program(), executor=cluster, shots=100, seed=1, params=[0.0],
                           requires={"lane": "simulator"})
        assert result.counts == {"00": 100} and result.metadata["worker"] == "sim"
    finally:
        cluster.close()


def test_a_mitigation_no_worker_advertises_is_refused(lanes):
    from qirrt.executors.distributed.client import BrokerError

    program = sweep_program()
    with pytest.raises(SplitError, match="no registered worker meets"):  # a split needs a lane now
        lanes.as_executor().submit(program, params=[0.1], split="auto", requires={"mitigation": ["zne"]})
    with pytest.raises(BrokerError, match="requires mitigation zne, which no registered worker advertises"):
        lanes.as_executor().submit(program, params=[0.1], requires={"mitigation": ["zne"]})
    with pytest.raises(BrokerError, match="requires mitigation zne, which no registered worker advertises"):
        lanes.connect().submit(program, params={"theta": 0.1}, requires={"mitigation": ["zne"]})
