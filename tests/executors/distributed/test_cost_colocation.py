"""Cost and co-location on the cluster (issue 17, seed AD-11/18/19/22): the broker's TOML price table, costs
in estimates, plans and results, a session's total in `qirrt status --session`, and the simulator/QPU pair a
session prefers."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit

import qirrt
from qirrt.api.mitigate.pipeline import plan as mitigation_plan
from qirrt.executors.distributed.colocate import choose_pair
from qirrt.executors.distributed.prices import PriceError, PriceTable, load_prices
from qirrt.executors.distributed.testing import LocalCluster
from tests.executors.distributed.helpers import QPU, sweep_program

ROOT = Path(__file__).resolve().parents[3]
PRICES = {"currency": "EUR", "lanes": {"qpu:fake_kolkata": {"per_task": 0.3, "per_shot": 0.00035},
                                       "simulator": {"per_task": 0.001, "per_shot": 1e-6, "per_gpu_second": 0.5}}}


def _hand_cost(lane: str, shots: int) -> float:
    price = PRICES["lanes"]["qpu:fake_kolkata" if lane.startswith("qpu") else "simulator"]
    return price["per_task"] + price["per_shot"] * shots  # neither lane has a GPU: no GPU-seconds


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "qirrt.cli", *args], check=False, capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


# -- the price table ---------------------------------------------------------------------------------
def test_example_price_table_loads_and_looks_up_by_lane_target_kind_default():
    table = load_prices(ROOT / "examples" / "prices.toml")
    assert table.currency == "USD"
    # the lane a worker with --adapter emulated:FakeKolkata advertises; device names compare as matching does
    key, price = table.price_for({"lane": "qpu:fake_kolkata", "lane_kind": "qpu", "target": "fake_kolkata"})
    assert key == "qpu:FakeKolkata" and price.per_task == 0.30 and price.per_shot == 0.00035
    assert table.price_for({"lane": "qpu:ibm_x", "lane_kind": "qpu"})[0] == "qpu"
    assert table.price_for({"lane": "simulator:local"})[0] == "simulator"  # lane kind defaults to simulator
    gpu = table.cost({"lane": "simulator:cudaq", "lane_kind": "simulator", "gpu": True}, shots=1000, elapsed_s=10)
    assert gpu["total"] == pytest.approx(0.0001 + 0.0008 * 10) and gpu["gpu_s"] == 10
    cpu = table.cost({"lane": "simulator:local", "gpu": False}, shots=1000, elapsed_s=10)
    assert cpu["total"] == pytest.approx(0.0001) and cpu["gpu_s"] == 0
    assert PriceTable().cost({"lane": "simulator:local"}, shots=5)["total"] == 0  # no table entry: free
    assert PriceTable.from_dict(table.to_dict()) == table  # what the WORKERS reply carries round-trips


@pytest.mark.parametrize(("text", "named"), [
    ("currency = \"USD\"\n[lanes.qpu]\nper_shot = -1\n", "per_shot"),
    ("[lanes.qpu]\nper_shot = nan\n", "per_shot"),
    ("[lanes.qpu]\nper_shot = \"cheap\"\n", "per_shot"),
    ("[lanes.qpu]\nper_sh0t = 1\n", "per_sh0t"),
    ("[lanes]\nqpu = 3\n", "lanes.'qpu'"),
    ("lanes = 3\n", "lanes"),
    ("price = 1\n", "price"),
    ("currency = 5\n", "currency"),
    ("[lanes.qpu]\nper_task = true\n", "per_task"),
    ("[lanes.\"qpu:FakeKolkata\"]\n[lanes.\"qpu:fake_kolkata\"]\n", "same lane"),
    ("currency = \"USD\"\n[lanes.qpu\nper_task = 1\n", "line 2"),
])
def test_bad_price_tables_name_the_key_or_line(tmp_path, text, named):
    path = tmp_path / "prices.toml"
    path.write_text(text)
    with pytest.raises(PriceError) as caught:
        load_prices(path)
    assert named in str(caught.value) and str(path) in str(caught.value)


_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=3), max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200) | st.builds(
    lambda key, value: f"[lanes.\"{key}\"]\n{value}\n", st.text(max_size=10),
    st.sampled_from(["per_shot = ", "per_task = ", "per_gpu_second = ", "x = "]).flatmap(
        lambda k: st.sampled_from(["-1", "1e400", "inf", "-inf", "nan", "\"1\"", "[1]", "{a=1}", "0x10", "1",
                                   "true", "1979-05-27", ""]).map(lambda v: k + v))))
def test_any_price_file_loads_or_fails_with_a_price_error(tmp_path, text):
    path = tmp_path / "prices.toml"
    path.write_text(text)
    try:
        table = load_prices(path)
    except PriceError as exc:
        assert str(path) in str(exc)
        return
    for _key, price in table.lanes:  # what loads is usable: finite, non-negative prices
        assert all(0 <= getattr(price, f) < float("inf") for f in ("per_task", "per_shot", "per_gpu_second"))


@settings(max_examples=200, deadline=None)
@given(data=_values)
def test_any_plain_value_is_a_table_or_a_price_error(data):
    try:
        PriceTable.from_dict(data)
    except PriceError:
        pass


def test_broker_cli_refuses_a_bad_price_table_in_one_line(tmp_path):
    bad = tmp_path / "prices.toml"
    bad.write_text("[lanes.qpu]\nper_shot = -0.5\n")
    done = _cli("broker", "--bind", "tcp://127.0.0.1:0", "--store", str(tmp_path / "b.db"), "--insecure-loopback",
                "--prices", str(bad), timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "per_shot" in lines[0] and "Traceback" not in done.stderr, done.stderr
    missing = _cli("broker", "--store", str(tmp_path / "b.db"), "--insecure-loopback", "--prices",
                   str(tmp_path / "nope.toml"), timeout=60)
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr


# -- cost on a live cluster --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def priced():
    with LocalCluster(heartbeat_interval_ms=100, prices=PriceTable.from_dict(PRICES)) as cluster:
        cluster.add_worker("local", name="sim")
        cluster.add_worker("emulated:FakeKolkata", name="qpu", executor_options=QPU)
        yield cluster


def test_estimate_cost_equals_the_hand_computed_cost_over_two_lanes(priced):
    executor = priced.as_executor()
    program = sweep_program()
    values = [[float(v)] for v in np.linspace(0, np.pi, 16)]
    estimate = executor.estimate(program, shots=400, params=values, split="round-robin")
    assert set(estimate["assignment"]) == {"simulator:local", "qpu:fake_kolkata"}
    expected = sum(_hand_cost(lane, 400) for lane in estimate["assignment"])
    assert estimate["cost"] == pytest.approx(expected) and estimate["currency"] == "EUR"
    by_lane = {lane: sum(_hand_cost(lane, 400) for a in estimate["assignment"] if a == lane)
               for lane in set(estimate["assignment"])}
    assert estimate["cost_by_lane"] == pytest.approx(by_lane)
    # what the run then records matches the estimate: per task and per shot, nothing else
    job = executor.submit(program, shots=400, seed=3, params=values, split="round-robin")
    results = job.result(timeout_s=300)
    assert [r.metadata["lane"] for r in results] == estimate["assignment"]
    for result in results:
        cost = result.metadata["cost"]
        assert cost["total"] == pytest.approx(_hand_cost(result.metadata["lane"], 400)) and cost["shots"] == 400
    assert sum(r.metadata["cost"]["total"] for r in results) == pytest.approx(expected)


def test_mitigation_plan_gives_a_cost_on_the_cluster(priced):
    executor = priced.as_executor()
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    program = qirrt.load(qc)
    plain = mitigation_plan(program, "zne{scale-factors=1,3,5}", shots=300, observable="ZZ")
    assert plain.cost is None
    the_plan = mitigation_plan(program, "zne{scale-factors=1,3,5}", shots=300, observable="ZZ", executor=executor)
    # every execution runs somewhere: at least the simulator's price for each, at most the QPU's
    low = sum(_hand_cost("simulator", s) for s in [the_plan.shots // the_plan.executions] * the_plan.executions)
    high = the_plan.executions * 0.3 + the_plan.shots * 0.00035
    assert the_plan.currency == "EUR" and low * 0.99 <= the_plan.cost <= high * 1.01, (the_plan.cost, low, high)
    assert the_plan.to_dict()["cost"] == the_plan.cost


def test_session_results_cost_sums_to_status_session(priced):
    executor = priced.as_executor()
    program = sweep_program()
    session = executor.client.session()
    values = [[float(v)] for v in np.linspace(0, np.pi, 10)]
    results = executor.submit(program, shots=250, seed=5, params=values, split="round-robin",
                              session=session).result(timeout_s=300)
    single = session.run([program], shots=100, params={"theta": 0.5}, requires={"lane": "qpu"}, timeout_s=300)
    costs = [r.metadata["cost"]["total"] for r in [*results, *single]]
    assert {r.metadata["lane"] for r in results} == {"simulator:local", "qpu:fake_kolkata"}
    done = _cli("status", "--session", session.id, "--connect", priced.url, "--insecure-loopback")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["jobs"] == 11 and summary["states"] == {"done": 11} and summary["currency"] == "EUR"
    assert summary["cost"] == pytest.approx(sum(costs))
    assert summary == session.summary()
    other = _cli("status", "--session", "f" * 32, "--connect", priced.url, "--insecure-loopback")
    assert other.returncode == 2 and "no such session" in other.stderr and "Traceback" not in other.stderr


# -- co-location -------------------------------------------------------------------------------------
def test_choose_pair_prefers_the_lowest_latency_qpu_and_a_simulator_on_its_host():
    def row(name, kind, host, latency=None, speed=1.0):
        caps = {"host": host, "lane_kind": kind}
        if latency is not None:
            caps["adapter_latency_ms"] = latency
        return {"name": name, "lane": f"{kind}:x", "lane_kind": kind, "speed": speed, "capabilities": caps}

    rows = [row("q-far", "qpu", "b", 40.0), row("q-near", "qpu", "a", 2.0), row("q-unknown", "qpu", "c"),
            row("s-b", "simulator", "b", speed=0.1), row("s-a", "simulator", "a", speed=3.0)]
    pair = choose_pair(rows)
    assert (pair["qpu"], pair["simulator"], pair["same_host"], pair["adapter_latency_ms"]) == ("q-near", "s-a", True,
                                                                                                2.0)
    pair = choose_pair([r for r in rows if r["name"] != "s-a"])  # nothing on host a: the fastest simulator
    assert (pair["simulator"], pair["same_host"]) == ("s-b", False)
    assert choose_pair([r for r in rows if r["lane_kind"] == "qpu"]) is None


def test_a_session_keeps_its_simulator_jobs_beside_its_qpu():
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        # "a-sim" sorts first and is on another host; the session must still pick "z-sim" beside the near QPU
        cluster.add_worker("local", name="a-sim", capabilities={"host": "rack-b"})
        cluster.add_worker("local", name="z-sim", capabilities={"host": "rack-a"})
        cluster.add_worker("emulated:FakeKolkata", name="qpu-far", executor_options=QPU,
                           capabilities={"host": "rack-b", "adapter_latency_ms": 80.0})
        cluster.add_worker("emulated:FakeKolkata", name="qpu-near", executor_options=QPU,
                           capabilities={"host": "rack-a", "adapter_latency_ms": 0.5})
        executor = cluster.as_executor()
        program = sweep_program()
        with executor.client.session() as session:
            assert session.pair["qpu"] == "qpu-near" and session.pair["simulator"] == "z-sim"
            assert session.pair["same_host"] and session.pair["host"] == "rack-a"
            values = [[float(v)] for v in np.linspace(0, np.pi, 8)]
            on_sim = executor.submit(program, shots=100, seed=1, params=values, requires={"lane": "simulator"},
                                     session=session).result(timeout_s=300)
            on_qpu = executor.submit(program, shots=100, seed=1, params=values, requires={"lane": "qpu"},
                                     session=session).result(timeout_s=300)
            assert {r.metadata["worker"] for r in on_sim} == {"z-sim"}
            assert {r.metadata["worker"] for r in on_qpu} == {"qpu-near"}
        done = _cli("status", "--workers", "--connect", cluster.url, "--insecure-loopback")
        assert done.returncode == 0, done.stderr
        rows = {row["name"]: row for row in map(json.loads, done.stdout.splitlines())}
        assert {name: row.get("session_pair") for name, row in rows.items()} == {
            "a-sim": None, "z-sim": "simulator", "qpu-far": None, "qpu-near": "qpu"}
        assert rows["qpu-near"]["same_host"] is True and rows["qpu-near"]["host"] == "rack-a"
        assert rows["qpu-near"]["adapter_latency_ms"] == 0.5 and rows["qpu-far"]["adapter_latency_ms"] == 80.0


@contextlib.contextmanager
def _partner_gone():
    """A cluster whose session pair's simulator ("z-sim") has stopped and left; "a-sim" is the other one."""
    with LocalCluster(heartbeat_interval_ms=100) as cluster:
        cluster.add_worker("local", name="a-sim", capabilities={"host": "rack-b"})
        partner = cluster.add_worker("local", name="z-sim", capabilities={"host": "rack-a"})
        cluster.add_worker("emulated:FakeKolkata", name="qpu-near", executor_options=QPU,
                           capabilities={"host": "rack-a", "adapter_latency_ms": 0.5})
        executor = cluster.as_executor()
        with executor.client.session() as session:
            assert session.pair["simulator"] == "z-sim"
            yield executor, session, partner


def _stop_and_wait_gone(executor, worker) -> None:
    worker.stop()
    deadline = time.monotonic() + 30
    while worker.name in {row["name"] for row in executor.workers()} and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_session_whose_simulator_partner_is_gone_runs_its_split_batch_elsewhere():
    with _partner_gone() as (executor, session, partner):
        _stop_and_wait_gone(executor, partner)
        values = [[float(v)] for v in np.linspace(0, np.pi, 6)]
        results = executor.submit(sweep_program(), shots=100, seed=1, params=values,
                                  requires={"lane": "simulator"}, split="auto", session=session).result(timeout_s=120)
    assert {r.metadata["worker"] for r in results} == {"a-sim"}
    assert [sum(r.counts.values()) for r in results] == [100] * 6


def test_a_session_job_preferring_a_partner_that_is_gone_runs_on_its_lane_elsewhere():
    bell = QuantumCircuit(2, 2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])
    program = qirrt.load(bell)
    with _partner_gone() as (executor, session, partner):
        first = session.submit(program, shots=50, seed=1, requires={"lane": "simulator"}).result(timeout_s=60)
        assert first.metadata["worker"] == "z-sim"
        _stop_and_wait_gone(executor, partner)
        # a plain session submit, outside any split batch: the pin is a preference, so it does not wait
        later = session.submit(program, shots=50, seed=1, requires={"lane": "simulator"}).result(timeout_s=60)
    assert later.metadata["worker"] == "a-sim"
    assert sum(later.counts.values()) == 50
