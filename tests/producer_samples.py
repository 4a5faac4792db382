"""QIR samples from every producer, with the exact output distribution of the program they came from.

Each `Sample` generates QIR live from its producer (pyqir, qdk from Q# and from Qiskit, pytket-qir,
qbraid-qir, cudaq) and has a golden copy under `tests/golden/producers/<producer>/`, so the tests run
where a producer is missing. The expected distribution is computed from the *source* program without
qirrt: a Qiskit reference circuit evolved with `qiskit.quantum_info.DensityMatrix` (measurements
all final), or by hand for programs with feed-forward. Keys are in the normalised program's record
order (first recorded leftmost), which each sample states in terms of the source's classical bits.

Regenerate the golden copies with ``python -m tests.producer_samples`` (needs every producer).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

GOLDEN = Path(__file__).parent / "golden" / "producers"
PRODUCER_MODULES = {"pyqir": "pyqir", "qdk": "qdk", "qdk-qiskit": "qdk", "pytket": "pytket.qir",
                    "qbraid": "qbraid_qir", "cudaq": "cudaq", "hand": "qirrt"}


@dataclass(frozen=True)
class Sample:
    producer: str
    name: str
    generate: Callable[[], str]
    expected: Callable[[], dict[str, float]] | Callable[[str], dict[str, float]]
    notes: tuple[str, ...] = ()
    profile: str = "base"
    detected: str | None = None
    extras: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.producer}/{self.name}"

    @property
    def path(self) -> Path:
        return GOLDEN / self.producer / f"{self.name}.ll"

    @property
    def module(self) -> str:
        return PRODUCER_MODULES[self.producer]

    def golden(self) -> str:
        return self.path.read_text()

    def distribution(self, text: str) -> dict[str, float]:
        """The source program's exact distribution, keyed in the record order of `text`."""
        import inspect

        return self.expected(text) if inspect.signature(self.expected).parameters else self.expected()


# =============================================================================================
# Reference distributions
# =============================================================================================
def clbit_distribution(circuit: QuantumCircuit) -> dict[tuple[int, ...], float]:
    """Exact probabilities of the classical bits of a circuit whose measurements are all final."""
    from qiskit.quantum_info import DensityMatrix

    body = circuit.copy_empty_like()
    measured: dict[int, int] = {}
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            measured[circuit.find_bit(instruction.clbits[0]).index] = circuit.find_bit(instruction.qubits[0]).index
        else:
            body.append(instruction)
    body.remove_final_measurements()
    probabilities = DensityMatrix(body).probabilities()
    out: dict[tuple[int, ...], float] = {}
    for index, p in enumerate(probabilities):
        if p < 1e-14:
            continue
        bits = [0] * circuit.num_clbits
        for c, q in measured.items():
            bits[c] = (index >> q) & 1
        out[tuple(bits)] = out.get(tuple(bits), 0.0) + float(p)
    return out


def keyed(distribution: dict[tuple[int, ...], float], order: list[int] | list[list[int]]) -> dict[str, float]:
    """Keys of recorded classical bits: `order` lists them leftmost first (a list of lists: a tuple of
    arrays, separated by spaces)."""
    groups = order if order and isinstance(order[0], list) else [order]
    out: dict[str, float] = {}
    for bits, p in distribution.items():
        key = " ".join("".join(str(bits[c]) for c in group) for group in groups)
        out[key] = out.get(key, 0.0) + p
    return out


def int_keyed(distribution: dict[tuple[int, ...], float]) -> dict[str, float]:
    """A register recorded as one integer, bit 0 least significant (pytket's convention)."""
    out: dict[str, float] = {}
    for bits, p in distribution.items():
        key = str(sum(b << i for i, b in enumerate(bits)))
        out[key] = out.get(key, 0.0) + p
    return out


def qiskit_order(circuit: QuantumCircuit) -> list[int]:
    """Clbits as Qiskit prints a one-register key: c[n-1] first."""
    return list(reversed(range(circuit.num_clbits)))


# =============================================================================================
# Reference circuits (Qiskit), shared by the Qiskit-sourced producers
# =============================================================================================
def ghz_rotations() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3, name="ghz_rotations")
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.3, 2)
    qc.sdg(2)
    qc.rx(0.7, 1)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def mixed_gates() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3, name="mixed_gates")
    qc.h([0, 1, 2])
    qc.rz(0.4, 0)
    qc.t(1)
    qc.s(2)
    qc.cz(0, 2)
    qc.swap(0, 1)
    qc.ccx(0, 1, 2)
    qc.rx(1.1, 0)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def two_registers() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(2, "a"), ClassicalRegister(1, "b"),
                        name="two_registers")
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(1.2, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def reset_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="reset_then_measure")
    qc.h(0)
    qc.reset(0)
    qc.ry(0.9, 0)
    qc.cz(0, 1)
    qc.h(1)
    qc.measure([0, 1], [0, 1])
    return qc


# =============================================================================================
# pyqir
# =============================================================================================
def _pyqir_bell() -> str:
    from pyqir import BasicQisBuilder, SimpleModule

    module = SimpleModule("bell", num_qubits=2, num_results=2)
    qis = BasicQisBuilder(module.builder)
    qis.h(module.qubits[0])
    qis.cx(module.qubits[0], module.qubits[1])
    qis.mz(module.qubits[0], module.results[0])
    qis.mz(module.qubits[1], module.results[1])
    return module.ir()


def _pyqir_if_result() -> str:
    import pyqir
    from pyqir import SimpleModule, qis, rt

    module = SimpleModule("if_result", num_qubits=2, num_results=2)
    b, q, r = module.builder, module.qubits, module.results
    qis.h(b, q[0])
    qis.mz(b, q[0], r[0])
    qis.if_result(b, r[0], one=lambda: qis.x(b, q[1]), zero=lambda: qis.h(b, q[1]))
    qis.mz(b, q[1], r[1])
    null = pyqir.Constant.null(pyqir.PointerType(pyqir.IntType(module.context, 8)))
    rt.result_record_output(b, r[0], null)
    rt.result_record_output(b, r[1], null)
    return module.ir()


def _pyqir_gates_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.rx(0.3, 1)
    qc.ry(0.5, 2)
    qc.rz(0.7, 0)
    qc.s(1)
    qc.t(2)
    qc.sdg(0)
    qc.tdg(1)
    qc.cz(0, 1)
    qc.swap(1, 2)
    qc.ccx(0, 1, 2)
    qc.y(0)
    qc.z(1)
    qc.x(2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def _pyqir_gates() -> str:
    import pyqir
    from pyqir import SimpleModule, qis, rt

    module = SimpleModule("gates", num_qubits=3, num_results=3)
    b, q, r = module.builder, module.qubits, module.results
    qis.h(b, q[0])
    qis.rx(b, 0.3, q[1])
    qis.ry(b, 0.5, q[2])
    qis.rz(b, 0.7, q[0])
    qis.s(b, q[1])
    qis.t(b, q[2])
    qis.s_adj(b, q[0])
    qis.t_adj(b, q[1])
    qis.cz(b, q[0], q[1])
    qis.swap(b, q[1], q[2])
    qis.ccx(b, q[0], q[1], q[2])
    qis.y(b, q[0])
    qis.z(b, q[1])
    qis.x(b, q[2])
    for i in range(3):
        qis.mz(b, q[i], r[i])
    null = pyqir.Constant.null(pyqir.PointerType(pyqir.IntType(module.context, 8)))
    rt.array_record_output(b, pyqir.const(pyqir.IntType(module.context, 64), 3), null)
    for i in range(3):
        rt.result_record_output(b, r[i], null)
    return module.ir()


def _pyqir_record_in_branch() -> str:
    import pyqir
    from pyqir import SimpleModule, qis, rt

    module = SimpleModule("record_in_branch", num_qubits=2, num_results=2)
    b, q, r = module.builder, module.qubits, module.results
    null = pyqir.Constant.null(pyqir.PointerType(pyqir.IntType(module.context, 8)))
    qis.h(b, q[0])
    qis.mz(b, q[0], r[0])
    rt.result_record_output(b, r[0], null)

    def one() -> None:
        qis.h(b, q[1])
        qis.mz(b, q[1], r[1])
        rt.result_record_output(b, r[1], null)

    qis.if_result(b, r[0], one=one)
    return module.ir()


PYQIR = [
    Sample("pyqir", "bell", _pyqir_bell, lambda: {"00": 0.5, "11": 0.5},
           notes=("cnot__body to @__quantum__qis__cx__body", "added result records r0, r1",
                  "'custom' read as base_profile", "qir_major_version set from i32 2"), detected="pyqir"),
    Sample("pyqir", "if_result", _pyqir_if_result, lambda: {"00": 0.25, "01": 0.25, "11": 0.5},
           notes=("'custom' read as adaptive_profile",), profile="adaptive", detected="pyqir"),
    Sample("pyqir", "record_in_branch", _pyqir_record_in_branch, lambda: {"0": 0.5, "10": 0.25, "11": 0.25},
           notes=("record output on only some paths",), profile="adaptive", detected="pyqir"),
    Sample("pyqir", "gates", _pyqir_gates, lambda: keyed(clbit_distribution(_pyqir_gates_circuit()), [0, 1, 2]),
           notes=("'custom' read as base_profile",), detected="pyqir"),
]


# =============================================================================================
# qdk: Q# source, and Qiskit circuits through its Qiskit interop
# =============================================================================================
QSHARP_BELL = """
operation Main() : Result[] {
    use qs = Qubit[2];
    H(qs[0]);
    CNOT(qs[0], qs[1]);
    MResetEachZ(qs)
}
"""

QSHARP_FEED = """
operation Main() : (Result, Result) {
    use (a, b) = (Qubit(), Qubit());
    H(a);
    let r = M(a);
    if r == One { X(b); }
    let s = M(b);
    Reset(a);
    Reset(b);
    (r, s)
}
"""

QSHARP_GATES = """
operation Main() : Result[] {
    use qs = Qubit[3];
    H(qs[0]);
    Rx(0.3, qs[1]);
    Ry(0.5, qs[2]);
    Rz(0.7, qs[0]);
    S(qs[1]);
    T(qs[2]);
    Adjoint S(qs[0]);
    Adjoint T(qs[1]);
    CZ(qs[0], qs[1]);
    SWAP(qs[1], qs[2]);
    CCNOT(qs[0], qs[1], qs[2]);
    Y(qs[0]);
    Z(qs[1]);
    X(qs[2]);
    MResetEachZ(qs)
}
"""

QSHARP_INT = """
import Std.Convert.*;
operation Main() : Int {
    use qs = Qubit[2];
    H(qs[0]);
    CNOT(qs[0], qs[1]);
    X(qs[1]);
    ResultArrayAsInt(MResetEachZ(qs))
}
"""


def _qsharp(source: str, profile: str) -> Callable[[], str]:
    def generate() -> str:
        import qdk

        context = qdk.Context(target_profile=getattr(qdk.TargetProfile, profile))
        context.eval(source)
        return str(context.compile("Main()"))

    return generate


def _qdk_qiskit(build: Callable[[], QuantumCircuit], *, transpile: bool = False) -> Callable[[], str]:
    def generate() -> str:
        from qdk import TargetProfile
        from qdk.qiskit import QSharpBackend

        backend = QSharpBackend(target_profile=TargetProfile.Base, skip_transpilation=not transpile)
        return backend.qir(build())

    return generate


QDK = [
    Sample("qdk", "bell_base", _qsharp(QSHARP_BELL, "Base"), lambda: {"00": 0.5, "11": 0.5},
           notes=("@__quantum__qis__m__body to @__quantum__qis__mz__body", "__quantum__rt__initialize` dropped"),
           detected="qdk"),
    Sample("qdk", "bell_adaptive", _qsharp(QSHARP_BELL, "Adaptive_RI"), lambda: {"00": 0.5, "11": 0.5},
           notes=("`mresetz` → `mz`: 2 call(s)",), profile="adaptive", detected="qdk"),
    Sample("qdk", "feedforward", _qsharp(QSHARP_FEED, "Adaptive_RI"), lambda: {"0 0": 0.5, "1 1": 0.5},
           notes=("@__quantum__rt__read_result to @__quantum__qis__read_result__body",), profile="adaptive",
           detected="qdk"),
    Sample("qdk", "gates", _qsharp(QSHARP_GATES, "Base"),
           lambda: keyed(clbit_distribution(_pyqir_gates_circuit()), [0, 1, 2]), detected="qdk"),
    Sample("qdk", "int_output", _qsharp(QSHARP_INT, "Adaptive_RI"), lambda: {"1": 0.5, "2": 0.5},
           profile="adaptive", detected="qdk"),
    Sample("qdk-qiskit", "ghz_rotations", _qdk_qiskit(ghz_rotations),
           lambda: keyed(clbit_distribution(ghz_rotations()), qiskit_order(ghz_rotations())),
           notes=("s__adj to @__quantum__qis__s__adj__body",), detected="qdk"),
    Sample("qdk-qiskit", "ghz_rotations_transpiled", _qdk_qiskit(ghz_rotations, transpile=True),
           lambda: keyed(clbit_distribution(ghz_rotations()), qiskit_order(ghz_rotations())), detected="qdk"),
    Sample("qdk-qiskit", "mixed_gates", _qdk_qiskit(mixed_gates),
           lambda: keyed(clbit_distribution(mixed_gates()), qiskit_order(mixed_gates())), detected="qdk"),
    Sample("qdk-qiskit", "two_registers", _qdk_qiskit(two_registers),
           lambda: keyed(clbit_distribution(two_registers()), [[2], [1, 0]]), detected="qdk"),
]


# -- qdk's Adaptive targets: Q# locals in memory, IR functions, loops (QIR 2.x with `alloca`) ------
QSHARP_RUS = """
operation Main() : (Result, Int) {
    use (q, a) = (Qubit(), Qubit());
    mutable n = 0;
    mutable r = One;
    repeat {
        H(q);
        set r = MResetZ(q);
        set n += 1;
    } until r == Zero or n >= 4;
    if n % 2 == 1 { X(a); }
    (MResetZ(a), n)
}
"""

QSHARP_INT_COMPARE = """
import Std.Convert.*;
operation Main() : Result {
    use qs = Qubit[3];
    use t = Qubit();
    ApplyToEach(H, qs);
    let v = ResultArrayAsInt(MResetEachZ(qs));
    if v > 4 { X(t); }
    MResetZ(t)
}
"""

QSHARP_LOOP = """
import Std.Convert.*;
operation Main() : (Result[], Double) {
    use qs = Qubit[3];
    mutable angle = 0.0;
    for i in 0..2 {
        set angle += 0.5;
        Ry(angle * IntAsDouble(i + 1), qs[i]);
    }
    let rs = MResetEachZ(qs);
    mutable f = 0.0;
    for r in rs { if r == One { set f += 1.5; } }
    (rs, f)
}
"""

QSHARP_FLOAT_FEED = """
import Std.Math.*;
operation Main() : (Result, Result) {
    use (a, b) = (Qubit(), Qubit());
    H(a);
    let r = MResetZ(a);
    let theta = r == One ? PI() / 2.0 | PI() / 3.0;
    Ry(2.0 * theta, b);
    (r, MResetZ(b))
}
"""

QSHARP_COUNT_ONES = """
operation Main() : Int {
    use qs = Qubit[4];
    for q in qs { H(q); }
    mutable n = 0;
    for r in MResetEachZ(qs) { if r == One { set n += 1; } }
    n
}
"""

QSHARP_RUS_INDEX = """
operation Main() : (Result[], Int) {
    use qs = Qubit[3];
    mutable i = 0;
    mutable go = true;
    while go and i < 3 {
        H(qs[i]);
        set go = MResetZ(qs[i]) == One;
        set i += 1;
    }
    (MResetEachZ(qs), i)
}
"""

QSHARP_TELEPORT = """
operation Main() : Result {
    use (msg, a, b) = (Qubit(), Qubit(), Qubit());
    Ry(0.7, msg);
    H(a); CNOT(a, b);
    CNOT(msg, a); H(msg);
    if M(a) == One { X(b); }
    if M(msg) == One { Z(b); }
    ResetAll([msg, a]);
    MResetZ(b)
}
"""

QSHARP_WRITE_RESULT = """
operation Main() : Result {
    use (q, a) = (Qubit(), Qubit());
    H(a);
    mutable r = One;
    if MResetZ(a) == One { set r = MResetZ(q); }
    if r == One { X(q); }
    MResetZ(q)
}
"""

QSHARP_REGISTER_LOOP = """
operation Main() : Result[] {
    use qs = Qubit[20];
    for i in 0..19 { if i % 2 == 0 { X(qs[i]); } }
    for i in 0..18 { CNOT(qs[i], qs[i + 1]); }
    MResetEachZ(qs)
}
"""


def _register_loop_expected() -> dict[str, float]:
    # X on even qubits, then q[i+1] ^= q[i] in order: the prefix parities 1,1,0,0,1,1,0,0,...
    bits, parity = [], 0
    for i in range(20):
        parity ^= 1 if i % 2 == 0 else 0
        bits.append(parity)
    return {"".join(map(str, bits)): 1.0}


def _rus_expected() -> dict[str, float]:
    # n = k with probability 2^-k for k < 4 (the k-th outcome is the first Zero), n = 4 with 1/8;
    # `a` is flipped when n is odd
    return {"1 1": 0.5, "0 2": 0.25, "1 3": 0.125, "0 4": 0.125}


def _loop_expected() -> dict[str, float]:
    p = [math.sin(0.5 * (i + 1) ** 2 / 2) ** 2 for i in range(3)]
    out: dict[str, float] = {}
    for bits in range(8):
        b = [(bits >> i) & 1 for i in range(3)]
        prob = math.prod(p[i] if b[i] else 1 - p[i] for i in range(3))
        key = "".join(map(str, b)) + f" {1.5 * sum(b)!r}"
        out[key] = out.get(key, 0.0) + prob
    return out


def _count_ones_expected() -> dict[str, float]:
    return {str(k): math.comb(4, k) / 16 for k in range(5)}


_ADAPTIVE_NOTES = ("promoted memory to SSA values with LLVM",)

QDK_ADAPTIVE = [
    Sample("qdk", "rus_adaptive", _qsharp(QSHARP_RUS, "Adaptive"), _rus_expected,
           notes=_ADAPTIVE_NOTES + ("dropped 1 `__quantum__rt__write_result`",), profile="adaptive", detected="qdk"),
    Sample("qdk", "int_compare_adaptive_ri", _qsharp(QSHARP_INT_COMPARE, "Adaptive_RI"),
           lambda: {"0": 5 / 8, "1": 3 / 8}, profile="adaptive", detected="qdk"),
    Sample("qdk", "int_compare_adaptive", _qsharp(QSHARP_INT_COMPARE, "Adaptive"),
           lambda: {"0": 5 / 8, "1": 3 / 8}, notes=_ADAPTIVE_NOTES, profile="adaptive", detected="qdk"),
    Sample("qdk", "loop_adaptive_rif", _qsharp(QSHARP_LOOP, "Adaptive_RIF"), _loop_expected, profile="adaptive",
           detected="qdk"),
    Sample("qdk", "loop_adaptive", _qsharp(QSHARP_LOOP, "Adaptive"), _loop_expected, notes=_ADAPTIVE_NOTES,
           profile="adaptive", detected="qdk"),
    Sample("qdk", "float_feed_adaptive_rif", _qsharp(QSHARP_FLOAT_FEED, "Adaptive_RIF"),
           lambda: {"0 0": 0.125, "0 1": 0.375, "1 1": 0.5}, profile="adaptive", detected="qdk"),
    Sample("qdk", "float_feed_adaptive", _qsharp(QSHARP_FLOAT_FEED, "Adaptive"),
           lambda: {"0 0": 0.125, "0 1": 0.375, "1 1": 0.5}, notes=_ADAPTIVE_NOTES, profile="adaptive",
           detected="qdk"),
    Sample("qdk", "count_ones_adaptive_ri", _qsharp(QSHARP_COUNT_ONES, "Adaptive_RI"), _count_ones_expected,
           profile="adaptive", detected="qdk"),
    Sample("qdk", "count_ones_adaptive", _qsharp(QSHARP_COUNT_ONES, "Adaptive"), _count_ones_expected,
           notes=_ADAPTIVE_NOTES, profile="adaptive", detected="qdk"),
    Sample("qdk", "rus_index_adaptive", _qsharp(QSHARP_RUS_INDEX, "Adaptive"),
           lambda: {"000 1": 0.5, "000 2": 0.25, "000 3": 0.25},
           notes=_ADAPTIVE_NOTES + ("dispatched 2 call(s) with run-time qubit/result operands",), profile="adaptive",
           detected="qdk"),
    Sample("qdk", "write_result_adaptive", _qsharp(QSHARP_WRITE_RESULT, "Adaptive"), lambda: {"0": 0.5, "1": 0.5},
           notes=_ADAPTIVE_NOTES + ("lowered 1 `__quantum__rt__write_result` call(s)",), profile="adaptive",
           detected="qdk"),
    Sample("qdk", "register_loop_adaptive", _qsharp(QSHARP_REGISTER_LOOP, "Adaptive"), _register_loop_expected,
           notes=_ADAPTIVE_NOTES, profile="adaptive", detected="qdk"),
    Sample("qdk", "teleport_adaptive_ri", _qsharp(QSHARP_TELEPORT, "Adaptive_RI"),
           lambda: {"0": math.cos(0.35) ** 2, "1": math.sin(0.35) ** 2}, profile="adaptive", detected="qdk"),
    Sample("qdk", "teleport_adaptive", _qsharp(QSHARP_TELEPORT, "Adaptive"),
           lambda: {"0": math.cos(0.35) ** 2, "1": math.sin(0.35) ** 2}, notes=_ADAPTIVE_NOTES, profile="adaptive",
           detected="qdk"),
]


OPENQASM_COUNT = """
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
int count = 0;
for int i in [0:2] {
    h q[i];
    c[i] = measure q[i];
    if (c[i]) { count += 1; }
}
reset q;
if (count >= 2) { x q[0]; }
c[0] = measure q[0];
"""


def _openqasm(source: str, profile: str) -> Callable[[], str]:
    def generate() -> str:
        import qdk
        from qdk.openqasm import compile as compile_openqasm

        return str(compile_openqasm(source, target_profile=getattr(qdk.TargetProfile, profile)))

    return generate


def _openqasm_count_expected() -> dict[str, float]:
    # three coin flips b; count = their sum; c[0] is measured again as (count >= 2); keys "c0c1c2 count"
    out: dict[str, float] = {}
    for outcome in range(8):
        b = [(outcome >> i) & 1 for i in range(3)]
        key = f"{int(sum(b) >= 2)}{b[1]}{b[2]} {sum(b)}"
        out[key] = out.get(key, 0.0) + 0.125
    return out


QDK_OPENQASM = [
    Sample("qdk", f"openqasm_count_{profile.lower()}", _openqasm(OPENQASM_COUNT, profile), _openqasm_count_expected,
           notes=_ADAPTIVE_NOTES if profile == "Adaptive" else (), profile="adaptive", detected="qdk")
    for profile in ("Adaptive_RI", "Adaptive")
]


def feedforward_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="feedforward")
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.ry(0.5, 0)
    qc.measure(1, 1)
    qc.measure(0, 0)
    return qc


def _feedforward_expected() -> dict[str, float]:
    # c1 = the first outcome m; c0 = m, flipped by Ry(0.5) with probability sin²(0.25); Qiskit order c1 c0
    flip = math.sin(0.25) ** 2
    return {"00": 0.5 * (1 - flip), "01": 0.5 * flip, "11": 0.5 * (1 - flip), "10": 0.5 * flip}


def _qdk_qiskit_adaptive(build: Callable[[], QuantumCircuit], profile: str) -> Callable[[], str]:
    def generate() -> str:
        from qdk import TargetProfile
        from qdk.qiskit import QSharpBackend

        return QSharpBackend(target_profile=getattr(TargetProfile, profile)).qir(build())

    return generate


QDK_QISKIT_ADAPTIVE = [
    Sample("qdk-qiskit", f"feedforward_{profile.lower()}", _qdk_qiskit_adaptive(feedforward_circuit, profile),
           _feedforward_expected, profile="adaptive", detected="qdk")
    for profile in ("Adaptive_RI", "Adaptive_RIF")
]


# =============================================================================================
# pytket-qir
# =============================================================================================
def _pytket_from_qiskit(circuit: QuantumCircuit):
    from pytket.qasm import circuit_from_qasm_str
    from qiskit import qasm2

    return circuit_from_qasm_str(qasm2.dumps(circuit))


def _pytket(build, profile: str) -> Callable[[], str]:
    def generate() -> str:
        from pytket.qir import QIRFormat, QIRProfile, pytket_to_qir

        circuit = build()
        if isinstance(circuit, QuantumCircuit):
            circuit = _pytket_from_qiskit(circuit)
        return pytket_to_qir(circuit, name="main", qir_format=QIRFormat.STRING,
                             profile=getattr(QIRProfile, profile))

    return generate


def _pytket_feed():
    """H q0; c0 = M(q0); if c0: X q1; c1 = M(q1); Ry(π/2) q2; if c1: X q2; c2 = M(q2)."""
    from pytket import Circuit

    circuit = Circuit(3, 3)
    circuit.H(0).Measure(0, 0)
    circuit.X(1, condition_bits=[0], condition_value=1)
    circuit.Measure(1, 1)
    circuit.Ry(0.5, 2)  # half-turns: Ry(π/2)
    circuit.X(2, condition_bits=[1], condition_value=1)
    circuit.Measure(2, 2)
    return circuit


def _pytket_feed_expected() -> dict[str, float]:
    # c0 = c1 uniformly; q2 = Ry(π/2)|0> (uniform), flipped when c0 = c1 = 1 — still uniform.
    out: dict[str, float] = {}
    for c0 in (0, 1):
        for c2 in (0, 1):
            value = c0 | (c0 << 1) | (c2 << 2)
            out[str(value)] = out.get(str(value), 0.0) + 0.25
    return out


def _pytket_native():
    """Gates pytket-qir lowers to Quantinuum's QIS (`phasedx`, `zzmax`, `rxxyyzz`) besides the usual ones."""
    from pytket import Circuit

    circuit = Circuit(3, 3)
    circuit.H(0).PhasedX(0.3, 0.2, 1).ZZPhase(0.25, 0, 1).ZZMax(1, 2).TK2(0.1, 0.2, 0.3, 0, 2)
    circuit.Rx(0.4, 2).CZ(0, 2).CX(2, 1).Sdg(1).T(0)
    circuit.Measure(0, 0).Measure(1, 1).Measure(2, 2)
    return circuit


def _pytket_native_circuit() -> QuantumCircuit:
    """The same circuit in Qiskit (pytket angles are half-turns)."""
    pi = math.pi
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.rz(-0.2 * pi, 1)
    qc.rx(0.3 * pi, 1)
    qc.rz(0.2 * pi, 1)
    qc.rzz(0.25 * pi, 0, 1)
    qc.rzz(0.5 * pi, 1, 2)
    qc.rxx(0.1 * pi, 0, 2)
    qc.ryy(0.2 * pi, 0, 2)
    qc.rzz(0.3 * pi, 0, 2)
    qc.rx(0.4 * pi, 2)
    qc.cz(0, 2)
    qc.cx(2, 1)
    qc.sdg(1)
    qc.t(0)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def labelled_order(text: str) -> list[int]:
    """pytket's base profile records results in the order it measures them, each labelled `c[i]`."""
    import re

    labels = {m.group(1): int(m.group(2)) for m in re.finditer(r'^(@\d+) = [^\n]*c"c\[(\d+)\]\\00"', text, re.MULTILINE)}
    return [labels[label] for label in re.findall(r"result_record_output\([^\n]*?, (?:i8\* |ptr )(@\d+)", text)]


PYTKET = [
    Sample("pytket", "base", _pytket(ghz_rotations, "BASE"),
           lambda text: keyed(clbit_distribution(ghz_rotations()), labelled_order(text)),
           notes=("cnot__body to @__quantum__qis__cx__body", "'custom' read as base_profile"), detected="pytket"),
    Sample("pytket", "base_native_gates", _pytket(_pytket_native, "BASE"),
           lambda text: keyed(clbit_distribution(_pytket_native_circuit()), labelled_order(text)),
           notes=("`phasedx` decomposed", "`zzmax` decomposed", "`rxxyyzz` decomposed"), detected="pytket"),
    Sample("pytket", "adaptive_register", _pytket(_pytket_native, "ADAPTIVE"),
           lambda: int_keyed(clbit_distribution(_pytket_native_circuit())),
           notes=("'custom' read as adaptive_profile", "int_computations added"), profile="adaptive",
           detected="pytket"),
    Sample("pytket", "adaptive_feed", _pytket(_pytket_feed, "ADAPTIVE"), _pytket_feed_expected,
           notes=("'custom' read as adaptive_profile",), profile="adaptive", detected="pytket"),
    Sample("pytket", "pytket_profile_feed", _pytket(_pytket_feed, "PYTKET"), _pytket_feed_expected,
           notes=("lowered pytket's register helpers",), profile="adaptive", detected="pytket"),
    Sample("pytket", "pytket_profile_register", _pytket(_pytket_native, "PYTKET"),
           lambda: int_keyed(clbit_distribution(_pytket_native_circuit())),
           notes=("lowered pytket's register helpers",), profile="adaptive", detected="pytket"),
]


# =============================================================================================
# qbraid-qir
# =============================================================================================
def _qbraid(build: Callable[[], QuantumCircuit]) -> Callable[[], str]:
    def generate() -> str:
        from qbraid_qir.qiskit import qiskit_to_qir

        return str(qiskit_to_qir(build()))

    return generate


QBRAID = [
    Sample("qbraid", "ghz_rotations", _qbraid(ghz_rotations),
           lambda: keyed(clbit_distribution(ghz_rotations()), qiskit_order(ghz_rotations())),
           notes=("__quantum__rt__initialize` dropped", "s__adj to @__quantum__qis__s__adj__body"),
           detected="qbraid"),
    Sample("qbraid", "reset", _qbraid(reset_circuit),
           lambda: keyed(clbit_distribution(reset_circuit()), qiskit_order(reset_circuit())),
           notes=("'custom' read as adaptive_profile",), profile="adaptive", detected="qbraid"),
]


# =============================================================================================
# cudaq
# =============================================================================================
def cudaq_kernels() -> dict:
    """The CUDA-Q kernels of the samples (fresh objects on every call, as cudaq names them per run)."""
    import cudaq

    @cudaq.kernel
    def bell():
        q = cudaq.qvector(3)
        h(q[0])  # noqa: F821 - cudaq kernel builtins
        x.ctrl(q[0], q[1])  # noqa: F821
        ry(0.3, q[2])  # noqa: F821
        sdg(q[2])  # noqa: F821
        mz(q)  # noqa: F821

    @cudaq.kernel
    def feed():
        q = cudaq.qvector(2)
        h(q[0])  # noqa: F821
        r = mz(q[0])  # noqa: F821
        if r:
            x(q[1])  # noqa: F821
        mz(q[1])  # noqa: F821

    @cudaq.kernel
    def gates():
        q = cudaq.qvector(4)
        for i in range(4):
            h(q[i])  # noqa: F821
        x.ctrl(q[0], q[1], q[2])  # noqa: F821
        ry.ctrl(0.5, q[0], q[3])  # noqa: F821
        rz.ctrl(0.25, [q[0], q[1]], q[3])  # noqa: F821
        z.ctrl(q[1], q[2])  # noqa: F821
        y.ctrl(q[2], q[3])  # noqa: F821
        swap(q[0], q[3])  # noqa: F821
        r1(0.7, q[2])  # noqa: F821
        u3(0.1, 0.2, 0.3, q[1])  # noqa: F821
        t(q[0])  # noqa: F821
        tdg(q[1])  # noqa: F821
        s(q[2])  # noqa: F821
        rx(0.4, q[3])  # noqa: F821
        mz(q)  # noqa: F821

    @cudaq.kernel
    def controls():
        q = cudaq.qvector(4)
        a = cudaq.qubit()
        h(q)  # noqa: F821
        x.ctrl(q[0:3], a)  # noqa: F821
        x.ctrl(q, a)  # noqa: F821
        z.ctrl(q[0], q[1], a)  # noqa: F821
        h.ctrl(q[0], a)  # noqa: F821
        s.ctrl(q[0], a)  # noqa: F821
        t.ctrl(q[0], a)  # noqa: F821
        r1.ctrl(0.3, q[0], a)  # noqa: F821
        rx.ctrl(0.3, q[0], a)  # noqa: F821
        swap.ctrl(q[0], q[1], a)  # noqa: F821
        s.adj(a)  # noqa: F821
        reset(q[1])  # noqa: F821
        mz(a)  # noqa: F821
        mx(q[1])  # noqa: F821
        my(q[2])  # noqa: F821

    @cudaq.kernel
    def loop_feed():
        q = cudaq.qvector(2)
        for i in range(3):
            h(q[0])  # noqa: F821
            r = mz(q[0])  # noqa: F821
            if r:
                x(q[1])  # noqa: F821
        mz(q[1])  # noqa: F821

    @cudaq.kernel
    def repeat_until():
        q = cudaq.qubit()
        a = cudaq.qubit()
        h(q)  # noqa: F821
        while mz(q):  # noqa: F821
            h(q)  # noqa: F821
            x(a)  # noqa: F821
        mz(a)  # noqa: F821

    @cudaq.kernel
    def parametric(theta: float):
        q = cudaq.qvector(2)
        rx(theta, q[0])  # noqa: F821
        ry(theta * 2.0, q[1])  # noqa: F821
        mz(q)  # noqa: F821

    @cudaq.kernel
    def branch_index():
        q = cudaq.qvector(3)
        h(q[0])  # noqa: F821
        r = mz(q[0])  # noqa: F821
        k = 1
        if r:
            k = 2
        x(q[k])  # noqa: F821
        mz(q[1])  # noqa: F821
        mz(q[2])  # noqa: F821

    @cudaq.kernel
    def cond_measure():
        q = cudaq.qvector(2)
        h(q[0])  # noqa: F821
        r = mz(q[0])  # noqa: F821
        if r:
            h(q[1])  # noqa: F821
            b = mz(q[1])  # noqa: F821, F841

    @cudaq.kernel
    def rus_counter():
        q = cudaq.qvector(2)
        count = 0
        h(q[0])  # noqa: F821
        while mz(q[0]) and count < 3:  # noqa: F821
            h(q[0])  # noqa: F821
            count += 1
        for i in range(count):
            x(q[1])  # noqa: F821
        mz(q[1])  # noqa: F821

    @cudaq.kernel
    def rus_index():
        q = cudaq.qvector(3)
        i = 0
        h(q[0])  # noqa: F821
        while mz(q[i]) and i < 2:  # noqa: F821
            i += 1
            h(q[i])  # noqa: F821

    @cudaq.kernel
    def walk():
        q = cudaq.qvector(4)
        a = cudaq.qubit()
        pos = 0
        for _step in range(3):
            h(a)  # noqa: F821
            if mz(a):  # noqa: F821
                pos += 1
            reset(a)  # noqa: F821
        x(q[pos])  # noqa: F821
        mz(q)  # noqa: F821

    return {"rus_index": (rus_index, ()), "walk": (walk, ()),
            "bell": (bell, ()), "feed": (feed, ()), "gates": (gates, ()), "controls": (controls, ()),
            "loop_feed": (loop_feed, ()), "repeat_until": (repeat_until, ()),
            "parametric": (parametric, (0.25,)), "branch_index": (branch_index, ()),
            "cond_measure": (cond_measure, ()), "rus_counter": (rus_counter, ())}


def _cudaq(kernel: str, fmt: str) -> Callable[[], str]:
    def generate() -> str:
        import cudaq

        function, args = cudaq_kernels()[kernel]
        return cudaq.translate(function, *args, format=fmt)

    return generate


def _cudaq_bell_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.3, 2)
    qc.sdg(2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def _cudaq_gates_circuit() -> QuantumCircuit:
    from qiskit.circuit.library import RZGate

    qc = QuantumCircuit(4, 4)
    qc.h(range(4))
    qc.ccx(0, 1, 2)
    qc.cry(0.5, 0, 3)
    qc.append(RZGate(0.25).control(2, annotated=False), [0, 1, 3])
    qc.cz(1, 2)
    qc.cy(2, 3)
    qc.swap(0, 3)
    qc.p(0.7, 2)
    qc.u(0.1, 0.2, 0.3, 1)
    qc.t(0)
    qc.tdg(1)
    qc.s(2)
    qc.rx(0.4, 3)
    qc.measure(range(4), range(4))
    return qc


def _cudaq_controls_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(5, 3)
    qc.h(range(4))
    qc.mcx([0, 1, 2], 4)
    qc.mcx([0, 1, 2, 3], 4)
    qc.ccz(0, 1, 4)
    qc.ch(0, 4)
    qc.cs(0, 4)
    qc.cp(math.pi / 4, 0, 4)
    qc.cp(0.3, 0, 4)
    qc.crx(0.3, 0, 4)
    qc.cswap(0, 1, 4)
    qc.sdg(4)
    qc.reset(1)
    qc.h(1)
    qc.sdg(2)
    qc.h(2)
    qc.measure([4, 1, 2], [0, 1, 2])
    return qc


def _cudaq_parametric_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.rx(0.25, 0)
    qc.ry(0.5, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def _loop_feed_expected() -> dict[str, float]:
    # three fresh coin flips r0, r1, r2; q1 is flipped once per 1, so r3 is their parity
    return {f"{a}{b}{c}{a ^ b ^ c}": 0.125 for a in (0, 1) for b in (0, 1) for c in (0, 1)}


def _repeat_until_expected() -> dict[str, float]:
    # the loop runs k ≥ 0 times with probability 2^-(k+1); `a` ends as k mod 2; the final mz(q) is 0
    return {"00": 2 / 3, "01": 1 / 3}


_CUDAQ_FULL_NOTES = ("has no `entry_point` attribute", "lowered", "dynamically allocated qubit",
                     "added result records", "renamed @__quantum__qis__h to @__quantum__qis__h__body")
_CUDAQ_NOTES = ("renamed to @", "requiredQubits renamed to required_num_qubits")

CUDAQ = [
    Sample("cudaq", "bell_qir-base", _cudaq("bell", "qir-base"),
           lambda: keyed(clbit_distribution(_cudaq_bell_circuit()), [0, 1, 2]),
           notes=_CUDAQ_NOTES + ("cnot__body to @__quantum__qis__cx__body",)),
    Sample("cudaq", "bell_qir-adaptive", _cudaq("bell", "qir-adaptive"),
           lambda: keyed(clbit_distribution(_cudaq_bell_circuit()), [0, 1, 2]),
           notes=_CUDAQ_NOTES + ("moved 4 output record(s) to the end",), profile="adaptive"),
    Sample("cudaq", "bell_qir", _cudaq("bell", "qir"),
           lambda: keyed(clbit_distribution(_cudaq_bell_circuit()), [0, 1, 2]),
           notes=_CUDAQ_FULL_NOTES + ("controlled `x` (1 control)",)),
    Sample("cudaq", "feed_qir-adaptive", _cudaq("feed", "qir-adaptive"), lambda: {"00": 0.5, "11": 0.5},
           notes=_CUDAQ_NOTES + ("moved 3 output record(s)",), profile="adaptive"),
    Sample("cudaq", "feed_qir", _cudaq("feed", "qir"), lambda: {"00": 0.5, "11": 0.5},
           notes=_CUDAQ_FULL_NOTES + ("@__quantum__rt__read_result to @__quantum__qis__read_result__body",),
           profile="adaptive"),
    Sample("cudaq", "gates_qir-adaptive", _cudaq("gates", "qir-adaptive"),
           lambda: keyed(clbit_distribution(_cudaq_gates_circuit()), [0, 1, 2, 3]),
           notes=_CUDAQ_NOTES + ("controlled `rz` (2 controls)", "`u3` decomposed"), profile="adaptive"),
    Sample("cudaq", "gates_qir", _cudaq("gates", "qir"),
           lambda: keyed(clbit_distribution(_cudaq_gates_circuit()), [0, 1, 2, 3]),
           notes=_CUDAQ_FULL_NOTES + ("controlled `ry` (1 control)",)),
    Sample("cudaq", "controls_qir-adaptive", _cudaq("controls", "qir-adaptive"),
           lambda: keyed(clbit_distribution(_cudaq_controls_circuit()), [0, 1, 2]),
           notes=_CUDAQ_NOTES + ("controlled `x` (4 controls)",), profile="adaptive"),
    Sample("cudaq", "controls_qir", _cudaq("controls", "qir"),
           lambda: keyed(clbit_distribution(_cudaq_controls_circuit()), [0, 1, 2]),
           notes=_CUDAQ_FULL_NOTES + ("controlled `swap` (1 control)",), profile="adaptive"),
    Sample("cudaq", "loop_feed_qir-adaptive", _cudaq("loop_feed", "qir-adaptive"), _loop_feed_expected,
           notes=_CUDAQ_NOTES + ("moved 5 output record(s)",), profile="adaptive"),
    Sample("cudaq", "loop_feed_qir", _cudaq("loop_feed", "qir"), _loop_feed_expected,
           notes=_CUDAQ_FULL_NOTES, profile="adaptive"),
    Sample("cudaq", "repeat_until_qir-adaptive", _cudaq("repeat_until", "qir-adaptive"), _repeat_until_expected,
           notes=_CUDAQ_NOTES + ("folded 2 pointer phi(s)", "record the final value once per shot",
                                 "backwards_branching added"), profile="adaptive"),
    Sample("cudaq", "repeat_until_qir", _cudaq("repeat_until", "qir"), _repeat_until_expected,
           notes=_CUDAQ_FULL_NOTES + ("folded 2 pointer phi(s)",), profile="adaptive"),
    Sample("cudaq", "parametric_qir-base", _cudaq("parametric", "qir-base"),
           lambda: keyed(clbit_distribution(_cudaq_parametric_circuit()), [0, 1]),
           notes=_CUDAQ_NOTES + ("1 unused parameter(s) removed",)),
    Sample("cudaq", "parametric_qir", _cudaq("parametric", "qir"),
           lambda: keyed(clbit_distribution(_cudaq_parametric_circuit()), [0, 1]),
           notes=_CUDAQ_FULL_NOTES[:4] + ("1 unused parameter(s) removed", "@__quantum__qis__rx__body")),
]


def _file_name(fmt: str) -> str:
    return fmt.replace(":", "_")


def _rus_counter_expected() -> dict[str, float]:
    # the loop runs count = k times with probability 2^-(k+1) for k < 3 (its last mz reads 0), and
    # stops at count = 3 with 1/8 (last mz 0 or 1, 1/16 each); q1 is flipped count times
    return {"00": 0.5 + 0.125, "01": 0.25 + 0.0625, "11": 0.0625}


def _walk_expected() -> dict[str, float]:
    # three coin flips (recorded first), then q[pos] flipped with pos = their number of ones
    out: dict[str, float] = {}
    for flips in range(8):
        bits = [(flips >> i) & 1 for i in range(3)]
        key = "".join(map(str, bits)) + "".join("1" if j == sum(bits) else "0" for j in range(4))
        out[key] = out.get(key, 0.0) + 0.125
    return out


_DISPATCH = ("dispatched 1 call(s) with run-time qubit/result operands",)
_ON_PATHS = ("record output on only some paths",)

CUDAQ_DYNAMIC = [
    *(Sample("cudaq", f"branch_index_{_file_name(fmt)}", _cudaq("branch_index", fmt),
             lambda: {"010": 0.5, "101": 0.5}, notes=_DISPATCH, profile="adaptive")
      for fmt in ("qir", "qir:1.0", "qir-adaptive", "qir-adaptive:1.0")),
    Sample("cudaq", "cond_measure_qir-adaptive", _cudaq("cond_measure", "qir-adaptive"),
           lambda: {"0": 0.5, "10": 0.25, "11": 0.25}, notes=_ON_PATHS, profile="adaptive"),
    Sample("cudaq", "cond_measure_qir", _cudaq("cond_measure", "qir"),
           lambda: {"00": 0.5, "10": 0.25, "11": 0.25}, notes=_CUDAQ_FULL_NOTES, profile="adaptive"),
    *(Sample("cudaq", f"rus_counter_{_file_name(fmt)}", _cudaq("rus_counter", fmt), _rus_counter_expected,
             profile="adaptive") for fmt in ("qir", "qir-adaptive", "qir-adaptive:1.0")),
    *(Sample("cudaq", f"rus_index_{_file_name(fmt)}", _cudaq("rus_index", fmt), lambda: {"0": 0.875, "1": 0.125},
             profile="adaptive") for fmt in ("qir", "qir-adaptive", "qir-adaptive:1.0")),
    *(Sample("cudaq", f"walk_{_file_name(fmt)}", _cudaq("walk", fmt), _walk_expected, notes=_DISPATCH,
             profile="adaptive") for fmt in ("qir", "qir-adaptive", "qir-adaptive:1.0")),
    Sample("cudaq", "bell_qir-base_1.0", _cudaq("bell", "qir-base:1.0"),
           lambda: keyed(clbit_distribution(_cudaq_bell_circuit()), [0, 1, 2]), notes=("renamed to @",)),
    Sample("cudaq", "feed_qir-adaptive_1.0", _cudaq("feed", "qir-adaptive:1.0"), lambda: {"00": 0.5, "11": 0.5},
           profile="adaptive"),
]


# =============================================================================================
# Hand-written modules (the golden copy is the source)
# =============================================================================================
def _hand(name: str) -> Callable[[], str]:
    return lambda: (GOLDEN / "hand" / f"{name}.ll").read_text()


HAND = [
    Sample("hand", "records_on_paths", _hand("records_on_paths"),
           lambda: {"0": 0.5, "1 0": 0.25, "1 1 7": 0.25}, notes=_ON_PATHS, profile="adaptive", detected="unknown"),
    Sample("hand", "return_points", _hand("return_points"), lambda: {"0": 0.5, "11": 0.5},
           profile="adaptive", detected="unknown"),
    Sample("hand", "memory_loop", _hand("memory_loop"), lambda: {"0000": 0.5, "1111": 0.5},
           notes=("promoted memory to SSA values with LLVM",), profile="adaptive", detected="unknown"),
    Sample("hand", "table_dispatch", _hand("table_dispatch"),
           lambda: {"10": 0.5, "01": 0.5},
           notes=("dispatched 1 call(s) with run-time qubit/result operands",), profile="adaptive",
           detected="unknown"),
]

SAMPLES: list[Sample] = (PYQIR + QDK + QDK_ADAPTIVE + QDK_OPENQASM + QDK_QISKIT_ADAPTIVE + PYTKET + QBRAID + CUDAQ
                         + CUDAQ_DYNAMIC + HAND)


def write_goldens(producers: set[str] | None = None) -> None:
    import importlib

    for sample in SAMPLES:
        if producers and sample.producer not in producers:
            continue
        try:
            importlib.import_module(sample.module)
        except ImportError:
            print(f"skip {sample.id}: {sample.module} is not installed")
            continue
        if sample.producer == "hand":
            continue  # the golden copy is the source
        sample.path.parent.mkdir(parents=True, exist_ok=True)
        sample.path.write_text(sample.generate())
        print(f"wrote {sample.path.relative_to(GOLDEN.parent.parent.parent)}")


if __name__ == "__main__":
    import sys

    write_goldens(set(sys.argv[1:]) or None)
