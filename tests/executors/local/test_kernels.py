"""The local engine's numba kernels against numpy: every kernel path is a matrix product on a small state.

The reference embeds a k-qubit matrix into the full 2**n space (bit b of the matrix index is qubit
`positions[b]`, bit q of the state index is qubit q) and multiplies; states and unitaries are random.
Register sizes go up to 9 qubits so the vectorised paths (bit position >= SIMD_POSITION) and the
64-amplitude diagonal tables are reached, and `block_qubits` below the register size forces passes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import unitary_group

from qirrt.executors.local.abi import GATE_NAMES, OPCODES
from qirrt.executors.local.kernels.fusion import (
    KIND_DENSE,
    KIND_DIAG,
    MAX_QUBITS_PER_OP,
    fuse,
)
from qirrt.executors.local.kernels.gate_table import (
    gate_arity,
    gate_matrix,
    is_diagonal_gate,
)
from qirrt.executors.local.kernels.statevector import SIMD_POSITION, apply_op, apply_ops

TOLERANCE = {np.complex128: 1e-10, np.complex64: 2e-5}
KERNEL_SETTINGS = settings(max_examples=40, deadline=None)


def embed(matrix: np.ndarray, positions, n: int) -> np.ndarray:
    """The 2**n x 2**n operator of `matrix` acting on qubits `positions` (bit b of its index = positions[b])."""
    index = np.arange(2 ** n)
    sub = np.zeros_like(index)
    mask = 0
    for b, q in enumerate(positions):
        sub |= ((index >> q) & 1) << b
        mask |= 1 << q
    rest = index & ~mask
    return matrix[sub[:, None], sub[None, :]] * (rest[:, None] == rest[None, :])


def random_state(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    v = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
    return (v / np.linalg.norm(v)).astype(dtype)


@st.composite
def registers(draw, max_n: int = 9, max_k: int = 4):
    """(n, sorted positions, seed): a register and k distinct qubits of it."""
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(1, min(n, max_k)))
    positions = sorted(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True)))
    return n, positions, draw(st.integers(0, 2 ** 32 - 1))


def _check(state_before, state_after, operator, dtype):
    expected = operator @ state_before.astype(np.complex128)
    assert np.allclose(state_after, expected, atol=TOLERANCE[dtype], rtol=0)


@KERNEL_SETTINGS
@given(register=registers(), dtype=st.sampled_from([np.complex128, np.complex64]), pad=st.integers(0, 3))
def test_dense_operation_is_the_matrix_product(register, dtype, pad):
    """k = 1 and 2 take the unrolled kernels (and the sliced ones at high bit positions); k >= 3 the generic one."""
    n, positions, seed = register
    rng = np.random.default_rng(seed)
    k = len(positions)
    u = unitary_group.rvs(2 ** k, random_state=seed) if k > 1 else unitary_group.rvs(2, random_state=seed)
    data = np.concatenate([rng.normal(size=pad) + 0j, u.reshape(-1)]).astype(dtype)  # offset: junk before
    state = random_state(rng, n, dtype)
    before = state.copy()
    apply_op(state, KIND_DENSE, k, np.array(positions, np.int64), data, pad)
    _check(before, state, embed(u, positions, n), dtype)


@KERNEL_SETTINGS
@given(register=registers(max_k=5), dtype=st.sampled_from([np.complex128, np.complex64]), pad=st.integers(0, 3))
def test_diagonal_operation_is_the_matrix_product(register, dtype, pad):
    """One qubit below and above SIMD_POSITION, and the 64-entry table path for small and large states."""
    n, positions, seed = register
    rng = np.random.default_rng(seed)
    k = len(positions)
    phases = np.exp(1j * rng.uniform(-np.pi, np.pi, 2 ** k))
    data = np.concatenate([np.ones(pad), phases]).astype(dtype)
    state = random_state(rng, n, dtype)
    before = state.copy()
    apply_op(state, KIND_DIAG, k, np.array(positions, np.int64), data, pad)
    _check(before, state, embed(np.diag(phases), positions, n), dtype)


@pytest.mark.parametrize("position", [0, SIMD_POSITION - 1, SIMD_POSITION, 7])
@pytest.mark.parametrize("kind", [KIND_DENSE, KIND_DIAG])
def test_single_qubit_paths_on_either_side_of_the_simd_position(position, kind):
    n = 8
    rng = np.random.default_rng(position)
    u = unitary_group.rvs(2, random_state=position) if kind == KIND_DENSE else np.diag(np.exp(1j * rng.normal(size=2)))
    data = u.reshape(-1) if kind == KIND_DENSE else np.diag(u).copy()
    state = random_state(rng, n, np.complex128)
    before = state.copy()
    apply_op(state, kind, 1, np.array([position], np.int64), data, 0)
    _check(before, state, embed(u, [position], n), np.complex128)


# -- gate matrices -------------------------------------------------------------------------------------
def _qiskit_gate(name: str, angle: float):
    from qiskit.circuit import library as lib

    gates = {"x": lib.XGate, "y": lib.YGate, "z": lib.ZGate, "h": lib.HGate, "s": lib.SGate, "s__adj": lib.SdgGate,
             "t": lib.TGate, "t__adj": lib.TdgGate, "sx": lib.SXGate, "cx": lib.CXGate, "cy": lib.CYGate,
             "cz": lib.CZGate, "swap": lib.SwapGate, "ccx": lib.CCXGate}
    rotations = {"rx": lib.RXGate, "ry": lib.RYGate, "rz": lib.RZGate, "rxx": lib.RXXGate, "ryy": lib.RYYGate,
                 "rzz": lib.RZZGate}
    return rotations[name](angle) if name in rotations else gates[name]()


@pytest.mark.parametrize("name", GATE_NAMES)
def test_gate_matrix_is_qiskits_little_endian_matrix(name):
    """Bit j of `gate_matrix`'s index is the gate's j-th argument: Qiskit's own convention."""
    from qiskit.quantum_info import Operator

    op = OPCODES[name]
    m = np.zeros((8, 8), np.complex128)
    k = gate_matrix(op, 0.731, m)
    assert k == gate_arity(op)
    reference = Operator(_qiskit_gate(name, 0.731)).data
    assert np.allclose(m[:2 ** k, :2 ** k], reference, atol=1e-12)
    assert is_diagonal_gate(op) == bool(np.allclose(reference, np.diag(np.diag(reference))))


@pytest.mark.parametrize("name", GATE_NAMES)
@pytest.mark.parametrize("angle", [0.0, 0.731, -2.5, 3 * np.pi])
def test_gate_matrix_is_the_qir_gate_table(name, angle):
    """The numba table and `qirrt.qir.gates` are one convention: the same matrix for every opcode."""
    from qirrt.qir.gates import ROTATIONS, matrix

    m = np.full((8, 8), np.nan, np.complex128)
    k = gate_matrix(OPCODES[name], angle, m)
    expected = matrix(name, [angle] if name in ROTATIONS else [])
    assert expected.shape == (2 ** k, 2 ** k)
    assert np.allclose(m[:2 ** k, :2 ** k], expected, atol=1e-14, rtol=0)


# -- fusion and passes ---------------------------------------------------------------------------------
@st.composite
def tapes(draw, max_n: int = 8, max_gates: int = 40):
    """A random gate tape (rows: opcode, qubit arguments) with some cx · diagonal · cx sandwiches."""
    n = draw(st.integers(3, max_n))
    rows, angles = [], []
    for _ in range(draw(st.integers(1, max_gates))):
        if draw(st.integers(0, 5)) == 0:  # how controlled phases arrive: cx(a, t) · D(t) · cx(a, t)
            a, t = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
            diag = draw(st.sampled_from(["z", "s", "t", "rz"]))
            theta = draw(st.floats(-np.pi, np.pi))
            rows += [[OPCODES["cx"], a, t, 0], [OPCODES[diag], t, 0, 0], [OPCODES["cx"], a, t, 0]]
            angles += [0.0, theta, 0.0]
            continue
        name = draw(st.sampled_from(GATE_NAMES))
        op = OPCODES[name]
        qubits = draw(st.lists(st.integers(0, n - 1), min_size=gate_arity(op), max_size=gate_arity(op), unique=True))
        rows.append([op, *qubits, *[0] * (3 - len(qubits))])
        angles.append(draw(st.floats(-np.pi, np.pi)))
    return n, np.array(rows, np.int64), np.array(angles, np.float64)


def tape_operator(n: int, ops: np.ndarray, angles: np.ndarray) -> np.ndarray:
    u = np.eye(2 ** n, dtype=np.complex128)
    m = np.zeros((8, 8), np.complex128)
    for row, angle in zip(ops, angles):
        k = gate_matrix(row[0], angle, m)
        u = embed(m[:2 ** k, :2 ** k].copy(), list(row[1:1 + k]), n) @ u
    return u


@settings(max_examples=30, deadline=None)
@given(tape=tapes(), fuse_max=st.integers(1, 5), diag_max=st.integers(1, 8), block_qubits=st.integers(4, 9),
       dtype=st.sampled_from([np.complex128, np.complex64]), seed=st.integers(0, 2 ** 32 - 1))
def test_fused_tape_applied_in_passes_is_the_product_of_its_gates(tape, fuse_max, diag_max, block_qubits, dtype,
                                                                  seed):
    n, ops, angles = tape
    kinds, ks, qs, offs, data = fuse(ops, angles, 0, len(ops), n, fuse_max, diag_max, 0.5)
    assert kinds.size <= len(ops)
    assert qs.shape[1] == MAX_QUBITS_PER_OP
    for i in range(kinds.size):  # every operation names distinct qubits, sorted, within the register
        qubits = qs[i, :ks[i]]
        assert list(qubits) == sorted(set(qubits)) and 0 <= qubits[0] and qubits[-1] < n
    state = random_state(np.random.default_rng(seed), n, dtype)
    before = state.copy()
    passes = apply_ops(state, n, kinds, ks, qs, offs, data, block_qubits)
    assert passes >= (1 if kinds.size else 0)
    _check(before, state, tape_operator(n, ops, angles), dtype)


def test_a_controlled_phase_sandwich_fuses_into_one_diagonal():
    ops = np.array([[OPCODES["cx"], 0, 2, 0], [OPCODES["rz"], 2, 0, 0], [OPCODES["cx"], 0, 2, 0]], np.int64)
    angles = np.array([0.0, 0.9, 0.0])
    kinds, ks, qs, offs, data = fuse(ops, angles, 0, 3, 3, 1, 2, 0.5)
    assert list(kinds) == [KIND_DIAG] and list(qs[0, :ks[0]]) == [0, 2]
    state = random_state(np.random.default_rng(3), 3, np.complex128)
    before = state.copy()
    apply_ops(state, 3, kinds, ks, qs, offs, data, 14)
    _check(before, state, tape_operator(3, ops, angles), np.complex128)
