"""`qirrt.cirq.Sampler` against `cirq.Simulator`: the same keys, shapes and types, and distributions that a
two-sample G-test cannot tell apart at p > 0.001 (`tests.stats`)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

cirq = pytest.importorskip("cirq")
sympy = pytest.importorskip("sympy")

from qirrt.errors import ExecutionError, PluginError
from tests.stats import assert_same_sample

REPS = 3000
q0, q1, q2 = cirq.LineQubit.range(3)
theta = sympy.Symbol("theta")


def histogram(result: cirq.Result) -> dict[str, int]:
    """One string per repetition over every key (sorted), as a two-sample test needs."""
    keys = sorted(result.records)
    rows = zip(*[["".join(map(str, r[-1])) for r in result.records[k]] for k in keys])
    out: dict[str, int] = {}
    for row in rows:
        key = " ".join(row)
        out[key] = out.get(key, 0) + 1
    return out


def parametric() -> cirq.Circuit:
    return cirq.Circuit(
        cirq.ry(theta).on(q0),
        cirq.CNOT(q0, q1),
        cirq.rx(2 * theta + 0.3).on(q2),
        cirq.measure(q0, q1, key="pair"),
        cirq.measure(q2, key="z", invert_mask=(True,)),
    )


class CountingExecutor:
    def __init__(self):
        from qirrt.executors.registry import get_executor

        self.inner = get_executor("local")
        self.calls: list[int] = []

    def run(self, program, **options):
        self.calls.append(len(options.get("params") or [None]))
        return self.inner.run(program, **options)


def test_qirrt_cirq_is_the_samplers_public_name_and_import_qirrt_does_not_import_cirq():
    import qirrt.cirq
    from qirrt.api.cirq import Sampler

    assert qirrt.cirq.Sampler is Sampler and issubclass(Sampler, cirq.Sampler)
    code = "import sys, qirrt; print('cirq' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert out.stdout.strip() == "False", out.stderr


def test_run_matches_cirq_simulator_keys_shapes_and_distribution():
    circuit = cirq.resolve_parameters(parametric(), {"theta": 1.1})
    ours = qirrt_sampler().run(circuit, repetitions=REPS)
    theirs = cirq.Simulator(seed=1).run(circuit, repetitions=REPS)
    assert isinstance(ours, cirq.ResultDict)
    assert set(ours.records) == set(theirs.records) == {"pair", "z"}
    for key in theirs.records:
        assert ours.records[key].shape == theirs.records[key].shape
        assert ours.measurements[key].dtype == theirs.measurements[key].dtype
    assert_same_sample(histogram(ours), histogram(theirs))


def qirrt_sampler(**options):
    import qirrt.cirq

    return qirrt.cirq.Sampler(seed=5, **options)


def test_run_sweep_binds_the_compiled_circuit_per_point():
    spy = CountingExecutor()
    sampler = qirrt_sampler(executor=spy)
    sweep = cirq.Linspace(theta, 0.0, np.pi, 4)
    ours = sampler.run_sweep(parametric(), sweep, repetitions=REPS)
    theirs = cirq.Simulator(seed=2).run_sweep(parametric(), sweep, repetitions=REPS)
    assert sampler.compilations == 1 and spy.calls == [4]
    assert [r.params for r in ours] == [r.params for r in theirs]
    for a, b in zip(ours, theirs):
        assert_same_sample(histogram(a), histogram(b))
    sampler.run_sweep(parametric(), cirq.Points(theta, [0.2, 0.4]), repetitions=10)
    assert sampler.compilations == 1  # a new sweep of the same circuit binds again, it does not recompile


def test_sample_gives_cirqs_data_frame():
    sweep = cirq.Points(theta, [0.0, np.pi])
    ours = qirrt_sampler().sample(parametric(), params=sweep, repetitions=50)
    theirs = cirq.Simulator().sample(parametric(), params=sweep, repetitions=50)
    assert list(ours.columns) == list(theirs.columns) and len(ours) == len(theirs) == 100
    # theta = 0: pair = 00 and z = NOT(rx(0.3) bit); theta = pi: pair = 11 always
    assert set(ours[ours.theta == 0.0]["pair"]) == {0} and set(ours[ours.theta == np.pi]["pair"]) == {3}


def test_classically_controlled_circuits_match_cirq():
    circuit = cirq.Circuit(
        cirq.H(q0),
        cirq.measure(q0, key="m"),
        cirq.X(q1).with_classical_controls("m"),
        cirq.ry(0.7).on(q2).with_classical_controls(sympy.Eq(sympy.Symbol("m"), 0)),
        cirq.measure(q1, q2, key="out"),
    )
    ours = qirrt_sampler().run(circuit, repetitions=REPS)
    theirs = cirq.Simulator(seed=3).run(circuit, repetitions=REPS)
    assert_same_sample(histogram(ours), histogram(theirs))
    assert np.array_equal(ours.measurements["m"][:, 0], ours.measurements["out"][:, 0])


def test_the_aer_executor_runs_the_same_circuit():
    pytest.importorskip("qiskit_aer")
    circuit = cirq.resolve_parameters(parametric(), {"theta": 0.6})
    ours = qirrt_sampler(executor="aer").run(circuit, repetitions=REPS)
    theirs = cirq.Simulator(seed=4).run(circuit, repetitions=REPS)
    assert_same_sample(histogram(ours), histogram(theirs))


@pytest.mark.parametrize("repetitions", [0, -3, 2.5])
def test_bad_repetitions_are_refused(repetitions):
    with pytest.raises(ExecutionError, match="shots must be a whole number"):
        qirrt_sampler().run(cirq.Circuit(cirq.measure(q0, key="a")), repetitions=repetitions)


SHARED = qirrt_sampler()


def test_bad_arguments_give_qirrt_errors():
    with pytest.raises(PluginError, match="no plugin named 'warp'"):
        qirrt_sampler(executor="warp")
    with pytest.raises(ExecutionError, match="no value for parameter 'theta'"):
        qirrt_sampler().run(parametric(), repetitions=5)
    with pytest.raises(ExecutionError, match="runs cirq circuits"):
        qirrt_sampler().run("H 0", repetitions=5)


def test_a_cluster_url_runs_the_sweep_on_the_clusters_workers():
    from qirrt.executors.distributed.testing import LocalCluster

    sweep = cirq.Points(theta, [0.0, np.pi])
    with LocalCluster(workers=1) as cluster:
        results = qirrt_sampler(executor=cluster.url, timeout_s=120).run_sweep(parametric(), sweep, repetitions=200)
    assert [r.params for r in results] == list(cirq.to_resolvers(sweep))
    assert set(results[0].histogram(key="pair")) == {0} and set(results[1].histogram(key="pair")) == {3}
    assert all(r.measurements["pair"].shape == (200, 2) for r in results)


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.integers(min_value=-5, max_value=40), st.floats(allow_nan=True), st.booleans(), st.none()))
def test_repetitions_are_accepted_exactly_when_a_whole_number_of_at_least_one(repetitions):
    circuit = cirq.Circuit(cirq.X(q0), cirq.measure(q0, key="a"))
    valid = isinstance(repetitions, int) and not isinstance(repetitions, bool) and repetitions >= 1
    if valid:
        result = SHARED.run(circuit, repetitions=repetitions)
        assert result.measurements["a"].shape == (repetitions, 1) and result.measurements["a"].all()
    else:
        with pytest.raises(ExecutionError):
            SHARED.run(circuit, repetitions=repetitions)


def test_a_target_compiles_once_and_sweeps_with_the_devices_noise():
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("qiskit_ibm_runtime")
    bell = cirq.Circuit(cirq.ry(theta).on(q0), cirq.CNOT(q0, q1), cirq.measure(q0, q1, key="m"))
    sampler = qirrt_sampler(executor="aer", target="FakeKolkata")
    results = sampler.run_sweep(bell, cirq.Points(theta, [0.0, np.pi]), repetitions=2000)
    assert sampler.compilations == 1
    for result, ideal in zip(results, (0, 3)):
        wrong = sum(count for value, count in result.histogram(key="m").items() if value != ideal)
        assert 0 < wrong < 200  # readout and gate errors of a few percent: some, never most
