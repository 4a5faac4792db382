"""The PennyLane device `qml.device("qirrt", ...)` against default.qubit.

Statistical bound: a sampled expectation of an observable with eigenvalues ±1 lies within K·σ of the exact
value, σ = sqrt((1 - ⟨O⟩²)/shots) (floored at 1/shots); K = 4.5 is a two-sided false-alarm rate below 1e-5.
Distributions (probs, counts) are G-tested against default.qubit's exact probabilities (`tests.stats`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

qml = pytest.importorskip("pennylane")

from hypothesis import given, settings
from hypothesis import strategies as st

from qirrt.errors import ExecutionError, FrontendError, PluginError, QirrtError
from tests.stats import assert_distribution

K = 4.5
SHOTS = 4000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="module")
def registered():
    """`qml.device("qirrt")` through PennyLane's plugin lookup; in a development venv whose installed
    metadata predates the entry point, the pyproject's declaration is registered the same way."""
    from importlib.metadata import EntryPoint

    from pennylane.devices import device_constructor

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pennylane.plugins"]
    if "qirrt" not in device_constructor.plugin_devices:
        device_constructor.plugin_devices["qirrt"] = EntryPoint(name="qirrt", value=declared["qirrt"],
                                                                group="pennylane.plugins")
    yield


def sigma(exact: float, shots: int) -> float:
    return max(np.sqrt(max(1.0 - exact * exact, 0.0) / shots), 1.0 / shots)


def assert_close(sampled: float, exact: float, shots: int = SHOTS, scale: float = 1.0) -> None:
    bound = K * scale * sigma(exact, shots)
    assert abs(sampled - exact) <= bound, f"{sampled} vs exact {exact}: off by more than {bound:.4f} (K·σ)"


def probs_as_counts(probs, shots: int) -> dict[str, int]:
    width = int(np.log2(len(probs)))
    return {format(i, f"0{width}b"): round(p * shots) for i, p in enumerate(probs) if round(p * shots)}


def probs_as_dict(probs) -> dict[str, float]:
    width = int(np.log2(len(probs)))
    return {format(i, f"0{width}b"): float(p) for i, p in enumerate(probs)}


def circuit(x, y):
    qml.RX(x, wires=0)
    qml.RY(y, wires=1)
    qml.CNOT(wires=[0, 1])
    qml.Rot(0.2, y, 0.4, wires=2)
    qml.CZ(wires=[1, 2])
    return (qml.expval(qml.Z(0) @ qml.Z(1)), qml.expval(qml.X(2)), qml.var(qml.Y(1)),
            qml.probs(wires=[2, 0]))


# -- registration and the user's flow ------------------------------------------------------------------
def test_the_device_is_declared_as_a_pennylane_plugin_and_found_by_name():
    from qirrt.api.pennylane import QirrtDevice

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pennylane.plugins"]
    assert declared == {"qirrt": "qirrt.api.pennylane:QirrtDevice"}
    dev = qml.device("qirrt", wires=2, shots=100)
    assert isinstance(dev, QirrtDevice) and dev.name == "qirrt" and dev.shots.total_shots == 100


def test_a_qnode_matches_default_qubit_within_the_bound():
    dev = qml.device("qirrt", wires=3, shots=SHOTS, seed=11)
    sampled = qml.QNode(circuit, dev)(0.7, 1.1)
    exact = qml.QNode(circuit, qml.device("default.qubit", wires=3))(0.7, 1.1)
    assert_close(sampled[0], exact[0])
    assert_close(sampled[1], exact[1])
    # var(Y) = 1 - <Y>²: its error is about 2|<Y>|·σ
    mean_y = np.sqrt(max(1 - exact[2], 0.0))
    assert abs(sampled[2] - exact[2]) <= K * (2 * mean_y * sigma(mean_y, SHOTS)) + 2 * K**2 / SHOTS
    assert_distribution(probs_as_counts(sampled[3], SHOTS), probs_as_dict(exact[3]))


def test_exact_mode_equals_default_qubit():
    exact = qml.QNode(circuit, qml.device("default.qubit", wires=3))(0.3, -0.8)
    ours = qml.QNode(circuit, qml.device("qirrt", wires=3))(0.3, -0.8)
    for a, b in zip(ours, exact):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_sample_and_counts_have_default_qubits_shapes_and_distribution():
    def bell():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        qml.RY(0.9, wires=2)
        return qml.sample(wires=[0, 1, 2]), qml.counts(wires=[1, 2]), qml.sample(qml.Z(2))

    ours = qml.set_shots(qml.QNode(bell, qml.device("qirrt", wires=3, seed=3)), shots=SHOTS)()
    theirs = qml.set_shots(qml.QNode(bell, qml.device("default.qubit", wires=3, seed=3)), shots=SHOTS)()
    assert ours[0].shape == theirs[0].shape and ours[2].shape == theirs[2].shape
    assert set(np.unique(ours[2])) <= {-1, 1}
    assert np.all(ours[0][:, 0] == ours[0][:, 1])  # the Bell pair agrees shot by shot
    p1 = np.sin(0.45) ** 2
    assert_distribution({str(k): int(v) for k, v in ours[1].items()},
                        {"00": 0.5 * (1 - p1), "01": 0.5 * p1, "10": 0.5 * (1 - p1), "11": 0.5 * p1})


def test_a_shot_vector_gives_one_result_per_partition():
    def f(x):
        qml.RX(x, 0)
        return qml.expval(qml.Z(0)), qml.probs(wires=0)

    ours = qml.set_shots(qml.QNode(f, qml.device("qirrt", wires=1, seed=5)), shots=[(1000, 2), 3000])(0.4)
    assert len(ours) == 3 and all(len(part) == 2 for part in ours)
    for part, shots in zip(ours, (1000, 1000, 3000)):
        assert_close(part[0], np.cos(0.4), shots)


# -- mid-circuit measurements --------------------------------------------------------------------------
def teleport_like(x):
    qml.RY(x, wires=0)
    m0 = qml.measure(0)
    qml.cond(m0, qml.PauliX)(wires=1)
    qml.Hadamard(wires=0)
    m1 = qml.measure(0, reset=True)
    qml.cond(m1 == 0, qml.RY)(0.5, wires=1)
    return qml.expval(qml.Z(1)), qml.expval(m0), qml.probs(op=m1), qml.expval(qml.Z(0))


def test_mid_circuit_measurement_and_cond_match_default_qubit():
    exact = qml.QNode(teleport_like, qml.device("default.qubit"))(1.2)
    sampled = qml.QNode(teleport_like, qml.device("qirrt", wires=2, shots=SHOTS, seed=8))(1.2)
    assert_close(sampled[0], exact[0])
    assert abs(sampled[1] - exact[1]) <= K * max(np.sqrt(exact[1] * (1 - exact[1]) / SHOTS), 1 / SHOTS)
    assert_distribution(probs_as_counts(sampled[2], SHOTS), probs_as_dict(exact[2]))
    assert sampled[3] == 1.0  # reset=True leaves wire 0 in |0>
    analytic = qml.QNode(teleport_like, qml.device("qirrt", wires=2))(1.2)
    for a, b in zip(analytic, exact):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_counts_and_samples_of_a_mid_circuit_measurement_read_as_pennylane_does():
    def f():
        qml.RY(2 * np.arcsin(np.sqrt(0.3)), 0)
        m = qml.measure(0)
        return qml.counts(m), qml.sample(m)

    counts, samples = qml.QNode(f, qml.device("qirrt", wires=1, shots=SHOTS, seed=2))()
    reference = qml.set_shots(qml.QNode(f, qml.device("default.qubit", seed=2)), shots=10)()
    assert reference[1].shape == (10,) and samples.shape == (SHOTS,)
    assert {type(k) for k in counts} == {type(k) for k in reference[0]} and set(counts) <= {0.0, 1.0}
    assert_distribution({str(int(k)): int(v) for k, v in counts.items()}, {"0": 0.7, "1": 0.3})


# -- gradients -----------------------------------------------------------------------------------------
def ansatz(weights):
    qml.RX(weights[0], wires=0)
    qml.RY(weights[1], wires=1)
    qml.CNOT(wires=[0, 1])
    qml.RZ(weights[2], wires=1)
    qml.RX(weights[2], wires=1)
    return qml.expval(qml.Z(1))


def test_parameter_shift_gradients_match_default_qubit():
    weights = qml.numpy.array([0.4, -0.7, 1.1], requires_grad=True)
    exact = qml.grad(qml.QNode(ansatz, qml.device("default.qubit", wires=2)))(weights)
    dev = qml.device("qirrt", wires=2, shots=SHOTS, seed=4)
    sampled = qml.grad(qml.QNode(ansatz, dev, diff_method="parameter-shift"))(weights)
    # each component is half a difference of two sampled expectations: σ ≤ sqrt(2/shots)/2 per shift rule
    for ours, theirs in zip(sampled, exact):
        assert abs(ours - theirs) <= K * np.sqrt(2 / SHOTS)  # RZ and RX share weights[2]: two rules
    analytic = qml.grad(qml.QNode(ansatz, qml.device("qirrt", wires=2), diff_method="parameter-shift"))(weights)
    np.testing.assert_allclose(analytic, exact, atol=1e-9)
    assert dev.compilations == 1  # the unshifted tape and every shifted tape share one compiled program


# -- compile once, bind many ---------------------------------------------------------------------------
class CountingExecutor:
    """The local executor, counting its run calls and the parameter rows it was given."""

    def __init__(self):
        from qirrt.executors.registry import get_executor

        self.inner = get_executor("local")
        self.name = "local"
        self.calls: list[int] = []

    def run(self, program, **options):
        self.calls.append(len(options.get("params") or [None]))
        return self.inner.run(program, **options)


def test_repeated_calls_reuse_the_compiled_program():
    dev = qml.device("qirrt", wires=2, shots=200, seed=1)
    node = qml.QNode(ansatz, dev)
    for x in np.linspace(0.0, 1.0, 5):
        node(np.array([x, 2 * x, -x]))
    assert dev.compilations == 1

    def other(weights):
        qml.RX(weights[0], wires=1)
        return qml.expval(qml.Z(1))

    qml.QNode(other, dev)(np.array([0.3]))
    assert dev.compilations == 2


def test_a_batch_of_tapes_runs_as_one_executor_call():
    spy = CountingExecutor()
    dev = qml.device("qirrt", wires=2, shots=SHOTS, executor=spy, seed=6)
    tapes = [qml.tape.QuantumScript([qml.RX(x, 0), qml.CNOT([0, 1])], [qml.expval(qml.Z(1))], shots=SHOTS)
             for x in (0.1, 0.9, 2.0)]
    results = qml.execute(tapes, dev, diff_method=None)
    assert spy.calls == [3] and dev.compilations == 1
    for x, value in zip((0.1, 0.9, 2.0), results):
        assert_close(value, np.cos(x))


# -- executors and mitigation -------------------------------------------------------------------------
def test_the_aer_executor_runs_the_same_qnode():
    pytest.importorskip("qiskit_aer")
    sampled = qml.QNode(ansatz, qml.device("qirrt", wires=2, shots=SHOTS, executor="aer", seed=9))(
        np.array([0.4, -0.7, 1.1]))
    exact = qml.QNode(ansatz, qml.device("default.qubit", wires=2))(np.array([0.4, -0.7, 1.1]))
    assert_close(sampled, exact)


def test_mitigation_applies_to_expectations_of_pauli_sums():
    def ghz():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        qml.CNOT([1, 2])
        return qml.expval(qml.Z(0) @ qml.Z(2)), qml.expval(0.5 * qml.X(0) @ qml.X(1) @ qml.X(2) + 0.25 * qml.Z(1))

    dev = qml.device("qirrt", wires=3, shots=SHOTS, seed=12, mitigation="zne{scale-factors=1,3}")
    zz, mixed = qml.QNode(ghz, dev)()
    # noiseless: ZNE extrapolates two estimates of the exact value (Richardson weights 1.5, -0.5)
    assert abs(zz - 1.0) <= 1e-9
    assert abs(mixed - 0.5) <= K * np.sqrt(1.5**2 + 0.5**2) * 0.5 / np.sqrt(SHOTS) + 1e-9

    def with_probs():
        qml.Hadamard(0)
        return qml.probs(wires=0)

    with pytest.raises(ExecutionError, match="mitigation= applies to expval"):
        qml.QNode(with_probs, dev)()


# -- bad arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize("wires", [0, -1, []])
def test_wires_below_one_are_refused(wires):
    with pytest.raises(ExecutionError, match=re.escape("wires must be a number ≥ 1")):
        qml.device("qirrt", wires=wires)


def test_an_unknown_executor_names_the_known_ones():
    with pytest.raises(PluginError, match=r"no plugin named 'warp-drive'.*known: .*local"):
        qml.device("qirrt", wires=1, executor="warp-drive")


@pytest.mark.parametrize("shots", [0, -5, 10**12, 2.5, [100, 0]])
def test_bad_shots_are_refused(shots):
    with pytest.raises(ExecutionError, match="shots"):
        qml.device("qirrt", wires=1, shots=shots)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(min_value=-(2**40), max_value=2**40), st.none()))
def test_shots_are_accepted_exactly_when_none_or_in_range(shots):
    from qirrt.api.pennylane import MAX_SHOTS

    if shots is None or 1 <= shots <= MAX_SHOTS:
        assert qml.device("qirrt", wires=1, shots=shots).shots.total_shots == shots
    else:
        with pytest.raises(ExecutionError):
            qml.device("qirrt", wires=1, shots=shots)


def test_unsupported_measurements_and_operations_give_qirrt_errors():
    dev = qml.device("qirrt", wires=2, shots=100)

    def state():
        qml.Hadamard(0)
        return qml.state()

    with pytest.raises(FrontendError, match=r"qml.state|state\(\)|StateMP|not supported"):
        qml.QNode(state, dev)()

    def postselected():
        qml.measure(0, postselect=1)
        return qml.expval(qml.Z(1))

    with pytest.raises(QirrtError, match="postselect"):
        qml.QNode(postselected, dev, mcm_method="device")()

    def sampled():
        qml.Hadamard(0)
        return qml.sample(wires=0)

    with pytest.raises(ExecutionError, match="needs shots"):
        qml.QNode(sampled, qml.device("qirrt", wires=2))()


def test_exact_mode_needs_the_noiseless_local_executor():
    pytest.importorskip("qiskit_aer")
    with pytest.raises(ExecutionError, match="shots=None .* local executor only"):
        qml.QNode(ansatz, qml.device("qirrt", wires=2, executor="aer"))(np.array([0.1, 0.2, 0.3]))


def test_a_cluster_url_runs_the_qnode_on_the_clusters_workers():
    from qirrt.executors.distributed.testing import LocalCluster

    def bell(x):
        qml.RX(x, wires=0)
        qml.CNOT(wires=[0, 1])
        return qml.expval(qml.Z(1)), qml.sample(wires=[0, 1])

    with LocalCluster(workers=1) as cluster:
        dev = qml.device("qirrt", wires=2, shots=SHOTS, executor=cluster.url, seed=3, timeout_s=120)
        value, samples = qml.QNode(bell, dev)(0.4)
    assert_close(value, np.cos(0.4))
    assert samples.shape == (SHOTS, 2) and np.all(samples[:, 0] == samples[:, 1])


def test_mitigation_on_a_noisy_device_moves_the_value_toward_the_ideal():
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("qiskit_ibm_runtime")

    def ghz():
        qml.Hadamard(0)
        for i in range(4):
            qml.CNOT([i, i + 1])
        return qml.expval(qml.Z(0) @ qml.Z(4))  # ideally 1

    options = {"wires": 5, "shots": 20_000, "executor": "aer", "target": "FakeKolkata", "seed": 1}
    raw = qml.QNode(ghz, qml.device("qirrt", **options))()
    mitigated = qml.QNode(ghz, qml.device("qirrt", mitigation="zne{scale-factors=1,3,5}", **options))()
    # the device's noise pulls <ZZ> well below 1 (σ ≈ 0.003 raw, ≈ 0.008 after Richardson's weights)
    assert raw < 0.97 and abs(mitigated - 1.0) < abs(raw - 1.0)


@pytest.fixture(scope="module")
def exact_device():
    """One analytic device shared by the property test's examples, so compilations accumulate on it."""
    return qml.device("qirrt", wires=2)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(min_value=-2 * np.pi, max_value=2 * np.pi, allow_nan=False), min_size=3, max_size=3))
def test_any_angles_give_default_qubits_exact_values_from_one_compiled_program(exact_device, angles):
    ours = qml.QNode(ansatz, exact_device)(np.array(angles))
    theirs = qml.QNode(ansatz, qml.device("default.qubit", wires=2))(np.array(angles))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    assert exact_device.compilations == 1


def test_non_commuting_observables_and_sums_are_split_and_recombined():
    def f(x):
        qml.RY(x, wires=0)
        qml.CNOT([0, 1])
        return qml.expval(qml.X(0) + 0.5 * qml.Z(0) @ qml.Z(1)), qml.expval(qml.Z(0)), qml.var(qml.X(1))

    ours = qml.QNode(f, qml.device("qirrt", wires=2))(0.8)
    theirs = qml.QNode(f, qml.device("default.qubit", wires=2))(0.8)
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_an_operation_without_a_qir_form_or_decomposition_is_a_frontend_error():
    class Opaque(qml.operation.Operation):
        num_wires = 1

    def f():
        Opaque(wires=0)
        return qml.expval(qml.Z(0))

    with pytest.raises(FrontendError, match="Opaque on wires \\[0\\]: it is not a QIR gate and has no "
                                            "decomposition"):
        qml.QNode(f, qml.device("qirrt", wires=1, shots=10))()


def test_broadcast_parameters_and_the_tracker():
    def f(x):
        qml.RX(x, wires=0)
        return qml.expval(qml.Z(0))

    dev = qml.device("qirrt", wires=1, shots=1000, seed=2)
    xs = np.array([0.1, 1.0, 2.5])
    with qml.Tracker(dev) as tracker:
        values = qml.QNode(f, dev)(xs)
    assert values.shape == (3,) and dev.compilations == 1
    for x, value in zip(xs, values):
        assert_close(value, np.cos(x), 1000)
    assert tracker.totals["executions"] == 3 and tracker.totals["shots"] == 3000
