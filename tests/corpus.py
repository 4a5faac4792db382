"""The 50-circuit corpus: QFT, GHZ, Grover, random, parameterised ansätze, feed-forward programs.

Every circuit is small enough (≤ 8 qubits) for exact distributions. `CORPUS` maps a stable name to a
builder so tests can parametrise on names.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm2
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import (
    QFTGate,
    efficient_su2,
    grover_operator,
    real_amplitudes,
)
from qiskit.circuit.random import random_circuit


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def ghz_qasm(n: int = 3) -> str:
    """`ghz(n)` as OpenQASM 2 text."""
    return qasm2.dumps(ghz(n))


def qft_circuit(n: int, seed: int) -> QuantumCircuit:
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n, name=f"qft{n}")
    for q in range(n):
        if rng.random() < 0.5:
            qc.x(q)
        qc.ry(float(rng.uniform(0, math.pi)), q)
    qc.append(QFTGate(n), range(n))
    qc.measure(range(n), range(n))
    return qc


def grover(n: int, marked: int) -> QuantumCircuit:
    oracle = QuantumCircuit(n)
    bits = format(marked, f"0{n}b")[::-1]
    for q, bit in enumerate(bits):
        if bit == "0":
            oracle.x(q)
    oracle.h(n - 1)
    oracle.mcx(list(range(n - 1)), n - 1)
    oracle.h(n - 1)
    for q, bit in enumerate(bits):
        if bit == "0":
            oracle.x(q)
    qc = QuantumCircuit(n, n, name=f"grover{n}")
    qc.h(range(n))
    iterations = max(1, int(math.pi / 4 * math.sqrt(2 ** n)))
    operator = grover_operator(oracle)
    for _ in range(iterations):
        qc.compose(operator, inplace=True)
    qc.measure(range(n), range(n))
    return qc


def random_static(n: int, depth: int, seed: int) -> QuantumCircuit:
    qc = random_circuit(n, depth, max_operands=3, measure=True, seed=seed)
    qc.name = f"random{n}x{depth}s{seed}"
    return qc


def ansatz(kind: str, n: int, seed: int, bound: bool = True) -> QuantumCircuit:
    body = real_amplitudes(n, reps=2) if kind == "ra" else efficient_su2(n, reps=1)
    qc = QuantumCircuit(n, n, name=f"{kind}{n}")
    qc.compose(body, inplace=True)
    qc.measure(range(n), range(n))
    if bound:
        rng = np.random.default_rng(seed)
        qc = qc.assign_parameters(rng.uniform(-math.pi, math.pi, qc.num_parameters))
    return qc


def expression_ansatz() -> QuantumCircuit:
    theta, phi = Parameter("θ"), Parameter("φ")
    v = ParameterVector("v", 2)
    qc = QuantumCircuit(3, 3, name="expressions")
    qc.ry(2 * theta + 0.1, 0)
    qc.rx(theta * phi - v[0], 1)
    qc.rz(v[1] / 2, 2)
    qc.cx(0, 1)
    qc.crx(phi, 1, 2)
    qc.u(theta, phi, v[0], 2)
    qc.ry((theta + v[1]).sin(), 1)
    qc.h(range(3))
    qc.measure(range(3), range(3))
    return qc


def teleport(theta: float) -> QuantumCircuit:
    q = QuantumRegister(3, "q")
    m = ClassicalRegister(2, "m")
    out = ClassicalRegister(1, "out")
    qc = QuantumCircuit(q, m, out, name="teleport")
    qc.ry(theta, 0)
    qc.h(1)
    qc.cx(1, 2)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, m[0])
    qc.measure(1, m[1])
    with qc.if_test((m[1], 1)):
        qc.x(2)
    with qc.if_test((m[0], 1)):
        qc.z(2)
    qc.measure(2, out[0])
    return qc


def repeat_until_success() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="rus")
    qc.h(0)
    qc.measure(0, 0)
    with qc.while_loop((qc.clbits[0], 1)):
        qc.reset(0)
        qc.h(0)
        qc.measure(0, 0)
    qc.ry(0.7, 1)
    qc.measure(1, 1)
    return qc


def mid_circuit_reset() -> QuantumCircuit:
    qc = QuantumCircuit(2, 3, name="midreset")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.reset(0)
    qc.ry(1.1, 0)
    qc.measure(0, 1)
    qc.measure(1, 2)
    return qc


def if_else_register() -> QuantumCircuit:
    c = ClassicalRegister(2, "c")
    r = ClassicalRegister(1, "r")
    qc = QuantumCircuit(QuantumRegister(3), c, r, name="ifelse")
    qc.h(0)
    qc.h(1)
    qc.measure(0, c[0])
    qc.measure(1, c[1])
    with qc.if_test((c, 2)) as else_:
        qc.x(2)
    with else_:
        qc.ry(0.5, 2)
    qc.measure(2, r[0])
    return qc


def switch_program() -> QuantumCircuit:
    c = ClassicalRegister(2, "c")
    qc = QuantumCircuit(QuantumRegister(3), c, ClassicalRegister(1, "o"), name="switch")
    qc.h([0, 1])
    qc.measure([0, 1], c)
    with qc.switch(c) as case:
        with case(0):
            qc.x(2)
        with case(1, 2):
            qc.h(2)
        with case(case.DEFAULT):
            qc.ry(0.3, 2)
    qc.measure(2, 2)
    return qc


def for_loop_program() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="forloop")
    theta = Parameter("i")
    with qc.for_loop(range(3), loop_parameter=theta):
        qc.ry(0.2 * theta + 0.1, 0)
        qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def multi_register() -> QuantumCircuit:
    a, b = ClassicalRegister(2, "a"), ClassicalRegister(3, "b")
    qc = QuantumCircuit(QuantumRegister(5), a, b, name="registers")
    qc.x(0)
    qc.h(2)
    qc.cx(2, 4)
    qc.ry(0.4, 3)
    qc.measure([0, 1], a)
    qc.measure([2, 3, 4], b)
    return qc


CORPUS: dict[str, Callable[[], QuantumCircuit]] = {}
for _n in (3, 4, 5, 6, 7, 8):
    CORPUS[f"ghz{_n}"] = lambda n=_n: ghz(n)
for _n in (2, 3, 4, 5, 6):
    CORPUS[f"qft{_n}"] = lambda n=_n: qft_circuit(n, seed=n)
for _n, _marked in ((2, 3), (3, 5), (4, 9)):
    CORPUS[f"grover{_n}"] = lambda n=_n, m=_marked: grover(n, m)
for _i, (_n, _d) in enumerate([(3, 5), (3, 10), (4, 6), (4, 12), (5, 8), (5, 15), (6, 6), (6, 10),
                               (7, 5), (8, 4), (4, 20), (5, 4), (3, 25), (6, 14), (2, 30), (7, 8)]):
    CORPUS[f"random{_n}x{_d}"] = lambda n=_n, d=_d, s=_i: random_static(n, d, seed=100 + s)
for _kind in ("ra", "su2"):
    for _n in (3, 4, 5):
        CORPUS[f"{_kind}{_n}"] = lambda k=_kind, n=_n: ansatz(k, n, seed=n)
CORPUS["teleport"] = lambda: teleport(0.8)
CORPUS["teleport_pi3"] = lambda: teleport(math.pi / 3)
CORPUS["rus"] = repeat_until_success
CORPUS["midreset"] = mid_circuit_reset
CORPUS["ifelse"] = if_else_register
CORPUS["switch"] = switch_program
CORPUS["forloop"] = for_loop_program
CORPUS["registers"] = multi_register
CORPUS["expressions_bound"] = lambda: expression_ansatz().assign_parameters([0.3, -0.7, 1.1, 0.5])
CORPUS["bell_phase"] = lambda: _bell_phase()


def _bell_phase() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="bellphase")
    qc.h(0)
    qc.cp(math.pi / 3, 0, 1)
    qc.cx(0, 1)
    qc.sdg(1)
    qc.sx(0)
    qc.swap(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def _toffoli() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3, name="toffoli")
    qc.h([0, 1])
    qc.ccx(0, 1, 2)
    qc.cswap(2, 0, 1)
    qc.measure(range(3), range(3))
    return qc


def _ising(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=f"ising{n}")
    qc.h(range(n))
    for layer in range(3):
        for q in range(n - 1):
            qc.rzz(0.3 + 0.1 * layer, q, q + 1)
        for q in range(n):
            qc.rx(0.7 - 0.2 * layer, q)
        qc.ryy(0.25, 0, n - 1)
        qc.rxx(0.15, 1, 2)
    qc.measure(range(n), range(n))
    return qc


def _measure_then_rotate() -> QuantumCircuit:
    qc = QuantumCircuit(3, 4, name="measurerotate")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.h(0)
    qc.cx(1, 2)
    qc.measure(0, 1)
    qc.measure([1, 2], [2, 3])
    return qc


CORPUS["toffoli"] = _toffoli
CORPUS["ising4"] = lambda: _ising(4)
CORPUS["ising6"] = lambda: _ising(6)
CORPUS["measurerotate"] = _measure_then_rotate

DYNAMIC = {"teleport", "teleport_pi3", "rus", "midreset", "ifelse", "switch", "measurerotate"}
"""Corpus entries with mid-circuit measurement or classical control flow."""

assert len(CORPUS) == 50, len(CORPUS)

CONTROL_FLOW = DYNAMIC | {"forloop"}
"""Entries Qiskit's Statevector cannot simulate (control-flow operations)."""
